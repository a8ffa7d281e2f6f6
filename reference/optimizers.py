"""Optimizers, gradient clipping, gradient accumulation and LR schedules (catalogue OP01–OP18,
MD11–MD13, P06), as pure float64 functions.

An optimizer is a functional step ``step(name, params, grads, states, hyper) -> (params,
states)``: every parameter is updated on its own from its gradient and its state dict, whose
keys are torch's (``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``,
``momentum_buffer``, ``square_avg``, ``grad_avg``, ``acc_delta``, ``sum``).  A parameter whose gradient is
``None`` is skipped: neither it nor its state changes (OP14).  The update rules, written as in
torch 2.13's single-tensor loops (``torch/optim/*.py``), ``g`` the gradient, negated first
under ``maximize``:

* SGD (OP01, OP02, OP03, OP12): ``g += wd·p``; with momentum ``b = g`` on the first step,
  else ``b = μ·b + (1 − dampening)·g``; Nesterov uses ``g + μ·b``, plain momentum ``b``;
  ``p -= lr·update`` (the minus sign is the descent, OP12).  Nesterov is evaluated at the
  current ``p``, not at a look-ahead point (OP03).
* Adam / AdamW (OP04–OP06, OP17): Adam adds ``wd·p`` to ``g`` (coupled L2), AdamW first
  shrinks ``p ← p·(1 − lr·wd)`` (decoupled); then ``m = β₁m + (1 − β₁)g``,
  ``v = β₂v + (1 − β₂)g²``, with ``amsgrad`` ``v_max = max(v_max, v)`` replaces ``v`` below;
  ``p -= lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)``: eps outside the square root.
* RMSprop (OP07): ``g += wd·p``; ``s = αs + (1 − α)g²``; centered: ``a = αa + (1 − α)g`` and
  ``d = √(s − a²) + eps``, else ``d = √s + eps``; with momentum ``b = μb + g/d`` and
  ``p -= lr·b``, else ``p -= lr·g/d``.
* Adagrad: ``g += wd·p``; ``Σ += g²`` (from ``initial_accumulator_value``);
  ``p -= lr/(1 + (t − 1)·lr_decay) · g/(√Σ + eps)``.
* Adadelta (OP16): ``g += wd·p``; ``s = ρs + (1 − ρ)g²``; ``δ = √(u + eps)/√(s + eps) · g``;
  ``u = ρu + (1 − ρ)δ²``; ``p -= lr·δ`` (eps inside both roots, lr 1 by default).

Parameter groups (OP10) are stepped each with its own hyper-parameters, the constructor's
keyword arguments filling what a group leaves out (:func:`run_groups`).

``clip_grad_norm`` rescales all gradients jointly by ``max_norm/(total + 1e-6)`` when that is
below 1, ``total`` the norm of all of them together (OP09).  ``accumulated_gradient`` is the
gradient of one batch's mean squared error, which k micro-batches with loss/k add up to
(P06).  :func:`linear_sgd_step` is one SGD step of a linear model on its mean squared error:
the optimizer updates the model's own parameters (MD11).  The LR schedules are torch's
closed forms (OP15); a resumed schedule continues them, and :func:`state_dict_keys` names
what the model's, optimizer's and scheduler's state dicts hold (MD13).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from reference.guards import check_int, typed

State = dict[str, Any]
Hyper = dict[str, Any]

#: Each optimizer's hyper-parameters and torch 2.13's defaults.
DEFAULTS: dict[str, Hyper] = {
    "sgd": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False, "maximize": False},
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
             "maximize": False},
    "adamw": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False,
              "maximize": False},
    "rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False,
                "maximize": False},
    "adagrad": {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10,
                "maximize": False},
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, "maximize": False},
}
#: The ``eps`` that ``clip_grad_norm`` adds to the total norm before dividing.
CLIP_EPS = 1e-6
#: The schedules ``schedule`` knows and each one's hyper-parameters.
SCHEDULES: dict[str, tuple[str, ...]] = {
    "step": ("step_size", "gamma"),
    "cosine": ("t_max", "eta_min"),
    "linear": ("start_factor", "end_factor", "total_iters"),
    "cosine_warm_restarts": ("t_0", "t_mult", "eta_min"),
}


def hyper_parameters(name: str, hyper: Hyper) -> Hyper:
    """``hyper`` completed with optimizer ``name``'s defaults; ``ValueError`` for an unknown
    optimizer or key, a negative lr/eps/weight decay/momentum, betas or alpha outside [0, 1),
    and Nesterov without momentum or with dampening (OP08)."""
    if not isinstance(name, str) or not isinstance(hyper, dict):
        raise TypeError(f"name must be a str and hyper a dict, got {type(name).__name__} and {type(hyper).__name__}")
    if name not in DEFAULTS:
        raise ValueError(f"unknown optimizer {name!r}; known: {sorted(DEFAULTS)}")
    unknown = set(hyper) - set(DEFAULTS[name])
    if unknown:
        raise ValueError(f"{name} has no hyper-parameter(s) {sorted(unknown)}; it takes {sorted(DEFAULTS[name])}")
    h = {**DEFAULTS[name], **hyper}
    for key in ("lr", "eps", "weight_decay", "momentum", "lr_decay", "initial_accumulator_value", "dampening"):
        if key in h and (not isinstance(h[key], (int, float)) or isinstance(h[key], bool) or h[key] < 0):
            raise ValueError(f"{name}: {key} must be a non-negative number, got {h[key]!r}")
    rates = [*h.get("betas", ()), *([h["alpha"]] if "alpha" in h else [])]
    if "betas" in h and (not isinstance(h["betas"], (tuple, list)) or len(h["betas"]) != 2):
        raise ValueError(f"{name}: betas must be a pair, got {h['betas']!r}")
    if not all(isinstance(r, (int, float)) and 0 <= r < 1 for r in rates):
        raise ValueError(f"{name}: betas and alpha must lie in [0, 1), got {rates}")
    if "rho" in h and (not isinstance(h["rho"], (int, float)) or isinstance(h["rho"], bool) or not 0 <= h["rho"] <= 1):
        raise ValueError(f"{name}: rho must lie in [0, 1], got {h['rho']!r}")
    flags = [k for k in ("nesterov", "maximize", "amsgrad", "centered") if k in h and not isinstance(h[k], bool)]
    if flags:
        raise TypeError(f"{name}: {flags} must be bools")
    if h.get("nesterov") and (h["momentum"] <= 0 or h["dampening"] != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    return h


def _prepare(name: str, p: np.ndarray, g: np.ndarray, state: State,
             hyper: Hyper) -> tuple[np.ndarray, np.ndarray, Hyper]:
    """Guards of one parameter's step: ``p`` and ``g`` as float64 arrays and the completed
    hyper-parameters."""
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict, got {type(state).__name__}")
    if not isinstance(p, (np.ndarray, np.generic)) or not isinstance(g, (np.ndarray, np.generic)):
        raise TypeError(f"a parameter and its gradient must be arrays, got {type(p).__name__}, {type(g).__name__}")
    if p.shape != g.shape:
        raise ValueError(f"a gradient must have its parameter's shape: {g.shape} vs {p.shape}")
    if p.dtype.kind != "f" or g.dtype.kind != "f":
        raise TypeError(f"parameters and gradients must be floating, got {p.dtype} and {g.dtype}")
    return np.asarray(p, dtype=np.float64), np.asarray(g, dtype=np.float64), hyper_parameters(name, hyper)


def sgd(p: np.ndarray, g: np.ndarray, state: State, h: Hyper) -> tuple[np.ndarray, State]:
    """One SGD step (momentum, dampening, Nesterov, weight decay) of one parameter."""
    p, g, h = _prepare("sgd", p, g, state, h)
    g = -g if h["maximize"] else g
    g = g + h["weight_decay"] * p
    state = dict(state)
    if h["momentum"] != 0:
        b = state.get("momentum_buffer")
        b = g.copy() if b is None else h["momentum"] * b + (1 - h["dampening"]) * g
        state["momentum_buffer"] = b
        g = g + h["momentum"] * b if h["nesterov"] else b
    return p - h["lr"] * g, state


def adam(p: np.ndarray, g: np.ndarray, state: State, h: Hyper, *, decoupled: bool = False) -> tuple[np.ndarray, State]:
    """One Adam step of one parameter; ``decoupled`` makes it AdamW's."""
    p, g, h = _prepare("adamw" if decoupled else "adam", p, g, state, h)
    beta1, beta2 = h["betas"]
    g = -g if h["maximize"] else g
    t = state.get("step", 0.0) + 1
    if decoupled:
        p = p * (1 - h["lr"] * h["weight_decay"])
    else:
        g = g + h["weight_decay"] * p
    m = beta1 * state.get("exp_avg", np.zeros_like(p)) + (1 - beta1) * g
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(p)) + (1 - beta2) * g * g
    new: State = {"step": t, "exp_avg": m, "exp_avg_sq": v}
    if h["amsgrad"]:
        new["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(p)), v)
    denom = np.sqrt(new["max_exp_avg_sq"] if h["amsgrad"] else v) / math.sqrt(1 - beta2**t) + h["eps"]
    return p - h["lr"] / (1 - beta1**t) * m / denom, new


def adamw(p: np.ndarray, g: np.ndarray, state: State, h: Hyper) -> tuple[np.ndarray, State]:
    """One AdamW step of one parameter: decay applied to ``p``, not through ``g``."""
    return adam(p, g, state, h, decoupled=True)


def rmsprop(p: np.ndarray, g: np.ndarray, state: State, h: Hyper) -> tuple[np.ndarray, State]:
    """One RMSprop step (centered, momentum, weight decay) of one parameter."""
    p, g, h = _prepare("rmsprop", p, g, state, h)
    alpha = h["alpha"]
    g = -g if h["maximize"] else g
    g = g + h["weight_decay"] * p
    s = alpha * state.get("square_avg", np.zeros_like(p)) + (1 - alpha) * g * g
    new: State = {"step": state.get("step", 0.0) + 1, "square_avg": s}
    if h["centered"]:
        a = alpha * state.get("grad_avg", np.zeros_like(p)) + (1 - alpha) * g
        new["grad_avg"] = a
        d = np.sqrt(s - a * a) + h["eps"]
    else:
        d = np.sqrt(s) + h["eps"]
    if h["momentum"] > 0:
        new["momentum_buffer"] = h["momentum"] * state.get("momentum_buffer", np.zeros_like(p)) + g / d
        return p - h["lr"] * new["momentum_buffer"], new
    return p - h["lr"] * g / d, new


def adagrad(p: np.ndarray, g: np.ndarray, state: State, h: Hyper) -> tuple[np.ndarray, State]:
    """One Adagrad step (lr decay, initial accumulator, weight decay) of one parameter; its
    state starts as :func:`init_states` makes it."""
    p, g, h = _prepare("adagrad", p, g, state, h)
    if set(state) != {"step", "sum"}:
        raise ValueError(f"adagrad's state must hold step and sum (see init_states), got {sorted(state)}")
    g = -g if h["maximize"] else g
    g = g + h["weight_decay"] * p
    t = state["step"] + 1
    total = state["sum"] + g * g
    clr = h["lr"] / (1 + (t - 1) * h["lr_decay"])
    return p - clr * g / (np.sqrt(total) + h["eps"]), {"step": t, "sum": total}


def adadelta(p: np.ndarray, g: np.ndarray, state: State, h: Hyper) -> tuple[np.ndarray, State]:
    """One Adadelta step (weight decay, maximize) of one parameter: the step is the gradient
    rescaled by the ratio of the RMS of past updates to the RMS of past gradients."""
    p, g, h = _prepare("adadelta", p, g, state, h)
    rho, eps = h["rho"], h["eps"]
    g = -g if h["maximize"] else g
    g = g + h["weight_decay"] * p
    s = rho * state.get("square_avg", np.zeros_like(p)) + (1 - rho) * g * g
    acc = state.get("acc_delta", np.zeros_like(p))
    delta = np.sqrt(acc + eps) / np.sqrt(s + eps) * g
    new: State = {"step": state.get("step", 0.0) + 1, "square_avg": s, "acc_delta": rho * acc + (1 - rho) * delta * delta}
    return p - h["lr"] * delta, new


RULES: dict[str, Callable[[np.ndarray, np.ndarray, State, Hyper], tuple[np.ndarray, State]]] = {
    "sgd": sgd, "adam": adam, "adamw": adamw, "rmsprop": rmsprop, "adagrad": adagrad, "adadelta": adadelta,
}


def step(name: str, params: Sequence[np.ndarray], grads: Sequence[np.ndarray | None], states: Sequence[State],
         hyper: Hyper) -> tuple[list[np.ndarray], list[State]]:
    """One step of optimizer ``name`` over every parameter; a ``None`` gradient leaves its
    parameter and state unchanged.  Returns new parameters and states (inputs untouched)."""
    h = hyper_parameters(name, hyper)
    if not all(isinstance(a, (list, tuple)) for a in (params, grads, states)):
        raise TypeError("params, grads and states must be lists")
    if not len(params) == len(grads) == len(states):
        raise ValueError(f"params, grads and states differ in length: {len(params)}, {len(grads)}, {len(states)}")
    out_params, out_states = [], []
    for p, g, s in zip(params, grads, states):
        if g is None:
            out_params.append(np.asarray(p))
            out_states.append(s)
            continue
        new_p, new_s = RULES[name](p, g, s, h)
        out_params.append(np.asarray(new_p))
        out_states.append({k: v if k == "step" else np.asarray(v) for k, v in new_s.items()})
    return out_params, out_states


def init_states(name: str, params: Sequence[np.ndarray], hyper: Hyper) -> list[State]:
    """The states an optimizer starts from: empty, except Adagrad's, which its constructor
    fills for every parameter (``step`` 0, ``sum`` = ``initial_accumulator_value``)."""
    h = hyper_parameters(name, hyper)
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"params must be a list of arrays, got {type(params).__name__}")
    if name != "adagrad":
        return [{} for _ in params]
    return [{"step": 0.0, "sum": np.full(np.shape(p), float(h["initial_accumulator_value"]))} for p in params]


