"""Broken backends for optimizers, clipping, accumulation and LR schedules (OP01–OP18, MD12,
P06), built on the torch adapter (NumPy has no optimizers)."""

from __future__ import annotations

from typing import Any

from dlspec.backends.torch import TorchBackend

CONTROL = "torch"


class _ManualAdam(TorchBackend):
    """Adam written out by hand with one flaw chosen by ``bias_correction``/``eps_inside``;
    every other optimizer is torch's."""

    bias_correction, eps_inside = True, False

    def optimizer_steps(self, name: str, params: list[Any], grads: list[list[Any]], hyper: dict[str, Any]) -> list[Any]:
        if name != "adam":
            return super().optimizer_steps(name, params, grads, hyper)
        beta1, beta2 = hyper.get("betas", (0.9, 0.999))
        lr, eps = hyper.get("lr", 1e-3), hyper.get("eps", 1e-8)
        out = [p.detach().clone() for p in params]
        moments = [(self.torch.zeros_like(p), self.torch.zeros_like(p), [0]) for p in params]
        for step_grads in grads:
            for p, g, (m, v, t) in zip(out, step_grads, moments):
                if g is None:
                    continue
                g = (-g if hyper.get("maximize") else g) + hyper.get("weight_decay", 0.0) * p
                t[0] += 1
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m_hat = m / (1 - beta1 ** t[0]) if self.bias_correction else m
                v_hat = v / (1 - beta2 ** t[0]) if self.bias_correction else v
                denom = (v_hat + eps).sqrt() if self.eps_inside else v_hat.sqrt() + eps
                p.sub_(lr * m_hat / denom)
        return out


class AdamWithoutBiasCorrection(_ManualAdam):
    """Adam skips the bias correction of m and v (OP04)."""

    name, catches = "adam-without-bias-correction", ("test_optimizer_steps", "test_notes_examples")
    bias_correction = False


class AdamEpsInsideSqrt(_ManualAdam):
    """Adam divides by sqrt(v_hat + eps) instead of sqrt(v_hat) + eps (OP17)."""

    name, catches = "adam-eps-inside-sqrt", ("test_optimizer_steps", "test_notes_examples")
    eps_inside = True


class AdamWDecayThroughGradient(TorchBackend):
    """AdamW adds wd·p to the gradient (Adam's L2) instead of decaying p directly (OP06)."""

    name, catches = "adamw-decay-through-gradient", ("test_optimizer_steps", "test_notes_examples")

    def _optimizer(self, name: str, params: list[Any], hyper: dict[str, Any]) -> Any:
        return super()._optimizer("adam" if name == "adamw" else name, params, hyper)


class NesterovPlainMomentum(TorchBackend):
    """SGD with nesterov=True takes the plain momentum step p -= lr·v (OP03)."""

    name, catches = "nesterov-plain-momentum", ("test_optimizer_steps", "test_notes_examples")

    def _optimizer(self, name: str, params: list[Any], hyper: dict[str, Any]) -> Any:
        if name == "sgd" and hyper.get("nesterov") and hyper.get("momentum", 0) > 0 and not hyper.get("dampening"):
            hyper = {**hyper, "nesterov": False}
        return super()._optimizer(name, params, hyper)


class MomentumIgnoresDampening(TorchBackend):
    """SGD momentum drops the (1 − dampening) factor on the gradient (OP02)."""

    name, catches = "momentum-ignores-dampening", ("test_optimizer_steps", "test_notes_examples")

    def _optimizer(self, name: str, params: list[Any], hyper: dict[str, Any]) -> Any:
        if name == "sgd" and not hyper.get("nesterov"):
            hyper = {**hyper, "dampening": 0.0}
        return super()._optimizer(name, params, hyper)


class RMSpropCenteredIgnored(TorchBackend):
    """RMSprop ignores centered=True and divides by sqrt(E[g²]) (OP07)."""

    name, catches = "rmsprop-centered-ignored", ("test_optimizer_steps", "test_notes_examples")

    def _optimizer(self, name: str, params: list[Any], hyper: dict[str, Any]) -> Any:
        return super()._optimizer(name, params, {**hyper, "centered": False} if name == "rmsprop" else hyper)


class ClipPerTensor(TorchBackend):
    """clip_grad_norm_ clips each gradient by its own norm instead of the total norm (OP09)."""

    name, catches = "clip-per-tensor", ("test_clip_grad_norm", "test_clip_grad_norm_examples")

    def clip_grad_norm(self, grads: list[Any], max_norm: float, norm_type: float = 2.0,
                       error_if_nonfinite: bool = False) -> tuple[list[Any], Any]:
        clipped = [super(ClipPerTensor, self).clip_grad_norm([g], max_norm, norm_type, error_if_nonfinite)[0][0]
                   for g in grads]
        return clipped, super().clip_grad_norm(grads, max_norm, norm_type, error_if_nonfinite)[1]


