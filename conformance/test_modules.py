"""Conformance: modules — parameters, buffers, state_dict, train/eval, dtype conversion, save
and load, hooks, moving to a device, pickling the whole model, save_pretrained (catalogue
MD01–MD07, MD09, MD10, MD14–MD16) — and training techniques: gradient checkpointing and LoRA
(TR01–TR03).

Module trees are drawn by hypothesis as plain data (see :mod:`reference.modules`); a backend
with the ``modules`` capability builds each with its own module system, and what it reports
(names, shapes, dtypes, training flags, a reloaded state) must equal the reference's rules
exactly.  LoRA and checkpointing are functions: values under the tolerance policy, gradients
against central differences of the reference, and the frozen base's missing gradient on a
module system.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlspec import testing
from dlspec.api import Backend
from dlspec.compare import assert_conforms
from dlspec.gradcheck import check_gradient
from dlspec.strategies import values_for
from reference import modules as ref

spec = pytest.mark.spec

#: The catalogue's module (MD04, MD06): a parameter, a persistent and a non-persistent buffer,
#: a Linear and a BatchNorm1d child.
NOTES_NET = {"type": "Module", "parameters": {"w": (3,)},
             "buffers": {"steps": {"shape": (), "dtype": "int64", "persistent": True},
                         "tmp": {"shape": (2,), "dtype": "float32", "persistent": False}},
             "children": {"sub": {"type": "Linear", "in_features": 4, "out_features": 2},
                          "bn": {"type": "BatchNorm1d", "num_features": 2}}}
#: The catalogue's containers (MD07): Sequential, ModuleList and ModuleDict register their
#: children; a plain Python list does not.
NOTES_CONTAINERS = {"type": "Module", "children": {
    "seq": {"type": "Sequential", "children": [{"type": "Linear", "in_features": 3, "out_features": 2}]},
    "ml": {"type": "ModuleList", "children": [{"type": "Linear", "in_features": 2, "out_features": 2}]},
    "md": {"type": "ModuleDict", "children": {"a": {"type": "Linear", "in_features": 2, "out_features": 1}}}},
    "python_list": [{"type": "Linear", "in_features": 5, "out_features": 5}]}


# -- module trees --------------------------------------------------------------------------------


def _names(pool: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(pool), unique=True, max_size=2)


leaves = st.one_of(
    st.builds(lambda i, o, b: {"type": "Linear", "in_features": i, "out_features": o, "bias": b},
              st.integers(1, 3), st.integers(1, 3), st.booleans()),
    st.builds(lambda n: {"type": "BatchNorm1d", "num_features": n}, st.integers(1, 3)),
    st.builds(lambda p: {"type": "Dropout", "p": p}, st.sampled_from((0.0, 0.5))),
    st.just({"type": "ReLU"}),
)
buffer_specs = st.builds(lambda s, d, p: {"shape": s, "dtype": d, "persistent": p},
                         st.lists(st.integers(0, 3), max_size=2).map(tuple), st.sampled_from(("float32", "int64")),
                         st.booleans())


def _containers(children: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    """Sequential / ModuleList / ModuleDict of ``children``, or a custom Module with its own
    parameters (by assignment), buffers (persistent or not), children and an unregistered list."""
    return st.one_of(
        st.builds(lambda k, c: {"type": k, "children": c}, st.sampled_from(("Sequential", "ModuleList")),
                  st.lists(children, max_size=3)),
        st.builds(lambda c: {"type": "ModuleDict", "children": c},
                  st.dictionaries(st.sampled_from(("a", "b", "c")), children, max_size=2)),
        st.builds(lambda p, b, c, lst: {"type": "Module", "parameters": p, "buffers": b, "children": c, "python_list": lst},
                  st.dictionaries(st.sampled_from(("w", "v")), st.lists(st.integers(0, 3), max_size=2).map(tuple),
                                  max_size=2),
                  st.dictionaries(st.sampled_from(("steps", "tmp")), buffer_specs, max_size=2),
                  st.dictionaries(st.sampled_from(("sub", "head", "block")), children, max_size=2),
                  st.lists(children, max_size=1)),
    )


trees = st.recursive(leaves, _containers, max_leaves=6)


def _state(tree: dict, seed: int) -> dict[str, np.ndarray]:
    """Distinct values for every state_dict entry: small integers, exact in every dtype."""
    rng = np.random.default_rng(seed)
    return {name: rng.integers(-50, 50, shape).astype(dtype) for name, shape, dtype in ref.named_entries(tree, "state_dict")}


def _check_same(backend: Backend, what: str, got: Any, expected: Any, tree: dict) -> None:
    assert got == expected, f"{backend.name} {what} of {tree}:\n  got      {got}\n  expected {expected}"


# -- registration, state_dict, modes, conversion (MD01 MD02 MD04 MD05 MD06 MD07 MD10 MD14) ---


@spec("MD01", "MD02", "MD04", "MD06", "MD07", "MD14")
@given(tree=trees)
def test_module_entries(backend, tree):
    """MD01/MD02/MD04/MD06/MD07/MD14: named_parameters() holds the parameters registered by
    assignment, module by module in pre-order with dotted names (MD01, MD02, MD07: containers
    register, a plain list does not); named_buffers() every buffer and no parameter (MD04);
    state_dict() each module's parameters then its PERSISTENT buffers — not only parameters
    (MD14), never a non-persistent buffer (MD06) — with their shapes and dtypes."""
    testing.require(backend, "modules")
    fn = testing.op(backend, "module_entries")
    for what in ref.WHAT:
        _check_same(backend, what, fn(tree, what), ref.named_entries(tree, what), tree)


@spec("MD02", "MD07")
@given(tree=trees)
def test_module_names(backend, tree):
    """MD02/MD07: named_modules() is the root ("") and every registered child, in pre-order;
    modules in a plain Python list are not among them."""
    testing.require(backend, "modules")
    _check_same(backend, "named_modules", testing.op(backend, "module_names")(tree), ref.module_names(tree), tree)


@spec("MD05")
@given(tree=trees, training=st.booleans())
def test_module_modes(backend, tree, training):
    """MD05: train() and eval() on the root set the training flag of every registered module,
    recursively, whatever it was before."""
    testing.require(backend, "modules")
    got = testing.op(backend, "module_modes")(tree, training)
    _check_same(backend, "training flags", got, ref.training_flags(tree, training), tree)


@spec("MD10")
@given(tree=trees, dtype=st.sampled_from(("float64", "float16", "bfloat16", "int64")))
def test_module_convert(backend, tree, dtype):
    """MD10: module.to(dtype) converts the floating parameters and buffers only: integer
    buffers (BatchNorm's num_batches_tracked) stay int64.  A non-floating dtype raises."""
    testing.require(backend, "modules")
    fn = testing.op(backend, "module_convert")
    try:
        expected = ref.converted_entries(tree, dtype)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"module.to({dtype})"):
            fn(tree, dtype)
        return
    _check_same(backend, f"state_dict after .to({dtype})", fn(tree, dtype), expected, tree)


