"""Adapters' implementations of normalisation layers and activation functions (NR01–NR11), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

torch calls ``torch.nn.functional`` (BatchNorm on copies of the running statistics, which it
updates in place, so that the spec op stays out-of-place).  NumPy has none of these and
composes them from ``mean``, ``var``, ``exp``, ``max`` and ``sum``; JAX has its activations and
softmax in ``jax.nn`` and composes the normalisation layers like NumPy.  float16 and bfloat16
inputs are computed in float32 and rounded once at the end, as torch's kernels do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import numpy as np

from dlspec.spec import composed
from reference import memory
from reference import normalization as ref


class ReferenceNormalization:
    """The reference: arrays are ``reference.memory.Tensor`` objects."""

    def layer_norm(self, x: Any, normalized_shape: Sequence[int], weight: Any = None, bias: Any = None,
                   eps: float = 1e-5) -> Any:
        return on_reference(ref.layer_norm, x, normalized_shape, weight, bias, eps)

    def batch_norm(self, x: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                   bias: Any = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
        return on_reference(ref.batch_norm, x, running_mean, running_var, weight, bias, training, momentum, eps)

    def instance_norm(self, x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        return on_reference(ref.instance_norm, x, weight, bias, eps)

    def group_norm(self, x: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        return on_reference(ref.group_norm, x, num_groups, weight, bias, eps)

    def softmax(self, x: Any, dim: int = -1) -> Any:
        return on_reference(ref.softmax, x, dim)

    def log_softmax(self, x: Any, dim: int = -1) -> Any:
        return on_reference(ref.log_softmax, x, dim)

    def relu(self, x: Any) -> Any:
        return on_reference(ref.relu, x)

    def sigmoid(self, x: Any) -> Any:
        return on_reference(ref.sigmoid, x)

    def tanh(self, x: Any) -> Any:
        return on_reference(ref.tanh, x)

    def silu(self, x: Any) -> Any:
        return on_reference(ref.swish, x)


def on_reference(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn`` on the NumPy values of the reference tensors among ``args``/``kwargs`` (anything
    else passed as it is), its array results (one, or a tuple) as reference tensors."""
    def values(a: Any) -> Any:
        return np.asarray(memory.to_numpy(a)) if isinstance(a, memory.Tensor) else a

    result = fn(*map(values, args), **{k: values(v) for k, v in kwargs.items()})
    if isinstance(result, tuple):
        return tuple(memory.from_numpy(r) for r in result)
    return memory.from_numpy(result)