class AccumulationWithoutScaling(TorchBackend):
    """Gradient accumulation sums the micro-batch losses without dividing by k (P06)."""

    name, catches = "accumulation-without-scaling", ("test_accumulated_gradient",)

    def accumulated_gradient(self, weight: Any, x: Any, y: Any, micro_batches: int) -> Any:
        return super().accumulated_gradient(weight, x, y, micro_batches) * micro_batches


class LoadDropsExpAvgSq(TorchBackend):
    """Loading a state dict resets every exp_avg_sq to zeros (OP11)."""

    name, catches = "load-drops-exp-avg-sq", ("test_state_dict_round_trip",)

    def _reload(self, saved: dict[str, Any]) -> dict[str, Any]:
        loaded = super()._reload(saved)
        for state in loaded["state"].values():
            if "exp_avg_sq" in state:
                state["exp_avg_sq"] = self.torch.zeros_like(state["exp_avg_sq"])
        return loaded


class StepLROffByOne(TorchBackend):
    """StepLR decays one epoch early: the rate of epoch e is torch's rate of epoch e + 1 (OP15)."""

    name, catches = "steplr-off-by-one", ("test_lr_schedule",)

    def lr_schedule(self, name: str, base_lr: float, hyper: dict[str, Any], epochs: int) -> Any:
        if name != "step":
            return super().lr_schedule(name, base_lr, hyper, epochs)
        return super().lr_schedule(name, base_lr, hyper, epochs + 1)[1:]


class AdadeltaIgnoresLr(TorchBackend):
    """Adadelta takes no learning rate, as in Zeiler's paper: every step uses lr = 1 (OP16)."""

    name, catches = "adadelta-ignores-lr", ("test_optimizer_steps",)

    def _optimizer(self, name: str, params: list[Any], hyper: dict[str, Any]) -> Any:
        if name == "adadelta":
            hyper = {k: v for k, v in hyper.items() if k != "lr"}
        return super()._optimizer(name, params, hyper)


class GroupsShareFirstLr(TorchBackend):
    """Every parameter group steps with the first group's learning rate (OP10)."""

    name, catches = "groups-share-first-lr", ("test_param_groups", "test_param_groups_example")

    def _param_groups(self, leaves: list[list[Any]], hypers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        first = {"lr": hypers[0]["lr"]} if "lr" in hypers[0] else {}
        return super()._param_groups(leaves, [{**{k: v for k, v in own.items() if k != "lr"}, **first}
                                              for own in hypers])


class OptimizerOverCopies(TorchBackend):
    """The optimizer is handed copies of the model's parameters: step() leaves the model unchanged (MD11)."""

    name, catches = "optimizer-over-copies", ("test_model_parameters_are_shared", "test_model_step_example")

    def _model_optimizer(self, model: Any, lr: float) -> Any:
        return self.torch.optim.SGD([p.detach().clone().requires_grad_(True) for p in model.parameters()], lr=lr)


class SchedulerNotRestored(TorchBackend):
    """Resuming loads the optimizer's state dict but not the scheduler's: the schedule restarts (MD13)."""

    name, catches = "scheduler-not-restored", ("test_scheduler_resume",)

    def _restore(self, optimizer: Any, scheduler: Any, checkpoint: dict[str, Any]) -> None:
        optimizer.load_state_dict(checkpoint["optimizer"])


class OptimizerNotRestored(TorchBackend):
    """Resuming loads the scheduler's state dict but not the optimizer's: the lr restarts at base_lr (MD13)."""

    name, catches = "optimizer-not-restored", ("test_scheduler_resume",)

    def _restore(self, optimizer: Any, scheduler: Any, checkpoint: dict[str, Any]) -> None:
        scheduler.load_state_dict(checkpoint["scheduler"])


class OptimizerStateDictIsState(TorchBackend):
    """The optimizer's state dict is its per-parameter state alone, keyed by parameter index (MD13)."""

    name, catches = "optimizer-state-dict-is-state", ("test_state_dict_keys",)

    def state_dict_keys(self, name: str, hyper: dict[str, Any], schedule: str,
                        schedule_hyper: dict[str, Any]) -> dict[str, set[str]]:
        return {**super().state_dict_keys(name, hyper, schedule, schedule_hyper), "optimizer": {"0", "1"}}
