"""Spec operations of autograd graph semantics and custom functions (catalogue A01–A29, C01–C04)."""

from __future__ import annotations

from typing import Any

from dlspec.spec import spec_op


class AutogradOps:
    """Autograd graph semantics and custom functions.

    ``graph()`` returns a namespace through which the conformance tests build and
    differentiate graphs with the library's own tensors (capability ``graph``); the reference
    returns :mod:`reference.autograd` itself.  The namespace has

    * ``tensor(values, requires_grad=False)``: a new float64 leaf; ``values(t)``: its values
      as a NumPy float64 copy; ``version(t)``: its in-place version counter;
    * ``no_grad()``, ``set_grad_enabled(mode)`` (context managers), ``is_grad_enabled()``;
    * ``grad(output, inputs, grad_output=None, retain_graph=None, create_graph=False)``: the
      gradients with respect to leaves ``inputs``, returned instead of accumulated;
    * ``gradcheck(fn, inputs) -> bool``: backward Jacobians against central differences
      (``eps=1e-6, atol=1e-4, rtol=1e-3``);
    * ``mse_loss(input, target, reduction="mean")``;
    * ``Function``: the base of custom operations (static ``forward(ctx, ...)`` and
      ``backward(ctx, grad)``, ``ctx.save_for_backward``, ``ctx.saved_tensors``, ``Cls.apply``).

    Its tensors have ``grad``, ``requires_grad``, ``is_leaf``, ``grad_fn``, ``data``, ``shape``,
    ``backward(gradient=None, retain_graph=None, create_graph=False)``, ``retain_grad()``,
    ``detach()``, ``requires_grad_(flag)``, ``item()``, the operators ``+ - * ** @`` (with
    numbers too), ``t()``, ``exp()``, ``sin()``, ``cos()``, ``sigmoid()``, ``relu()``,
    ``reshape(*shape)``, ``expand(*shape)``, ``sum(dim=None, keepdim=False)``, ``mean()`` and
    the in-place ``add_``, ``mul_``, ``zero_``.
    """

    @spec_op("A01 A02 A03 A04 A05 A06 A07 A08 A09 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 "
             "A26 A28 A29")
    def graph(self) -> Any:
        """The namespace described in the class docstring, over the library's tensors."""

    @spec_op("C01 C02 C03 C04")
    def swish_function(self) -> Any:
        """The notes' ``SwishFn`` written as the library's custom function (a subclass of
        ``graph().Function``): forward ``x·σ(x)`` saving ``x`` and ``σ(x)`` with
        ``ctx.save_for_backward``, backward ``grad·(σ + x·σ·(1 − σ))``; used as ``.apply(x)``."""
