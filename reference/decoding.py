"""Decoding (catalogue DE01–DE17): logits processors, then greedy, sampling and beam search
loops over a deterministic toy model.

Logits are float arrays whose last dimension is the vocabulary; a processor returns new
float64 logits and never changes its input.  Removed tokens get ``-inf`` (probability 0):

* ``temperature``: ``logits / T`` (DE06);
* ``top_k``: keep every token whose logit is at least the ``k``-th largest (ties with it kept);
* ``top_p``: sort the tokens by descending logit, ties by index; keep a token while the
  probability of the tokens *before* it is below ``p``: the smallest prefix whose
  cumulative probability reaches ``p``, the crossing token included, never empty (DE04, DE05);
* ``repetition_penalty``: a token already in the sequence has a positive logit divided by the
  penalty and a negative one multiplied by it (DE07);
* ``min_length``: ``-inf`` for EOS while the sequence (prompt included) is shorter than
  ``min_length`` (DE09).

A *model* is a function from the tokens so far, ``(batch, length)`` int64, to the next
token's logits ``(batch, vocab)``; :func:`bigram` makes one from a ``(vocab, vocab)`` table
(the row of the last token), which is enough for the notes' beam search example (DE13).
:func:`generate` stops a row at EOS (DE12) and pads finished rows with ``pad_token_id`` only
up to the longest row (DE11); ``max_length`` counts the prompt, ``max_new_tokens`` does not
(DE08).  :func:`beam_search` ranks finished hypotheses by ``Σ log p / length**lp`` (DE15).
Nothing here calls a library's sampler, softmax, top-k or argmax.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reference.guards import check_int

Model = Callable[[np.ndarray], np.ndarray]


# -- logits processors --------------------------------------------------------------------


def temperature(logits: np.ndarray, t: float) -> np.ndarray:
    """``logits / t`` (DE06): ``t > 1`` flattens the distribution, ``t < 1`` sharpens it."""
    x = _logits(logits)
    return x / _positive(t, "temperature")


def top_k(logits: np.ndarray, k: int) -> np.ndarray:
    """Keep the tokens whose logit is at least the ``k``-th largest of their row (ties with it
    are kept; ``k`` above the vocabulary keeps all); the others become ``-inf``."""
    x = _logits(logits)
    if check_int(k, "k") < 1:
        raise ValueError(f"top_k needs k >= 1, got {k}")
    kth = np.sort(x, axis=-1)[..., -min(k, x.shape[-1])][..., None]
    return np.where(x < kth, -np.inf, x)


def top_p(logits: np.ndarray, p: float) -> np.ndarray:
    """Nucleus filtering (DE04): in order of descending logit (ties by index), keep each token
    while the probability of the tokens before it is below ``p``; the others become ``-inf``.
    The kept set is the smallest prefix whose cumulative probability reaches ``p``."""
    x = _logits(logits)
    p = _probability(p)
    order = np.argsort(-x, axis=-1, kind="stable")
    ranked = np.take_along_axis(softmax(x), order, axis=-1)
    before = np.concatenate([np.zeros(ranked.shape[:-1] + (1,)), np.cumsum(ranked, axis=-1)[..., :-1]], axis=-1)
    keep = np.empty(x.shape, dtype=bool)
    np.put_along_axis(keep, order, before < p, axis=-1)
    return np.where(keep, x, -np.inf)


def kept(logits: np.ndarray) -> np.ndarray:
    """The tokens a processor kept: a boolean mask of the finite logits."""
    return np.isfinite(_logits(logits))


def repetition_penalty(logits: np.ndarray, input_ids: np.ndarray, penalty: float) -> np.ndarray:
    """For each row of ``(batch, vocab)`` logits, every token in that row of ``input_ids``
    ``(batch, length)`` has a positive logit divided by ``penalty`` and a negative one
    multiplied by it (DE07); ``penalty < 1`` encourages repeats."""
    x = _logits(logits, ndim=2)
    ids = _token_ids(input_ids, x.shape[-1], "input_ids", ndim=2)
    penalty = _positive(penalty, "penalty")
    if ids.shape[0] != x.shape[0]:
        raise ValueError(f"input_ids has {ids.shape[0]} rows but logits {x.shape[0]}")
    out = x.copy()
    for row, seen in enumerate(ids):
        for token in set(seen.tolist()):
            value = x[row, token]
            out[row, token] = value * penalty if value < 0 else value / penalty
    return out


def min_length(logits: np.ndarray, cur_len: int, min_length: int, eos_token_id: int) -> np.ndarray:
    """EOS gets ``-inf`` while ``cur_len``, the length so far (prompt included), is below
    ``min_length`` (DE09); otherwise the logits are unchanged."""
    x = _logits(logits)
    cur_len, min_length = check_int(cur_len, "cur_len"), check_int(min_length, "min_length")
    eos = _token(eos_token_id, x.shape[-1], "eos_token_id")
    if cur_len < 0 or min_length < 0:
        raise ValueError(f"cur_len and min_length must be >= 0, got {cur_len} and {min_length}")
    out = x.copy()
    if cur_len < min_length:
        out[..., eos] = -np.inf
    return out


# -- probabilities and sampling --------------------------------------------------------------


def softmax(logits: np.ndarray) -> np.ndarray:
    """``exp(x - max) / Σ exp(x - max)`` along the vocabulary, in float64; a row needs one
    finite logit."""
    x = _logits(logits)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``x - max - log Σ exp(x - max)`` along the vocabulary, in float64."""
    x = _logits(logits)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def sample(logits: np.ndarray, num_samples: int, seed: int) -> np.ndarray:
    """``num_samples`` tokens per row of ``(batch, vocab)`` logits, with replacement, drawn
    from ``softmax(logits)`` by inverting its cumulative sum at uniforms from ``seed``;
    a ``-inf`` token is never drawn.  Returns ``(batch, num_samples)`` int64."""
    x = _logits(logits, ndim=2)
    if check_int(num_samples, "num_samples") < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    uniforms = np.random.default_rng(check_int(seed, "seed")).random((x.shape[0], num_samples))
    return _invert(softmax(x), uniforms)