@spec("MD06", "MD14")
@given(tree=trees, seed=st.integers(0, 2**16), damage=st.sampled_from(("none", "none", "missing", "unexpected")))
def test_module_save_load(backend, tree, seed, damage):
    """MD06/MD14: a state_dict — parameters AND persistent buffers — saved and loaded into a
    fresh module comes back whole: same keys in the same order, every value and dtype exact.
    load_state_dict is strict: a missing or an unexpected key raises."""
    testing.require(backend, "modules")
    fn = testing.op(backend, "module_save_load")
    state = _state(tree, seed)
    if damage == "missing" and state:
        state.pop(next(iter(state)))
    elif damage == "unexpected":
        state["extra"] = np.zeros(1, np.float32)
    given_state = {k: backend.asarray(v, v.dtype.name) for k, v in state.items()}
    try:
        expected = ref.load_state_dict(tree, state)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"load_state_dict with a {damage} key"):
            fn(tree, given_state)
        return
    got = fn(tree, given_state)
    _check_same(backend, "state_dict keys after save and load", list(got), list(expected), tree)
    for name, value in expected.items():
        assert_conforms(backend, got[name], value, op=f"save/load {name}", exact=True, inputs=str(tree))


NOTES_STATE_DICTS = [
    pytest.param(NOTES_NET, ["w", "steps", "sub.weight", "sub.bias", "bn.weight", "bn.bias", "bn.running_mean",
                             "bn.running_var", "bn.num_batches_tracked"], id="MD06-buffers-saved-tmp-not"),
    pytest.param(NOTES_CONTAINERS, ["seq.0.weight", "seq.0.bias", "ml.0.weight", "ml.0.bias", "md.a.weight", "md.a.bias"],
                 id="MD07-containers-registered-list-not"),
    pytest.param({"type": "BatchNorm1d", "num_features": 3},
                 ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], id="MD14-batchnorm-buffers"),
]


