"""Adapters' implementations of embedding, weight tying, dropout, linear and convolution layers (EM01–EM11, MD08),
one mixin per library; each backend class in ``dlspec.backends`` inherits its library's mixin.

Index arguments may be the library's integer arrays or nested sequences of ints; each adapter
turns them into its own arrays without changing an array's dtype (floating indices must still
raise, O03).  Samplers build the library's own seeded generator from ``seed``.

Behaviour ``conv_spatial_dims``: torch's convolutions take 1 to 3 spatial dims (``"1-3"``, no
``conv4d``); JAX's ``conv_general_dilated``, and the NumPy composition, any number (``"any"``).
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from dlspec.spec import composed
from reference import layers as ref
from reference import memory


def _check_probability(p: float) -> None:
    """nn.Dropout's own guard, kept by the adapters that compose dropout."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


class ReferenceLayers:
    """The reference: arrays are ``reference.memory.Tensor`` objects."""

    behaviours: ClassVar[dict[str, str]] = {"embedding_index_out_of_range": "error", "conv_spatial_dims": "1-3"}

    def embedding_lookup(self, weight: memory.Tensor, indices: Any, padding_idx: int | None = None,
                         scale_grad_by_freq: bool = False) -> memory.Tensor:
        return memory.from_numpy(ref.embedding_lookup(memory.to_numpy(weight), _ref_indices(indices), padding_idx))

    def embedding_max_norm(self, weight: memory.Tensor, indices: Any, max_norm: float,
                           norm_type: float = 2.0) -> memory.Tensor:
        idx = _ref_indices(indices)
        renormed = ref.embedding_renorm(memory.to_numpy(weight), idx, max_norm, norm_type).astype(weight.dtype)
        weight.storage[memory.positions(weight)] = renormed  # in place, as the spec says
        return memory.from_numpy(ref.embedding_lookup(renormed, idx))

    def tied_logits(self, weight: memory.Tensor, indices: Any) -> memory.Tensor:
        values = memory.to_numpy(weight)
        return memory.from_numpy(ref.tied_logits(values, _ref_indices(indices)).astype(values.dtype))

    def dropout(self, x: memory.Tensor, p: float, training: bool, seed: int) -> memory.Tensor:
        values = memory.to_numpy(x)
        if not training:
            ref.dropout_mask((), p, seed)  # the probability's guard holds in evaluation too
            return memory.from_numpy(values)
        keep = ref.dropout_mask(values.shape, p, seed)
        return memory.from_numpy(ref.dropout(values, keep, p).astype(values.dtype))

    def embedding_module(self, weight: memory.Tensor, indices: Any, cotangent: memory.Tensor,
                         **options: Any) -> tuple[memory.Tensor, memory.Tensor, tuple[int, ...] | None]:
        values = memory.to_numpy(weight)
        out, grad, stored = ref.embedding_module(values, _ref_indices(indices), memory.to_numpy(cotangent), **options)
        return memory.from_numpy(out), memory.from_numpy(grad.astype(values.dtype)), stored

    def embedding_defaults(self) -> dict[str, Any]:
        return dict(ref.EMBEDDING_DEFAULTS)

    def sparse_embedding_step(self, optimizer: str, weight: memory.Tensor, indices: Any, cotangent: memory.Tensor,
                              lr: float) -> memory.Tensor:
        values = memory.to_numpy(weight)
        new = ref.sparse_embedding_step(optimizer, values, _ref_indices(indices), memory.to_numpy(cotangent), lr)
        return memory.from_numpy(new.astype(values.dtype))

    def conv(self, x: memory.Tensor, weight: memory.Tensor, bias: memory.Tensor | None = None, stride: int = 1,
             padding: int = 0) -> memory.Tensor:
        values = memory.to_numpy(x)
        b = None if bias is None else memory.to_numpy(bias)
        return memory.from_numpy(ref.conv(values, memory.to_numpy(weight), b, stride, padding).astype(values.dtype))


def _ref_indices(indices: Any) -> np.ndarray:
    return memory.to_numpy(indices) if isinstance(indices, memory.Tensor) else np.asarray(indices)


class XpLayers:
    """Libraries with NumPy's API under ``self.xp``: the tied head is the lookup, then a
    product with the same table (as ``F.linear`` computes it)."""

    @composed
    def tied_logits(self, weight: Any, indices: Any) -> Any:
        return self.xp.matmul(self.embedding(weight, self.xp.asarray(indices)), weight.T)