def _invert(probs: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Per row, the first token whose cumulative probability exceeds ``u · total``."""
    cdf = np.cumsum(probs, axis=-1)
    return np.stack([np.searchsorted(c, u * c[-1], side="right") for c, u in zip(cdf, uniforms)]).astype(np.int64)


def first_max(scores: np.ndarray) -> np.ndarray:
    """Greedy choice (DE01): per row, the lowest index holding the row's largest score."""
    x = _logits(scores)
    index = np.arange(x.shape[-1])
    return np.min(np.where(x == np.max(x, axis=-1, keepdims=True), index, x.shape[-1]), axis=-1).astype(np.int64)


# -- models and decoding loops ------------------------------------------------------------------


def bigram(table: np.ndarray) -> Model:
    """The toy model of a ``(vocab, vocab)`` table: the next-token logits of a sequence are the
    table's row of its last token."""
    t = _logits(table, ndim=2)
    if t.shape[0] != t.shape[1]:
        raise ValueError(f"a bigram table is (vocab, vocab), got shape {t.shape}")
    return lambda tokens: t[tokens[:, -1]]


def generation_limit(prompt_length: int, max_length: int | None, max_new_tokens: int | None) -> int:
    """The total length at which generation stops: ``max_length`` counts the prompt (DE08),
    ``max_new_tokens`` counts only new tokens; exactly one must be given, leaving room for one."""
    if (max_length is None) == (max_new_tokens is None):
        raise ValueError("give exactly one of max_length (prompt included) and max_new_tokens")
    if max_length is not None:
        limit = check_int(max_length, "max_length")
    else:
        limit = prompt_length + check_int(max_new_tokens, "max_new_tokens")
    if limit <= prompt_length:
        raise ValueError(f"nothing to generate: the limit {limit} does not exceed the prompt length {prompt_length}")
    return limit


def generate(model: Model, prompt: np.ndarray, *, max_length: int | None = None, max_new_tokens: int | None = None,
             eos_token_id: int | None = None, pad_token_id: int = 0, min_length: int = 0,
             repetition_penalty: float = 1.0, do_sample: bool = False, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, seed: int = 0) -> np.ndarray:
    """Extend every row of ``prompt`` ``(batch, length)`` one token at a time: the model's
    logits, the repetition penalty and min-length processors, then the greedy first maximum
    (DE01) or, with ``do_sample``, a draw after temperature, top-k and top-p (DE10).  A row
    stops at EOS (DE12) and is padded with ``pad_token_id`` while others go on; generation
    ends when every row has stopped or at the length limit, so the result is only as long as
    its longest row (DE11).  Without ``eos_token_id`` it runs to the limit (DE17)."""
    tokens = _token_ids(prompt, None, "prompt", ndim=2)
    if not callable(model):
        raise TypeError(f"model must be callable, got {type(model).__name__}")
    limit = generation_limit(tokens.shape[1], max_length, max_new_tokens)
    pad = check_int(pad_token_id, "pad_token_id")
    check_int(min_length, "min_length")
    rng = np.random.default_rng(check_int(seed, "seed"))
    finished = np.zeros(tokens.shape[0], dtype=bool)
    while tokens.shape[1] < limit and not finished.all():
        scores = _logits(model(tokens), ndim=2)
        if scores.shape[0] != tokens.shape[0]:
            raise ValueError(f"the model returned {scores.shape[0]} rows of logits for {tokens.shape[0]} sequences")
        scores = _process(scores, tokens, repetition_penalty, min_length, eos_token_id)
        if do_sample:
            scores = _warp(scores, temperature, top_k, top_p)
            chosen = _invert(softmax(scores), rng.random((scores.shape[0], 1)))[:, 0]
        else:
            chosen = first_max(scores)
        chosen = np.where(finished, pad, chosen)
        tokens = np.concatenate([tokens, chosen[:, None]], axis=1)
        if eos_token_id is not None:
            finished |= chosen == eos_token_id
    return tokens


def greedy(model: Model, prompt: np.ndarray, **options: object) -> np.ndarray:
    """:func:`generate` without sampling: the first maximum at every step (DE01)."""
    return generate(model, prompt, do_sample=False, **options)  # type: ignore[arg-type]


def beam_score(sum_logprob: float, length: int, length_penalty: float) -> float:
    """A finished hypothesis' score, ``sum_logprob / length ** length_penalty`` with ``length``
    the generated tokens (DE15): log-probabilities are negative, so ``length_penalty > 0``
    favours longer hypotheses and ``< 0`` shorter ones; at 0 the raw sum decides."""
    if check_int(length, "length") < 1:
        raise ValueError(f"a hypothesis has at least one generated token, got length {length}")
    if isinstance(length_penalty, bool) or not isinstance(length_penalty, (int, float, np.integer, np.floating)):
        raise TypeError(f"length_penalty must be a number, got {type(length_penalty).__name__}")
    with np.errstate(over="ignore"):
        return float(sum_logprob) / float(np.float64(length) ** length_penalty)


def beam_search(model: Model, prompt: np.ndarray, num_beams: int, *, max_length: int | None = None,
                max_new_tokens: int | None = None, eos_token_id: int | None = None, length_penalty: float = 1.0,
                pad_token_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Beam search from a 1-D ``prompt`` (DE13).  Each step extends every live beam by every
    token of finite log-probability and ranks the candidates by summed log-probability (ties
    by beam, then token).  In rank order, an EOS candidate among the first ``num_beams``
    becomes a finished hypothesis scored by :func:`beam_score`, other EOS candidates are
    dropped, and the others become the next beams until there are ``num_beams``.  The search
    stops once ``num_beams`` hypotheses are finished or at the length limit, where the live
    beams are finished too.  Returns the best ``num_beams`` hypotheses, best first (ties in
    order of finishing), as ``(hypotheses, length)`` int64 padded with ``pad_token_id``,
    and their scores."""
    start = _token_ids(prompt, None, "prompt", ndim=1)
    if not callable(model):
        raise TypeError(f"model must be callable, got {type(model).__name__}")
    if check_int(num_beams, "num_beams") < 1:
        raise ValueError(f"num_beams must be >= 1, got {num_beams}")
    limit = generation_limit(start.shape[0], max_length, max_new_tokens)
    check_int(pad_token_id, "pad_token_id")
    if eos_token_id is not None:
        check_int(eos_token_id, "eos_token_id")
    beams: list[tuple[list[int], float]] = [(start.tolist(), 0.0)]
    finished: list[tuple[list[int], float]] = []

    def finish(tokens: list[int], total: float) -> None:
        finished.append((tokens, beam_score(total, len(tokens) - start.shape[0], length_penalty)))

    while beams and len(beams[0][0]) < limit and len(finished) < num_beams:
        logp = log_softmax(_logits(model(np.array([b[0] for b in beams], dtype=np.int64)), ndim=2))
        candidates = sorted((-(total + logp[b, t]), b, t) for b, (_, total) in enumerate(beams)
                            for t in range(logp.shape[1]) if np.isfinite(logp[b, t]))
        live: list[tuple[list[int], float]] = []
        for rank, (negative, b, t) in enumerate(candidates):
            if len(live) == num_beams:
                break
            if t == eos_token_id:
                if rank < num_beams:
                    finish(beams[b][0] + [t], -negative)
            else:
                live.append((beams[b][0] + [t], -negative))
        beams = live
    if len(finished) < num_beams:
        for tokens, total in beams:
            finish(tokens, total)
    best = sorted(finished, key=lambda h: -h[1])[:num_beams]
    width = max(len(tokens) for tokens, _ in best)
    out = np.full((len(best), width), pad_token_id, dtype=np.int64)
    for i, (tokens, _) in enumerate(best):
        out[i, : len(tokens)] = tokens
    return out, np.array([score for _, score in best], dtype=np.float64)


# -- the notes' worked examples ------------------------------------------------------------------------


def beam_example() -> tuple[list[str], np.ndarray]:
    """The notes' beam search example (DE13) as a bigram table of log-probabilities: after
    'The' come nice 0.5, dog 0.4, car 0.1; after 'nice' woman 0.4, house 0.3, guy 0.3; after
    'dog' has 0.9, runs 0.05, and 0.05; after 'car' drives 0.5, is 0.3, turns 0.2; every other
    word is followed by '<eos>'.  Returns the words (token ``i`` is ``words[i]``) and the table."""
    words = "The nice dog car woman house guy has runs and drives is turns <eos>".split()
    follow = {"The": {"nice": 0.5, "dog": 0.4, "car": 0.1}, "nice": {"woman": 0.4, "house": 0.3, "guy": 0.3},
              "dog": {"has": 0.9, "runs": 0.05, "and": 0.05}, "car": {"drives": 0.5, "is": 0.3, "turns": 0.2}}
    table = np.full((len(words), len(words)), -np.inf)
    for i, word in enumerate(words):
        for nxt, prob in follow.get(word, {"<eos>": 1.0}).items():
            table[i, words.index(nxt)] = np.log(prob)
    return words, table


#: The EOS token of :func:`eos_example`.
EXAMPLE_EOS = 14


def eos_example() -> np.ndarray:
    """A ``(15, 15)`` bigram table that replays the catalogue's EOS examples with EOS = 14:
    greedy from [1] gives [1, 2, 5, 14] (DE12), from [4] gives [4, 12, 14] (DE11); after 5
    and after 0 the runner-up to EOS is 0, so a min-length gives [1, 2, 5, 0, 0, 0, 14]
    (DE09); and 14 is followed by 14, so without EOS the run fills the limit (DE17)."""
    table = np.full((15, 15), -10.0)
    for token, best, second in ((1, 2, None), (2, 5, None), (5, 14, 0), (0, 14, 0), (4, 12, None), (12, 14, None),
                                (14, 14, None)):
        table[token, best] = 5.0
        if second is not None:
            table[token, second] = 3.0
    return table


def length_penalty_example() -> np.ndarray:
    """A ``(5, 5)`` bigram table of log-probabilities for DE15, EOS = 4: after token 0 comes
    EOS (0.55) or 1 (0.45), and 1 -> 2 -> 3 -> EOS surely.  The short hypothesis [0, 4] has
    log-probability log 0.55 over 1 token, the long [0, 1, 2, 3, 4] log 0.45 over 4."""
    table = np.full((5, 5), -np.inf)
    table[0, 4], table[0, 1] = np.log(0.55), np.log(0.45)
    table[1, 2] = table[2, 3] = table[3, 4] = table[4, 4] = 0.0
    return table


# -- helpers and guards ------------------------------------------------------------------------


def _process(scores: np.ndarray, tokens: np.ndarray, penalty: float, least: int, eos: int | None) -> np.ndarray:
    """The processors of every decoding mode, in transformers' order: repetition penalty
    (when not 1), then min-length (when there is an EOS)."""
    if penalty != 1.0:
        scores = repetition_penalty(scores, tokens, penalty)
    return scores if eos is None else min_length(scores, tokens.shape[1], least, eos)


def _warp(scores: np.ndarray, t: float, k: int | None, p: float | None) -> np.ndarray:
    """The sampling warpers in transformers' order: temperature, top-k, top-p."""
    scores = temperature(scores, t)
    if k is not None:
        scores = top_k(scores, k)
    return scores if p is None else top_p(scores, p)


def _logits(x: object, ndim: int | None = None) -> np.ndarray:
    """``x`` as float64 logits with a non-empty last dimension, no NaN, and a finite maximum
    in every row; ``ndim`` demands that many dimensions."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"logits must be a NumPy array, got {type(x).__name__}")
    if x.dtype.kind not in "fiu" or x.dtype.kind == "b":
        raise TypeError(f"logits must be a real numeric array, got dtype {x.dtype}")
    if x.ndim < 1 or (ndim is not None and x.ndim != ndim):
        raise ValueError(f"logits must be {ndim or 'at least 1'}-D (..., vocab), got shape {x.shape}")
    if x.shape[-1] == 0:
        raise ValueError(f"the vocabulary (last dimension) is empty: shape {x.shape}")
    x = x.astype(np.float64)
    if np.isnan(x).any() or (x.size and np.isneginf(np.max(x, axis=-1)).any()) or np.isposinf(x).any():
        raise ValueError("logits must have no NaN or +inf, and at least one finite value per row")
    return x


def _token_ids(x: object, vocab: int | None, what: str, ndim: int) -> np.ndarray:
    """``x`` as an int64 array of ``ndim`` dimensions, each id in ``[0, vocab)`` when given."""
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "iu":
        raise TypeError(f"{what} must be a NumPy integer array, got {getattr(x, 'dtype', type(x).__name__)}")
    if x.ndim != ndim or (ndim and x.shape[-1] == 0 and what == "prompt"):
        raise ValueError(f"{what} must be a non-empty {ndim}-D array, got shape {x.shape}")
    if x.size and (x.min() < 0 or (vocab is not None and x.max() >= vocab)):
        raise ValueError(f"{what} holds ids outside [0, {vocab}): {x.min()}..{x.max()}")
    return x.astype(np.int64)


def _token(value: object, vocab: int, what: str) -> int:
    token = check_int(value, what)
    if not 0 <= token < vocab:
        raise ValueError(f"{what} must be in [0, {vocab}), got {token}")
    return token


def _positive(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a finite number > 0, got {value}")
    return float(value)


def _probability(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a number, got {type(value).__name__}")
    if not 0 < value <= 1:
        raise ValueError(f"top_p needs 0 < p <= 1, got {value}")
    return float(value)
