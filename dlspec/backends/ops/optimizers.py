"""Adapters' implementations of optimizers, gradient clipping, accumulation and LR schedulers
(OP01–OP18, MD11–MD13, P06), one mixin per library; each backend class in ``dlspec.backends``
inherits its library's mixin.

Only torch ships optimizers and schedulers (``torch.optim``); NumPy has none and JAX's live
in optax, which is not a dependency, so they do not implement them.  JAX composes the
accumulated gradient from ``jax.grad`` calls.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from dlspec.spec import composed
from reference import memory
from reference import optimizers as ref
from reference.guards import check_int


def _values(t: memory.Tensor) -> np.ndarray:
    return np.asarray(memory.to_numpy(t))


def _np_grads(grads: list[list[memory.Tensor | None]]) -> list[list[np.ndarray | None]]:
    return [[None if g is None else _values(g) for g in step] for step in grads]


#: ``optimizer_stepper``'s implementations and the torch keyword arguments that select them.
IMPLEMENTATIONS: dict[str, dict[str, bool]] = {"default": {}, "per-tensor": {"foreach": False},
                                               "foreach": {"foreach": True}, "fused": {"fused": True}}


class ReferenceOptimizers:
    """The reference: results are rounded to the parameters' dtype."""

    def optimizer_steps(self, name: str, params: list[memory.Tensor], grads: list[list[memory.Tensor | None]],
                        hyper: dict[str, Any]) -> list[memory.Tensor]:
        values = [_values(p) for p in params]
        out, _ = ref.run(name, values, _np_grads(grads), hyper)
        return [memory.from_numpy(o.astype(v.dtype)) for o, v in zip(out, values)]

    def optimizer_group_steps(self, name: str, groups: list[tuple[list[memory.Tensor], dict[str, Any]]],
                              grads: list[list[memory.Tensor | None]], defaults: dict[str, Any]) -> list[memory.Tensor]:
        values = [([_values(p) for p in params], own) for params, own in groups]
        out, _ = ref.run_groups(name, values, _np_grads(grads), defaults)
        dtypes = [v.dtype for params, _ in values for v in params]
        return [memory.from_numpy(o.astype(dtype)) for o, dtype in zip(out, dtypes)]

    def model_sgd_step(self, weight: memory.Tensor, bias: memory.Tensor, x: memory.Tensor, y: memory.Tensor,
                       lr: float) -> tuple[memory.Tensor, memory.Tensor]:
        w, b = _values(weight), _values(bias)
        new_w, new_b = ref.linear_sgd_step(w, b, _values(x), _values(y), lr)
        return memory.from_numpy(new_w.astype(w.dtype)), memory.from_numpy(new_b.astype(b.dtype))

    def state_dict_keys(self, name: str, hyper: dict[str, Any], schedule: str,
                        schedule_hyper: dict[str, Any]) -> dict[str, set[str]]:
        ref.hyper_parameters(name, hyper)
        ref.schedule(schedule, 1.0, schedule_hyper, 1)
        return {part: set(keys) for part, keys in ref.state_dict_keys(name).items()}

    def scheduler_resume(self, name: str, base_lr: float, hyper: dict[str, Any], epochs: int,
                         split: int) -> memory.Tensor:
        if not 0 <= check_int(split, "split") <= check_int(epochs, "epochs"):
            raise ValueError(f"split must lie in [0, epochs], got {split} for {epochs} epochs")
        return memory.from_numpy(ref.schedule(name, base_lr, hyper, epochs))

    def optimizer_state(self, name: str, params: list[memory.Tensor], grads: list[list[memory.Tensor | None]],
                        hyper: dict[str, Any]) -> list[dict[str, Any]]:
        values = [_values(p) for p in params]
        _, states = ref.run(name, values, _np_grads(grads), hyper)
        return [{k: memory.from_numpy(np.asarray(v, dtype=np.float64 if k == "step" else p.dtype))
                 for k, v in s.items()} for s, p in zip(states, values)]

    def optimizer_resume(self, name: str, params: list[memory.Tensor], grads: list[list[memory.Tensor | None]],
                         hyper: dict[str, Any], split: int) -> list[memory.Tensor]:
        values = [_values(p) for p in params]
        steps = _np_grads(grads)
        middle, states = ref.run(name, values, steps[:split], hyper)
        for step_grads in steps[split:]:
            middle, states = ref.step(name, middle, step_grads, states, hyper)
        return [memory.from_numpy(o.astype(v.dtype)) for o, v in zip(middle, values)]

    def zero_grad(self, params: list[memory.Tensor], grads: list[memory.Tensor],
                  set_to_none: bool | None = None) -> list[memory.Tensor | None]:
        if set_to_none is None or set_to_none:
            return [None for _ in grads]
        return [memory.from_numpy(np.zeros_like(_values(g))) for g in grads]

    def clip_grad_norm(self, grads: list[memory.Tensor], max_norm: float, norm_type: float = 2.0,
                       error_if_nonfinite: bool = False) -> tuple[list[memory.Tensor], memory.Tensor]:
        values = [_values(g) for g in grads]
        clipped, total = ref.clip_grad_norm(values, max_norm, norm_type, error_if_nonfinite)
        dtype = values[0].dtype if values else np.float64
        return ([memory.from_numpy(c.astype(v.dtype)) for c, v in zip(clipped, values)],
                memory.from_numpy(np.asarray(total, dtype=dtype)))

    def accumulated_gradient(self, weight: memory.Tensor, x: memory.Tensor, y: memory.Tensor,
                             micro_batches: int) -> memory.Tensor:
        w = _values(weight)
        grad = ref.accumulated_gradient(w, _values(x), _values(y), micro_batches)
        return memory.from_numpy(grad.astype(w.dtype))

    def lr_schedule(self, name: str, base_lr: float, hyper: dict[str, Any], epochs: int) -> memory.Tensor:
        return memory.from_numpy(ref.schedule(name, base_lr, hyper, epochs))

    def optimizer_stepper(self, name: str, params: list[memory.Tensor], grads: list[memory.Tensor],
                          hyper: dict[str, Any], implementation: str = "default") -> Callable[[], list[memory.Tensor]]:
        if implementation not in IMPLEMENTATIONS:
            raise ValueError(f"implementation must be one of {sorted(IMPLEMENTATIONS)}, got {implementation!r}")
        values, gradients = [_values(p) for p in params], [_values(g) for g in grads]
        current = {"params": values, "states": ref.init_states(name, values, hyper)}

        def step() -> list[memory.Tensor]:
            current["params"], current["states"] = ref.step(name, current["params"], gradients, current["states"], hyper)
            return [memory.from_numpy(o.astype(v.dtype)) for o, v in zip(current["params"], values)]

        return step


