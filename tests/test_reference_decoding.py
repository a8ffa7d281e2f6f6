"""The decoding reference's rules on hand-worked cases, the notes' and catalogue's examples,
independent formulations (transformers' top-p rule, exhaustive search), and its guard clauses."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from reference import decoding as ref

INF = np.inf


def entropy(logits: np.ndarray) -> float:
    p = ref.softmax(logits)
    return float(-np.sum(p * np.log(p)))


def test_temperature_divides_and_higher_is_more_random():
    np.testing.assert_array_equal(ref.temperature(np.array([1.0, 2.0, -4.0]), 2.0), [0.5, 1.0, -2.0])
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    assert entropy(ref.temperature(logits, 0.5)) < entropy(logits) < entropy(ref.temperature(logits, 2.0))  # DE06


def test_top_k_keeps_ties_with_the_kth():
    logits = np.array([[3.0, 1.0, 3.0, 2.0]])
    np.testing.assert_array_equal(ref.top_k(logits, 1), [[3.0, -INF, 3.0, -INF]])
    np.testing.assert_array_equal(ref.top_k(logits, 3), [[3.0, -INF, 3.0, 2.0]])
    np.testing.assert_array_equal(ref.top_k(logits, 9), logits)


@pytest.mark.parametrize(("p", "kept"), [(1e-9, 1), (0.6, 2), (0.75, 3), (0.9, 4), (0.99, 6), (1.0, 6)])
def test_top_p_smallest_prefix_reaching_p(p, kept):
    """DE04/DE05: probabilities 0.5, 0.2, 0.15, 0.1, 0.035, 0.015 (cumulative 0.5, 0.7, 0.85,
    0.95, 0.985, 1): the kept prefix is the shortest whose sum reaches p."""
    probs = np.array([0.5, 0.2, 0.15, 0.1, 0.035, 0.015])
    out = ref.top_p(np.log(probs)[::-1].copy(), p)[::-1]       # order of the vocabulary must not matter
    assert ref.kept(out).tolist() == [True] * kept + [False] * (6 - kept)


def test_top_p_ties_by_index_and_never_empty():
    np.testing.assert_array_equal(ref.top_p(np.array([1.0, 1.0, 1.0]), 0.5), [1.0, 1.0, -INF])
    np.testing.assert_array_equal(ref.top_p(np.array([[0.0, 5.0], [5.0, 0.0]]), 1e-12), [[-INF, 5.0], [5.0, -INF]])


def test_top_p_is_transformers_rule():
    """transformers' TopPLogitsWarper removes a token when the ascending cumulative sum up to
    it is <= 1 - p; on random rows (away from float ties at the boundary) that is our rule."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        logits, p = rng.normal(0, 2, 7), rng.uniform(0.05, 0.95)
        up = np.argsort(logits, kind="stable")
        ascending = np.cumsum(ref.softmax(logits)[up])
        if np.min(np.abs(ascending - (1 - p))) < 1e-9:
            continue
        removed = np.empty(7, dtype=bool)
        removed[up] = ascending <= 1 - p
        assert (~ref.kept(ref.top_p(logits, p)) == removed).all()


def test_repetition_penalty_of_the_catalogue():
    """DE07: positive seen logits are divided, negative ones multiplied; below 1 encourages."""
    logits, seen = np.array([[2.0, -1.0, 0.5, 0.3]]), np.array([[0, 1, 1]])
    np.testing.assert_allclose(ref.repetition_penalty(logits, seen, 1.5), [[2 / 1.5, -1.5, 0.5, 0.3]])
    np.testing.assert_allclose(ref.repetition_penalty(logits, seen, 0.5), [[4.0, -0.5, 0.5, 0.3]])


def test_min_length_suppresses_eos_until_reached():
    logits = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(ref.min_length(logits, 2, 3, 2), [[1.0, 2.0, -INF]])
    np.testing.assert_array_equal(ref.min_length(logits, 3, 3, 2), logits)


def test_sampling_follows_the_distribution():
    """DE10: draws at a fixed seed follow softmax within 6 sigma; -inf is never drawn; the same
    seed repeats the draws."""
    logits = np.array([[np.log(0.6), -INF, np.log(0.3), np.log(0.1)]])
    drawn = ref.sample(logits, 20000, 7)
    counts = np.bincount(drawn[0], minlength=4)
    expected = 20000 * np.array([0.6, 0.0, 0.3, 0.1])
    assert counts[1] == 0
    assert np.all(np.abs(counts - expected) <= 6 * np.sqrt(expected * (1 - expected / 20000)))
    np.testing.assert_array_equal(ref.sample(logits, 50, 7), ref.sample(logits, 50, 7))


def test_first_max_takes_the_lowest_index():
    np.testing.assert_array_equal(ref.first_max(np.array([[1.0, 3.0, 3.0], [-INF, 0.0, 0.0]])), [1, 1])


