"""Conformance: optimizers, gradient clipping, gradient accumulation and LR schedules
(catalogue OP01–OP18, MD11–MD13, P06).

Each optimizer runs a few steps from a fresh state on per-step gradients drawn by hypothesis,
and its parameters are compared with ``reference.optimizers.run`` in float64.  The tolerance
is the policy's for an accumulation: every step adds at most ``ROUNDINGS_PER_STEP`` rounding
errors relative to the parameter and to the magnitude of its update, the latter taken from
the reference run on the gradients' absolute values, where no cancellation can shrink a sum
(so the bound covers the EMAs' cancellations).  Parameter groups, a model's own parameters
stepped, states, the state-dict round trip, ``zero_grad``, ``clip_grad_norm_``, accumulated
gradients, LR schedules and their resumption follow.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend
from dlspec.compare import assert_conforms
from dlspec.strategies import draw_dtype, shapes, values_for
from reference import optimizers as ref

spec = pytest.mark.spec
DTYPES = ("float64", "float32")
#: An upper count of the rounded operations producing one element's update in one step (the
#: longest rule, Adam with amsgrad and weight decay, has 11).
ROUNDINGS_PER_STEP = 16
LR = st.sampled_from((0.5, 0.1, 0.01))
DECAY = st.sampled_from((0.0, 0.0, 0.01, 0.1))
#: Hyper-parameters drawn per optimizer; alpha and beta stay >= 0.5 so that centered RMSprop's
#: ``s − a²`` keeps at least ``alphaᵗ·s`` (no catastrophic cancellation in a few steps).
HYPER: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "sgd": st.fixed_dictionaries({"lr": LR, "momentum": st.sampled_from((0.0, 0.9, 0.5)),
                                  "dampening": st.sampled_from((0.0, 0.5)), "weight_decay": DECAY,
                                  "nesterov": st.booleans(), "maximize": st.booleans()}),
    "adam": st.fixed_dictionaries({"lr": LR, "betas": st.sampled_from(((0.9, 0.999), (0.5, 0.9))),
                                   "eps": st.sampled_from((1e-8, 1e-3)), "weight_decay": DECAY,
                                   "amsgrad": st.booleans(), "maximize": st.booleans()}),
    "rmsprop": st.fixed_dictionaries({"lr": LR, "alpha": st.sampled_from((0.99, 0.9)),
                                      "eps": st.sampled_from((1e-8, 1e-3)), "weight_decay": DECAY,
                                      "momentum": st.sampled_from((0.0, 0.9)), "centered": st.booleans(),
                                      "maximize": st.booleans()}),
    "adagrad": st.fixed_dictionaries({"lr": LR, "lr_decay": st.sampled_from((0.0, 0.1)), "weight_decay": DECAY,
                                      "initial_accumulator_value": st.sampled_from((0.0, 0.5)),
                                      "eps": st.sampled_from((1e-10, 1e-3)), "maximize": st.booleans()}),
}
HYPER["adamw"] = HYPER["adam"]
HYPER["adadelta"] = st.fixed_dictionaries({"lr": st.sampled_from((1.0, 0.5, 0.1)), "rho": st.sampled_from((0.9, 0.5, 0.99)),
                                           "eps": st.sampled_from((1e-6, 1e-3)), "weight_decay": DECAY,
                                           "maximize": st.booleans()})
#: A parameter group's own options (OP10): its lr and weight decay, each possibly left to the
#: constructor's.
GROUP_HYPER = st.fixed_dictionaries({}, optional={"lr": LR, "weight_decay": DECAY})
NAMES = sorted(HYPER)


# -- helpers -----------------------------------------------------------------------------


@st.composite
def problems(draw: st.DrawFn, dtype: str, max_steps: int = 5,
             min_params: int = 1) -> tuple[list[np.ndarray], list[list[np.ndarray | None]]]:
    """``min_params``–3 parameters of up to 2-D shapes (≤ 3 a side) and 1–``max_steps`` steps of
    gradients, values held by ``dtype``; now and then a gradient is ``None`` (the parameter is
    skipped)."""
    param_shapes = draw(st.lists(shapes(0, 2, 1, 3), min_size=min_params, max_size=3), label="shapes")
    data = draw(st.data())
    params = [values_for(s, dtype, data) for s in param_shapes]
    steps = draw(st.integers(1, max_steps), label="steps")
    grads = [[None if draw(st.integers(0, 5), label="no grad") == 0 else values_for(s, dtype, data)
              for s in param_shapes] for _ in range(steps)]
    return params, grads


def _inputs(backend: Backend, params: list[np.ndarray], grads: list[list[np.ndarray | None]],
            dtype: str) -> tuple[list[Any], list[list[Any]]]:
    return ([backend.asarray(p, dtype=dtype) for p in params],
            [[None if g is None else backend.asarray(g, dtype=dtype) for g in step] for step in grads])


def _describe(name: str, params: list[np.ndarray], grads: list[list[np.ndarray | None]], hyper: dict[str, Any],
              dtype: str) -> str:
    text = [[None if g is None else g.tolist() for g in step] for step in grads]
    return f"{name!r}, params={[p.tolist() for p in params]}, grads={text}, hyper={hyper} as {dtype}"


def error_scale(name: str, params: list[np.ndarray], grads: list[list[np.ndarray | None]],
                hyper: dict[str, Any]) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
    """Per element, ``Σ_t (|p_t| + |Δp_t|)`` with ``Δp_t`` the update the reference takes on
    ``|p|`` and ``|g|`` (all sums of magnitudes): the scale of the accumulated rounding error;
    and the states of that run on magnitudes, the error scales of the states."""
    wide = [p.astype(np.float64) for p in params]
    absolute = [np.asarray(np.abs(p)) for p in wide]
    states = abs_states = ref.init_states(name, params, hyper)
    scale = [np.zeros_like(p) for p in wide]
    for step in grads:
        wide, states = ref.step(name, wide, step, states, hyper)
        moved, abs_states = ref.step(name, absolute, [None if g is None else np.asarray(np.abs(g)) for g in step], abs_states,
                                     {**hyper, "maximize": False})
        scale = [s + np.abs(p) + np.abs(m - a) for s, p, m, a in zip(scale, wide, moved, absolute)]
        absolute = moved
    return scale, abs_states


def check_steps(backend: Backend, name: str, params: list[np.ndarray], grads: list[list[np.ndarray | None]],
                hyper: dict[str, Any], dtype: str, *, op: str = "optimizer_steps", **extra: Any) -> list[Any]:
    """Spec operation ``op`` (``optimizer_steps`` or ``optimizer_resume``) on the inputs in
    ``dtype`` against ``reference.optimizers.run``: each parameter's shape, dtype and values
    under the policy for ``ROUNDINGS_PER_STEP`` roundings per step at :func:`error_scale`;
    an error where the reference raises.  Returns the backend's parameters."""
    fn = testing.op(backend, op)
    testing.require_dtype(backend, dtype)
    text = _describe(name, params, grads, hyper, dtype)
    try:
        expected, _ = ref.run(name, params, grads, hyper)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"{op}({text})"):
            fn(name, *_inputs(backend, params, grads, dtype), hyper, **extra)
        return []
    got = fn(name, *_inputs(backend, params, grads, dtype), hyper, **extra)
    assert len(got) == len(params), f"{backend.name} {op}: {len(got)} parameters returned for {len(params)}"
    for actual, want, scale in zip(got, expected, error_scale(name, params, grads, hyper)[0]):
        assert_conforms(backend, actual, want, op=op, dtype=dtype, terms=ROUNDINGS_PER_STEP, scale=scale, inputs=text)
    return got