def run(name: str, params: Sequence[np.ndarray], grads: Sequence[Sequence[np.ndarray | None]],
        hyper: Hyper) -> tuple[list[np.ndarray], list[State]]:
    """``len(grads)`` steps from empty states, ``grads[t][i]`` the gradient of parameter ``i``
    at step ``t``; returns the final parameters and states."""
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be a list of per-step lists, got {type(grads).__name__}")
    states = init_states(name, params, hyper)
    current = list(params)
    for step_grads in grads:
        if not isinstance(step_grads, (list, tuple)):
            raise TypeError(f"each step's gradients must be a list, got {type(step_grads).__name__}")
        current, states = step(name, current, step_grads, states, hyper)
    return current, states


def run_groups(name: str, groups: Sequence[tuple[Sequence[np.ndarray], Hyper]],
               grads: Sequence[Sequence[np.ndarray | None]], defaults: Hyper) -> tuple[list[np.ndarray], list[State]]:
    """``len(grads)`` steps of one optimizer over parameter groups (OP10): group ``k`` is a pair
    (parameters, hyper-parameters) and steps with ``{**defaults, **its own}``, ``defaults`` the
    constructor's keyword arguments; ``grads[t]`` lists the gradients of all groups'
    parameters in order.  Returns the final parameters and states, in the same order."""
    if not isinstance(groups, (list, tuple)) or not all(
            isinstance(gr, (list, tuple)) and len(gr) == 2 and isinstance(gr[0], (list, tuple)) and isinstance(gr[1], dict)
            for gr in groups):
        raise TypeError("groups must be a list of (list of parameters, hyper dict) pairs")
    if not isinstance(defaults, dict) or not isinstance(grads, (list, tuple)):
        raise TypeError(f"defaults must be a dict and grads a list, got {type(defaults).__name__}, "
                        f"{type(grads).__name__}")
    if not all(isinstance(step_grads, (list, tuple)) for step_grads in grads):
        raise TypeError("each step's gradients must be a list")
    count = sum(len(params) for params, _ in groups)
    if any(len(step_grads) != count for step_grads in grads):
        raise ValueError(f"every step needs one gradient per parameter of all groups ({count})")
    out_params: list[np.ndarray] = []
    out_states: list[State] = []
    for params, own in groups:
        start = len(out_params)
        new_params, new_states = run(name, params, [list(s[start:start + len(params)]) for s in grads],
                                     {**defaults, **own})
        out_params += new_params
        out_states += new_states
    return out_params, out_states


