"""Broken backends for decoding (DE01–DE17), built on the NumPy adapter."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlspec.backends.numpy import NumpyBackend


def _nucleus(logits: np.ndarray, keep: Any) -> np.ndarray:
    """Top-p with the rule ``keep(inclusive cumulative probability, probability, p)`` in
    descending order."""
    order = np.argsort(-logits, axis=-1, kind="stable")
    ranked = np.take_along_axis(logits, order, axis=-1)
    probs = np.exp(ranked - ranked.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    kept = np.empty(logits.shape, dtype=bool)
    np.put_along_axis(kept, order, keep(np.cumsum(probs, axis=-1), probs), axis=-1)
    return np.where(kept, logits, -np.inf).astype(logits.dtype)


class TopPExcludesCrossingToken(NumpyBackend):
    """top-p keeps only the tokens whose cumulative probability stays below p (at least one),
    dropping the token that crosses p (DE04)."""

    name, catches = "top-p-excludes-crossing-token", ("test_top_p", "test_notes_top_p_examples")

    def top_p(self, logits: Any, p: float) -> Any:
        return _nucleus(logits, lambda cum, probs: (cum < p) | (cum == probs))


class TopPCanKeepNothing(NumpyBackend):
    """top-p keeps the tokens whose cumulative probability is at most p: none when p is below
    the top probability (DE04: at least one token always remains)."""

    name, catches = "top-p-can-keep-nothing", ("test_top_p", "test_notes_top_p_examples")

    def top_p(self, logits: Any, p: float) -> Any:
        return _nucleus(logits, lambda cum, probs: cum <= p)


class RepetitionPenaltyMultipliesPositive(NumpyBackend):
    """repetition penalty multiplies every seen logit by the penalty, so a positive one grows
    (DE07: positive logits are divided)."""

    name, catches = "repetition-penalty-multiplies-positive", ("test_repetition_penalty",
                                                               "test_notes_repetition_penalty_example")

    def repetition_penalty(self, logits: Any, input_ids: Any, penalty: float) -> Any:
        seen = np.any(input_ids[:, :, None] == np.arange(logits.shape[-1]), axis=1)
        return np.where(seen, logits * penalty, logits)


class TemperatureMultiplies(NumpyBackend):
    """temperature multiplies the logits by T instead of dividing (DE06)."""

    name, catches = "temperature-multiplies", ("test_temperature",)

    def temperature(self, logits: Any, t: float) -> Any:
        return logits * t


class BeamSearchWithoutLengthNormalisation(NumpyBackend):
    """beam search ranks finished hypotheses by their summed log-probability, ignoring the
    length penalty (DE15)."""

    name, catches = "beam-search-without-length-normalisation", ("test_beam_search",)

    def beam_search(self, table: Any, prompt: Any, num_beams: int, max_length: int | None = None,
                    max_new_tokens: int | None = None, eos_token_id: int | None = None,
                    length_penalty: float = 1.0, pad_token_id: int = 0) -> tuple[Any, Any]:
        return super().beam_search(table, prompt, num_beams, max_length, max_new_tokens, eos_token_id, 0.0,
                                   pad_token_id)


class MinLengthSuppressesWrongToken(NumpyBackend):
    """min-length puts -inf on the token after EOS instead of on EOS (DE09)."""

    name, catches = "min-length-suppresses-wrong-token", ("test_min_length", "test_notes_greedy_examples")

    def min_length(self, logits: Any, cur_len: int, min_length: int, eos_token_id: int) -> Any:
        return super().min_length(logits, cur_len, min_length, (eos_token_id + 1) % logits.shape[-1])


class GreedyTakesLastMax(NumpyBackend):
    """greedy decoding takes the last maximum on a tie instead of the first (DE01)."""

    name, catches = "greedy-takes-last-max", ("test_greedy_decode",)

    def _dec_first_max(self, scores: Any) -> Any:
        return scores.shape[-1] - 1 - np.argmax(scores[..., ::-1], axis=-1)