def test_catalogue_eos_examples():
    model, eos = ref.bigram(ref.eos_example()), ref.EXAMPLE_EOS
    one, two = np.array([[1]]), np.array([[1], [4]])
    assert ref.greedy(model, one, max_length=8, eos_token_id=eos).tolist() == [[1, 2, 5, 14]]           # DE12
    assert ref.greedy(model, two, max_length=8, eos_token_id=eos).tolist() == [[1, 2, 5, 14], [4, 12, 14, 0]]  # DE11
    assert ref.greedy(model, one, max_length=8, eos_token_id=eos, min_length=6).tolist() == [[1, 2, 5, 0, 0, 0, 14]]
    assert ref.greedy(model, one, max_length=8).tolist() == [[1, 2, 5, 14, 14, 14, 14, 14]]              # DE17
    assert ref.greedy(model, np.array([[1, 2, 5]]), max_length=10).shape == (1, 10)                       # DE08
    assert ref.greedy(model, np.array([[1, 2, 5]]), max_new_tokens=10).shape == (1, 13)


def test_sampling_differs_by_seed_greedy_does_not():
    """DE10: five seeds give five different continuations; greedy is one."""
    model = ref.bigram(np.random.default_rng(3).normal(0, 1, (8, 8)))
    sampled = {tuple(ref.generate(model, np.array([[0]]), max_new_tokens=8, do_sample=True, seed=s)[0])
               for s in range(5)}
    assert len(sampled) == 5
    assert len({tuple(ref.greedy(model, np.array([[0]]), max_new_tokens=8)[0]) for _ in range(5)}) == 1


def test_notes_beam_search_example():
    """DE13: 'The dog has' (0.36) and 'The nice woman' (0.20) survive; greedy picks the latter."""
    words, table = ref.beam_example()
    model = ref.bigram(table)
    sequences, scores = ref.beam_search(model, np.array([0]), 2, max_new_tokens=2, length_penalty=0.0)
    assert [" ".join(words[t] for t in s) for s in sequences] == ["The dog has", "The nice woman"]
    np.testing.assert_allclose(np.exp(scores), [0.36, 0.20])
    assert [words[t] for t in ref.greedy(model, np.array([[0]]), max_new_tokens=2)[0]] == ["The", "nice", "woman"]


@pytest.mark.parametrize(("lp", "preferred"), [(-1.0, "short"), (0.0, "short"), (0.5, "long"), (1.0, "long"),
                                               (2.0, "long")])
def test_length_penalty_threshold_is_zero(lp, preferred):
    """DE15: log-prob -4 over 8 tokens against -3 over 4: above 0, the longer one wins."""
    long, short = ref.beam_score(-4.0, 8, lp), ref.beam_score(-3.0, 4, lp)
    assert ("long" if long > short else "short") == preferred


def test_wide_beam_is_exhaustive_search():
    """With as many beams as sequences and no EOS, beam search finds the best of all V^n."""
    table = np.random.default_rng(5).normal(0, 1, (3, 3))
    logp = ref.log_softmax(table)
    best = max(product(range(3), repeat=3), key=lambda s: logp[0, s[0]] + logp[s[0], s[1]] + logp[s[1], s[2]])
    sequences, _ = ref.beam_search(ref.bigram(table), np.array([0]), 27, max_new_tokens=3, length_penalty=0.0)
    assert tuple(sequences[0, 1:]) == best


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.temperature(np.array([1.0]), 0.0), ValueError),
    (lambda: ref.temperature([1.0], 1.0), TypeError),
    (lambda: ref.top_k(np.array([1.0]), 0), ValueError),
    (lambda: ref.top_p(np.array([1.0]), 0.0), ValueError),
    (lambda: ref.top_p(np.array([1.0]), 1.5), ValueError),
    (lambda: ref.top_p(np.array([-INF, -INF]), 0.5), ValueError),
    (lambda: ref.top_p(np.zeros((2, 0)), 0.5), ValueError),
    (lambda: ref.repetition_penalty(np.zeros((1, 3)), np.array([[3]]), 1.5), ValueError),
    (lambda: ref.repetition_penalty(np.zeros((1, 3)), np.array([[0.5]]), 1.5), TypeError),
    (lambda: ref.min_length(np.zeros(3), 0, 2, 3), ValueError),
    (lambda: ref.sample(np.zeros((1, 3)), 0, 0), ValueError),
    (lambda: ref.bigram(np.zeros((2, 3))), ValueError),
    (lambda: ref.greedy(ref.bigram(np.zeros((2, 2))), np.array([[0]]), max_length=3, max_new_tokens=1), ValueError),
    (lambda: ref.greedy(ref.bigram(np.zeros((2, 2))), np.array([[0]])), ValueError),
    (lambda: ref.greedy(ref.bigram(np.zeros((2, 2))), np.array([[0, 1]]), max_length=2), ValueError),
    (lambda: ref.greedy("model", np.array([[0]]), max_new_tokens=1), TypeError),
    (lambda: ref.beam_search(ref.bigram(np.zeros((2, 2))), np.array([0]), 0, max_new_tokens=1), ValueError),
    (lambda: ref.beam_score(-1.0, 0, 1.0), ValueError),
])
def test_guard_clauses_raise_clear_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert len(str(info.value)) > 10, "the error message must say what is wrong"
