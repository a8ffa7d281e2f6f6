"""Conformance: autograd graph semantics and custom functions (catalogue A01–A29, C01–C04).

Every test builds graphs through the backend's ``graph()`` namespace (capability ``graph``:
tensors with ``.grad``, ``.is_leaf``, ``backward()``; see :class:`dlspec.spec.autograd.AutogradOps`)
and checks the rules :mod:`reference.autograd` pins down: which tensors keep ``.grad``, that
gradients accumulate, when the graph is freed, what ``no_grad``/``detach``/``.data`` do, when
in-place writes raise, and that a custom ``Function`` passes ``gradcheck``.  Gradient values
are compared in float64 with the formulas they must equal, under the tolerance policy;
errors where the rules raise.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec import testing, tolerance
from dlspec.api import Backend
from dlspec.compare import ConformanceError, check_values
from dlspec.strategies import values_for
from reference import autograd as ref

spec = pytest.mark.spec
#: torch warns that backward(create_graph=True) makes a reference cycle through .grad; the tests reset .grad.
CREATE_GRAPH_WARNING = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")


# -- helpers -----------------------------------------------------------------------------


def graph_of(backend: Backend) -> Any:
    """The backend's graph namespace; *not applicable* without the ``graph`` capability."""
    testing.require(backend, "graph")
    return testing.op(backend, "graph")()


def check_close(backend: Backend, G: Any, got: Any, expected: np.ndarray, what: str, *, terms: int = 0,
                scale: np.ndarray | float = 0.0) -> None:
    """The graph tensor ``got`` has ``expected``'s shape and float64 values under the policy
    for ``terms`` accumulated terms of magnitude ``scale``."""
    repro = testing.reproduction(backend, what, "")
    if got is None:
        raise ConformanceError(f"{backend.name} {what}: got None, expected values of shape {np.shape(expected)}\n{repro}")
    values = G.values(got)
    if values.shape != np.shape(expected):
        raise ConformanceError(f"{backend.name} {what}: shape {values.shape}, expected {np.shape(expected)}\n{repro}")
    check_values(values, np.asarray(expected, dtype=np.float64), tolerance.for_dtype("float64", terms=terms, scale=scale),
                 "float64", None, f"{backend.name} {what}", repro)


