"""Spec operations of normalisation layers and activation functions (catalogue NR01–NR11).

The normalisation layers are functional (as ``torch.nn.functional``): their affine
parameters and running statistics are arguments, and BatchNorm returns its updated running
statistics instead of writing them in place.
"""

from __future__ import annotations

from dlspec.spec import Array, Shape, spec_op


class NormalizationOps:
    """Normalisation layers and activation functions."""

    @spec_op("NR01 NR06")
    def layer_norm(self, x: Array, normalized_shape: Shape, weight: Array | None = None, bias: Array | None = None,
                   eps: float = 1e-5) -> Array:
        """``(x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` over the last
        ``len(normalized_shape)`` dims, the variance biased."""

    @spec_op("NR02 NR05 NR06")
    def batch_norm(self, x: Array, running_mean: Array | None = None, running_var: Array | None = None,
                   weight: Array | None = None, bias: Array | None = None, training: bool = False,
                   momentum: float = 0.1, eps: float = 1e-5) -> Array | tuple[Array, Array, Array]:
        """BatchNorm of ``(N, C, *)`` per channel: batch statistics in training (running
        statistics moved, the variance's unbiased), running statistics in evaluation; returns
        ``(out, new_running_mean, new_running_var)`` when running statistics are given, else
        ``out``."""

    @spec_op("NR03")
    def instance_norm(self, x: Array, weight: Array | None = None, bias: Array | None = None,
                      eps: float = 1e-5) -> Array:
        """The normalisation per (sample, channel) of ``(N, C, *spatial)`` over the spatial dims."""

    @spec_op("NR04")
    def group_norm(self, x: Array, num_groups: int, weight: Array | None = None, bias: Array | None = None,
                   eps: float = 1e-5) -> Array:
        """The normalisation per (sample, group of ``C / num_groups`` channels) of ``(N, C, *)``."""

    @spec_op("NR07 NR08 NR11")
    def softmax(self, x: Array, dim: int = -1) -> Array:
        """``e^{x_i} / Σ_j e^{x_j}`` along ``dim``, finite for large logits."""

    @spec_op("NR08")
    def log_softmax(self, x: Array, dim: int = -1) -> Array:
        """``x_i - log Σ_j e^{x_j}`` along ``dim``, finite for large logits."""

    @spec_op("NR07 NR09")
    def relu(self, x: Array) -> Array:
        """``max(0, x)`` element-wise."""

    @spec_op("NR07 NR10")
    def sigmoid(self, x: Array) -> Array:
        """``1 / (1 + e^{-x})`` element-wise."""

    @spec_op("NR07")
    def tanh(self, x: Array) -> Array:
        """``(e^x - e^{-x}) / (e^x + e^{-x})`` element-wise."""

    @spec_op("NR07 C02")
    def silu(self, x: Array) -> Array:
        """swish = SiLU: ``x · sigmoid(x)`` element-wise."""
