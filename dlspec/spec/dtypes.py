"""Spec operations of the 16-bit float formats, float16 and bfloat16 (catalogue D01–D04)."""

from __future__ import annotations

from dlspec.spec import Array, spec_op

#: The entries of :meth:`DtypeOps.finfo`, named as in ``numpy.finfo`` and ``torch.finfo``.
FINFO_KEYS = ("bits", "eps", "max", "smallest_normal")


class DtypeOps:
    """Casts to and from float16 and bfloat16, their raw bits, their facts and their names."""

    @spec_op("D01 D02 D03")
    def cast(self, x: Array, dtype: str) -> Array:
        """``x`` converted to canonical ``dtype``: to a narrower float, the nearest value with
        ties to even, ±inf past the largest finite value, subnormals kept, signs kept, NaN
        stays NaN; to a wider float, the same value."""

    @spec_op("D01 D02")
    def bits16(self, x: Array) -> Array:
        """The raw 16-bit patterns of a float16 or bfloat16 array, reinterpreted (not
        converted) as a uint16 array of the same shape."""

    @spec_op("D01 D02 D03")
    def finfo(self, dtype: str) -> dict[str, float]:
        """The library's own facts of floating ``dtype``, one entry per :data:`FINFO_KEYS`."""

    @spec_op("D04")
    def dtype_alias(self, alias: str) -> str:
        """The canonical name of the dtype the library's alias ``alias`` (``"half"``,
        ``"double"``, ``"float"``, ...) stands for."""