def non_leaf_grad(t: Any) -> Any:
    """``t.grad`` without torch's warning that a non-leaf's ``.grad`` is being read (A15)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return t.grad


def floats(data: st.DataObject, *shape: int) -> np.ndarray:
    """Hypothesis float64 values in [-8, 8] of ``shape``."""
    return values_for(shape, "float64", data)


# -- leaves, non-leaves and the chain rule (A01-A07, A12, A14, A20-A21) ------------------


@spec("A01", "A03", "A06", "A07", "A12", "A20", "A21")
@given(data=st.data())
def test_leaf_gradients(backend, data):
    """A01/A06/A07/A12/A20/A21: for out = X @ W and loss = Σ(out − t)², ``.grad`` is None
    before backward and afterwards holds dL/dX = 2(out − t) @ Wᵀ (flowing further back,
    A07) and dL/dW = Xᵀ @ 2(out − t) (the parameter's, A21), each the shape of its tensor
    (A06); leaves have no grad_fn, every result has one (A12, A20)."""
    G = graph_of(backend)
    x, w, t = floats(data, 4, 3), floats(data, 3, 2), floats(data, 4, 2)
    X, W = G.tensor(x, requires_grad=True), G.tensor(w, requires_grad=True)
    out = X @ W
    out.retain_grad()
    loss = G.mse_loss(out, G.tensor(t), reduction="sum")
    assert X.grad is None and W.grad is None, f"{backend.name}: .grad is set before any backward"
    assert X.is_leaf and W.is_leaf and X.grad_fn is None, f"{backend.name}: user-created tensors must be leaves"
    assert not out.is_leaf and out.grad_fn is not None and loss.grad_fn is not None, \
        f"{backend.name}: results of recorded operations must be non-leaves with a grad_fn"
    loss.backward()
    upstream = 2 * (x @ w - t)
    check_close(backend, G, non_leaf_grad(out), upstream, "dL/d(out) (A06)", terms=3, scale=2 * (np.abs(x) @ np.abs(w) + np.abs(t)))
    check_close(backend, G, X.grad, upstream @ w.T, "dL/dX (A07)", terms=5, scale=2 * (np.abs(x) @ np.abs(w) + np.abs(t)) @ np.abs(w).T)
    check_close(backend, G, W.grad, x.T @ upstream, "dL/dW (A07)", terms=7, scale=np.abs(x).T @ (2 * (np.abs(x) @ np.abs(w) + np.abs(t))))


@spec("A02", "A03")
@given(data=st.data())
def test_chain_rule(backend, data):
    """A02/A03: d sin(x²)/dx = cos(x²)·2x (the chain rule); for f = x²·y the gradient is the
    vector of partial derivatives (2xy, x²), e.g. (12, 4) at (2, 3)."""
    G = graph_of(backend)
    x, y = floats(data, 3), floats(data, 3)
    X, Y = G.tensor(x, requires_grad=True), G.tensor(y, requires_grad=True)
    (X**2).sin().sum().backward()
    check_close(backend, G, X.grad, np.cos(x**2) * 2 * x, "d sin(x²)/dx")
    X, Y = G.tensor(x, requires_grad=True), G.tensor(y, requires_grad=True)
    (X * X * Y).sum().backward()
    check_close(backend, G, X.grad, 2 * x * y, "d(x²y)/dx")
    check_close(backend, G, Y.grad, x * x, "d(x²y)/dy")


@spec("A14")
@given(data=st.data())
def test_backward_is_a_vector_jacobian_product(backend, data):
    """A14: for y = A @ x, ``y.backward(v)`` gives x.grad = vᵀJ = Aᵀ v without forming J
    elsewhere than in the formula."""
    G = graph_of(backend)
    a, x, v = floats(data, 3, 4), floats(data, 4, 1), floats(data, 3, 1)
    X = G.tensor(x, requires_grad=True)
    (G.tensor(a) @ X).backward(G.tensor(v))
    check_close(backend, G, X.grad, a.T @ v, "vᵀJ", terms=3, scale=np.abs(a).T @ np.abs(v))


@spec("A04")
@given(data=st.data())
def test_residual_adds_the_identity(backend, data):
    """A04: the gradient of a residual block y = x + f(x) is the identity plus f's: with
    f = sigmoid, dy/dx = 1 + σ(x)(1 − σ(x)), at least 1 however flat f is."""
    G = graph_of(backend)
    x = floats(data, 4)
    X = G.tensor(x, requires_grad=True)
    (X + X.sigmoid()).sum().backward()
    sig = 1 / (1 + np.exp(-x))
    check_close(backend, G, X.grad, 1 + sig * (1 - sig), "d(x + σ(x))/dx")


# -- accumulation (A08, A13, A16, A17) ---------------------------------------------------


@spec("A08", "A13", "A16", "A17")
@given(data=st.data())
def test_gradients_accumulate(backend, data):
    """A13: two backward passes add up in ``.grad``; A16: 4 micro-batches of 2 with loss/4
    accumulate the gradient of the batch of 8; A17: ``grad.zero_()`` keeps the same (zeroed)
    tensor, ``grad = None`` releases it; A08: an SGD step under no_grad is w − lr·dL/dw."""
    G = graph_of(backend)
    x, t, w0 = floats(data, 8, 3), floats(data, 8, 1), floats(data, 3, 1)
    w = G.tensor(w0, requires_grad=True)
    (full,) = G.grad(G.mse_loss(G.tensor(x) @ w, G.tensor(t)), [w])
    want = 2 * x.T @ (x @ w0 - t) / 8
    scale = 2 * np.abs(x).T @ (np.abs(x) @ np.abs(w0) + np.abs(t)) / 8
    check_close(backend, G, full, want, "dL/dw, batch of 8", terms=12, scale=scale)
    assert w.grad is None, f"{backend.name}: grad() must return the gradient, not accumulate it into .grad"
    for i in range(0, 8, 2):
        (G.mse_loss(G.tensor(x[i:i + 2]) @ w, G.tensor(t[i:i + 2])) * 0.25).backward()
    check_close(backend, G, w.grad, want, "dL/dw accumulated over 4 micro-batches (A16)", terms=16, scale=scale)
    (G.mse_loss(G.tensor(x) @ w, G.tensor(t))).backward()
    check_close(backend, G, w.grad, 2 * want, "dL/dw after one more backward (A13)", terms=20, scale=2 * scale)
    kept = w.grad
    kept.zero_()
    assert w.grad is kept, f"{backend.name}: grad.zero_() must keep the same tensor (A17)"
    check_close(backend, G, w.grad, np.zeros((3, 1)), "grad after zero_() (A17)")
    w.grad = None
    (w * w).sum().backward()
    check_close(backend, G, w.grad, 2 * w0, "d Σw²/dw after grad = None (A17)")
    with G.no_grad():
        w.add_(w.grad * -0.1)
    check_close(backend, G, w, w0 - 0.1 * 2 * w0, "w − lr·grad (A08)")


# -- non-leaf .grad, retain_graph and create_graph (A09, A10, A15) -----------------------


@spec("A15")
@given(data=st.data())
def test_non_leaf_grad_is_not_kept(backend, data):
    """A15: after backward a non-leaf's ``.grad`` is None (its gradient is computed, used and
    discarded) while the leaf's is set; ``retain_grad()`` keeps it."""
    G = graph_of(backend)
    x = floats(data, 3)
    X = G.tensor(x, requires_grad=True)
    y = X * 2
    (y * y).sum().backward()
    assert non_leaf_grad(y) is None, f"{backend.name}: a non-leaf kept .grad without retain_grad() (A15)"
    check_close(backend, G, X.grad, 8 * x, "leaf grad d Σ(2x)²/dx")
    y = X * 2
    y.retain_grad()
    (y * y).sum().backward()
    check_close(backend, G, non_leaf_grad(y), 4 * x, "retained non-leaf grad d Σy²/dy")