def check_group_steps(backend: Backend, name: str, groups: list[tuple[list[np.ndarray], dict[str, Any]]],
                      grads: list[list[np.ndarray | None]], defaults: dict[str, Any], dtype: str) -> None:
    """``optimizer_group_steps`` against ``reference.optimizers.run_groups``: each group's
    parameters under the policy of :func:`check_steps` with that group's hyper-parameters, or
    an error where the reference raises."""
    fn = testing.op(backend, "optimizer_group_steps")
    testing.require_dtype(backend, dtype)
    params = [p for group, _ in groups for p in group]
    text = f"groups={[own for _, own in groups]}, defaults={defaults}: " + _describe(name, params, grads, {}, dtype)
    inputs = _inputs(backend, params, grads, dtype)
    sizes = np.cumsum([0] + [len(group) for group, _ in groups])
    args = ([(inputs[0][a:b], own) for a, b, (_, own) in zip(sizes, sizes[1:], groups)], inputs[1], defaults)
    try:
        expected, _ = ref.run_groups(name, groups, grads, defaults)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"optimizer_group_steps({text})"):
            fn(name, *args)
        return
    got = fn(name, *args)
    assert len(got) == len(params), f"{backend.name}: {len(got)} parameters returned for {len(params)}"
    scales = [scale for a, b, (group, own) in zip(sizes, sizes[1:], groups)
              for scale in error_scale(name, group, [step[a:b] for step in grads], {**defaults, **own})[0]]
    for actual, want, scale in zip(got, expected, scales):
        assert_conforms(backend, actual, want, op="optimizer_group_steps", dtype=dtype, terms=ROUNDINGS_PER_STEP,
                        scale=scale, inputs=text)