class NumpyLayers(XpLayers):
    """NumPy (and CuPy, through ``self.xp``): ``nn.Embedding``'s extras and dropout composed
    from indexing, norms and a seeded ``Generator``."""

    behaviours: ClassVar[dict[str, str]] = {"embedding_index_out_of_range": "error", "conv_spatial_dims": "any"}

    @composed
    def embedding_lookup(self, weight: Any, indices: Any, padding_idx: int | None = None,
                         scale_grad_by_freq: bool = False) -> Any:
        """No gradients here, so padding_idx and scale_grad_by_freq only pass their guards."""
        if padding_idx is not None and not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise ValueError(f"padding_idx must be within num_embeddings, got {padding_idx}")
        return self.embedding(weight, self.xp.asarray(indices))

    @composed
    def embedding_max_norm(self, weight: Any, indices: Any, max_norm: float, norm_type: float = 2.0) -> Any:
        idx = self.xp.asarray(indices)
        rows = self.xp.unique(idx)
        norms = self.xp.linalg.norm(weight[rows], ord=norm_type, axis=1)
        scale = self.xp.where(norms > max_norm, max_norm / (norms + ref.RENORM_EPS), 1.0)
        weight[rows] *= scale[:, None].astype(weight.dtype)
        return self.embedding(weight, idx)

    @composed
    def dropout(self, x: Any, p: float, training: bool, seed: int) -> Any:
        _check_probability(p)
        if not training:
            return x.copy()
        if p == 1.0:
            return self.xp.zeros_like(x)
        keep = self.xp.random.default_rng(seed).random(x.shape) >= p
        return self.xp.where(keep, x / (1.0 - p), 0).astype(x.dtype)

    @composed
    def conv(self, x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: int = 0) -> Any:
        """``pad``, then one strided slice per kernel offset contracted over the channels by
        ``einsum``: N-d for any N."""
        xp, dims = self.xp, weight.ndim - 2
        if dims < 1 or x.ndim != weight.ndim:
            raise ValueError(f"conv takes (N, C, *spatial) and (O, C, *k) arrays, got {x.shape} and {weight.shape}")
        padded = xp.pad(x, [(0, 0), (0, 0)] + [(padding, padding)] * dims)
        sizes = [(size - k) // stride + 1 for size, k in zip(padded.shape[2:], weight.shape[2:])]
        out = xp.zeros((x.shape[0], weight.shape[0], *sizes), dtype=x.dtype)
        for offset in np.ndindex(*weight.shape[2:]):
            window = padded[(slice(None), slice(None), *(slice(a, a + stride * (n - 1) + 1, stride)
                                                         for a, n in zip(offset, sizes)))]
            out += xp.einsum("bc...,oc->bo...", window, weight[(slice(None), slice(None), *offset)])
        return out if bias is None else out + bias.reshape((-1,) + (1,) * dims)


class TorchLayers:
    """PyTorch: ``F.embedding`` (its ``padding_idx``, ``max_norm`` and ``scale_grad_by_freq``),
    ``nn.Embedding`` + ``nn.Linear`` tied by assignment, ``F.dropout``."""

    behaviours: ClassVar[dict[str, str]] = {"embedding_index_out_of_range": "error", "conv_spatial_dims": "1-3"}

    def embedding_lookup(self, weight: Any, indices: Any, padding_idx: int | None = None,
                         scale_grad_by_freq: bool = False) -> Any:
        return self.torch.nn.functional.embedding(self._indices(indices, weight), weight, padding_idx=padding_idx,
                                                  scale_grad_by_freq=scale_grad_by_freq)

    def embedding_max_norm(self, weight: Any, indices: Any, max_norm: float, norm_type: float = 2.0) -> Any:
        return self.torch.nn.functional.embedding(self._indices(indices, weight), weight, max_norm=max_norm,
                                                  norm_type=norm_type)

    @composed
    def tied_logits(self, weight: Any, indices: Any) -> Any:
        hidden = self.torch.nn.functional.embedding(self._indices(indices, weight), weight)
        return self.torch.nn.functional.linear(hidden, weight)

    @composed
    def tie_embedding_head(self, weight: Any, delta: Any) -> tuple[Any, int]:
        nn = self.torch.nn
        vocab, dim = weight.shape
        model = nn.ModuleDict({"embed": nn.Embedding(vocab, dim), "head": nn.Linear(dim, vocab, bias=False)})
        model.to(device=weight.device, dtype=weight.dtype)
        with self.torch.no_grad():
            model["embed"].weight.copy_(weight)
        model["head"].weight = model["embed"].weight  # EM11: same (vocab, dim) shape, no transpose
        with self.torch.no_grad():
            model["embed"].weight.add_(delta)
        return model["head"].weight.detach().clone(), sum(p.numel() for p in model.parameters())

    def dropout(self, x: Any, p: float, training: bool, seed: int) -> Any:
        devices = [x.get_device()] if x.is_cuda else []
        with self.torch.random.fork_rng(devices=devices):
            self.torch.manual_seed(seed)
            return self.torch.nn.functional.dropout(x, p, training)

    @composed
    def embedding_module(self, weight: Any, indices: Any, cotangent: Any,
                         **options: Any) -> tuple[Any, Any, tuple[int, ...] | None]:
        layer = self._embedding(weight, **options)
        out = layer(self._indices(indices, weight))
        (out * cotangent).sum().backward()
        grad = layer.weight.grad
        if not grad.is_sparse:
            return out.detach(), grad, None
        return out.detach(), grad.to_dense(), tuple(grad.coalesce().indices()[0].tolist())

    def embedding_defaults(self) -> dict[str, Any]:
        parameters = inspect.signature(self.torch.nn.Embedding).parameters.values()
        return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}

    @composed
    def sparse_embedding_step(self, optimizer: str, weight: Any, indices: Any, cotangent: Any, lr: float) -> Any:
        optim = self.torch.optim
        classes = {"sgd": optim.SGD, "adam": optim.Adam, "sparse_adam": optim.SparseAdam}
        if optimizer not in classes:
            raise ValueError(f"optimizer must be one of {tuple(classes)}, got {optimizer!r}")
        layer = self._embedding(weight, sparse=True)
        (layer(self._indices(indices, weight)) * cotangent).sum().backward()
        classes[optimizer]([layer.weight], lr=lr).step()
        return layer.weight.detach().clone()

    def conv(self, x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: int = 0) -> Any:
        # F has conv1d, conv2d and conv3d and no more: 4 spatial dims go to conv3d, which refuses them.
        dims = min(max(weight.ndim - 2, 1), 3)
        return getattr(self.torch.nn.functional, f"conv{dims}d")(x, weight, bias, stride=stride, padding=padding)

    def _embedding(self, weight: Any, **options: Any) -> Any:
        """An nn.Embedding with only ``options`` given, holding ``weight``'s values."""
        layer = self.torch.nn.Embedding(*weight.shape, device=weight.device, dtype=weight.dtype, **options)
        with self.torch.no_grad():
            layer.weight.copy_(weight)
        return layer

    def _indices(self, indices: Any, like: Any) -> Any:
        return self.torch.as_tensor(indices, device=like.device)