@spec("MD04", "MD06", "MD07", "MD14")
@pytest.mark.parametrize(("tree", "keys"), NOTES_STATE_DICTS)
def test_notes_state_dict_keys(backend, tree, keys):
    """MD06/MD07/MD14, the catalogue's examples: the state_dict keys of the notes' module
    (the persistent buffer 'steps' and BatchNorm's running stats saved, the non-persistent
    'tmp' not), of its containers, and of a lone BatchNorm1d — not only its parameters."""
    testing.require(backend, "modules")
    got = [name for name, _, _ in testing.op(backend, "module_entries")(tree, "state_dict")]
    _check_same(backend, "state_dict keys", got, keys, tree)


@spec("MD10")
def test_notes_double_keeps_num_batches_tracked(backend):
    """MD10, the catalogue's example: after .to(float64) (.double()) the BatchNorm1d's floating
    entries are float64 but num_batches_tracked stays int64."""
    testing.require(backend, "modules")
    got = {name: dtype for name, _, dtype in testing.op(backend, "module_convert")(NOTES_NET, "float64")}
    assert got["bn.num_batches_tracked"] == "int64" and got["steps"] == "int64", f"{backend.name}: {got}"
    assert got["bn.running_mean"] == got["sub.weight"] == "float64", f"{backend.name}: {got}"


# -- hooks, devices, saving the whole model (MD03 MD09 MD15 MD16) ------------------------------------


@spec("MD03")
@given(calls=st.lists(st.sampled_from(ref.HOOK_CALLS), min_size=1, max_size=4), scale=st.sampled_from((2.0, -0.5)),
       data=st.data())
def test_module_hooks(backend, calls, scale, data):
    """MD03: calling a module, m(x), runs its forward pre-hook and forward hook once each around
    forward(), and the forward hook's return value replaces the output; calling m.forward(x)
    directly runs neither hook (the counts do not move) and returns forward's own output."""
    testing.require(backend, "modules")
    x, w, b = (values_for(shape, "float32", data) for shape in ((2, 3), (4, 3), (4,)))
    got = testing.op(backend, "module_hooks")(*(backend.asarray(v, "float32") for v in (x, w, b)), scale, calls)
    counts = [(pre, post) for _, pre, post in got]
    assert counts == ref.hook_counts(calls), \
        f"{backend.name}: (pre-hook, hook) counts after {calls}: {counts}, expected {ref.hook_counts(calls)}"
    for (out, _, _), how in zip(got, calls, strict=True):
        magnitude = ref.hooked_linear(np.abs(x), np.abs(w), np.abs(b), abs(scale), how)
        assert_conforms(backend, out, ref.hooked_linear(x, w, b, scale, how), op=f"hooked Linear, {how}", dtype="float32",
                        terms=4, scale=magnitude, inputs=f"calls={calls}, scale={scale}")


@spec("MD09")
@given(tree=trees)
def test_module_to_device(backend, tree):
    """MD09: module.to(device) — here a device of the backend's other than the one it runs on
    (CUDA from the CPU where there is one, else torch's tensor-less 'meta' device) — returns the
    same module, converted in place, and moves every parameter and every buffer, persistent or
    not, of every sub-module; the names (the structure) stay as they were."""
    testing.require(backend, "modules")
    got = testing.op(backend, "module_to_device")(tree)
    assert got["device"] != backend.device, f"{backend.name}: moved to {got['device']}, its own device"
    _check_same(backend, f"module.to({got['device']})", got, ref.to_device(tree, got["device"]), tree)


#: (class_available, weights_only): the class importable and weights_only=False round-trips;
#: the class gone, or weights_only=True (torch.load's default), raises.
PICKLE_CASES = [pytest.param(True, False, id="class-present"), pytest.param(False, False, id="class-absent"),
                pytest.param(True, True, id="weights-only")]