def total_norm(grads: Sequence[np.ndarray], norm_type: float = 2.0) -> float:
    """The norm of all gradients together, as if concatenated: ``(Σ|g|^q)^(1/q)``, or the
    largest ``|g|`` for ``q = inf``."""
    if not isinstance(grads, (list, tuple)) or not all(isinstance(g, np.ndarray) for g in grads):
        raise TypeError("grads must be a list of arrays")
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or not norm_type > 0:
        raise ValueError(f"norm_type must be a positive number or inf, got {norm_type!r}")
    values = np.concatenate([np.abs(g.astype(np.float64)).ravel() for g in grads] + [np.zeros(0)])
    if norm_type == math.inf:
        return float(values.max(initial=0.0))
    return float(np.sum(values**norm_type) ** (1.0 / norm_type))


def clip_grad_norm(grads: Sequence[np.ndarray], max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False) -> tuple[list[np.ndarray], float]:
    """``clip_grad_norm_``: every gradient times ``max_norm/(total + 1e-6)`` when that factor
    is below 1 (one factor for all); returns the clipped gradients and the total norm before
    clipping.  ``ValueError`` for a non-finite total with ``error_if_nonfinite``."""
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or max_norm < 0:
        raise ValueError(f"max_norm must be a non-negative number, got {max_norm!r}")
    total = total_norm(grads, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"the total norm of order {norm_type} of the gradients is non-finite ({total})")
    factor = max_norm / (total + CLIP_EPS)
    return [g.astype(np.float64) * factor if factor < 1 else g.astype(np.float64) for g in grads], total