class NumpyOptimizers:
    """NumPy (and CuPy, through ``self.xp``): no optimizers, no autograd."""


class TorchOptimizers:
    """PyTorch: ``torch.optim``'s optimizers and schedulers, ``clip_grad_norm_`` and
    ``.grad`` accumulation by ``backward``."""

    OPTIMIZERS: ClassVar[dict[str, str]] = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                                            "adagrad": "Adagrad", "adadelta": "Adadelta"}
    SCHEDULERS: ClassVar[dict[str, tuple[str, dict[str, str]]]] = {"step": ("StepLR", {"step_size": "step_size", "gamma": "gamma"}),
                  "cosine": ("CosineAnnealingLR", {"t_max": "T_max", "eta_min": "eta_min"}),
                  "linear": ("LinearLR", {"start_factor": "start_factor", "end_factor": "end_factor",
                                          "total_iters": "total_iters"}),
                  "cosine_warm_restarts": ("CosineAnnealingWarmRestarts",
                                           {"t_0": "T_0", "t_mult": "T_mult", "eta_min": "eta_min"})}

    def _optimizer(self, name: str, params: list[Any], hyper: dict[str, Any]) -> Any:
        if name not in self.OPTIMIZERS:
            raise ValueError(f"unknown optimizer {name!r}")
        return getattr(self.torch.optim, self.OPTIMIZERS[name])(params, **hyper)

    def _leaves(self, params: list[Any]) -> list[Any]:
        return [p.detach().clone().requires_grad_(True) for p in params]

    def _take_steps(self, optimizer: Any, leaves: list[Any], grads: list[list[Any]]) -> None:
        for step_grads in grads:
            for p, g in zip(leaves, step_grads, strict=True):
                p.grad = None if g is None else g.detach().clone()
            optimizer.step()

    def _run(self, name: str, params: list[Any], grads: list[list[Any]], hyper: dict[str, Any]) -> tuple[list[Any], Any]:
        leaves = self._leaves(params)
        optimizer = self._optimizer(name, leaves, hyper)
        self._take_steps(optimizer, leaves, grads)
        return leaves, optimizer

    def optimizer_steps(self, name: str, params: list[Any], grads: list[list[Any]], hyper: dict[str, Any]) -> list[Any]:
        leaves, _ = self._run(name, params, grads, hyper)
        return [p.detach() for p in leaves]

    def _param_groups(self, leaves: list[list[Any]], hypers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """torch's parameter groups: one dict per group, its parameters and its own options."""
        return [{"params": params, **own} for params, own in zip(leaves, hypers, strict=True)]

    def optimizer_group_steps(self, name: str, groups: list[tuple[list[Any], dict[str, Any]]], grads: list[list[Any]],
                              defaults: dict[str, Any]) -> list[Any]:
        leaves = [self._leaves(params) for params, _ in groups]
        optimizer = self._optimizer(name, self._param_groups(leaves, [own for _, own in groups]), defaults)
        flat = [p for group in leaves for p in group]
        self._take_steps(optimizer, flat, grads)
        return [p.detach() for p in flat]

    def _linear(self, weight: Any, bias: Any) -> Any:
        """An ``nn.Linear`` holding copies of ``weight`` and ``bias``."""
        out_features, in_features = weight.shape
        model = self.torch.nn.Linear(in_features, out_features, dtype=weight.dtype, device=weight.device)
        with self.torch.no_grad():
            model.weight.copy_(weight)
            model.bias.copy_(bias)
        return model

    def _model_optimizer(self, model: Any, lr: float) -> Any:
        return self.torch.optim.SGD(model.parameters(), lr=lr)

    def model_sgd_step(self, weight: Any, bias: Any, x: Any, y: Any, lr: float) -> tuple[Any, Any]:
        model = self._linear(weight, bias)
        optimizer = self._model_optimizer(model, lr)
        self.torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        return model.weight.detach(), model.bias.detach()

    def _scheduler(self, optimizer: Any, name: str, hyper: dict[str, Any]) -> Any:
        if name not in self.SCHEDULERS:
            raise ValueError(f"unknown schedule {name!r}")
        cls, keys = self.SCHEDULERS[name]
        return getattr(self.torch.optim.lr_scheduler, cls)(optimizer, **{keys[k]: v for k, v in hyper.items()})

    def state_dict_keys(self, name: str, hyper: dict[str, Any], schedule: str,
                        schedule_hyper: dict[str, Any]) -> dict[str, set[str]]:
        model = self.torch.nn.Linear(3, 2, device=self.device)
        optimizer = self._optimizer(name, list(model.parameters()), hyper)
        scheduler = self._scheduler(optimizer, schedule, schedule_hyper)
        model(self.torch.ones(4, 3, device=self.device)).square().mean().backward()
        optimizer.step()
        scheduler.step()
        saved = self._reload({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                              "scheduler": scheduler.state_dict()})
        return {"model": set(saved["model"]), "optimizer": set(saved["optimizer"]),
                "param_group": set(saved["optimizer"]["param_groups"][0]), "scheduler": set(saved["scheduler"])}

    def _restore(self, optimizer: Any, scheduler: Any, checkpoint: dict[str, Any]) -> None:
        """Load a checkpoint's two state dicts into a fresh optimizer and scheduler."""
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])

    def scheduler_resume(self, name: str, base_lr: float, hyper: dict[str, Any], epochs: int, split: int) -> Any:
        def start() -> tuple[Any, Any]:
            optimizer = self.torch.optim.SGD([self.torch.zeros(1, requires_grad=True, device=self.device)], lr=base_lr)
            return optimizer, self._scheduler(optimizer, name, hyper)

        optimizer, scheduler = start()
        lrs = []
        for epoch in range(epochs):
            if epoch == split:
                checkpoint = self._reload({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()})
                optimizer, scheduler = start()
                self._restore(optimizer, scheduler, checkpoint)
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        return self.torch.tensor(lrs, dtype=self.torch.float64, device=self.device)

    def optimizer_state(self, name: str, params: list[Any], grads: list[list[Any]],
                        hyper: dict[str, Any]) -> list[dict[str, Any]]:
        leaves, optimizer = self._run(name, params, grads, hyper)
        return [dict(optimizer.state[p]) if p in optimizer.state else {} for p in leaves]

    def _reload(self, saved: dict[str, Any]) -> dict[str, Any]:
        """The state dict after a round trip through ``torch.save`` / ``torch.load``."""
        buffer = io.BytesIO()
        self.torch.save(saved, buffer)
        buffer.seek(0)
        return self.torch.load(buffer)

    def optimizer_resume(self, name: str, params: list[Any], grads: list[list[Any]], hyper: dict[str, Any],
                         split: int) -> list[Any]:
        leaves, optimizer = self._run(name, params, grads[:split], hyper)
        fresh = self._leaves(leaves)
        resumed = self._optimizer(name, fresh, hyper)
        resumed.load_state_dict(self._reload(optimizer.state_dict()))
        self._take_steps(resumed, fresh, grads[split:])
        return [p.detach() for p in fresh]

    def zero_grad(self, params: list[Any], grads: list[Any], set_to_none: bool | None = None) -> list[Any]:
        leaves = self._leaves(params)
        for p, g in zip(leaves, grads, strict=True):
            p.grad = g.detach().clone()
        optimizer = self.torch.optim.SGD(leaves)
        if set_to_none is None:
            optimizer.zero_grad()
        else:
            optimizer.zero_grad(set_to_none=set_to_none)
        return [p.grad for p in leaves]

    def clip_grad_norm(self, grads: list[Any], max_norm: float, norm_type: float = 2.0,
                       error_if_nonfinite: bool = False) -> tuple[list[Any], Any]:
        leaves = [self.torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(leaves, grads):
            p.grad = g.detach().clone()
        total = self.torch.nn.utils.clip_grad_norm_(leaves, max_norm, norm_type, error_if_nonfinite)
        return [p.grad for p in leaves], total

    def accumulated_gradient(self, weight: Any, x: Any, y: Any, micro_batches: int) -> Any:
        w = weight.detach().clone().requires_grad_(True)
        for xs, ys in zip(x.tensor_split(micro_batches), y.tensor_split(micro_batches)):
            loss = ((xs @ w - ys) ** 2).mean() / micro_batches
            loss.backward()
        return w.grad

    def lr_schedule(self, name: str, base_lr: float, hyper: dict[str, Any], epochs: int) -> Any:
        optimizer = self.torch.optim.SGD([self.torch.zeros(1, requires_grad=True)], lr=base_lr)
        scheduler = self._scheduler(optimizer, name, hyper)
        lrs = []
        for _ in range(epochs):
            lrs.append(scheduler.get_last_lr()[0])
            optimizer.step()
            scheduler.step()
        return self.torch.tensor(lrs, dtype=self.torch.float64, device=self.device)

    def optimizer_stepper(self, name: str, params: list[Any], grads: list[Any], hyper: dict[str, Any],
                          implementation: str = "default") -> Callable[[], list[Any]]:
        if implementation not in IMPLEMENTATIONS:
            raise ValueError(f"implementation must be one of {sorted(IMPLEMENTATIONS)}, got {implementation!r}")
        leaves = self._leaves(params)
        for p, g in zip(leaves, grads, strict=True):
            p.grad = g.detach().clone()
        optimizer = self._optimizer(name, leaves, {**hyper, **IMPLEMENTATIONS[implementation]})

        def step() -> list[Any]:
            optimizer.step()
            return [p.detach() for p in leaves]

        return step


@functools.cache
def _jax_accumulation(jax: Any) -> Callable[..., Any]:
    """One jitted function (compiled once per shape) summing ``jax.grad`` over micro-batches."""
    jnp = jax.numpy

    def accumulate(weight: Any, x: Any, y: Any, micro_batches: int) -> Any:
        def loss(w: Any, xs: Any, ys: Any) -> Any:
            return jnp.mean((xs @ w - ys) ** 2) / micro_batches

        total = jnp.zeros_like(weight)
        for xs, ys in zip(jnp.split(x, micro_batches), jnp.split(y, micro_batches)):
            total = total + jax.grad(loss)(weight, xs, ys)
        return total

    return jax.jit(accumulate, static_argnums=3)


class JaxOptimizers:
    """JAX: no optimizers without optax; the accumulated gradient is a sum of ``jax.grad``s."""

    @composed
    def accumulated_gradient(self, weight: Any, x: Any, y: Any, micro_batches: int) -> Any:
        return _jax_accumulation(self.jax)(weight, x, y, micro_batches)
