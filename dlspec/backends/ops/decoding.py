"""Adapters' implementations of decoding: greedy, sampling, penalties and beam search (DE01–DE17), one mixin per library;
each backend class in ``dlspec.backends`` inherits its library's mixin.

The logits processors are the library's array calls, written as transformers' warpers write
them in torch (top-p: a stable descending sort, softmax, cumulative sum, scattered back).  The
decoding loops (:class:`DecodingLoops`) are the same Python control flow for every library:
each step asks the library for the model's logits, runs the backend's own processors and
takes the library's argmax or its stable sort of the beam scores; only token ids and the
few best scores come back to the host for bookkeeping.  Sampling builds the library's own
seeded generator.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from dlspec.spec import composed
from reference import decoding as ref
from reference import memory
from reference.memory import Tensor


class ReferenceDecoding:
    """The reference."""

    def temperature(self, logits: Tensor, t: float) -> Tensor:
        return _on_values(ref.temperature, logits, t)

    def top_k(self, logits: Tensor, k: int) -> Tensor:
        return _on_values(ref.top_k, logits, k)

    def top_p(self, logits: Tensor, p: float) -> Tensor:
        return _on_values(ref.top_p, logits, p)

    def repetition_penalty(self, logits: Tensor, input_ids: Tensor, penalty: float) -> Tensor:
        return _on_values(ref.repetition_penalty, logits, memory.to_numpy(input_ids), penalty)

    def min_length(self, logits: Tensor, cur_len: int, min_length: int, eos_token_id: int) -> Tensor:
        return _on_values(ref.min_length, logits, cur_len, min_length, eos_token_id)

    def sample(self, logits: Tensor, num_samples: int, seed: int) -> Tensor:
        return memory.from_numpy(ref.sample(memory.to_numpy(logits), num_samples, seed))

    def greedy_decode(self, table: Tensor, prompt: Tensor, max_length: int | None = None,
                      max_new_tokens: int | None = None, eos_token_id: int | None = None, pad_token_id: int = 0,
                      min_length: int = 0, repetition_penalty: float = 1.0) -> Tensor:
        return memory.from_numpy(ref.greedy(
            ref.bigram(memory.to_numpy(table)), memory.to_numpy(prompt), max_length=max_length,
            max_new_tokens=max_new_tokens, eos_token_id=eos_token_id, pad_token_id=pad_token_id,
            min_length=min_length, repetition_penalty=repetition_penalty))

    def beam_search(self, table: Tensor, prompt: Tensor, num_beams: int, max_length: int | None = None,
                    max_new_tokens: int | None = None, eos_token_id: int | None = None,
                    length_penalty: float = 1.0, pad_token_id: int = 0) -> tuple[Tensor, Tensor]:
        sequences, scores = ref.beam_search(
            ref.bigram(memory.to_numpy(table)), memory.to_numpy(prompt), num_beams, max_length=max_length,
            max_new_tokens=max_new_tokens, eos_token_id=eos_token_id, length_penalty=length_penalty,
            pad_token_id=pad_token_id)
        return memory.from_numpy(sequences), memory.from_numpy(scores)


def _on_values(rule: Any, logits: Tensor, *args: Any) -> Tensor:
    """A reference processor on a reference tensor's values, in the tensor's dtype."""
    values = memory.to_numpy(logits)
    return memory.from_numpy(rule(values, *args).astype(values.dtype))


class DecodingLoops:
    """Greedy and beam search as one Python loop over the backend's own operations; a library
    supplies ``_dec_rows`` (the table's rows of some tokens), ``_dec_first_max``, ``_dec_log_softmax`` and
    ``_dec_ranked`` (indices by descending value, ties by index)."""

    def _dec_beam_scores(self, table: Any, last: np.ndarray, totals: Any) -> Any:
        """Every candidate's summed log-probability, flattened: beam-major, then token."""
        return (self._dec_log_softmax(self._dec_rows(table, last)) + totals).reshape(-1)

    @composed
    def greedy_decode(self, table: Any, prompt: Any, max_length: int | None = None,
                      max_new_tokens: int | None = None, eos_token_id: int | None = None, pad_token_id: int = 0,
                      min_length: int = 0, repetition_penalty: float = 1.0) -> Any:
        tokens = self.to_numpy(prompt).astype(np.int64)
        limit = _limit(tokens, 2, max_length, max_new_tokens)
        finished = np.zeros(tokens.shape[0], dtype=bool)
        while tokens.shape[1] < limit and not finished.all():
            scores = self._dec_rows(table, tokens[:, -1])
            if repetition_penalty != 1.0:
                scores = self.repetition_penalty(scores, self.asarray(tokens), repetition_penalty)
            if eos_token_id is not None:
                scores = self.min_length(scores, tokens.shape[1], min_length, eos_token_id)
            chosen = np.where(finished, pad_token_id, self.to_numpy(self._dec_first_max(scores)))
            tokens = np.concatenate([tokens, chosen[:, None]], axis=1)
            finished |= chosen == eos_token_id
        return self.asarray(tokens)

    @composed
    def beam_search(self, table: Any, prompt: Any, num_beams: int, max_length: int | None = None,
                    max_new_tokens: int | None = None, eos_token_id: int | None = None,
                    length_penalty: float = 1.0, pad_token_id: int = 0) -> tuple[Any, Any]:
        start = self.to_numpy(prompt).astype(np.int64)
        limit = _limit(start, 1, max_length, max_new_tokens)
        if num_beams < 1:
            raise ValueError(f"num_beams must be >= 1, got {num_beams}")
        vocab = self.shape(table)[-1]
        beams: list[tuple[list[int], float]] = [(start.tolist(), 0.0)]
        finished: list[tuple[list[int], float]] = []
        while beams and len(beams[0][0]) < limit and len(finished) < num_beams:
            totals = self.asarray(np.array([[total] for _, total in beams]), dtype=self.dtype_name(table))
            flat = self._dec_beam_scores(table, np.array([b[0][-1] for b in beams]), totals)
            order = self.to_numpy(self._dec_ranked(flat))[: 2 * num_beams]
            live: list[tuple[list[int], float]] = []
            for rank, (index, total) in enumerate(zip(order.tolist(), self.to_numpy(flat)[order].tolist())):
                if len(live) == num_beams or not np.isfinite(total):
                    break
                beam, token = divmod(index, vocab)
                if token != eos_token_id:
                    live.append((beams[beam][0] + [token], total))
                elif rank < num_beams:
                    finished.append((beams[beam][0] + [token], total / (len(beams[beam][0]) + 1 - len(start)) ** length_penalty))
            beams = live
        if len(finished) < num_beams:
            finished += [(tokens, total / (len(tokens) - len(start)) ** length_penalty) for tokens, total in beams]
        best = sorted(finished, key=lambda h: -h[1])[:num_beams]
        out = np.full((len(best), max(len(t) for t, _ in best)), pad_token_id, dtype=np.int64)
        for i, (tokens, _) in enumerate(best):
            out[i, : len(tokens)] = tokens
        return self.asarray(out), self.asarray(np.array([s for _, s in best]), dtype=self.dtype_name(table))


def _limit(tokens: np.ndarray, ndim: int, max_length: int | None, max_new_tokens: int | None) -> int:
    """The total length at which generation stops; ``max_length`` counts the prompt."""
    if tokens.ndim != ndim or tokens.shape[-1] == 0:
        raise ValueError(f"the prompt must be a non-empty {ndim}-D array of token ids, got shape {tokens.shape}")
    if (max_length is None) == (max_new_tokens is None):
        raise ValueError("give exactly one of max_length (prompt included) and max_new_tokens")
    limit = max_length if max_length is not None else tokens.shape[-1] + max_new_tokens
    if limit <= tokens.shape[-1]:
        raise ValueError(f"nothing to generate: the limit {limit} does not exceed the prompt length {tokens.shape[-1]}")
    return limit


class XpDecoding(DecodingLoops):
    """Libraries with NumPy's API under ``self.xp``: NumPy, CuPy and ``jax.numpy``; none has a
    softmax or a top-k filter, so each processor is composed."""

    @composed
    def temperature(self, logits: Any, t: float) -> Any:
        return logits / t

    @composed
    def top_k(self, logits: Any, k: int) -> Any:
        kth = self.xp.sort(logits, axis=-1)[..., -min(k, logits.shape[-1])][..., None]
        return self.xp.where(logits < kth, self._dec_minus_inf(logits), logits)

    @composed
    def top_p(self, logits: Any, p: float) -> Any:
        xp = self.xp
        order = xp.argsort(-logits, axis=-1, stable=True)
        probs = self._dec_softmax(xp.take_along_axis(logits, order, axis=-1))
        remove = xp.cumsum(probs, axis=-1) - probs >= p
        return xp.where(xp.take_along_axis(remove, xp.argsort(order, axis=-1), axis=-1), self._dec_minus_inf(logits), logits)

    @composed
    def repetition_penalty(self, logits: Any, input_ids: Any, penalty: float) -> Any:
        xp = self.xp
        seen = xp.any(input_ids[:, :, None] == xp.arange(logits.shape[-1]), axis=1)
        return xp.where(seen, xp.where(logits < 0, logits * penalty, logits / penalty), logits)

    @composed
    def min_length(self, logits: Any, cur_len: int, min_length: int, eos_token_id: int) -> Any:
        if cur_len >= min_length:
            return logits
        return self.xp.where(self.xp.arange(logits.shape[-1]) == eos_token_id, self._dec_minus_inf(logits), logits)

    def _dec_minus_inf(self, like: Any) -> Any:
        return self.xp.asarray(-self.xp.inf, dtype=like.dtype)

    def _dec_softmax(self, x: Any) -> Any:
        e = self.xp.exp(x - self.xp.max(x, axis=-1, keepdims=True))
        return e / self.xp.sum(e, axis=-1, keepdims=True)

    def _dec_rows(self, table: Any, tokens: np.ndarray) -> Any:
        return table[self.xp.asarray(tokens)]

    def _dec_first_max(self, scores: Any) -> Any:
        return self.xp.argmax(scores, axis=-1)

    def _dec_log_softmax(self, x: Any) -> Any:
        shifted = x - self.xp.max(x, axis=-1, keepdims=True)
        return shifted - self.xp.log(self.xp.sum(self.xp.exp(shifted), axis=-1, keepdims=True))

    def _dec_ranked(self, values: Any) -> Any:
        return self.xp.argsort(-values, stable=True)


class NumpyDecoding(XpDecoding):
    """NumPy (and CuPy, through ``self.xp``)."""

    @composed
    def sample(self, logits: Any, num_samples: int, seed: int) -> Any:
        """Generator.choice per row, on the softmax in float64."""
        rng = self.xp.random.default_rng(seed)
        probs = self._dec_softmax(logits.astype(self.xp.float64))
        return self.xp.stack([rng.choice(row.shape[0], num_samples, replace=True, p=row) for row in probs])


class TorchDecoding(DecodingLoops):
    """PyTorch, as transformers' logits processors compute."""

    @composed
    def temperature(self, logits: Any, t: float) -> Any:
        return logits / t

    @composed
    def top_k(self, logits: Any, k: int) -> Any:
        kth = self.torch.topk(logits, min(k, logits.shape[-1]), dim=-1).values[..., -1:]
        return logits.masked_fill(logits < kth, -float("inf"))

    @composed
    def top_p(self, logits: Any, p: float) -> Any:
        ranked, order = self.torch.sort(logits, dim=-1, descending=True, stable=True)
        probs = ranked.softmax(dim=-1)
        remove = probs.cumsum(dim=-1) - probs >= p
        return logits.masked_fill(remove.scatter(-1, order, remove), -float("inf"))

    @composed
    def repetition_penalty(self, logits: Any, input_ids: Any, penalty: float) -> Any:
        score = self.torch.gather(logits, 1, input_ids)
        return logits.scatter(1, input_ids, self.torch.where(score < 0, score * penalty, score / penalty))

    @composed
    def min_length(self, logits: Any, cur_len: int, min_length: int, eos_token_id: int) -> Any:
        if cur_len >= min_length:
            return logits
        eos = self.torch.arange(logits.shape[-1], device=logits.device) == eos_token_id
        return logits.masked_fill(eos, -float("inf"))

    @composed
    def sample(self, logits: Any, num_samples: int, seed: int) -> Any:
        generator = self.torch.Generator(device=logits.device).manual_seed(seed)
        return self.torch.multinomial(logits.softmax(dim=-1), num_samples, replacement=True, generator=generator)

    def _dec_rows(self, table: Any, tokens: np.ndarray) -> Any:
        return table[self.torch.as_tensor(tokens, device=table.device)]

    def _dec_first_max(self, scores: Any) -> Any:
        return self.torch.argmax(scores, dim=-1)

    def _dec_log_softmax(self, x: Any) -> Any:
        return self.torch.log_softmax(x, dim=-1)

    def _dec_ranked(self, values: Any) -> Any:
        return self.torch.sort(values, descending=True, stable=True).indices


class JaxDecoding(XpDecoding):
    """JAX: the composed processors are jitted (one compilation per shape instead of one per
    primitive); sampling is ``jax.random.categorical`` (the Gumbel-max trick) under the seed's key."""

    @composed
    def temperature(self, logits: Any, t: float) -> Any:
        return self._dec_jitted["temperature"](logits, t)

    @composed
    def top_k(self, logits: Any, k: int) -> Any:
        return self._dec_jitted["top_k"](logits, k)

    @composed
    def top_p(self, logits: Any, p: float) -> Any:
        return self._dec_jitted["top_p"](logits, p)

    @composed
    def repetition_penalty(self, logits: Any, input_ids: Any, penalty: float) -> Any:
        return self._dec_jitted["repetition_penalty"](logits, input_ids, penalty)

    @composed
    def min_length(self, logits: Any, cur_len: int, min_length: int, eos_token_id: int) -> Any:
        return self._dec_jitted["min_length"](logits, cur_len, min_length, eos_token_id)

    @composed
    def sample(self, logits: Any, num_samples: int, seed: int) -> Any:
        return self._dec_jitted["_dec_categorical"](logits, num_samples, self.jax.random.key(seed))

    def _dec_categorical(self, logits: Any, num_samples: int, key: Any) -> Any:
        drawn = self.jax.random.categorical(key, logits, axis=-1, shape=(num_samples, logits.shape[0]))
        return drawn.T.astype(self.jnp.int64)

    def _dec_rows(self, table: Any, tokens: np.ndarray) -> Any:
        return self._dec_jitted["_dec_rows"](table, tokens)

    def _dec_first_max(self, scores: Any) -> Any:
        return self._dec_jitted["_dec_first_max"](scores)

    def _dec_beam_scores(self, table: Any, last: np.ndarray, totals: Any) -> Any:
        return self._dec_jitted["_dec_beam_scores"](table, last, totals)

    def _dec_ranked(self, values: Any) -> Any:
        return self._dec_jitted["_dec_ranked"](values)

    @functools.cached_property
    def _dec_jitted(self) -> dict[str, Callable[..., Any]]:
        """The NumPy-API processors and loop steps under ``jax.jit``; integer arguments that
        pick a shape or a branch are static."""
        static = {"top_k": (1,), "min_length": (1, 2, 3), "_dec_categorical": (1,)}
        methods = {name: getattr(XpDecoding, name) for name in ("temperature", "top_k", "top_p", "repetition_penalty",
                                                                "min_length", "_dec_rows", "_dec_first_max", "_dec_ranked")}
        methods |= {"_dec_beam_scores": DecodingLoops._dec_beam_scores, "_dec_categorical": JaxDecoding._dec_categorical}
        return {name: self.jax.jit(functools.partial(method, self), static_argnums=static.get(name, ()))
                for name, method in methods.items()}