@typed
def accumulated_gradient(weight: np.ndarray, x: np.ndarray, y: np.ndarray, micro_batches: int) -> np.ndarray:
    """The gradient of ``mean((x @ weight − y)²)`` over the whole batch,
    ``2/(n·m) · xᵀ(x @ weight − y)``: what ``micro_batches`` backward passes over equal
    slices with loss/k accumulate (P06).  ``ValueError`` unless k divides the batch."""
    k = check_int(micro_batches, "micro_batches")
    if x.ndim != 2 or weight.ndim != 2 or y.ndim != 2:
        raise ValueError(f"x, weight and y must be 2-D, got {x.ndim}-D, {weight.ndim}-D, {y.ndim}-D")
    if x.shape[1] != weight.shape[0] or y.shape != (x.shape[0], weight.shape[1]):
        raise ValueError(f"shapes do not fit x @ weight ~ y: {x.shape}, {weight.shape}, {y.shape}")
    if k < 1 or x.shape[0] % k:
        raise ValueError(f"micro_batches must be a positive divisor of the batch size {x.shape[0]}, got {k}")
    x64, w64, y64 = (a.astype(np.float64) for a in (x, weight, y))
    residual = np.sum(x64[:, :, None] * w64[None, :, :], axis=1) - y64
    return 2.0 / y.size * np.sum(x64[:, :, None] * residual[:, None, :], axis=0)


