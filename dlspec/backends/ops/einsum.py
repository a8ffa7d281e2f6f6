"""Adapters' implementations of einsum, unfold and conv2d (E01–E09, S15), one mixin per
library; each backend class in ``dlspec.backends`` inherits its library's mixin.

``behaviours`` declares each library's choice where libraries legitimately differ:

* ``einsum_dropped_ellipsis``: an explicit output without ``...`` while the ellipsis covers
  dimensions sums them (``"sum"``) or raises (``"error"``);
* ``einsum_labels``: subscripts are the 52 letters (``"letters"``) or any character that is
  not part of the equation's syntax (``"any"``);
* ``conv_kernel_too_large``: a kernel wider than the padded input raises (``"error"``) or
  gives an output with no positions (``"empty"``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from dlspec.spec import composed
from dlspec.spec.einsum import Pair
from reference import einsum as ref
from reference.memory import Tensor


class ReferenceEinsum:
    """The reference: arrays are ``reference.memory.Tensor`` objects."""

    # The reference follows torch (the notes' library): dropped ellipsis dimensions are summed.
    behaviours: ClassVar[dict[str, str]] = {"einsum_dropped_ellipsis": "sum", "einsum_labels": "letters", "conv_kernel_too_large": "error"}

    def einsum(self, equation: str, *operands: Tensor) -> Tensor:
        return ref.einsum(equation, *operands)

    def unfold(self, x: Tensor, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> Tensor:
        return ref.unfold(x, kernel_size, dilation, padding, stride)

    def conv2d(self, x: Tensor, weight: Tensor, stride: int = 1, padding: int = 0, dilation: int = 1) -> Tensor:
        return ref.conv2d(x, weight, stride, padding, dilation)


class NumpyEinsum:
    """NumPy (and CuPy, through ``self.xp``): no unfold or convolution of images, so both are
    composed from ``pad`` and ``sliding_window_view`` (conv2d then ``tensordot``)."""

    behaviours: ClassVar[dict[str, str]] = {
        # "output has more dimensions than subscripts given in einstein sum, but no '...'".
        "einsum_dropped_ellipsis": "error",
        # "invalid subscript ... subscripts must be letters".
        "einsum_labels": "letters",
        # sliding_window_view: "window shape cannot be larger than input array shape".
        "conv_kernel_too_large": "error",
    }

    def einsum(self, equation: str, *operands: Any) -> Any:
        return self.xp.einsum(equation, *operands)

    @composed
    def unfold(self, x: Any, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> Any:
        patches = self._patches(x, kernel_size, dilation, padding, stride)
        n, c, oh, ow, kh, kw = patches.shape
        return self.xp.reshape(self.xp.transpose(patches, (0, 1, 4, 5, 2, 3)), (n, c * kh * kw, oh * ow))

    @composed
    def conv2d(self, x: Any, weight: Any, stride: int = 1, padding: int = 0, dilation: int = 1) -> Any:
        patches = self._patches(x, weight.shape[2:], dilation, padding, stride)
        return self.xp.moveaxis(self.xp.tensordot(patches, weight, axes=([1, 4, 5], [1, 2, 3])), 3, 1)

    def _patches(self, x: Any, kernel_size: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Any:
        """``(N, C, oh, ow, kh, kw)``: every window of the padded input, its taps ``dilation``
        apart, the windows ``stride`` apart."""
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(v) for v in (kernel_size, dilation, padding, stride))
        padded = self.xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
        windows = self.xp.lib.stride_tricks.sliding_window_view(padded, span, axis=(2, 3))
        return windows[:, :, ::sh, ::sw, ::dh, ::dw]


class TorchEinsum:
    """PyTorch."""

    behaviours: ClassVar[dict[str, str]] = {
        # torch.einsum sums the ellipsis dimensions an explicit output leaves out.
        "einsum_dropped_ellipsis": "sum",
        # "invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]".
        "einsum_labels": "letters",
        # "Kernel size can't be greater than actual input size" / "calculated shape of the array of sliding blocks".
        "conv_kernel_too_large": "error",
    }

    def einsum(self, equation: str, *operands: Any) -> Any:
        return self.torch.einsum(equation, *operands)

    def unfold(self, x: Any, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> Any:
        return self.torch.nn.functional.unfold(x, kernel_size, dilation=dilation, padding=padding, stride=stride)

    def conv2d(self, x: Any, weight: Any, stride: int = 1, padding: int = 0, dilation: int = 1) -> Any:
        return self.torch.nn.functional.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation)


class JaxEinsum:
    """JAX: conv2d is ``lax.conv_general_dilated`` (NCHW, OIHW by default); unfold is
    ``lax.conv_general_dilated_patches`` with its two spatial dimensions flattened."""

    behaviours: ClassVar[dict[str, str]] = {
        # jnp.einsum sums the ellipsis dimensions an explicit output leaves out, as torch does.
        "einsum_dropped_ellipsis": "sum",
        # jnp.einsum parses with opt_einsum, which takes any character as a subscript ('i#->i').
        "einsum_labels": "any",
        # XLA's window arithmetic clamps the number of positions at 0: (2, 4, 0, 5), no error.
        "conv_kernel_too_large": "empty",
    }

    def einsum(self, equation: str, *operands: Any) -> Any:
        return self.jnp.einsum(equation, *operands)

    @composed
    def unfold(self, x: Any, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> Any:
        ph, pw = _pair(padding)
        # The patches are a convolution with a one-hot filter: HIGHEST keeps it exact where the
        # default precision would round float32 to TF32 (GPUs).
        patches = self.jax.lax.conv_general_dilated_patches(
            x, _pair(kernel_size), _pair(stride), [(ph, ph), (pw, pw)], rhs_dilation=_pair(dilation),
            precision=self.jax.lax.Precision.HIGHEST)
        n, features, oh, ow = patches.shape
        return self.jnp.reshape(patches, (n, features, oh * ow))

    def conv2d(self, x: Any, weight: Any, stride: int = 1, padding: int = 0, dilation: int = 1) -> Any:
        return self.jax.lax.conv_general_dilated(
            x, weight, (stride, stride), [(padding, padding)] * 2, rhs_dilation=(dilation, dilation))


def _pair(value: Pair) -> tuple[int, int]:
    """``(v, v)`` for an int ``v``; a pair as a tuple."""
    return (value, value) if isinstance(value, int) else tuple(value)