# -- optimizer trajectories (OP01-OP08, OP12, OP14, OP16, OP17) ------------------------------


@spec("OP01", "OP02", "OP03", "OP04", "OP05", "OP06", "OP07", "OP12", "OP14", "OP16", "OP17")
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_optimizer_steps(backend, name, data):
    """OP01–OP07, OP16: 1–5 steps of SGD (weight decay, momentum with dampening, Nesterov in
    torch's form v = μv + g, p −= lr·(g + μv): OP02, OP03), Adam (bias correction, eps outside
    the square root, L2 weight decay through the gradient, amsgrad, maximize: OP04, OP05,
    OP17), AdamW (decay p·(1 − lr·wd) before the update, OP06), RMSprop (alpha, centered,
    momentum, OP07), Adagrad (lr decay, initial accumulator) and Adadelta (rho, eps inside
    both roots; torch.optim ships all six, OP16) follow the reference; the update descends,
    p − lr·g (OP12); a parameter without gradient is skipped (OP14)."""
    dtype = draw_dtype(backend, data, DTYPES)
    params, grads = data.draw(problems(dtype), label="problem")
    check_steps(backend, name, params, grads, data.draw(HYPER[name], label="hyper"), dtype)


NOTES_EXAMPLES = [
    pytest.param("sgd", [[1.0]], [[[2.0]]], {"lr": 0.1}, id="OP12-sgd-descends-to-0.8"),
    pytest.param("sgd", [[1.0]], [[[1.0]], [[0.0]]], {"lr": 0.1, "momentum": 0.9}, id="OP14-zero-grad-moves-to-0.81"),
    pytest.param("sgd", [[1.0]], [[[1.0]], [None]], {"lr": 0.1, "momentum": 0.9}, id="OP14-none-grad-stays-0.9"),
    pytest.param("sgd", [[1.0, -2.0]], [[[1.0, 2.0]], [[3.0, -1.0]], [[0.5, 0.5]]],
                 {"lr": 0.1, "momentum": 0.9, "nesterov": True}, id="OP03-nesterov-at-current-theta"),
    pytest.param("sgd", [[1.0]], [[[1.0]], [[1.0]]], {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
                 id="OP02-dampening-from-step-2"),
    pytest.param("adam", [[1.0, -1.0]], [[[1e-6, -2e-6]], [[1e-6, 3e-6]]], {"lr": 0.1, "eps": 1e-6},
                 id="OP17-tiny-grads-eps-outside-sqrt"),
    pytest.param("adam", [[1.0]], [[[1.0]], [[0.1]], [[0.1]]], {"lr": 0.1, "amsgrad": True},
                 id="OP04-amsgrad-keeps-max-of-raw-v"),
    pytest.param("adamw", [[2.0]], [[[0.0]], [[0.0]]], {"lr": 0.1, "weight_decay": 0.5}, id="OP06-decoupled-decay"),
    pytest.param("rmsprop", [[1.0, 2.0]], [[[1.0, -1.0]], [[-1.0, 2.0]]], {"lr": 0.01, "centered": True},
                 id="OP07-rmsprop-centered"),
    pytest.param("sgd", [[1.0]], [[[1.0]]], {"lr": 0.01, "nesterov": True}, id="OP08-nesterov-without-momentum-raises"),
    pytest.param("sgd", [[1.0]], [[[1.0]]], {"lr": 0.01, "momentum": 0.9, "nesterov": True, "dampening": 0.1},
                 id="OP08-nesterov-with-dampening-raises"),
]


@spec("OP02", "OP03", "OP04", "OP06", "OP07", "OP08", "OP12", "OP14", "OP17")
@pytest.mark.parametrize(("name", "params", "grads", "hyper"), NOTES_EXAMPLES)
def test_notes_examples(backend, name, params, grads, hyper):
    """The catalogue's examples: SGD gives p − lr·g = 0.8, not 1.2 (OP12); after a zero
    gradient momentum still moves p to 0.81, a ``None`` gradient leaves 0.9 (OP14); Nesterov
    uses the gradient at the current θ (OP03); dampening applies from the second step (OP02);
    with gradients ~1e-6 Adam's eps sits outside the square root (OP17); amsgrad keeps the max
    of the raw second moment (OP04); AdamW's decay acts on p alone (OP06); centered RMSprop
    (OP07); Nesterov without momentum, or with dampening, raises (OP08)."""
    values = [np.asarray(p, dtype=np.float64) for p in params]
    steps = [[None if g is None else np.asarray(g, dtype=np.float64) for g in step] for step in grads]
    check_steps(backend, name, values, steps, hyper, "float64")


# -- parameter groups (OP10) -------------------------------------------------------------------


@spec("OP10")
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_param_groups(backend, name, data):
    """OP10: an optimizer over two parameter groups steps each group with its own lr and
    weight decay, a group that leaves one out taking the constructor's value; every other
    hyper-parameter comes from the constructor."""
    dtype = draw_dtype(backend, data, DTYPES)
    params, grads = data.draw(problems(dtype, max_steps=3, min_params=2), label="problem")
    cut = data.draw(st.integers(1, len(params) - 1), label="cut")
    groups = [(params[:cut], data.draw(GROUP_HYPER, label="group 0")),
              (params[cut:], data.draw(GROUP_HYPER, label="group 1"))]
    check_group_steps(backend, name, groups, grads, data.draw(HYPER[name], label="defaults"), dtype)


@spec("OP10")
def test_param_groups_example(backend):
    """OP10, the catalogue's example: parameters a = b = 1 with gradient 1 in groups of lr 0.1
    and 1.0 end at a = 0.90 and b = 0.00; a third group without an lr takes the constructor's
    0.5."""
    one = [np.array([1.0])]
    groups = [(one, {"lr": 0.1}), (one, {"lr": 1.0}), (one, {})]
    check_group_steps(backend, "sgd", groups, [[np.array([1.0])] * 3], {"lr": 0.5}, "float64")


# -- a model's own parameters (MD11) -------------------------------------------------------------


def check_model_step(backend: Backend, w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray, lr: float,
                     dtype: str) -> None:
    """``model_sgd_step`` against ``reference.optimizers.linear_sgd_step``: the model's weight
    and bias after one step, each a sum of ``n + in + 4`` roundings at the scale of the step
    taken on magnitudes (no cancellation)."""
    fn = testing.op(backend, "model_sgd_step")
    testing.require_dtype(backend, dtype)
    text = f"w={w.tolist()}, b={b.tolist()}, x={x.tolist()}, y={y.tolist()}, lr={lr} as {dtype}"
    expected = ref.linear_sgd_step(w, b, x, y, lr)
    on_magnitudes = ref.linear_sgd_step(np.abs(w), np.abs(b), np.abs(x), -np.abs(y), lr)
    got = fn(*(backend.asarray(a, dtype=dtype) for a in (w, b, x, y)), lr)
    for actual, want, start, moved, part in zip(got, expected, (w, b), on_magnitudes, ("weight", "bias")):
        assert_conforms(backend, actual, want, op=f"model_sgd_step[{part}]", dtype=dtype,
                        terms=x.shape[0] + w.shape[1] + 4, scale=2 * np.abs(start) - moved, inputs=text)


@spec("MD11")
@given(data=st.data())
def test_model_parameters_are_shared(backend, data):
    """MD11: the parameters handed to the optimizer are the model's own, not copies: after
    ``loss.backward()`` and ``step()`` the model's weight and bias are those of one SGD step on
    the mean squared error."""
    dtype = draw_dtype(backend, data, DTYPES)
    out_f, in_f, n = (data.draw(st.integers(1, 3), label=what) for what in ("out", "in", "batch"))
    w, b, x, y = (values_for(s, dtype, data) for s in ((out_f, in_f), (out_f,), (n, in_f), (n, out_f)))
    check_model_step(backend, w, b, x, y, data.draw(LR, label="lr"), dtype)


@spec("MD11")
def test_model_step_example(backend):
    """MD11: w = 1, b = 0, x = 1, y = 0: the loss (w·x + b)² has gradients 2 and 2, so one
    step of lr 0.1 leaves the model with w = 0.8, b = −0.2."""
    check_model_step(backend, np.array([[1.0]]), np.array([0.0]), np.array([[1.0]]), np.array([[0.0]]), 0.1, "float64")


# -- state (OP11, MD12) and the state-dict round trip ------------------------------------


@spec("OP11", "MD12")
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_optimizer_state(backend, name, data):
    """OP11, MD12: after the steps, each parameter's state is a dict with torch's keys (SGD
    ``momentum_buffer`` with momentum; Adam ``step``, ``exp_avg``, ``exp_avg_sq`` (+
    ``max_exp_avg_sq``); RMSprop ``step``, ``square_avg`` (+ ``grad_avg``, ``momentum_buffer``);
    Adagrad ``step``, ``sum``), each value conforming to the reference's; a parameter that
    never had a gradient has none.  Adam keeps two moments per parameter element (MD12)."""
    dtype = draw_dtype(backend, data, DTYPES)
    params, grads = data.draw(problems(dtype, max_steps=3), label="problem")
    hyper = data.draw(HYPER[name], label="hyper")
    fn = testing.op(backend, "optimizer_state")
    try:
        _, expected = ref.run(name, params, grads, hyper)
    except ValueError:
        return  # an invalid hyper-parameter set: test_optimizer_steps checks the error
    text = _describe(name, params, grads, hyper, dtype)
    got = fn(name, *_inputs(backend, params, grads, dtype), hyper)
    for actual, want, abs_state in zip(got, expected, error_scale(name, params, grads, hyper)[1]):
        assert set(actual) == set(want), f"{backend.name}: state keys {sorted(actual)}, expected {sorted(want)}"
        for key, value in want.items():
            if key == "step":
                assert float(backend.to_numpy(actual[key])) == value, f"{backend.name}: step {actual[key]}, want {value}"
                continue
            assert_conforms(backend, actual[key], value, op=f"optimizer_state[{key}]", dtype=dtype,
                            terms=ROUNDINGS_PER_STEP * len(grads), scale=np.abs(abs_state[key]) + np.abs(value), inputs=text)
        if name in ("adam", "adamw") and want:
            moments = sum(backend.to_numpy(actual[k]).size for k in ("exp_avg", "exp_avg_sq"))
            assert moments == 2 * want["exp_avg"].size


@spec("OP11")
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_state_dict_round_trip(backend, name, data):
    """OP11: saving the state dict after ``split`` steps, loading it into a fresh optimizer
    over copies of the parameters and continuing gives bit for bit the parameters of the
    uninterrupted run, and both conform to the reference: every state tensor is restored."""
    dtype = draw_dtype(backend, data, DTYPES)
    params, grads = data.draw(problems(dtype), label="problem")
    hyper = data.draw(HYPER[name], label="hyper")
    split = data.draw(st.integers(0, len(grads)), label="split")
    resumed = check_steps(backend, name, params, grads, hyper, dtype, op="optimizer_resume", split=split)
    if resumed:
        whole = testing.op(backend, "optimizer_steps")(name, *_inputs(backend, params, grads, dtype), hyper)
        for a, b in zip(resumed, whole):
            assert_conforms(backend, a, backend.to_numpy(b), op="optimizer_resume", exact=True,
                            inputs=f"split={split}: resumed vs uninterrupted")


# -- zero_grad (OP13, OP14) ----------------------------------------------------------------


@spec("OP13", "OP14")
@pytest.mark.parametrize("set_to_none", [None, True, False])
def test_zero_grad(backend, set_to_none):
    """OP13: ``optimizer.zero_grad()`` sets every gradient to ``None`` by default
    (``set_to_none=True`` since torch 2.0, not False as the notes show); OP14: with
    ``set_to_none=False`` they become zero arrays of the gradient's shape and dtype."""
    fn = testing.op(backend, "zero_grad")
    params = [values_for((2, 3), "float32"), values_for((4,), "float32")]
    got = fn([backend.asarray(p) for p in params], [backend.asarray(p + 1) for p in params], set_to_none)
    for g, p in zip(got, params):
        if set_to_none is False:
            assert g is not None, f"{backend.name}: zero_grad(set_to_none=False) left no gradient"
            assert_conforms(backend, g, np.zeros_like(p), op="zero_grad", exact=True)
        else:
            assert g is None, f"{backend.name}: zero_grad(set_to_none={set_to_none}) left a gradient, expected None"


# -- clip_grad_norm_ (OP09) ------------------------------------------------------------------


def check_clip(backend: Backend, grads: list[np.ndarray], max_norm: float, norm_type: float, dtype: str,
               error_if_nonfinite: bool = False) -> None:
    """``clip_grad_norm`` against the reference: the total norm (a sum of ``numel`` terms of
    scale the total) and each clipped gradient (scale its magnitude), or an error."""
    fn = testing.op(backend, "clip_grad_norm")
    testing.require_dtype(backend, dtype)
    text = f"{[g.tolist() for g in grads]}, max_norm={max_norm}, norm_type={norm_type} as {dtype}"
    args = ([backend.asarray(g, dtype=dtype) for g in grads], max_norm, norm_type, error_if_nonfinite)
    try:
        expected, total = ref.clip_grad_norm(grads, max_norm, norm_type, error_if_nonfinite)
    except ValueError:
        with testing.raises_as_spec(backend, f"clip_grad_norm({text})"):
            fn(*args)
        return
    got, got_total = fn(*args)
    terms = sum(g.size for g in grads) + 2
    assert_conforms(backend, got_total, np.asarray(total), op="clip_grad_norm[total]", dtype=dtype, terms=terms,
                    scale=total, inputs=text)
    for actual, want in zip(got, expected):
        assert_conforms(backend, actual, want, op="clip_grad_norm", dtype=dtype, terms=terms, scale=np.abs(want),
                        inputs=text)


@spec("OP09")
@given(data=st.data())
def test_clip_grad_norm(backend, data):
    """OP09: ``clip_grad_norm_`` computes ONE total norm over all gradients (order 2 or inf),
    multiplies every gradient by ``max_norm/(total + 1e-6)`` only when that is below 1, and
    returns the total norm before clipping."""
    dtype = draw_dtype(backend, data, DTYPES)
    grad_shapes = data.draw(st.lists(shapes(0, 2, 1, 3), min_size=1, max_size=3), label="shapes")
    grads = [values_for(s, dtype, data) for s in grad_shapes]
    max_norm = data.draw(st.sampled_from((0.5, 1.0, 5.0, 100.0)), label="max_norm")
    check_clip(backend, grads, max_norm, data.draw(st.sampled_from((2.0, math.inf)), label="norm_type"), dtype)


@spec("OP09")
@pytest.mark.parametrize(("grads", "max_norm", "error_if_nonfinite"), [
    pytest.param([[3.0], [4.0]], 1.0, False, id="OP09-total-5-clipped-jointly-to-1"),
    pytest.param([[3.0, 4.0], [0.0]], 10.0, False, id="OP09-below-max-norm-unchanged"),
    pytest.param([[math.inf, 1.0]], 1.0, True, id="OP09-nonfinite-total-raises"),
    pytest.param([[math.nan], [1.0]], 1.0, True, id="OP09-nan-total-raises"),
])
def test_clip_grad_norm_examples(backend, grads, max_norm, error_if_nonfinite):
    """OP09, the catalogue's example: gradients 3 and 4 in two tensors have total norm 5 and
    are both scaled to a joint norm of 1 (0.6, 0.8); a total below ``max_norm`` changes
    nothing; a non-finite total raises with ``error_if_nonfinite=True``."""
    check_clip(backend, [np.asarray(g) for g in grads], max_norm, 2.0, "float64", error_if_nonfinite)


# -- gradient accumulation (P06, OP18) -------------------------------------------------------


@spec("P06", "OP18")
@given(data=st.data())
def test_accumulated_gradient(backend, data):
    """P06: k backward passes over consecutive micro-batches, each MSE loss divided by k, sum
    in ``.grad`` to the gradient of the whole batch's mean loss, 2/(n·m)·xᵀ(xW − y); without
    the 1/k it would be k times too large."""
    dtype = draw_dtype(backend, data, DTYPES)
    fn = testing.op(backend, "accumulated_gradient")
    k = data.draw(st.sampled_from((1, 2, 4)), label="micro_batches")
    n, d, m = 2 * k, 3, 2  # few shapes: JAX compiles each primitive once per shape
    w, x, y = (values_for(s, dtype, data) for s in ((d, m), (n, d), (n, m)))
    expected = ref.accumulated_gradient(w, x, y, k)
    scale = ref.accumulated_gradient(np.abs(w), np.abs(x), -np.abs(y), 1)
    got = fn(*(backend.asarray(a, dtype=dtype) for a in (w, x, y)), k)
    assert_conforms(backend, got, expected, op="accumulated_gradient", dtype=dtype, terms=n + d + 2, scale=scale,
                    inputs=f"w={w.tolist()}, x={x.tolist()}, y={y.tolist()}, micro_batches={k} as {dtype}")


# -- LR schedules (OP15) -----------------------------------------------------------------------


SCHEDULE_HYPER: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "step": st.fixed_dictionaries({"step_size": st.integers(1, 7), "gamma": st.sampled_from((0.1, 0.5, 0.9))}),
    "cosine": st.fixed_dictionaries({"t_max": st.integers(1, 20), "eta_min": st.sampled_from((0.0, 0.001))}),
    "linear": st.fixed_dictionaries({"start_factor": st.sampled_from((1 / 3, 0.1, 1.0)),
                                     "end_factor": st.sampled_from((1.0, 0.5)), "total_iters": st.integers(1, 10)}),
    "cosine_warm_restarts": st.fixed_dictionaries({"t_0": st.integers(1, 6), "t_mult": st.integers(1, 2),
                                                   "eta_min": st.sampled_from((0.0, 0.001))}),
}
EPOCHS = 40