@typed
def linear_sgd_step(weight: np.ndarray, bias: np.ndarray, x: np.ndarray, y: np.ndarray,
                    lr: float) -> tuple[np.ndarray, np.ndarray]:
    """The weight ``(out, in)`` and bias ``(out,)`` of a linear model after one SGD step on
    ``mean((x·weightᵀ + bias − y)²)``: with ``r`` the residual, ``weight − lr·2/(n·m)·rᵀx``
    and ``bias − lr·2/(n·m)·Σr`` (MD11: the step moves the model's own parameters)."""
    if weight.ndim != 2 or bias.ndim != 1 or x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"weight, x and y must be 2-D and bias 1-D, got shapes {weight.shape}, {bias.shape}, "
                         f"{x.shape}, {y.shape}")
    if bias.shape[0] != weight.shape[0] or x.shape[1] != weight.shape[1] or y.shape != (x.shape[0], weight.shape[0]):
        raise ValueError(f"shapes do not fit x·weightᵀ + bias ~ y: {weight.shape}, {bias.shape}, {x.shape}, {y.shape}")
    if y.size == 0 or not math.isfinite(lr) or lr < 0:
        raise ValueError(f"need a non-empty batch and a finite lr >= 0, got {y.shape} and {lr!r}")
    if any(a.dtype.kind != "f" for a in (weight, bias, x, y)):
        raise TypeError("weight, bias, x and y must be floating")
    w64, b64, x64, y64 = (a.astype(np.float64) for a in (weight, bias, x, y))
    residual = np.sum(x64[:, None, :] * w64[None, :, :], axis=2) + b64 - y64
    grad_w = 2.0 / y.size * np.sum(residual[:, :, None] * x64[:, None, :], axis=0)
    grad_b = 2.0 / y.size * np.sum(residual, axis=0)
    return w64 - lr * grad_w, b64 - lr * grad_b


