"""The modules reference against the catalogue's examples and independent computations
(NumPy products, finite differences), and its guard clauses."""

from __future__ import annotations

import numpy as np
import pytest

from reference import modules as ref

NET = {"type": "Module", "parameters": {"w": (3,)},
       "buffers": {"steps": {"shape": (), "dtype": "int64"}, "tmp": {"shape": (2,), "persistent": False}},
       "children": {"sub": {"type": "Linear", "in_features": 4, "out_features": 2},
                    "bn": {"type": "BatchNorm1d", "num_features": 2}}}
CONTAINERS = {"type": "Module", "children": {
    "seq": {"type": "Sequential", "children": [{"type": "Linear", "in_features": 3, "out_features": 2}, {"type": "ReLU"}]},
    "md": {"type": "ModuleDict", "children": {"a": {"type": "Dropout", "p": 0.5}}}},
    "python_list": [{"type": "Linear", "in_features": 5, "out_features": 5}]}


def names(entries):
    return [name for name, _, _ in entries]


def test_catalogue_module():
    """MD02, MD04, MD06: the catalogue's parameter, buffer and state_dict keys of its module."""
    assert names(ref.named_entries(NET, "parameters")) == ["w", "sub.weight", "sub.bias", "bn.weight", "bn.bias"]
    assert names(ref.named_entries(NET, "buffers")) == ["steps", "tmp", "bn.running_mean", "bn.running_var",
                                                       "bn.num_batches_tracked"]
    assert names(ref.named_entries(NET, "state_dict")) == ["w", "steps", "sub.weight", "sub.bias", "bn.weight", "bn.bias",
                                                          "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert ref.named_entries(NET, "parameters")[1] == ("sub.weight", (2, 4), "float32")  # (out, in)


def test_containers_and_plain_lists():
    """MD07: containers register their children (named 0, 1, … or by key); a Python list does not."""
    assert ref.module_names(CONTAINERS) == ["", "seq", "seq.0", "seq.1", "md", "md.a"]
    assert names(ref.named_entries(CONTAINERS, "state_dict")) == ["seq.0.weight", "seq.0.bias"]
    assert ref.training_flags(CONTAINERS, False) == [(n, False) for n in ref.module_names(CONTAINERS)]


def test_batchnorm_state_dict_and_double():
    """MD14: a BatchNorm1d saves its running stats too; MD10: .double() leaves num_batches_tracked int64."""
    bn = {"type": "BatchNorm1d", "num_features": 3}
    assert names(ref.named_entries(bn, "state_dict")) == ["weight", "bias", "running_mean", "running_var",
                                                         "num_batches_tracked"]
    assert [d for _, _, d in ref.converted_entries(bn, "float64")] == ["float64"] * 4 + ["int64"]
    with pytest.raises(TypeError, match="floating"):
        ref.converted_entries(bn, "int64")


def test_load_state_dict_is_strict_and_casts():
    """MD06: exactly the state_dict keys, values cast to the module's dtypes."""
    bn = {"type": "BatchNorm1d", "num_features": 2}
    state = {name: np.ones(shape) for name, shape, _ in ref.named_entries(bn, "state_dict")}
    loaded = ref.load_state_dict(bn, state)
    assert list(loaded) == list(state) and loaded["num_batches_tracked"].dtype == np.int64
    with pytest.raises(ValueError, match="missing"):
        ref.load_state_dict(bn, {k: v for k, v in state.items() if k != "running_var"})
    with pytest.raises(ValueError, match="shape"):
        ref.load_state_dict(bn, {**state, "weight": np.ones(3)})


RNG = np.random.default_rng(0)
X, W, A, B = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3)), RNG.standard_normal((2, 3)), RNG.standard_normal((5, 2))


def test_hooks_run_on_call_only():
    """MD03, the catalogue's example: a hook fires once on m(x) and no more on m.forward(x); the
    forward hook's return value (here 3 × the output) replaces m(x)'s output only."""
    assert ref.hook_counts(["call", "forward"]) == [(1, 1), (1, 1)]
    assert ref.hook_counts(["forward", "call", "call"]) == [(0, 0), (1, 1), (2, 2)]
    b = RNG.standard_normal(5)
    np.testing.assert_allclose(ref.hooked_linear(X, W, b, 3.0, "forward"), X @ W.T + b, rtol=1e-12)
    np.testing.assert_allclose(ref.hooked_linear(X, W, b, 3.0, "call"), 3.0 * (X @ W.T + b), rtol=1e-12)


def test_to_device_moves_every_parameter_and_buffer():
    """MD09: after .to(device) every parameter and buffer of every sub-module, the
    non-persistent 'tmp' included, is on the device, and the module itself is returned."""
    moved = ref.to_device(NET, "cuda:1")
    assert moved["device"] == "cuda" and moved["same_module"] is True
    assert moved["entries"] == [(name, "cuda") for name in ["w", "sub.weight", "sub.bias", "bn.weight", "bn.bias", "steps",
                                                            "tmp", "bn.running_mean", "bn.running_var",
                                                            "bn.num_batches_tracked"]]