@spec("OP15")
@pytest.mark.parametrize("name", sorted(SCHEDULE_HYPER))
@given(data=st.data())
def test_lr_schedule(backend, name, data):
    """OP15: the learning rate over 40 epochs of StepLR (lr·γ^⌊e/step_size⌋), CosineAnnealingLR,
    LinearLR warm-up and CosineAnnealingWarmRestarts equals the closed form; torch computes
    some recursively, so the error may grow by an eps of the base lr per epoch."""
    fn = testing.op(backend, "lr_schedule")
    hyper = data.draw(SCHEDULE_HYPER[name], label="hyper")
    base_lr = data.draw(st.sampled_from((0.1, 1.0)), label="base_lr")
    expected = ref.schedule(name, base_lr, hyper, EPOCHS)
    assert_conforms(backend, fn(name, base_lr, hyper, EPOCHS), expected, op="lr_schedule", terms=EPOCHS,
                    scale=base_lr, inputs=f"{name}, base_lr={base_lr}, {hyper}")


@spec("OP15")
def test_warm_restarts_oscillate(backend):
    """OP15, the catalogue's example: CosineAnnealingWarmRestarts(T_0=2) gives 1.0, 0.5, 1.0,
    0.5, 1.0: the rate jumps back up at every restart."""
    fn = testing.op(backend, "lr_schedule")
    hyper = {"t_0": 2, "t_mult": 1, "eta_min": 0.0}
    assert_conforms(backend, fn("cosine_warm_restarts", 1.0, hyper, 5), np.array([1.0, 0.5, 1.0, 0.5, 1.0]),
                    op="lr_schedule", terms=5, scale=1.0)