class XpNormalization:
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``."""

    def wide(self, x: Any) -> Any:
        """``x`` in the dtype the computation runs in: float32 for 16-bit floats, else its own."""
        return x.astype(self.xp.float32) if x.dtype.itemsize < 4 else x

    def _param(self, p: Any, size: int, ndim: int, what: str) -> Any:
        """A ``(C,)`` parameter (or ``None``) shaped to broadcast against ``(N, C, *)``."""
        if p is None:
            return None
        if tuple(p.shape) != (size,):
            raise ValueError(f"{what} must have shape ({size},), got {tuple(p.shape)}")
        return p.reshape((1, size) + (1,) * (ndim - 2))

    def _normalized(self, x: Any, mean: Any, var: Any, weight: Any, bias: Any, eps: float) -> Any:
        return self._affine((x - mean) / self.xp.sqrt(var + eps), weight, bias)

    def _affine(self, y: Any, weight: Any, bias: Any) -> Any:
        y = y if weight is None else y * weight
        return y if bias is None else y + bias

    def _over(self, x: Any, axes: tuple[int, ...], weight: Any, bias: Any, eps: float) -> Any:
        """``x`` normalised with its own mean and biased variance over ``axes``."""
        w = self.wide(x)
        mean, var = self.xp.mean(w, axis=axes, keepdims=True), self.xp.var(w, axis=axes, keepdims=True)
        return self._normalized(w, mean, var, weight, bias, eps).astype(x.dtype)

    def _channels(self, x: Any, what: str) -> int:
        if x.ndim < 2:
            raise ValueError(f"{what} expects an input of shape (N, C, *), got {tuple(x.shape)}")
        return x.shape[1]

    @composed
    def layer_norm(self, x: Any, normalized_shape: Sequence[int], weight: Any = None, bias: Any = None,
                   eps: float = 1e-5) -> Any:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        k = len(shape)
        if k == 0 or k > x.ndim or tuple(x.shape[x.ndim - k:]) != shape:
            raise ValueError(f"normalized_shape {shape} is not a suffix of the input shape {tuple(x.shape)}")
        for p, what in ((weight, "weight"), (bias, "bias")):
            if p is not None and tuple(p.shape) != shape:
                raise ValueError(f"{what} must have shape {shape}, got {tuple(p.shape)}")
        return self._over(x, tuple(range(x.ndim - k, x.ndim)), weight, bias, eps)

    @composed
    def batch_norm(self, x: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                   bias: Any = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
        c = self._channels(x, "batch_norm")
        if (running_mean is None) != (running_var is None) or (running_mean is None and not training):
            raise ValueError("batch_norm needs both running statistics, or neither in training")
        rm, rv = (self._param(p, c, x.ndim, what) for p, what in ((running_mean, "running_mean"),
                                                                 (running_var, "running_var")))
        w, b = self._param(weight, c, x.ndim, "weight"), self._param(bias, c, x.ndim, "bias")
        axes = (0, *range(2, x.ndim))
        n = prod(x.shape[a] for a in axes)
        wx = self.wide(x)
        if not training:
            return self._normalized(wx, rm, rv, w, b, eps).astype(x.dtype), running_mean, running_var
        if n == 1:
            raise ValueError(f"batch_norm in training needs more than 1 value per channel, got {tuple(x.shape)}")
        mean, var = self.xp.mean(wx, axis=axes, keepdims=True), self.xp.var(wx, axis=axes, keepdims=True)
        out = self._normalized(wx, mean, var, w, b, eps).astype(x.dtype)
        if running_mean is None or n == 0:  # an empty batch leaves the running statistics as they are
            return out if running_mean is None else (out, running_mean, running_var)
        new_mean = (1 - momentum) * running_mean + momentum * mean.reshape(c).astype(running_mean.dtype)
        new_var = (1 - momentum) * running_var + momentum * (var.reshape(c) * (n / (n - 1))).astype(running_var.dtype)
        return out, new_mean, new_var

    @composed
    def instance_norm(self, x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        c = self._channels(x, "instance_norm")
        if prod(x.shape[2:]) == 1:
            raise ValueError(f"instance_norm needs more than 1 spatial element, got {tuple(x.shape)}")
        w, b = self._param(weight, c, x.ndim, "weight"), self._param(bias, c, x.ndim, "bias")
        return self._over(x, tuple(range(2, x.ndim)), w, b, eps)

    @composed
    def group_norm(self, x: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        c = self._channels(x, "group_norm")
        if num_groups <= 0 or c % num_groups:
            raise ValueError(f"num_groups must divide the {c} channels, got {num_groups}")
        w, b = self._param(weight, c, x.ndim, "weight"), self._param(bias, c, x.ndim, "bias")
        grouped = self.wide(x).reshape(x.shape[0], num_groups, c // num_groups * prod(x.shape[2:]))
        mean, var = self.xp.mean(grouped, axis=2, keepdims=True), self.xp.var(grouped, axis=2, keepdims=True)
        y = self._normalized(grouped, mean, var, None, None, eps).reshape(x.shape)
        return self._affine(y, w, b).astype(x.dtype)

    @composed
    def softmax(self, x: Any, dim: int = -1) -> Any:
        w = self.wide(x)
        e = self.xp.exp(w - self.xp.max(w, axis=dim, keepdims=True, initial=-self.xp.inf))
        return (e / self.xp.sum(e, axis=dim, keepdims=True)).astype(x.dtype)

    @composed
    def log_softmax(self, x: Any, dim: int = -1) -> Any:
        w = self.wide(x)
        z = w - self.xp.max(w, axis=dim, keepdims=True, initial=-self.xp.inf)
        return (z - self.xp.log(self.xp.sum(self.xp.exp(z), axis=dim, keepdims=True))).astype(x.dtype)

    def relu(self, x: Any) -> Any:
        return self.xp.maximum(x, 0)

    @composed
    def sigmoid(self, x: Any) -> Any:
        w = self.wide(x)
        z = self.xp.exp(-self.xp.abs(w))
        return self.xp.where(w >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype)

    def tanh(self, x: Any) -> Any:
        return self.xp.tanh(x)

    @composed
    def silu(self, x: Any) -> Any:
        return (self.wide(x) * self.sigmoid(self.wide(x))).astype(x.dtype)


class NumpyNormalization(XpNormalization):
    """NumPy (and CuPy, through ``self.xp``)."""


class TorchNormalization:
    """PyTorch: ``torch.nn.functional``."""

    def layer_norm(self, x: Any, normalized_shape: Sequence[int], weight: Any = None, bias: Any = None,
                   eps: float = 1e-5) -> Any:
        shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
        return self.torch.nn.functional.layer_norm(x, shape, weight, bias, eps)

    def batch_norm(self, x: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                   bias: Any = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
        """F.batch_norm updates the running statistics in place: it gets copies, returned."""
        rm = None if running_mean is None else running_mean.clone()
        rv = None if running_var is None else running_var.clone()
        out = self.torch.nn.functional.batch_norm(x, rm, rv, weight, bias, training, momentum, eps)
        return out if rm is None else (out, rm, rv)

    def instance_norm(self, x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        return self.torch.nn.functional.instance_norm(x, weight=weight, bias=bias, eps=eps)

    def group_norm(self, x: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        return self.torch.nn.functional.group_norm(x, num_groups, weight, bias, eps)

    def softmax(self, x: Any, dim: int = -1) -> Any:
        return self.torch.nn.functional.softmax(x, dim)

    def log_softmax(self, x: Any, dim: int = -1) -> Any:
        return self.torch.nn.functional.log_softmax(x, dim)

    def relu(self, x: Any) -> Any:
        return self.torch.nn.functional.relu(x)

    def sigmoid(self, x: Any) -> Any:
        return self.torch.sigmoid(x)

    def tanh(self, x: Any) -> Any:
        return self.torch.tanh(x)

    def silu(self, x: Any) -> Any:
        return self.torch.nn.functional.silu(x)


class JaxNormalization(XpNormalization):
    """JAX: activations and softmax from ``jax.nn``; the normalisation layers composed and
    compiled with ``jax.jit`` (one compilation per shape instead of one per primitive call).
    ``jax.nn.softmax`` has no axis on a 0-d array, which torch reads as 1-D: it gets one."""

    def jitted(self, method: Callable[..., Any], static: tuple[int, ...]) -> Callable[..., Any]:
        """``method`` bound to this backend under ``jax.jit``, the arguments at ``static``
        (positions after ``self``) static; compiled once per backend and method."""
        cache = self.__dict__.setdefault("_jitted", {})
        if method not in cache:
            cache[method] = self.jax.jit(functools.partial(method, self), static_argnums=static)
        return cache[method]

    @composed
    def layer_norm(self, x: Any, normalized_shape: Sequence[int], weight: Any = None, bias: Any = None,
                   eps: float = 1e-5) -> Any:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        return self.jitted(XpNormalization.layer_norm, (1,))(x, shape, weight, bias, eps)

    @composed
    def batch_norm(self, x: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                   bias: Any = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
        return self.jitted(XpNormalization.batch_norm, (5,))(x, running_mean, running_var, weight, bias,
                                                                  training, momentum, eps)

    @composed
    def instance_norm(self, x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        return self.jitted(XpNormalization.instance_norm, ())(x, weight, bias, eps)

    @composed
    def group_norm(self, x: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        return self.jitted(XpNormalization.group_norm, (1,))(x, num_groups, weight, bias, eps)

    def softmax(self, x: Any, dim: int = -1) -> Any:
        return self.jitted(JaxNormalization._softmax, (1,))(x, dim)

    def log_softmax(self, x: Any, dim: int = -1) -> Any:
        return self.jitted(JaxNormalization._log_softmax, (1,))(x, dim)

    def _softmax(self, x: Any, dim: int) -> Any:
        return self.jax.nn.softmax(x.reshape(x.shape or (1,)), axis=dim).reshape(x.shape)

    def _log_softmax(self, x: Any, dim: int) -> Any:
        return self.jax.nn.log_softmax(x.reshape(x.shape or (1,)), axis=dim).reshape(x.shape)

    def relu(self, x: Any) -> Any:
        return self.jax.nn.relu(x)

    def sigmoid(self, x: Any) -> Any:
        return self.jax.nn.sigmoid(x)

    def silu(self, x: Any) -> Any:
        return self.jax.nn.silu(x)
