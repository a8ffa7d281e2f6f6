"""Unit tests of ``reference.autograd``: its guard clauses, and its gradients against the
catalogue's hand-worked examples (A01–A29, C01–C04) and closed-form derivatives."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from reference import autograd as G


def leaf(values: Any) -> G.Tensor:
    return G.tensor(values, requires_grad=True)


# -- guard clauses ----------------------------------------------------------------------------


def _backward_of_non_scalar() -> None:
    (leaf([1.0, 2.0]) * 2.0).backward()


def _bad_function_output() -> None:
    class Bad(G.Function):
        @staticmethod
        def forward(ctx: Any, x: G.Tensor) -> Any:
            return 1.0

    Bad.apply(leaf([1.0]))


def _wrong_number_of_gradients() -> None:
    class Two(G.Function):
        @staticmethod
        def forward(ctx: Any, x: G.Tensor) -> G.Tensor:
            return x * 2.0

        @staticmethod
        def backward(ctx: Any, grad: G.Tensor) -> Any:
            return grad, grad

    Two.apply(leaf([1.0])).sum().backward()


BAD_CALLS: list[tuple[Callable[[], object], type[Exception]]] = [
    (lambda: G.tensor("abc"), TypeError),
    (lambda: G.tensor([[1.0, 2.0], [3.0]]), ValueError),
    (lambda: G.tensor(np.array([1j])), TypeError),
    (lambda: G.tensor(leaf([1.0])), TypeError),
    (lambda: G.values(np.ones(2)), TypeError),
    (lambda: G.mse_loss(leaf([1.0]), G.tensor([0.0]), "avg"), ValueError),
    (lambda: G.mse_loss(leaf([1.0]), G.tensor([0.0, 1.0])), ValueError),
    (_backward_of_non_scalar, ValueError),
    (lambda: (leaf([1.0]) * 2.0).backward(1), TypeError),
    (lambda: (leaf([1.0, 2.0]) * 2.0).backward(G.tensor([1.0])), ValueError),
    (lambda: G.tensor([1.0]).backward(), ValueError),
    (lambda: leaf([1.0, 2.0]) @ leaf([1.0, 2.0]), ValueError),
    (lambda: leaf(np.ones((2, 3))) @ leaf(np.ones((2, 3))), ValueError),
    (lambda: leaf([1.0, 2.0]).reshape(3), ValueError),
    (lambda: leaf([1.0, 2.0]).expand(3), ValueError),
    (lambda: leaf([1.0, 2.0]).sum(1), ValueError),
    (lambda: leaf([1.0]) ** "2", TypeError),
    (lambda: leaf([1.0]) * "2", TypeError),
    (lambda: leaf([1.0, 2.0]).item(), ValueError),
    (lambda: (leaf([1.0]) * 2.0).requires_grad_(False), ValueError),
    (lambda: G.tensor([1.0]).retain_grad(), ValueError),
    (lambda: leaf([1.0]).add_(1.0), ValueError),
    (lambda: G.grad(leaf([1.0]) * 2.0, [leaf([1.0]) * 1.0]), ValueError),
    (lambda: G.gradcheck(lambda x: x, [np.ones(2)]), TypeError),
    (lambda: G.gradcheck(lambda x: x, [leaf([1.0])], eps=0.0), ValueError),
    (lambda: G.set_grad_enabled(1).__enter__(), TypeError),
    (lambda: G.swish(np.array([1j])), TypeError),
    (_bad_function_output, TypeError),
    (_wrong_number_of_gradients, ValueError),
]


@pytest.mark.parametrize(("call", "error"), BAD_CALLS)
def test_bad_input_raises_with_a_message(call, error):
    """Every guard raises ValueError or TypeError with a message."""
    with pytest.raises(error) as info:
        call()
    assert str(info.value)


# -- the catalogue's examples --------------------------------------------------------------


def test_a01_grad_is_none_before_and_set_after():
    """A01: x = [1, 2], y = Σx²: .grad None before, [2, 4] after."""
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    assert x.grad is None
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_a02_a03_chain_rule_and_partials():
    """A02: d sin(x²)/dx at 0.7 = cos(0.49)·1.4 = 1.235266; A03: x²y at (2, 3) -> (12, 4)."""
    x = leaf(0.7)
    (x**2).sin().backward()
    assert x.grad.item() == pytest.approx(math.cos(0.49) * 1.4, rel=1e-15)
    x, y = leaf(2.0), leaf(3.0)
    (x * x * y).backward()
    assert (x.grad.item(), y.grad.item()) == (12.0, 4.0)


def test_a09_second_derivative_of_x_cubed():
    """A09: y = x³ at 2: dy/dx = 12 (requires grad after create_graph), d²y/dx² = 12."""
    x = leaf(2.0)
    (x**3).backward(create_graph=True)
    first = x.grad
    assert first.item() == 12.0 and first.requires_grad
    x.grad = None
    first.backward()
    assert x.grad.item() == 12.0


def test_a10_second_backward_raises_unless_retained():
    """A10: a second backward raises; retain_graph=True, or create_graph=True (its default),
    keeps the graph; an op that saved nothing (add) can be walked again."""
    x = leaf([1.0, 2.0])
    z = (x * x).sum()
    z.backward()
    with pytest.raises(ValueError, match="second time"):
        z.backward()
    z = (x * x).sum()
    z.backward(create_graph=True)
    z.backward()
    z = (x + 1.0).sum()
    z.backward()
    z.backward()


def test_a13_a17_accumulation_and_reset():
    """A13: two backward passes of 3x give 6; A17: zero_() keeps the grad tensor, = None
    releases it, without reset the grads accumulate ([2, 2, 2] for two passes of Σx)."""
    x = leaf(1.0)
    (x * 3.0).backward()
    (x * 3.0).backward()
    assert x.grad.item() == 6.0
    kept = x.grad
    x.grad.zero_()
    assert x.grad is kept and kept.item() == 0.0
    v = leaf([1.0, 1.0, 1.0])
    v.sum().backward()
    v.sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 2.0, 2.0])


def test_a14_vector_jacobian_product():
    """A14: y = A @ x, y.backward(v) gives Aᵀv."""
    a, v = np.arange(12.0).reshape(3, 4), np.array([[1.0], [-2.0], [0.5]])
    x = leaf(np.ones((4, 1)))
    (G.tensor(a) @ x).backward(G.tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), a.T @ v, rtol=1e-15)


def test_a15_non_leaf_grad_only_when_retained():
    """A15: the non-leaf y = 2x has no .grad after backward, unless retain_grad()."""
    x = leaf([1.0, 2.0])
    y = x * 2.0
    y.sum().backward()
    assert y.grad is None and not y.is_leaf and x.is_leaf
    y = x * 2.0
    y.retain_grad()
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])


def test_a18_inplace_on_leaves():
    """A18: in-place on a leaf requiring grad raises; without requires_grad, or under
    no_grad, ones(3).add_(1) gives [2, 2, 2] and bumps the version."""
    G.tensor([1.0, 1.0, 1.0]).add_(1.0)
    x = leaf([1.0, 1.0, 1.0])
    with G.no_grad():
        x.add_(1.0)
    np.testing.assert_array_equal(x.numpy(), [2.0, 2.0, 2.0])
    assert G.version(x) == 1


def test_a23_a24_requires_grad_rules():
    """A23: (grad + nograd) requires grad, (nograd + nograd) not; A24: inside no_grad op
    results require no grad, but a factory with requires_grad=True does."""
    a, b = leaf([1.0]), G.tensor([2.0])
    assert (a + b).requires_grad and not (b + b).requires_grad
    with G.no_grad():
        assert not G.is_grad_enabled()
        assert not (a * 2.0).requires_grad and leaf([1.0]).requires_grad
    assert G.is_grad_enabled()


def test_a25_inplace_on_saved_result():
    """A25: exp's saved result written in place (directly or through detach) makes backward
    raise; through .data the gradient is silently 2eˣ."""
    for write in (lambda y: y.add_(1.0), lambda y: y.detach().mul_(2.0)):
        x = leaf([0.0, 1.0])
        y = x.exp()
        write(y)
        with pytest.raises(ValueError, match="modified by an inplace operation"):
            y.sum().backward()
    x = leaf([0.0, 1.0])
    y = x.exp()
    y.data.mul_(2.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.0, 1.0]), rtol=1e-15)


def test_a05_a26_losses_and_implicit_gradients():
    """A05: mse_loss is () for mean and sum, (4, 3) for none; A26: a one-element output
    needs no gradient argument, and the mean over 12 elements of (1 − 0)² is 1."""
    a, b = leaf(np.ones((4, 3))), G.tensor(np.zeros((4, 3)))
    assert G.mse_loss(a, b).shape == () == G.mse_loss(a, b, "sum").shape
    assert G.mse_loss(a, b, "none").shape == (4, 3)
    G.mse_loss(a, b).backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((4, 3), 2 / 12), rtol=1e-15)


def test_a29_each_call_builds_its_graph():
    """A29: the node recorded is the op the Python code ran."""
    x = leaf([0.5])
    assert x.exp().grad_fn.name() == "ExpBackward" and x.sin().grad_fn.name() == "SinBackward"


def test_broadcast_gradients_are_summed():
    """b of shape (2,) added to m of shape (3, 2): b's gradient is Σ over the 3 rows."""
    b, m = leaf([1.0, 2.0]), leaf(np.ones((3, 2)))
    (m * b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(m.grad.numpy(), np.tile([1.0, 2.0], (3, 1)))


def test_second_order_of_sin_and_sigmoid():
    """d²sin/dx² = −sin; d/dx σ = σ(1 − σ), at a few points, through create_graph."""
    x0 = np.array([-1.0, 0.3, 2.0])
    x = leaf(x0)
    (first,) = G.grad(x.sin().sum(), [x], create_graph=True)
    (second,) = G.grad(first.sum(), [x])
    np.testing.assert_allclose(second.numpy(), -np.sin(x0), rtol=1e-15)
    (d,) = G.grad(x.sigmoid().sum(), [x])
    s = 1 / (1 + np.exp(-x0))
    np.testing.assert_allclose(d.numpy(), s * (1 - s), rtol=1e-14)


# -- custom functions (C01-C04) -------------------------------------------------------------


def test_c01_c04_swish():
    """C01: gradcheck passes Swish; C02: forward is x·σ(x); C03: the backward is the
    derivative, checked against central differences of the closed form; C04: it saves two
    tensors, freed after backward."""
    x0 = np.linspace(-3, 3, 7)
    assert G.gradcheck(G.Swish.apply, [leaf(x0)])
    x = leaf(x0)
    y = G.Swish.apply(x)
    np.testing.assert_allclose(y.numpy(), x0 / (1 + np.exp(-x0)), rtol=1e-15)
    assert len(y.grad_fn.saved) == 2
    y.sum().backward()
    h = 1e-6
    np.testing.assert_allclose(x.grad.numpy(), (G.swish(x0 + h) - G.swish(x0 - h)) / (2 * h), rtol=1e-8)
    np.testing.assert_allclose(G.swish_derivative(x0), x.grad.numpy(), rtol=1e-15)
    assert y.grad_fn.saved is None


def test_gradcheck_rejects_a_wrong_backward():
    """C01: gradcheck returns False for a Function whose backward is off by a factor."""

    class Wrong(G.Function):
        @staticmethod
        def forward(ctx: Any, x: G.Tensor) -> G.Tensor:
            return x * x

        @staticmethod
        def backward(ctx: Any, grad: G.Tensor) -> G.Tensor:
            return grad * 3.0

    assert not G.gradcheck(Wrong.apply, [leaf([0.5, 1.5])])