# -- the three state dicts and resuming a schedule (MD13) ---------------------------------------


#: One set of hyper-parameters per schedule, for the state-dict keys.
SCHEDULE_EXAMPLES: dict[str, dict[str, Any]] = {
    "step": {"step_size": 2, "gamma": 0.5}, "cosine": {"t_max": 5, "eta_min": 0.0},
    "linear": {"start_factor": 0.5, "end_factor": 1.0, "total_iters": 3},
    "cosine_warm_restarts": {"t_0": 2, "t_mult": 2, "eta_min": 0.0},
}
RESUME_EPOCHS = 20


@spec("MD13")
@pytest.mark.parametrize("schedule", sorted(SCHEDULE_EXAMPLES))
@pytest.mark.parametrize("name", NAMES)
def test_state_dict_keys(backend, name, schedule):
    """MD13: state dicts live in three places. A linear model's holds exactly ``weight`` and
    ``bias``; the optimizer's exactly ``state`` and ``param_groups``, each group holding
    ``params`` and every hyper-parameter; the LR scheduler's at least ``last_epoch`` and
    ``base_lrs``."""
    got = testing.op(backend, "state_dict_keys")(name, {}, schedule, SCHEDULE_EXAMPLES[schedule])
    want = ref.state_dict_keys(name)
    assert set(got) == set(want), f"{backend.name}: state dicts {sorted(got)}, expected {sorted(want)}"
    for part, keys in want.items():
        if part in ref.EXACT_STATE_DICTS:
            assert set(got[part]) == keys, f"{backend.name}: {part} state dict keys {sorted(got[part])}, want {sorted(keys)}"
        else:
            assert keys <= set(got[part]), f"{backend.name}: {part} state dict lacks {sorted(keys - set(got[part]))}"


