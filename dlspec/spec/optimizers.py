"""Spec operations of optimizers, gradient clipping, accumulation and LR schedulers (catalogue
OP01–OP18, MD11–MD13, P06).

Optimizers are named by the keys of :data:`reference.optimizers.DEFAULTS` (``sgd``, ``adam``,
``adamw``, ``rmsprop``, ``adagrad``, ``adadelta``) and configured by a ``hyper`` dict of torch's keyword
names; ``grads[t][i]`` is parameter ``i``'s gradient at step ``t``, ``None`` for no gradient.
An optimizer written by an adapter out of array operations would be a second reference, so
only libraries that ship optimizers implement these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlspec.spec import Array, spec_op


class OptimizerOps:
    """Optimizers, gradient clipping, accumulation and LR schedulers."""

    @spec_op("OP01 OP02 OP03 OP04 OP05 OP06 OP07 OP08 OP12 OP14 OP16 OP17")
    def optimizer_steps(self, name: str, params: list[Array], grads: list[list[Array | None]],
                        hyper: dict[str, Any]) -> list[Array]:
        """The parameters after ``len(grads)`` steps of the library's optimizer ``name``
        (fresh state), the inputs left unchanged."""

    @spec_op("OP10")
    def optimizer_group_steps(self, name: str, groups: list[tuple[list[Array], dict[str, Any]]],
                              grads: list[list[Array | None]], defaults: dict[str, Any]) -> list[Array]:
        """The parameters of all groups, in order, after ``len(grads)`` steps of one optimizer
        ``name`` built over parameter groups: group ``k`` is (its parameters, its own
        hyper-parameters), ``defaults`` the constructor's keyword arguments, ``grads[t]`` the
        gradients of all groups' parameters in order."""

    @spec_op("MD11")
    def model_sgd_step(self, weight: Array, bias: Array, x: Array, y: Array, lr: float) -> tuple[Array, Array]:
        """The model's own weight and bias after a linear model (the library's, e.g.
        ``nn.Linear``) holding ``weight`` ``(out, in)`` and ``bias`` ``(out,)`` is handed to
        SGD(lr) through its parameter list, ``mean((model(x) − y)²)`` is back-propagated and
        one step taken."""

    @spec_op("MD13")
    def state_dict_keys(self, name: str, hyper: dict[str, Any], schedule: str,
                        schedule_hyper: dict[str, Any]) -> dict[str, set[str]]:
        """The keys of the state dicts of a linear model, of optimizer ``name`` over its
        parameters, of that optimizer's first parameter group and of LR scheduler
        ``schedule`` on it, after one step: a dict ``model``, ``optimizer``, ``param_group``,
        ``scheduler`` to key sets."""

    @spec_op("MD13 OP15")
    def scheduler_resume(self, name: str, base_lr: float, hyper: dict[str, Any], epochs: int, split: int) -> Array:
        """The learning rate the optimizer uses at epochs ``0 .. epochs−1`` when an SGD
        optimizer and scheduler ``name`` run ``split`` epochs, their two state dicts are saved
        (serialised) and loaded into a fresh optimizer and scheduler, which run the rest; as
        float64."""

    @spec_op("OP11 MD12")
    def optimizer_state(self, name: str, params: list[Array], grads: list[list[Array | None]],
                        hyper: dict[str, Any]) -> list[dict[str, Any]]:
        """Each parameter's optimizer state after those steps: a dict from torch's state keys
        (``step``, ``exp_avg``, …) to arrays (``step`` a scalar)."""

    @spec_op("OP11")
    def optimizer_resume(self, name: str, params: list[Array], grads: list[list[Array | None]],
                         hyper: dict[str, Any], split: int) -> list[Array]:
        """The parameters after the same steps taken as ``split`` steps, a save of the state
        dict (serialised), a load into a fresh optimizer over copies of the parameters, and
        the remaining steps."""

    @spec_op("OP13 OP14")
    def zero_grad(self, params: list[Array], grads: list[Array], set_to_none: bool | None = None) -> list[Array | None]:
        """The gradients after ``optimizer.zero_grad()`` (``set_to_none`` omitted when
        ``None``, the library default): ``None`` or zero arrays."""

    @spec_op("OP09")
    def clip_grad_norm(self, grads: list[Array], max_norm: float, norm_type: float = 2.0,
                       error_if_nonfinite: bool = False) -> tuple[list[Array], Array]:
        """``clip_grad_norm_`` applied to copies of ``grads``: the clipped gradients and the
        total norm before clipping (a 0-d array)."""

    @spec_op("P06 OP18")
    def accumulated_gradient(self, weight: Array, x: Array, y: Array, micro_batches: int) -> Array:
        """The gradient of ``mean((x @ weight − y)²)`` accumulated by ``micro_batches``
        backward passes over equal consecutive slices of the batch, each loss divided by k."""

    @spec_op("OP15")
    def lr_schedule(self, name: str, base_lr: float, hyper: dict[str, Any], epochs: int) -> Array:
        """The learning rate at epochs ``0 .. epochs−1`` of the library's scheduler ``name``
        (:data:`reference.optimizers.SCHEDULES`), stepped once per epoch, as float64."""

    @spec_op("OP04 OP06")
    def optimizer_stepper(self, name: str, params: list[Array], grads: list[Array], hyper: dict[str, Any],
                          implementation: str = "default") -> Callable[[], list[Array]]:
        """A function taking one more step of optimizer ``name`` on its own copies of
        ``params`` with the fixed gradients ``grads`` and returning the parameters: the
        timed unit of ``perf/``.  ``implementation`` picks torch's kernels: ``"default"``,
        ``"per-tensor"`` (``foreach=False``), ``"foreach"`` or ``"fused"``."""