@spec("A10")
@CREATE_GRAPH_WARNING
@given(data=st.data())
def test_retain_graph(backend, data):
    """A10: backward frees the values the graph saved, so a second backward through it
    raises; ``retain_graph=True`` keeps them (the second pass accumulates); ``retain_graph``
    defaults to ``create_graph``, so after ``create_graph=True`` the graph is kept too."""
    G = graph_of(backend)
    x = floats(data, 3)
    X = G.tensor(x, requires_grad=True)
    z = (X * X).sum()
    z.backward()
    with testing.raises_as_spec(backend, "a second backward through a freed graph (A10)"):
        z.backward()
    X = G.tensor(x, requires_grad=True)
    z = (X * X).sum()
    z.backward(retain_graph=True)
    z.backward()
    check_close(backend, G, X.grad, 4 * x, "two passes with retain_graph=True")
    X = G.tensor(x, requires_grad=True)
    z = (X * X).sum()
    z.backward(create_graph=True)
    z.backward()
    check_close(backend, G, X.grad, 4 * x, "two passes after create_graph=True (retain_graph defaults to it)")


@spec("A09")
@CREATE_GRAPH_WARNING
@given(data=st.data())
def test_second_derivative(backend, data):
    """A09: ``backward(create_graph=True)`` records the backward pass: x.grad = 3x² then
    requires grad, and differentiating it gives 6x (12 at x = 2)."""
    G = graph_of(backend)
    x = floats(data, 3)
    X = G.tensor(x, requires_grad=True)
    (X**3).sum().backward(create_graph=True)
    first = X.grad
    assert first.requires_grad, f"{backend.name}: after create_graph=True x.grad must require grad (A09)"
    check_close(backend, G, first, 3 * x**2, "d Σx³/dx")
    X.grad = None
    first.sum().backward()
    check_close(backend, G, X.grad, 6 * x, "d² Σx³/dx²")


# -- no_grad, detach, requires_grad (A11, A19, A22-A24, A28) -----------------------------


@spec("A11", "A19", "A24", "A28")
@given(data=st.data())
def test_no_grad_and_detach(backend, data):
    """A11/A19/A28: inside ``no_grad()`` (= ``set_grad_enabled(False)``) results require no
    grad and record no grad_fn, and grad mode comes back after; A24: a factory asked for
    ``requires_grad=True`` inside no_grad still gets it; A11: ``detach()`` requires no grad
    and shares memory with its source."""
    G = graph_of(backend)
    x = floats(data, 3)
    X = G.tensor(x, requires_grad=True)
    for context in (G.no_grad, lambda: G.set_grad_enabled(False)):
        with context():
            assert not G.is_grad_enabled(), f"{backend.name}: grad mode is on inside no_grad (A19)"
            y = X * 2
            made = G.tensor(x, requires_grad=True)
        assert G.is_grad_enabled(), f"{backend.name}: grad mode was not restored after no_grad"
        assert not y.requires_grad and y.grad_fn is None, f"{backend.name}: an op under no_grad recorded a graph (A11, A28)"
        assert made.requires_grad, f"{backend.name}: tensor(..., requires_grad=True) under no_grad must require grad (A24)"
    d = X.detach()
    assert not d.requires_grad and d.is_leaf, f"{backend.name}: detach() must give a leaf requiring no grad (A11)"
    with G.no_grad():
        X.mul_(2)
    check_close(backend, G, d, 2 * x, "a detached tensor after its source was doubled in place (shared memory)")