@spec("MD13", "OP15")
@pytest.mark.parametrize("name", sorted(SCHEDULE_HYPER))
@given(data=st.data())
def test_scheduler_resume(backend, name, data):
    """MD13: saving the optimizer's and the scheduler's state dicts after ``split`` epochs and
    loading both into a fresh optimizer and scheduler continues the learning rate where it
    stopped: the closed-form schedule (OP15), bit for bit the uninterrupted run."""
    fn = testing.op(backend, "scheduler_resume")
    hyper = data.draw(SCHEDULE_HYPER[name], label="hyper")
    base_lr = data.draw(st.sampled_from((0.1, 1.0)), label="base_lr")
    split = data.draw(st.integers(0, RESUME_EPOCHS), label="split")
    text = f"{name}, base_lr={base_lr}, {hyper}, split={split}"
    resumed = fn(name, base_lr, hyper, RESUME_EPOCHS, split)
    assert_conforms(backend, resumed, ref.schedule(name, base_lr, hyper, RESUME_EPOCHS), op="scheduler_resume",
                    terms=RESUME_EPOCHS, scale=base_lr, inputs=text)
    whole = testing.op(backend, "lr_schedule")(name, base_lr, hyper, RESUME_EPOCHS)
    assert_conforms(backend, resumed, backend.to_numpy(whole), op="scheduler_resume", exact=True,
                    inputs=f"{text}: resumed vs uninterrupted")
