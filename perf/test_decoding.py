"""Perf: top-p (nucleus) filtering and sampling over a large vocabulary (catalogue DE04 DE10).

A batch of rows of next-token logits, each as wide as a real tokenizer's vocabulary (GPT-2's
50,257 on the CPU, Llama 3's 128,256 on a GPU), is filtered by top-p: a sort of every row, a
softmax, a cumulative sum and a scatter back.  The bytes reported are the logits read once,
the least any implementation moves.  Each row holds a head of HEAD tokens with logits 20,
19.5, 19, ... at random places and a tail in [-3, 0]: the head carries all but ~1e-4 of the
probability, so with P = 0.5 the kept set, the first two head tokens, is decided far from any
rounding (0.39 < P < 0.63), in every dtype.  With ``--benchmark-disable`` the filtered logits
are checked bit for bit against the reference, and the sampled tokens must be kept ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlspec import bench, testing
from dlspec.checks import ORACLE
from reference.decoding import top_p
from reference.dtypes import round_to

spec = pytest.mark.spec
#: Vocabulary and rows: GPT-2's vocabulary on the CPU (a few rows when only checking), Llama 3's on a GPU.
SHAPES = {"cpu": (8, 50_257), "cuda": (64, 128_256)}
CHECK_SHAPE = (2, 50_257)
HEAD, P, SEED = 8, 0.5, 0


def _logits(perf: bench.Perf) -> tuple[np.ndarray, np.ndarray]:
    """Logits of the run's shape (rounded to the workload's dtype) and each row's head tokens."""
    rows, vocab = SHAPES.get(perf.backend.device, SHAPES["cpu"]) if perf.benchmark.enabled else CHECK_SHAPE
    rng = np.random.default_rng(SEED)
    logits = rng.uniform(-3.0, 0.0, (rows, vocab))
    heads = np.stack([rng.choice(vocab, HEAD, replace=False) for _ in range(rows)])
    np.put_along_axis(logits, heads, 20.0 - 0.5 * np.arange(HEAD), axis=1)
    return round_to(logits, perf.dtype), heads


@spec("DE04")
def test_top_p_filter(perf, backend):
    """DE04: top-p over a (rows, vocab) batch of logits; bytes = the logits read."""
    fn = testing.op(backend, "top_p")
    values, _ = _logits(perf)
    logits = backend.asarray(values, dtype=perf.dtype)
    out = perf.measure(lambda: fn(logits, P), shape=values.shape, bytes_min=perf.nbytes(values.shape))
    perf.check(out, lambda: ORACLE.asarray(top_p(values, P).astype(np.float32)), op=f"top_p of {values.shape}")


@spec("DE04", "DE10")
def test_nucleus_sampling(perf, backend):
    """DE04/DE10: top-p then one draw per row (do_sample with top_p); bytes = the logits read.
    Checked: every draw is one of the row's kept tokens."""
    filter_fn, sample_fn = testing.op(backend, "top_p"), testing.op(backend, "sample")
    values, heads = _logits(perf)
    logits = backend.asarray(values, dtype=perf.dtype)
    drawn = perf.measure(lambda: sample_fn(filter_fn(logits, P), 1, SEED), shape=values.shape,
                         bytes_min=perf.nbytes(values.shape))
    if not perf.benchmark.enabled:
        tokens = backend.to_numpy(drawn)[:, 0]
        assert all(t in row[:2] for t, row in zip(tokens.tolist(), heads)), \
            f"{backend.name}: drew {tokens.tolist()}, outside the kept tokens {heads[:, :2].tolist()}"