@spec("A22", "A23")
def test_requires_grad_propagates(backend):
    """A23: a result requires grad when any input does ((grad + nograd) yes, (nograd +
    nograd) no, and the latter is a leaf); A22: only leaves may stop requiring grad."""
    G = graph_of(backend)
    a, b = G.tensor([1.0, 2.0], requires_grad=True), G.tensor([3.0, 4.0])
    mixed, plain = a + b, b + b
    assert mixed.requires_grad and not plain.requires_grad and plain.is_leaf, \
        f"{backend.name}: requires_grad must be inferred from the inputs (A23)"
    with testing.raises_as_spec(backend, "requires_grad_(False) on a non-leaf (A22)"):
        mixed.requires_grad_(False)
    a.requires_grad_(False)
    assert not a.requires_grad


# -- in-place operations (A18, A25) ------------------------------------------------------


@spec("A18")
@given(data=st.data())
def test_inplace_on_a_leaf(backend, data):
    """A18: an in-place write to a leaf that requires grad raises while grad mode is on; a
    leaf requiring no grad, or any leaf inside no_grad, is written (and its version bumped)."""
    G = graph_of(backend)
    x = floats(data, 3)
    leaf = G.tensor(x, requires_grad=True)
    with testing.raises_as_spec(backend, "add_ on a leaf that requires grad (A18)"):
        leaf.add_(1.0)
    plain = G.tensor(x)
    plain.add_(1.0)
    check_close(backend, G, plain, x + 1, "add_ on a leaf requiring no grad")
    before = G.version(leaf)
    with G.no_grad():
        leaf.add_(1.0)
    check_close(backend, G, leaf, x + 1, "add_ on a leaf requiring grad inside no_grad")
    assert G.version(leaf) == before + 1, f"{backend.name}: an in-place write must bump the version counter"


@spec("A25")
@given(data=st.data())
def test_inplace_on_a_saved_value(backend, data):
    """A25: exp saves its result for backward; writing into that result in place (directly
    or through ``detach()``, which shares the version counter) makes backward raise; only a
    write through ``.data`` goes unnoticed, and then the gradient is silently wrong (2·eˣ, not
    eˣ).  In-place on a non-leaf whose value is not saved is recorded like any op."""
    G = graph_of(backend)
    x = floats(data, 3)
    for write in (lambda y: y.add_(1.0), lambda y: y.detach().mul_(2.0)):
        X = G.tensor(x, requires_grad=True)
        y = X.exp()
        write(y)
        with testing.raises_as_spec(backend, "backward after an in-place write to a saved result (A25)"):
            y.sum().backward()
    X = G.tensor(x, requires_grad=True)
    y = X.exp()
    before = G.version(y)
    y.data.mul_(2.0)
    assert G.version(y) == before, f"{backend.name}: a write through .data must not bump the version counter"
    y.sum().backward()
    check_close(backend, G, X.grad, 2 * np.exp(x), "the silently wrong gradient after a .data write")
    X = G.tensor(x, requires_grad=True)
    y = X * 3.0
    y.mul_(y.detach() + 1.0)
    y.sum().backward()
    check_close(backend, G, X.grad, 3 * (3 * x + 1), "gradient through an in-place mul_ on a non-leaf")


# -- backward's gradient argument, losses (A05, A26) -------------------------------------