#: The keys each state dict must hold (MD13): the model's and the optimizer's exactly these,
#: a parameter group and the scheduler at least these.  The model is an ``nn.Linear``.
STATE_DICT_KEYS: dict[str, frozenset[str]] = {
    "model": frozenset({"weight", "bias"}),
    "optimizer": frozenset({"state", "param_groups"}),
    "param_group": frozenset({"params"}),
    "scheduler": frozenset({"last_epoch", "base_lrs"}),
}
#: The state dicts whose keys are exactly :data:`STATE_DICT_KEYS`; the others may hold more.
EXACT_STATE_DICTS = ("model", "optimizer")


def state_dict_keys(name: str) -> dict[str, frozenset[str]]:
    """The keys the state dicts of a linear model, optimizer ``name`` and an LR scheduler must
    hold (MD13): :data:`STATE_DICT_KEYS`, a parameter group also every hyper-parameter of
    ``name`` (``lr``, …)."""
    if not isinstance(name, str) or name not in DEFAULTS:
        raise ValueError(f"unknown optimizer {name!r}; known: {sorted(DEFAULTS)}")
    return {**STATE_DICT_KEYS, "param_group": STATE_DICT_KEYS["param_group"] | set(DEFAULTS[name])}


def _schedule_lr(name: str, epoch: int, base_lr: float, h: dict[str, Any]) -> float:
    if name == "step":
        return base_lr * h["gamma"] ** (epoch // h["step_size"])
    if name == "cosine":
        return h["eta_min"] + (base_lr - h["eta_min"]) * (1 + math.cos(math.pi * epoch / h["t_max"])) / 2
    if name == "linear":
        progress = min(epoch, h["total_iters"]) / h["total_iters"]
        return base_lr * (h["start_factor"] + (h["end_factor"] - h["start_factor"]) * progress)
    period, t_cur = h["t_0"], epoch
    while t_cur >= period:
        t_cur, period = t_cur - period, period * h["t_mult"]
    return h["eta_min"] + (base_lr - h["eta_min"]) * (1 + math.cos(math.pi * t_cur / period)) / 2


def schedule(name: str, base_lr: float, hyper: dict[str, Any], epochs: int) -> np.ndarray:
    """The learning rate of epochs ``0 .. epochs−1`` under schedule ``name``, in closed form:
    ``step`` (StepLR, ``lr·γ^⌊e/step_size⌋``), ``cosine`` (CosineAnnealingLR), ``linear``
    (LinearLR warm-up from ``start_factor·lr`` to ``end_factor·lr`` over ``total_iters``) and
    ``cosine_warm_restarts`` (OP15, restarting after ``t_0``, ``t_0·t_mult``, … epochs)."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; known: {sorted(SCHEDULES)}")
    if not isinstance(hyper, dict) or set(hyper) != set(SCHEDULES[name]):
        raise ValueError(f"schedule {name!r} takes exactly the hyper-parameters {SCHEDULES[name]}, got {hyper!r}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in hyper.values()):
        raise TypeError(f"schedule hyper-parameters must be finite numbers, got {hyper!r}")
    n = check_int(epochs, "epochs")
    if n < 0 or isinstance(base_lr, bool) or not isinstance(base_lr, (int, float)) or base_lr < 0:
        raise ValueError(f"epochs and base_lr must be non-negative, got {epochs!r} and {base_lr!r}")
    for key in ("step_size", "t_max", "total_iters", "t_0", "t_mult"):
        if key in hyper and (check_int(hyper[key], key) < 1):
            raise ValueError(f"{key} must be a positive int, got {hyper[key]!r}")
    if name == "linear" and not (0 < hyper["start_factor"] <= 1 and 0 <= hyper["end_factor"] <= 1):
        raise ValueError("linear: start_factor must lie in (0, 1] and end_factor in [0, 1]")
    return np.array([_schedule_lr(name, e, float(base_lr), hyper) for e in range(n)], dtype=np.float64)