def test_pickled_module_needs_its_class_and_weights_only_false():
    """MD15: the state comes back only with the class importable and weights_only=False."""
    bn = {"type": "BatchNorm1d", "num_features": 2}
    state = {name: np.full(shape, 2.0) for name, shape, _ in ref.named_entries(bn, "state_dict")}
    assert list(ref.pickle_round_trip(bn, state, True, False)) == list(state)
    for class_available, weights_only, message in ((False, False, "class"), (True, True, "weights_only"),
                                                   (False, True, "weights_only")):
        with pytest.raises(ValueError, match=message):
            ref.pickle_round_trip(bn, state, class_available, weights_only)
    assert ref.PRETRAINED_FILES == ("config.json", "model.safetensors")  # MD16


def test_lora_against_numpy_products():
    """TR03: y = x W^T + (alpha/r) x A^T B^T, and the merged weight W + (alpha/r) B A gives it."""
    expected = X @ W.T + 8.0 / 2 * (X @ A.T) @ B.T
    np.testing.assert_allclose(ref.lora_linear(X, W, A, B, 8.0), expected, rtol=1e-12)
    np.testing.assert_allclose(X @ ref.lora_merge(W, A, B, 8.0).T, expected, rtol=1e-12)


def test_lora_init_starts_at_the_base():
    """TR03: B = 0, A within ±1/sqrt(in), so the output starts equal to x W^T."""
    a, b = ref.lora_init(5, 16, 2, 0)
    assert ref.lora_a_bound(16) == pytest.approx(0.25)
    assert not b.any() and np.all(np.abs(a) <= 0.25) and a.any()
    np.testing.assert_allclose(ref.lora_linear(np.ones((1, 16)), np.ones((5, 16)), a, b, 4.0), np.full((1, 5), 16.0))


def test_lora_grads_by_finite_differences():
    """TR02: the trainable A and B gradients equal central differences of sum(g · y); the base has none."""
    g = RNG.standard_normal((4, 5))
    grads = ref.lora_grads(X, W, A, B, 3.0, g)
    assert grads["base.weight"] is None
    for name, args, position in (("lora_A", [X, W, A, B], 2), ("lora_B", [X, W, A, B], 3)):
        numeric = np.zeros_like(args[position])
        for j in np.ndindex(numeric.shape):
            sides = []
            for h in (1e-6, -1e-6):
                moved = [a.copy() for a in args]
                moved[position][j] += h
                sides.append(np.sum(g * ref.lora_linear(*moved, 3.0)))
            numeric[j] = (sides[0] - sides[1]) / 2e-6
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8)


def test_checkpointed_mlp_is_the_plain_function():
    """TR01: the segment's value is tanh(x W1^T) W2^T whether or not it is recomputed."""
    np.testing.assert_allclose(ref.checkpointed_mlp(X, W, B.T), np.tanh(X @ W.T) @ B.T.T, rtol=1e-12)


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.named_entries(NET, "grads"), ValueError),
    (lambda: ref.named_entries({"type": "Conv4d"}, "parameters"), ValueError),
    (lambda: ref.named_entries({"type": "Linear", "in_features": 2}, "parameters"), TypeError),
    (lambda: ref.named_entries({"type": "Linear", "in_features": 2, "out_features": -1}, "parameters"), ValueError),
    (lambda: ref.named_entries({"type": "Sequential", "children": {"a": {"type": "ReLU"}}}, "parameters"), TypeError),
    (lambda: ref.named_entries({"type": "Module", "buffers": {"b": {"dtype": "int4"}}}, "buffers"), ValueError),
    (lambda: ref.named_entries({"type": "Module", "python_list": [3]}, "buffers"), TypeError),
    (lambda: ref.module_names([]), TypeError),
    (lambda: ref.converted_entries(NET, "float8"), ValueError),
    (lambda: ref.load_state_dict(NET, {"w": 1}), ValueError),
    (lambda: ref.hook_counts(["call", "backward"]), ValueError),
    (lambda: ref.hooked_linear(X, W, np.ones(4), 1.0, "call"), ValueError),
    (lambda: ref.hooked_linear(X, W, np.ones(5, np.int64), 1.0, "call"), TypeError),
    (lambda: ref.hooked_linear(X, W, np.ones(5), 1.0, "__call__"), ValueError),
    (lambda: ref.to_device(NET, ""), ValueError),
    (lambda: ref.to_device(NET, 0), TypeError),
    (lambda: ref.pickle_round_trip(NET, {}, True, False), ValueError),
    (lambda: ref.pickle_round_trip(NET, {}, "yes", False), TypeError),
    (lambda: ref.lora_linear(X, W, A, B.T, 1.0), ValueError),
    (lambda: ref.lora_linear(np.ones((4, 2)), W, A, B, 1.0), ValueError),
    (lambda: ref.lora_merge(W.astype(np.int64), A.astype(np.int64), B.astype(np.int64), 1.0), TypeError),
    (lambda: ref.lora_init(5, 3, 0, 0), ValueError),
    (lambda: ref.lora_grads(X, W, A, B, 1.0, np.ones(3)), ValueError),
    (lambda: ref.checkpointed_mlp(X, W, W), ValueError),
])
def test_guards(call, error):
    """Malformed trees, shapes, dtypes and ranks raise ValueError or TypeError with a message."""
    with pytest.raises(error, match=r"\w"):
        call()