@spec("A05", "A26")
@given(data=st.data())
def test_backward_needs_a_gradient_for_non_scalars(backend, data):
    """A05: a loss is a scalar only when reduced: mse_loss gives shape () for "mean" and
    "sum" but the input's shape for "none"; A26: backward() without a gradient works only
    for one element (else it raises), backward(1) with a plain number raises, and a non-scalar
    output takes ``backward(gradient)``, which contracts with it."""
    G = graph_of(backend)
    a, b, v = floats(data, 4, 3), floats(data, 4, 3), floats(data, 4, 3)
    A = G.tensor(a, requires_grad=True)
    for reduction, shape in (("mean", ()), ("sum", ()), ("none", (4, 3))):
        assert tuple(G.mse_loss(A, G.tensor(b), reduction=reduction).shape) == shape, \
            f"{backend.name}: mse_loss(reduction={reduction!r}) has shape {shape} (A05)"
    check_close(backend, G, G.mse_loss(A, G.tensor(b)), np.mean((a - b) ** 2), "mse_loss mean", terms=12,
                scale=np.mean((a - b) ** 2))
    unreduced = G.mse_loss(A, G.tensor(b), reduction="none")
    with testing.raises_as_spec(backend, "backward() on a (4, 3) output without a gradient (A26)"):
        unreduced.backward(retain_graph=True)
    with testing.raises_as_spec(backend, "backward(1) with a plain int (A26)"):
        G.mse_loss(A, G.tensor(b)).backward(1)
    unreduced.backward(G.tensor(v))
    check_close(backend, G, A.grad, 2 * (a - b) * v, "backward(v) of the unreduced loss")
    one = G.tensor([2.0], requires_grad=True)
    (one * 3.0).backward()
    check_close(backend, G, one.grad, np.array([3.0]), "implicit gradient of a one-element output")


# -- the graph is built as the code runs (A29) -------------------------------------------


@spec("A29")
@given(data=st.data())
def test_graph_is_built_per_call(backend, data):
    """A29: Python control flow picks the operation each call (exp where the input sums
    positive, sin elsewhere), and each backward follows the graph that call built."""
    G = graph_of(backend)

    def f(t: Any) -> Any:
        return t.exp() if G.values(t).sum() > 0 else t.sin()

    for x in (np.abs(floats(data, 3)) + 0.5, -np.abs(floats(data, 3)) - 0.5):
        X = G.tensor(x, requires_grad=True)
        f(X).sum().backward()
        check_close(backend, G, X.grad, np.exp(x) if x.sum() > 0 else np.cos(x), "gradient of the branch taken")


# -- custom functions (C01-C04) ----------------------------------------------------------


def _cube(G: Any, backward_factor: float) -> type:
    """A custom Function x³ on the backend whose backward multiplies by ``factor``·x²."""

    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return x * x * x

    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * backward_factor * x * x

    return type("Cube", (G.Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})


@spec("C01", "C04")
@given(data=st.data())
def test_custom_function(backend, data):
    """C04: a Function saving its input with ``ctx.save_for_backward`` reads it back in
    backward (d x³/dx = 3x²), and the saved values are freed after backward (a second
    backward raises); C01: gradcheck passes it, and rejects one whose backward is 2x²."""
    G = graph_of(backend)
    x = floats(data, 4)
    cube = _cube(G, 3.0)
    X = G.tensor(x, requires_grad=True)
    y = cube.apply(X)
    assert y.grad_fn is not None, f"{backend.name}: a custom Function's output must record its node"
    check_close(backend, G, y, x**3, "Cube.apply(x)")
    y.sum().backward()
    check_close(backend, G, X.grad, 3 * x**2, "Cube backward")
    with testing.raises_as_spec(backend, "a second backward after the saved tensors were freed (C04)"):
        y.sum().backward()
    assert G.gradcheck(cube.apply, [G.tensor(x / 4, requires_grad=True)]), f"{backend.name}: gradcheck rejected x³ (C01)"
    assert not G.gradcheck(_cube(G, 2.0).apply, [G.tensor(x / 4 + 1, requires_grad=True)]), \
        f"{backend.name}: gradcheck accepted a wrong backward (C01)"


@spec("C01", "C02", "C03", "C04")
@given(data=st.data())
def test_swish_function(backend, data):
    """C01–C04: the notes' SwishFn as the library's custom Function computes x·σ(x) (C02),
    its backward gives grad·(σ + x·σ·(1 − σ)) for any upstream gradient (C03), it records its
    node (C04) and gradcheck passes it (C01)."""
    G = graph_of(backend)
    swish = testing.op(backend, "swish_function")()
    x, v = floats(data, 5), floats(data, 5)
    X = G.tensor(x, requires_grad=True)
    y = swish.apply(X)
    assert y.grad_fn is not None, f"{backend.name}: SwishFn's output must record its node (C04)"
    check_close(backend, G, y, ref.swish(x), "SwishFn.apply(x) = x·σ(x)")
    y.backward(G.tensor(v))
    check_close(backend, G, X.grad, v * ref.swish_derivative(x), "SwishFn backward", terms=2,
                scale=np.abs(v) * (1 + np.abs(x)))
    assert G.gradcheck(swish.apply, [G.tensor(x / 2, requires_grad=True)]), f"{backend.name}: gradcheck rejected SwishFn (C01)"