@spec("MD15")
@pytest.mark.parametrize(("class_available", "weights_only"), PICKLE_CASES)
@given(tree=trees, seed=st.integers(0, 2**16))
def test_module_pickle_round_trip(backend, class_available, weights_only, tree, seed):
    """MD15: saving the whole model (pickling the module, torch.save(model)) saves its class's
    name, not its code: loaded where the class is importable, with weights_only=False, it comes
    back holding its whole state; where the class cannot be imported loading raises, and
    weights_only=True (torch.load's default) refuses any pickled module, class or not."""
    testing.require(backend, "modules")
    fn = testing.op(backend, "module_pickle_round_trip")
    state = _state(tree, seed)
    given_state = {k: backend.asarray(v, v.dtype.name) for k, v in state.items()}
    try:
        expected = ref.pickle_round_trip(tree, state, class_available, weights_only)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"loading a pickled module, class_available={class_available}, "
                                             f"weights_only={weights_only}"):
            fn(tree, given_state, class_available, weights_only)
        return
    got = fn(tree, given_state, class_available, weights_only)
    _check_same(backend, "state_dict keys after pickling the module", list(got), list(expected), tree)
    for name, value in expected.items():
        assert_conforms(backend, got[name], value, op=f"pickled module {name}", exact=True, inputs=str(tree))


@spec("MD16")
def test_save_pretrained_round_trip(backend, tmp_path):
    """MD16, a fact of Hugging Face ``transformers`` (on torch; optional, transformers is not a
    dependency): model.save_pretrained(dir) writes config.json and model.safetensors, and
    from_pretrained(dir) rebuilds the model with identical weights."""
    if not backend.library.startswith("torch"):
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: the transformers library runs on torch")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed (MD16 needs it)")
    torch = backend.torch
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=16)
    model = transformers.BertModel(config)
    model.save_pretrained(tmp_path)
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == sorted(ref.PRETRAINED_FILES), f"save_pretrained wrote {files}, expected {list(ref.PRETRAINED_FILES)}"
    state, loaded = model.state_dict(), transformers.BertModel.from_pretrained(tmp_path).state_dict()
    assert list(loaded) == list(state), f"from_pretrained keys {list(loaded)}, expected {list(state)}"
    differ = [name for name, value in state.items() if not torch.equal(loaded[name], value)]
    assert not differ, f"from_pretrained changed the weights {differ}"


# -- LoRA (TR02 TR03) -------------------------------------------------------------------------------


