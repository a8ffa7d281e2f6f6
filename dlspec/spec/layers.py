"""Spec operations of embedding, weight tying, dropout, linear and convolution layers (catalogue EM01–EM11, MD08).

The plain lookup is the elementwise area's ``embedding`` (O03) and ``linear`` is the matmul
area's (M08–M10); the operations here add what ``nn.Embedding`` and ``nn.Dropout`` do around
them.  Index arguments are backend integer arrays or nested sequences of ints (which the
adapters turn into their library's integer arrays, so gradient checks can pass them through).
"""

from __future__ import annotations

from typing import Any

from dlspec.spec import Array, spec_op


class LayerOps:
    """Embedding, weight tying, dropout, linear and convolution layers."""

    @spec_op("EM01 EM02 EM04 EM07")
    def embedding_lookup(self, weight: Array, indices: Any, padding_idx: int | None = None,
                         scale_grad_by_freq: bool = False) -> Array:
        """``nn.Embedding``'s forward, ``weight[indices]``; its gradient w.r.t. ``weight`` is
        dense, zero for ``padding_idx`` and divided by each id's count with ``scale_grad_by_freq``."""

    @spec_op("EM05 EM06", inplace=True)
    def embedding_max_norm(self, weight: Array, indices: Any, max_norm: float, norm_type: float = 2.0) -> Array:
        """The lookup with ``max_norm``: the looked-up rows of ``weight`` whose norm exceeds
        ``max_norm`` are renormalised IN PLACE first, then returned."""

    @spec_op("EM09 EM11")
    def tied_logits(self, weight: Array, indices: Any) -> Array:
        """A tied head: embed ``indices`` with the ``(vocab, dim)`` ``weight`` and project back
        with the same array as a ``Linear(dim, vocab)`` weight, ``embed(ids) @ weight.T``."""

    @spec_op("EM09 EM10 EM11")
    def tie_embedding_head(self, weight: Array, delta: Array) -> tuple[Array, int]:
        """Build an embedding of ``weight``'s values and a bias-free output ``Linear`` tied to
        it, add ``delta`` to the embedding's weight in place; return the head's weight as an
        array and the model's number of parameters."""

    @spec_op("MD05 A27")
    def dropout(self, x: Array, p: float, training: bool, seed: int) -> Array:
        """``nn.functional.dropout``: in training each element is zeroed with probability ``p``
        and the survivors scaled by ``1/(1-p)``; in evaluation the identity.  ``seed`` seeds
        the library's generator."""

    @spec_op("EM03 EM04 EM05 EM07 EM08")
    def embedding_module(self, weight: Array, indices: Any, cotangent: Array,
                         **options: Any) -> tuple[Array, Array, tuple[int, ...] | None]:
        """Build the library's embedding layer on ``weight``'s values with ONLY the given
        ``options`` (``padding_idx``, ``max_norm``, ``norm_type``, ``scale_grad_by_freq``,
        ``sparse``; the rest left at the library's defaults), run it on ``indices`` and
        backward from ``sum(output · cotangent)``; return the output, the weight's gradient
        in dense form, and the sorted row ids a sparse gradient stores (``None`` if dense)."""

    @spec_op("EM03")
    def embedding_defaults(self) -> dict[str, Any]:
        """The keyword defaults the library's embedding layer declares, by parameter name."""

    @spec_op("EM08")
    def sparse_embedding_step(self, optimizer: str, weight: Array, indices: Any, cotangent: Array, lr: float) -> Array:
        """One step of ``optimizer`` (``"sgd"``, ``"adam"``, ``"sparse_adam"``) on a
        ``sparse=True`` embedding layer on ``weight``'s values, after the backward of
        ``sum(output · cotangent)``; the weight afterwards.  Adam refuses sparse gradients."""

    @spec_op("MD08")
    def conv(self, x: Array, weight: Array, bias: Array | None = None, stride: int = 1, padding: int = 0) -> Array:
        """``Conv{N}d``'s forward for ``N = weight.ndim - 2`` spatial dims (1 to 3 in torch):
        the cross-correlation of ``x`` ``(batch, C_in, *L)`` with ``weight`` ``(C_out, C_in, *k)``
        plus ``bias``, zero ``padding`` on both sides."""