class JaxLayers(XpLayers):
    """JAX: the lookup is ``jnp.take``; the padding row's gradient is stopped with
    ``lax.stop_gradient`` and ``scale_grad_by_freq`` divides the gradient (not the value) by
    the id's count; dropout draws ``jax.random.bernoulli``.  No ``max_norm``: it writes in place."""

    # jnp.take fills an out-of-range row with NaN instead of raising (no errors under jit).
    behaviours: ClassVar[dict[str, str]] = {"embedding_index_out_of_range": "fill_nan", "conv_spatial_dims": "any"}

    @composed
    def embedding_lookup(self, weight: Any, indices: Any, padding_idx: int | None = None,
                         scale_grad_by_freq: bool = False) -> Any:
        jnp, stop = self.jnp, self.jax.lax.stop_gradient
        idx = jnp.asarray(indices)
        if padding_idx is not None and not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise ValueError(f"padding_idx must be within num_embeddings, got {padding_idx}")
        out = self.embedding(weight, idx)
        if scale_grad_by_freq:
            counts = jnp.zeros(weight.shape[0], dtype=weight.dtype).at[idx].add(1)[idx][..., None]
            out = stop(out) + (out - stop(out)) / counts  # the value unchanged, its gradient divided
        if padding_idx is not None:
            out = jnp.where((idx == padding_idx % weight.shape[0])[..., None], stop(out), out)
        return out

    @composed
    def dropout(self, x: Any, p: float, training: bool, seed: int) -> Any:
        _check_probability(p)
        if not training:
            return x
        if p == 1.0:
            return self.jnp.zeros_like(x)
        keep = self.jax.random.bernoulli(self.jax.random.key(seed), 1.0 - p, x.shape)
        return self.jnp.where(keep, x / (1.0 - p), 0).astype(x.dtype)

    @composed
    def conv(self, x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: int = 0) -> Any:
        """``lax.conv_general_dilated`` (channels second in both, any number of spatial dims) plus the bias."""
        dims = weight.ndim - 2
        out = self.jax.lax.conv_general_dilated(x, weight, (stride,) * dims, [(padding, padding)] * dims)
        return out if bias is None else out + self.jnp.reshape(bias, (-1,) + (1,) * dims)