@st.composite
def lora_cases(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """x ``(*, in)``, W ``(out, in)``, A ``(r, in)``, B ``(out, r)`` of sizes up to 3 (float64)."""
    n, inp, out, rank = (draw(st.integers(1, 3), label=k) for k in ("batch", "in", "out", "rank"))
    elements = st.floats(-4, 4).map(lambda v: round(v, 3))
    return tuple(draw(hnp.arrays(np.float64, s, elements=elements), label="values")
                 for s in ((n, inp), (out, inp), (rank, inp), (out, rank)))


def _check_lora(backend: Backend, got: Any, x: np.ndarray, w: np.ndarray, a: np.ndarray, b: np.ndarray,
                alpha: float) -> None:
    scale = ref.lora_linear(np.abs(x), np.abs(w), np.abs(a), np.abs(b), abs(alpha))
    assert_conforms(backend, got, ref.lora_linear(x, w, a, b, alpha), op="lora_linear", dtype="float64",
                    terms=2 * w.shape[1] + a.shape[0], scale=scale, inputs=f"x {x.shape}, W {w.shape}, A {a.shape}")


@spec("TR03")
@given(case=lora_cases(), alpha=st.sampled_from((1.0, 2.0, 16.0)))
def test_lora_linear_and_merge(backend, case, alpha):
    """TR03: the LoRA layer computes x @ W.T + (alpha/r)·(x @ A.T) @ B.T, and the merged weight
    W + (alpha/r)·B @ A gives the same output through one plain linear layer."""
    x, w, a, b = case
    arrays = [backend.asarray(v, "float64") for v in case]
    _check_lora(backend, testing.op(backend, "lora_linear")(*arrays, alpha), x, w, a, b, alpha)
    merged = testing.op(backend, "lora_merge")(*arrays[1:], alpha)
    _check_lora(backend, testing.op(backend, "linear")(arrays[0], merged), x, w, a, b, alpha)


@spec("TR03")
@pytest.mark.parametrize(("out", "inp", "rank"), [(4, 6, 2), (3, 2, 1)])
def test_lora_init_starts_at_the_base(backend, out, inp, rank):
    """TR03: LoRA initialises B to zero and A like nn.Linear's weight (uniform within
    ±1/sqrt(in), not all zero, so learning can start), hence the adapted layer's output
    equals the frozen base layer's at the start."""
    weight, x = values_for((out, inp), "float64"), values_for((5, inp), "float64")
    a, b = testing.op(backend, "lora_init")(backend.asarray(weight, "float64"), rank, 3)
    assert_conforms(backend, b, np.zeros((out, rank)), op="lora_init B", dtype="float64", exact=True)
    a_values, bound = backend.to_numpy(a), ref.lora_a_bound(inp)
    assert a_values.shape == (rank, inp), f"{backend.name}: A has shape {a_values.shape}, expected {(rank, inp)}"
    assert np.all(np.abs(a_values) <= bound) and np.any(a_values != 0), \
        f"{backend.name}: A = {a_values.tolist()} is not a non-zero draw within ±{bound}"
    out_values = testing.op(backend, "lora_linear")(backend.asarray(x, "float64"), backend.asarray(weight, "float64"), a, b, 8.0)
    _check_lora(backend, out_values, x, weight, np.zeros_like(a_values), np.zeros((out, rank)), 8.0)


GRADIENTS = [
    pytest.param("lora_linear", [values_for((2, 3), "float64") / 8, values_for((4, 3), "float64") / 8,
                                 values_for((2, 3), "float64") / 16, values_for((4, 2), "float64") / 16, 4.0], (2, 3),
                 id="TR03-lora-grads-of-A-and-B"),
    pytest.param("checkpointed_mlp", [values_for((2, 3), "float64") / 8, values_for((4, 3), "float64") / 8,
                                      values_for((2, 4), "float64") / 8, True], (0, 1, 2), id="TR01-checkpointed"),
    pytest.param("checkpointed_mlp", [values_for((2, 3), "float64") / 8, values_for((4, 3), "float64") / 8,
                                      values_for((2, 4), "float64") / 8, False], (0, 1, 2), id="TR01-plain"),
]


@spec("TR01", "TR03")
@pytest.mark.parametrize(("name", "args", "wrt"), GRADIENTS)
def test_gradients(backend, name, args, wrt):
    """TR01/TR03: gradients against central differences of the reference: LoRA's w.r.t. its
    trainable A and B (TR03); a checkpointed segment's, recomputed in backward, equal to those
    of the same function without checkpointing (TR01: compute traded for memory, nothing else)."""
    check_gradient(backend, name, args, wrt=wrt)


@spec("TR02", "TR03")
def test_lora_module_freezes_the_base(backend):
    """TR02/TR03: in a LoRA module over a frozen base layer, backward leaves the base weight
    without a gradient (None: it is never updated) while lora_A and lora_B receive theirs."""
    testing.require(backend, "modules")
    x, w = values_for((3, 4), "float32") / 16, values_for((5, 4), "float32") / 16
    a, b = values_for((2, 4), "float32") / 8, values_for((5, 2), "float32") / 8
    grads = testing.op(backend, "lora_module_grads")(*(backend.asarray(v, "float32") for v in (x, w, a, b)), 4.0)
    expected = ref.lora_grads(x, w, a, b, 4.0, np.ones((3, 5)))
    assert list(grads) == list(expected), f"{backend.name}: LoRA parameters {list(grads)}, expected {list(expected)}"
    assert grads["base.weight"] is None, f"{backend.name}: the frozen base weight received a gradient"
    for name in ("lora_A", "lora_B"):
        scale = ref.lora_grads(np.abs(x), np.abs(w), np.abs(a), np.abs(b), 4.0, np.ones((3, 5)))[name]
        assert_conforms(backend, grads[name], expected[name], op=f"gradient of {name}", dtype="float32",
                        terms=15, scale=scale)
