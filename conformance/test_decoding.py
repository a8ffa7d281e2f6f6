"""Conformance: decoding (catalogue DE01–DE17).

The logits processors (temperature, top-k, top-p, repetition penalty, min-length) are
compared with ``reference.decoding`` on hypothesis inputs: filters exactly (a kept logit is
moved, not computed), arithmetic under the tolerance policy.  Top-p's ``p`` is placed inside
one token's share of the cumulative probability, so the kept set is decided by the rule and
not by rounding.  Sampling is checked statistically at fixed seeds: no token outside the
kept set, and every count within 6 sigma of its expectation.  Greedy and beam search run
the backend's own loop over a bigram table; their tokens must equal the reference's, beam
scores under the tolerance for a sum of log-probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend
from dlspec.compare import assert_conforms
from dlspec.strategies import draw_dtype, values_for
from reference import decoding as ref
from reference.dtypes import round_to

spec = pytest.mark.spec
DTYPES = ("float64", "float32", "float16", "bfloat16")
#: top-p and sampling go through a softmax and a cumulative sum: float32 and wider.
WIDE = ("float64", "float32")
#: Draws per row in the statistical checks, and the bound in standard deviations.
DRAWS, SIGMAS = 4000, 6.0
SEED = 20241101


# -- helpers ---------------------------------------------------------------------------------


@st.composite
def logits_arrays(draw: st.DrawFn, dtypes: tuple[str, ...], backend: Backend, data: st.DataObject,
                  max_vocab: int = 8, low: float = -8.0, high: float = 8.0) -> tuple[np.ndarray, str]:
    """``(batch, vocab)`` logits of a dtype the backend declares, batch 1–3, vocab 1–``max_vocab``,
    values in ``[low, high]`` rounded to the dtype (small integers now and then, for ties)."""
    dtype = draw_dtype(backend, data, dtypes)
    shape = (draw(st.integers(1, 3), label="batch"), draw(st.integers(1, max_vocab), label="vocab"))
    if draw(st.booleans(), label="integer logits"):
        values = draw(st.lists(st.integers(-3, 3), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]))
        return np.array(values, dtype=np.float64).reshape(shape), dtype
    values = np.clip(values_for(shape, dtype, data), low, high)
    return round_to(values, dtype), dtype


def check_processor(backend: Backend, name: str, rule: Callable[..., np.ndarray], logits: np.ndarray, dtype: str,
                    *args: Any, exact: bool) -> None:
    """Processor ``name`` on ``logits`` in ``dtype`` (extra array arguments given as int64
    NumPy arrays) against ``rule`` on the float64 values: same shape and dtype, values exact
    for a filter, under the policy's few-ulp bound for one arithmetic operation otherwise."""
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)
    expected = rule(logits, *args)
    given_args = [backend.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    actual = fn(backend.asarray(logits, dtype=dtype), *given_args)
    lowp = round_to(expected, dtype) if dtype in ("float16", "bfloat16") else None
    assert_conforms(backend, actual, expected, op=name, dtype=dtype, exact=exact, lowp_expected=lowp,
                    inputs=f"{logits.tolist()} as {dtype}, {args}")


def check_frequencies(backend: Backend, drawn: Any, logits: np.ndarray, what: str) -> None:
    """``drawn`` ``(batch, DRAWS)`` int64 tokens must never hold a ``-inf`` token of ``logits``,
    and each token's count must lie within SIGMAS standard deviations of ``DRAWS · p``
    (binomial), ``p`` the reference's softmax."""
    values = backend.to_numpy(drawn)
    assert backend.dtype_name(drawn) == "int64" and values.shape == (logits.shape[0], DRAWS), \
        f"{backend.name} {what}: got {backend.dtype_name(drawn)} {values.shape}, expected int64 {(logits.shape[0], DRAWS)}"
    probs = ref.softmax(logits)
    for row, p in zip(values, probs):
        counts = np.bincount(row, minlength=p.shape[0])
        assert counts.shape == p.shape, f"{backend.name} {what}: token ids outside the vocabulary: {row.max()}"
        outside = np.flatnonzero((p == 0) & (counts > 0))
        assert outside.size == 0, f"{backend.name} {what}: drew removed tokens {outside.tolist()} (p = {p.tolist()})"
        bound = SIGMAS * np.sqrt(DRAWS * p * (1 - p)) + 1
        worst = int(np.argmax(np.abs(counts - DRAWS * p) - bound))
        assert np.all(np.abs(counts - DRAWS * p) <= bound), (
            f"{backend.name} {what}: token {worst} drawn {counts[worst]} times in {DRAWS}, expected "
            f"{DRAWS * p[worst]:.1f} ± {bound[worst]:.1f} ({SIGMAS:g} sigma; seed {SEED}; p = {p.tolist()})")


# -- temperature (DE06) ----------------------------------------------------------------------


@spec("DE06")
@given(data=st.data(), t=st.sampled_from((0.5, 0.7, 1.0, 2.0, 3.0)))
def test_temperature(backend, data, t):
    """DE06: temperature divides the logits, scores = logits / T (T > 1 flattens the
    distribution, T < 1 sharpens it)."""
    logits, dtype = data.draw(logits_arrays(DTYPES, backend, data))
    check_processor(backend, "temperature", ref.temperature, logits, dtype, t, exact=False)


# -- top-k and top-p (DE04 DE05 DE10) ------------------------------------------------------------


@spec("DE10")
@given(data=st.data())
def test_top_k(backend, data):
    """DE10 (sampling's top-k warper): tokens below the k-th largest logit of their row become
    -inf, ties with the k-th are kept, k above the vocabulary keeps everything."""
    logits, dtype = data.draw(logits_arrays(DTYPES, backend, data))
    k = data.draw(st.integers(1, logits.shape[-1] + 1), label="k")
    check_processor(backend, "top_k", ref.top_k, logits, dtype, k, exact=True)


@st.composite
def nucleus_cases(draw: st.DrawFn, backend: Backend, data: st.DataObject) -> tuple[np.ndarray, str, float]:
    """Logits in [-4, 4] and a ``p`` strictly inside the share of row 0's token at rank ``j``
    (a quarter, half or three quarters of it past the probability before it), so that the rule
    keeps exactly ``j + 1`` tokens there; the other rows keep their cumulative sums at least
    1e-5 from ``p``."""
    logits, dtype = draw(logits_arrays(WIDE, backend, data, low=-4.0, high=4.0))
    probs = ref.softmax(logits)
    ranked = np.take_along_axis(probs, np.argsort(-logits, axis=-1, kind="stable"), axis=-1)
    before = np.cumsum(ranked, axis=-1) - ranked
    j = draw(st.integers(0, logits.shape[-1] - 1), label="rank of the crossing token")
    p = float(min(1.0, before[0, j] + draw(st.sampled_from((0.25, 0.5, 0.75)), label="fraction") * ranked[0, j]))
    assume(np.all(np.abs(before[1:] - p) > 1e-5))
    return logits, dtype, p


@spec("DE04", "DE05")
@given(data=st.data())
def test_top_p(backend, data):
    """DE04: top-p keeps the smallest set of tokens, by descending probability, whose
    cumulative probability reaches p: the token that crosses p is kept, ties are taken in
    index order, and at least one token always remains; the rest become -inf (DE05: a lower
    p keeps fewer)."""
    logits, dtype, p = data.draw(nucleus_cases(backend, data))
    check_processor(backend, "top_p", ref.top_p, logits, dtype, p, exact=True)


@spec("DE04", "DE05")
@pytest.mark.parametrize(("p", "kept"), [
    pytest.param(1e-9, 1, id="DE04-tiny-p-keeps-the-top-token"),
    pytest.param(0.6, 2, id="DE05-p-0.6"),
    pytest.param(0.75, 3, id="DE04-crossing-token-kept"),
    pytest.param(0.9, 4, id="DE05-p-0.9"),
    pytest.param(0.99, 6, id="DE05-p-0.99"),
])
def test_notes_top_p_examples(backend, p, kept):
    """DE04/DE05 on probabilities 0.5, 0.2, 0.15, 0.1, 0.035, 0.015 (cumulative 0.5, 0.7,
    0.85, 0.95, 0.985, 1): p = 0.6 keeps 2 tokens, 0.75 keeps 3 (the third crosses it), 0.9
    keeps 4, 0.99 keeps 6 (only the last one reaches it); a tiny p keeps the top token alone."""
    logits = np.log(np.array([[0.5, 0.2, 0.15, 0.1, 0.035, 0.015]]))
    assert int(ref.kept(ref.top_p(logits, p)).sum()) == kept
    check_processor(backend, "top_p", ref.top_p, logits, "float64", p, exact=True)


# -- repetition penalty (DE07) and min-length (DE09) --------------------------------------------------


@spec("DE07")
@given(data=st.data(), penalty=st.sampled_from((0.5, 1.5, 2.0)))
def test_repetition_penalty(backend, data, penalty):
    """DE07: for every token already in the row's sequence, a positive logit is divided by the
    penalty and a negative one multiplied by it (a penalty below 1 encourages repeats);
    tokens not seen keep their logits."""
    logits, dtype = data.draw(logits_arrays(DTYPES, backend, data))
    length = data.draw(st.integers(1, 4), label="length")
    ids = np.array(data.draw(st.lists(st.integers(0, logits.shape[1] - 1), min_size=logits.shape[0] * length,
                                      max_size=logits.shape[0] * length), label="ids")).reshape(-1, length)
    check_processor(backend, "repetition_penalty", ref.repetition_penalty, logits, dtype, ids, penalty, exact=False)


@spec("DE07")
def test_notes_repetition_penalty_example(backend):
    """DE07, the catalogue's example: penalty 1.5 on logits [2, -1, 0.5, 0.3] with tokens 0
    and 1 seen gives [2/1.5, -1*1.5, 0.5, 0.3]."""
    logits = np.array([[2.0, -1.0, 0.5, 0.3]])
    np.testing.assert_allclose(ref.repetition_penalty(logits, np.array([[0, 1]]), 1.5), [[4 / 3, -1.5, 0.5, 0.3]])
    check_processor(backend, "repetition_penalty", ref.repetition_penalty, logits, "float32", np.array([[0, 1]]),
                    1.5, exact=False)


@spec("DE09")
@given(data=st.data(), cur_len=st.integers(0, 5), least=st.integers(0, 6))
def test_min_length(backend, data, cur_len, least):
    """DE09: while the sequence (prompt included) is shorter than min_length, the EOS logit is
    -inf and nothing else changes; from min_length on the logits are unchanged."""
    logits, dtype = data.draw(logits_arrays(DTYPES, backend, data))
    eos = data.draw(st.integers(0, logits.shape[-1] - 1), label="eos")
    check_processor(backend, "min_length", ref.min_length, logits, dtype, cur_len, least, eos, exact=True)


# -- sampling (DE04 DE10) ------------------------------------------------------------------------------


SAMPLING_ROWS = [
    pytest.param([[0.0, 0.0, 0.0, 0.0]], id="uniform"),
    pytest.param([[2.0, -np.inf, 0.5, -1.0, -np.inf]], id="removed-tokens-never-drawn"),
    pytest.param([[1.0, 2.0, 3.0], [3.0, -np.inf, 0.0]], id="each-row-its-own-distribution"),
]


@spec("DE10")
@pytest.mark.parametrize("dtype", WIDE)
@pytest.mark.parametrize("rows", SAMPLING_ROWS)
def test_sample(backend, rows, dtype):
    """DE10: do_sample draws the next token from softmax(logits) instead of taking the
    argmax: at a fixed seed every count is within 6 sigma of its expectation, and a token
    whose logit is -inf (removed by a warper) is never drawn."""
    testing.require_dtype(backend, dtype)
    logits = np.array(rows)
    drawn = testing.op(backend, "sample")(backend.asarray(logits, dtype=dtype), DRAWS, SEED)
    check_frequencies(backend, drawn, logits, f"sample({rows}, {DRAWS}, seed={SEED})")


@spec("DE04", "DE10")
@pytest.mark.parametrize("p", [0.3, 0.7, 0.85])
def test_sample_after_top_p(backend, p):
    """DE04/DE10: nucleus sampling, the backend's top-p then its sampler: tokens outside the
    reference's kept set never appear, and the kept ones are drawn in proportion to their
    renormalised probabilities."""
    logits = np.log(np.array([[0.4, 0.25, 0.15, 0.1, 0.06, 0.04]]))
    filtered = testing.op(backend, "top_p")(backend.asarray(logits), p)
    drawn = testing.op(backend, "sample")(filtered, DRAWS, SEED)
    check_frequencies(backend, drawn, ref.top_p(logits, p), f"sample(top_p({logits.tolist()}, {p}))")


# -- greedy decoding (DE01 DE08 DE09 DE11 DE12 DE17) ----------------------------------------------------------


def check_greedy(backend: Backend, table: np.ndarray, prompt: np.ndarray, **options: Any) -> None:
    """The backend's greedy loop over bigram ``table`` from ``prompt`` must give the
    reference's tokens exactly (int64), or raise where the reference raises."""
    fn = testing.op(backend, "greedy_decode")
    text = f"table={table.tolist()}, prompt={prompt.tolist()}, {options}"
    try:
        expected = ref.greedy(ref.bigram(table), prompt, **options)
    except (ValueError, TypeError):
        with testing.raises_as_spec(backend, f"greedy_decode({text})"):
            fn(backend.asarray(table), backend.asarray(prompt), **options)
        return
    assert_conforms(backend, fn(backend.asarray(table), backend.asarray(prompt), **options), expected,
                    op="greedy_decode", inputs=text)


@st.composite
def generation_options(draw: st.DrawFn, vocab: int) -> dict[str, Any]:
    """Generation keywords: a limit as max_length or max_new_tokens (now and then both or
    neither, which raise), an EOS or none, min_length, pad id and repetition penalty."""
    limit = draw(st.sampled_from(("max_new_tokens", "max_length", "max_new_tokens", "both", "neither")), label="limit")
    options: dict[str, Any] = {}
    if limit in ("max_new_tokens", "both"):
        options["max_new_tokens"] = draw(st.integers(1, 5), label="max_new_tokens")
    if limit in ("max_length", "both"):
        options["max_length"] = draw(st.integers(2, 7), label="max_length")
    options["eos_token_id"] = draw(st.none() | st.integers(0, vocab - 1), label="eos")
    options["min_length"] = draw(st.integers(0, 6), label="min_length")
    options["pad_token_id"] = draw(st.integers(0, vocab - 1), label="pad")
    options["repetition_penalty"] = draw(st.sampled_from((1.0, 1.5, 0.5)), label="repetition_penalty")
    return options


@spec("DE01", "DE08", "DE09", "DE11", "DE12", "DE17")
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_greedy_decode(backend, data, seed):
    """DE01: greedy takes w_t = argmax P(w | w_1:t-1) at every step, the first maximum on a
    tie, after the repetition penalty (DE07) and min-length (DE09); a row stops at EOS (DE12)
    and is padded with pad_token_id while others go on, so the batch is as long as its longest
    row (DE11); max_length counts the prompt, max_new_tokens does not (DE08); without an EOS
    the run fills the limit (DE17).  Integer tables make ties common."""
    vocab = data.draw(st.integers(2, 6), label="vocab")
    table = np.random.default_rng(seed).integers(-2, 3, (vocab, vocab)).astype(np.float64)
    batch, length = data.draw(st.integers(1, 3), label="batch"), data.draw(st.integers(1, 3), label="prompt length")
    prompt = np.random.default_rng(seed + 1).integers(0, vocab, (batch, length))
    check_greedy(backend, table, prompt, **data.draw(generation_options(vocab)))


@spec("DE08", "DE09", "DE11", "DE12", "DE17")
@pytest.mark.parametrize(("prompt", "options"), [
    pytest.param([[1]], {"max_length": 8, "eos_token_id": 14}, id="DE12-stops-at-eos-unpadded"),
    pytest.param([[1], [4]], {"max_length": 8, "eos_token_id": 14}, id="DE11-batch-padded-to-longest-row"),
    pytest.param([[1]], {"max_length": 8, "eos_token_id": 14, "min_length": 6}, id="DE09-min-length-6"),
    pytest.param([[1]], {"max_length": 8}, id="DE17-no-eos-runs-to-max-length"),
    pytest.param([[1, 2, 5]], {"max_length": 10}, id="DE08-max-length-counts-the-prompt"),
    pytest.param([[1, 2, 5]], {"max_new_tokens": 10}, id="DE08-max-new-tokens-counts-new-tokens"),
    pytest.param([[1, 2, 5]], {"max_length": 3}, id="DE08-no-room-raises"),
])
def test_notes_greedy_examples(backend, prompt, options):
    """The catalogue's EOS examples on ``reference.decoding.eos_example`` (EOS = 14): [1, 2,
    5, 14] stops unpadded at length 4 < 8 (DE12, DE11); the batch from [1] and [4] is
    [[1, 2, 5, 14], [4, 12, 14, 0]]; min_length=6 gives [1, 2, 5, 0, 0, 0, 14] (DE09);
    without EOS [1, 2, 5, 14, 14, 14, 14, 14] (DE17); a prompt of 3 with max_length=10 gives
    10 tokens, with max_new_tokens=10 gives 13 (DE08)."""
    check_greedy(backend, ref.eos_example(), np.array(prompt), **options)


# -- beam search (DE13 DE15) ---------------------------------------------------------------------


def check_beams(backend: Backend, table: np.ndarray, prompt: np.ndarray, num_beams: int, **options: Any) -> None:
    """The backend's beam search must return the reference's hypotheses exactly and their
    scores under the policy for a sum of ``length`` log-probabilities, each a log-softmax over
    the vocabulary (``terms = vocab + length``, scale the table's magnitudes)."""
    fn = testing.op(backend, "beam_search")
    sequences, scores = ref.beam_search(ref.bigram(table), prompt, num_beams, **options)
    text = f"table={table.tolist()}, prompt={prompt.tolist()}, num_beams={num_beams}, {options}"
    got_sequences, got_scores = fn(backend.asarray(table), backend.asarray(prompt), num_beams, **options)
    assert_conforms(backend, got_sequences, sequences, op="beam_search (hypotheses)", inputs=text)
    finite = np.abs(table[np.isfinite(table)])
    scale = sequences.shape[1] * (finite.max() + np.log(table.shape[1]))
    assert_conforms(backend, got_scores, scores, op="beam_search (scores)", terms=table.shape[1] + sequences.shape[1],
                    scale=scale, inputs=text)


@spec("DE13", "DE15")
@given(data=st.data(), seed=st.integers(0, 2**16), length_penalty=st.sampled_from((1.0, 0.0, 0.5, 2.0, -1.0)))
def test_beam_search(backend, data, seed, length_penalty):
    """DE13: beam search keeps the num_beams best partial sequences by summed log-probability;
    finished hypotheses (EOS, or the length limit) are ranked by sum / length**length_penalty
    (DE15: the generated length; a penalty above 0 favours longer ones)."""
    vocab = data.draw(st.integers(3, 6), label="vocab")
    table = np.random.default_rng(seed).normal(0.0, 2.0, (vocab, vocab))
    prompt = np.random.default_rng(seed + 1).integers(0, vocab, data.draw(st.integers(1, 2), label="prompt length"))
    check_beams(backend, table, prompt, data.draw(st.integers(1, 3), label="num_beams"),
                max_new_tokens=data.draw(st.integers(1, 4), label="max_new_tokens"),
                eos_token_id=data.draw(st.none() | st.integers(0, vocab - 1), label="eos"),
                length_penalty=length_penalty)


@spec("DE13")
@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_notes_beam_search_example(backend, length_penalty):
    """DE13, the notes' example with num_beams=2: step 1 keeps 'The nice' (0.5) and 'The dog'
    (0.4); step 2 keeps 'The dog has' (0.4 * 0.9 = 0.36) and 'The nice woman' (0.5 * 0.4 =
    0.20), which greedy search would have chosen."""
    words, table = ref.beam_example()
    sequences, scores = ref.beam_search(ref.bigram(table), np.array([0]), 2, max_new_tokens=2, length_penalty=0.0)
    assert [" ".join(words[t] for t in s) for s in sequences] == ["The dog has", "The nice woman"]
    np.testing.assert_allclose(np.exp(scores), [0.36, 0.20])
    check_beams(backend, table, np.array([0]), 2, max_new_tokens=2, length_penalty=length_penalty)


@spec("DE15")
@pytest.mark.parametrize("length_penalty", [-1.0, 0.0, 0.5, 1.0, 2.0])
def test_notes_length_penalty_example(backend, length_penalty):
    """DE15: EOS at once (log 0.55 over 1 token) against four tokens ending in EOS (log 0.45
    over 4): the raw sum prefers the short one, so it wins for length_penalty <= 0; any
    length_penalty > 0 (not only > 1) divides the long one by 4**lp and it wins."""
    table = ref.length_penalty_example()
    sequences, _ = ref.beam_search(ref.bigram(table), np.array([0]), 2, max_new_tokens=4, eos_token_id=4,
                                   length_penalty=length_penalty)
    assert sequences[0, 1] == (1 if length_penalty > 0 else 4), "the long hypothesis starts with 1, the short is EOS"
    check_beams(backend, table, np.array([0]), 2, max_new_tokens=4, eos_token_id=4, length_penalty=length_penalty)


# -- the modes are one loop (DE02 DE14) ---------------------------------------------------------------


@spec("DE02", "DE13")
@given(seed=st.integers(0, 2**16), eos=st.none() | st.integers(0, 4), max_new_tokens=st.integers(1, 4))
def test_one_beam_is_greedy(backend, seed, eos, max_new_tokens):
    """DE02: num_beams=1 without sampling is greedy search; beam search with one beam keeps the
    single best continuation at every step, so it returns greedy's sequence."""
    table = np.random.default_rng(seed).normal(0.0, 2.0, (5, 5))
    greedy = testing.op(backend, "greedy_decode")(backend.asarray(table), backend.asarray(np.array([[0]])),
                                                  max_new_tokens=max_new_tokens, eos_token_id=eos)
    beams, _ = testing.op(backend, "beam_search")(backend.asarray(table), backend.asarray(np.array([0])), 1,
                                                  max_new_tokens=max_new_tokens, eos_token_id=eos)
    assert_conforms(backend, beams, backend.to_numpy(greedy), op="beam_search with one beam", exact=True,
                    inputs=f"seed={seed}, eos={eos}, max_new_tokens={max_new_tokens}")


@spec("DE02", "DE10")
def test_top_k_1_sampling_is_greedy(backend):
    """DE02/DE10: sampling (do_sample=True) after top-k with k=1 can only draw the argmax."""
    logits = np.random.default_rng(SEED).normal(0.0, 2.0, (3, 7))
    drawn = testing.op(backend, "sample")(testing.op(backend, "top_k")(backend.asarray(logits), 1), 50, SEED)
    assert_conforms(backend, drawn, np.repeat(ref.first_max(logits)[:, None], 50, axis=1), op="sample(top_k(x, 1))",
                    exact=True, inputs=f"seed={SEED}")


@spec("DE14")
@given(seed=st.integers(0, 2**16), steps=st.integers(1, 4))
def test_incremental_generation_is_the_same(backend, seed, steps):
    """DE14 (use_cache): generating from the carried state gives the same tokens as
    recomputing from the whole prefix.  For the bigram model the state is the last token: one
    token at a time, each step fed only the newest token, equals one run of ``steps`` tokens."""
    greedy = testing.op(backend, "greedy_decode")
    table = backend.asarray(np.random.default_rng(seed).normal(0.0, 2.0, (5, 5)))
    prompt = np.random.default_rng(seed + 1).integers(0, 5, (2, 3))
    tokens = backend.to_numpy(greedy(table, backend.asarray(prompt), max_new_tokens=steps))
    incremental = prompt
    for _ in range(steps):
        newest = backend.to_numpy(greedy(table, backend.asarray(incremental[:, -1:]), max_new_tokens=1))[:, -1:]
        incremental = np.concatenate([incremental, newest], axis=1)
    assert_conforms(backend, backend.asarray(incremental), tokens, op="greedy_decode one token at a time", exact=True,
                    inputs=f"seed={seed}, steps={steps}")


# -- transformers, where installed (DE03 DE04 DE07 DE09 DE13 DE16) ----------------------------------------------


@spec("DE03", "DE04", "DE06", "DE07", "DE09", "DE13", "DE16")
def test_reference_matches_transformers():
    """Optional (transformers is not a dependency): the reference's processors equal
    transformers' TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper,
    RepetitionPenaltyLogitsProcessor and MinLengthLogitsProcessor on random logits; a tiny
    randomly initialised GPT-2 decodes as the reference's loops do over the same model; there
    is no public greedy_search (DE03) and generate() rejects logit_bias (DE16)."""
    transformers = pytest.importorskip("transformers", reason="transformers is not installed (optional check)")
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(SEED)
    logits = rng.normal(0.0, 2.0, (3, 11))
    ids = rng.integers(0, 11, (3, 4))
    scores, input_ids = torch.tensor(logits), torch.tensor(ids)
    processors = [
        (transformers.TemperatureLogitsWarper(0.7), lambda x: ref.temperature(x, 0.7)),
        (transformers.TopKLogitsWarper(3), lambda x: ref.top_k(x, 3)),
        (transformers.TopPLogitsWarper(0.8), lambda x: ref.top_p(x, 0.8)),
        (transformers.RepetitionPenaltyLogitsProcessor(1.3), lambda x: ref.repetition_penalty(x, ids, 1.3)),
        (transformers.MinLengthLogitsProcessor(6, eos_token_id=2), lambda x: ref.min_length(x, 4, 6, 2)),
    ]
    for hf, rule in processors:
        np.testing.assert_allclose(hf(input_ids, scores.clone()).numpy(), rule(logits), rtol=1e-12,
                                   err_msg=type(hf).__name__)
    assert not hasattr(transformers.GenerationMixin, "greedy_search")                      # DE03
    torch.manual_seed(SEED)
    config = transformers.GPT2Config(vocab_size=13, n_positions=16, n_embd=8, n_layer=1, n_head=2)
    model = transformers.GPT2LMHeadModel(config).double().eval()

    def logits_of(tokens: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.tensor(tokens)).logits[:, -1].numpy()

    prompt = np.array([[3, 5]])
    common = {"max_new_tokens": 5, "pad_token_id": 0, "eos_token_id": 12}
    greedy = model.generate(torch.tensor(prompt), do_sample=False, num_beams=1, **common).numpy()
    np.testing.assert_array_equal(greedy, ref.greedy(logits_of, prompt, max_new_tokens=5, eos_token_id=12))
    beams = model.generate(torch.tensor(prompt), do_sample=False, num_beams=3, num_return_sequences=3,
                           early_stopping=True, length_penalty=1.0, **common).numpy()
    expected, _ = ref.beam_search(logits_of, prompt[0], 3, max_new_tokens=5, eos_token_id=12)
    np.testing.assert_array_equal(beams[:, : expected.shape[1]], expected)
    with pytest.raises(ValueError, match="logit_bias"):                                     # DE16
        model.generate(torch.tensor(prompt), logit_bias={12: -100.0}, **common)
