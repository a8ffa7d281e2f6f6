"""Spec operations of decoding: logits processors, sampling, greedy and beam search
(catalogue DE01–DE17).

Logits are float arrays whose last dimension is the vocabulary; processors return new logits
of the same shape and dtype with removed tokens at ``-inf``.  The decoding loops take the toy
model of :func:`reference.decoding.bigram`: a ``(vocab, vocab)`` float table whose row of the
last token holds the next token's logits.
"""

from __future__ import annotations

from dlspec.spec import Array, spec_op


class DecodingOps:
    """Decoding: greedy, sampling, penalties and beam search."""

    @spec_op("DE06")
    def temperature(self, logits: Array, t: float) -> Array:
        """``logits / t``."""

    @spec_op("DE10")
    def top_k(self, logits: Array, k: int) -> Array:
        """Tokens below the ``k``-th largest logit of their row become ``-inf`` (ties kept)."""

    @spec_op("DE04 DE05")
    def top_p(self, logits: Array, p: float) -> Array:
        """Nucleus filtering: in descending order (ties by index) a token is kept while the
        probability before it is below ``p``; the others become ``-inf``."""

    @spec_op("DE07")
    def repetition_penalty(self, logits: Array, input_ids: Array, penalty: float) -> Array:
        """For the tokens in each row of ``input_ids`` ``(batch, length)``, positive logits of
        ``(batch, vocab)`` are divided by ``penalty`` and negative ones multiplied by it."""

    @spec_op("DE09")
    def min_length(self, logits: Array, cur_len: int, min_length: int, eos_token_id: int) -> Array:
        """EOS becomes ``-inf`` while ``cur_len`` (prompt included) is below ``min_length``."""

    @spec_op("DE10")
    def sample(self, logits: Array, num_samples: int, seed: int) -> Array:
        """``(batch, num_samples)`` int64 tokens drawn with replacement from ``softmax(logits)``
        of ``(batch, vocab)`` logits with the library's generator seeded by ``seed``."""

    @spec_op("DE01 DE08 DE09 DE11 DE12 DE17")
    def greedy_decode(self, table: Array, prompt: Array, max_length: int | None = None,
                      max_new_tokens: int | None = None, eos_token_id: int | None = None, pad_token_id: int = 0,
                      min_length: int = 0, repetition_penalty: float = 1.0) -> Array:
        """Greedy generation from ``prompt`` ``(batch, length)`` int64 under the bigram
        ``table``, as :func:`reference.decoding.generate`: first maximum after the processors,
        rows stop at EOS and are padded only to the longest row."""

    @spec_op("DE13 DE15")
    def beam_search(self, table: Array, prompt: Array, num_beams: int, max_length: int | None = None,
                    max_new_tokens: int | None = None, eos_token_id: int | None = None,
                    length_penalty: float = 1.0, pad_token_id: int = 0) -> tuple[Array, Array]:
        """Beam search from a 1-D ``prompt`` under the bigram ``table``, as
        :func:`reference.decoding.beam_search`: the best hypotheses padded, and their scores
        ``Σ log p / length ** length_penalty``."""
