"""Conformance: data, ZeRO, tensor and pipeline parallelism (catalogue P01–P06),
``DistributedSampler`` (DA04, DA05) and how the processes are started (DA06, DA07).

Each parallel scheme must compute what one process computes on the whole: the data-parallel
gradient (DDP, P01), the FSDP/ZeRO-3 gradient shards (P03) and the accumulated gradient
(P06) the full-batch gradient of ``mean((x @ W.T - y)**2)``; ZeRO-1 Adam (P02) plain Adam;
the column- and row-split matmul (P04) the full matmul; the pipeline (P05) the full model.
Every rank's result is compared, under the tolerance policy for the sums involved, with the
reference's closed form (``reference.parallel``, ``reference.matmul``).  On torch the ranks
are real processes in a gloo process group (capability ``distributed``); NumPy and JAX have
none, so those tests are *not applicable* there (JAX runs gradient accumulation).

The sampler's order without shuffling is compared exactly; with shuffling the permutation is
the library's own, so only its properties are: every epoch's order is a permutation padded
by wrapping around (or cut with ``drop_last``), the ranks split it without overlap into equal
counts, ``set_epoch`` with another epoch changes it and without ``set_epoch`` it repeats.

The launchers start real processes on torch (``torch.multiprocessing.spawn``, ``torchrun``,
``torch.distributed.launch``), seconds each, so those tests run one fixed case each instead
of hypothesis examples; what the processes receive is compared exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlspec import testing
from dlspec.api import Backend
from dlspec.checks import ORACLE
from dlspec.compare import ConformanceError, assert_conforms
from dlspec.strategies import draw_dtype, values_for
from reference import parallel as ref

spec = pytest.mark.spec
DTYPES = ("float64", "float32")
#: World sizes drawn: the torch adapter's process pool has 3 processes.
WORLD_SIZES = st.integers(1, 3)
#: Adam's hyper-parameters in the ZeRO test (torch's defaults but a larger learning rate).
BETAS, EPS = (0.9, 0.999), 1e-8


# -- helpers -------------------------------------------------------------------------------


def check_ranks(backend: Backend, results: Sequence[Any], expected: Sequence[np.ndarray], *, op: str, dtype: str,
                inputs: str, terms: int = 0, scale: Sequence[np.ndarray] | None = None, exact: bool = False) -> None:
    """One result per rank, rank ``r``'s conforming to ``expected[r]`` (its scale ``scale[r]``)."""
    if len(results) != len(expected):
        raise ConformanceError(f"{backend.name} {op}: {len(results)} results, one per rank expected ({len(expected)})\n"
                               f"{testing.reproduction(backend, op, inputs)}")
    scales = scale if scale is not None else [0.0] * len(expected)
    for rank, (got, want, s) in enumerate(zip(results, expected, scales)):
        assert_conforms(backend, got, want, op=f"{op} (rank {rank})", dtype=dtype, terms=terms, scale=s, exact=exact,
                        inputs=inputs)


def mse_grad_scale(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Σ|term| of the gradient ``2/(N·k)·(x @ W.T - y).T @ x``: the same sums over magnitudes."""
    n, k = y.shape
    return 2.0 / (n * k) * (np.abs(x) @ np.abs(weight).T + np.abs(y)).T @ np.abs(x)


@st.composite
def regression(draw: st.DrawFn, dtype: str, world_size: int, rows_multiple_of_k: bool = False) -> tuple[np.ndarray, ...]:
    """``x (N, d)``, ``y (N, k)``, ``W (k, d)`` of ``dtype`` with ``N`` a multiple of
    ``world_size`` (equal shards); with ``rows_multiple_of_k`` also ``k`` (weight rows shard)."""
    n = world_size * draw(st.integers(1, 3), label="rows per rank")
    d = draw(st.integers(1, 3), label="in features")
    k = (world_size if rows_multiple_of_k else 1) * draw(st.integers(1, 2 if rows_multiple_of_k else 3), label="outs")
    data = draw(st.data())
    return tuple(values_for(shape, dtype, data) for shape in ((n, d), (n, k), (k, d)))


def describe(**arrays: Any) -> str:
    return ", ".join(f"{name}={v.tolist() if isinstance(v, np.ndarray) else v!r}" for name, v in arrays.items())


# -- data parallel and gradient accumulation (P01, P03, P06) ----------------------------------


@spec("P01")
@given(world_size=WORLD_SIZES, data=st.data())
def test_data_parallel_grad(backend, world_size, data):
    """P01: data parallel: every rank holds the full model, computes the gradient of its own
    equal shard of the batch, and the gradients are synchronised by an all-reduce that
    AVERAGES them (DDP): every rank ends with the full-batch gradient
    2/(N·k)·(x @ W.T - y).T @ x of the mean loss.  Summing instead would scale it by the
    world size."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "data_parallel_grad")
    dtype = draw_dtype(backend, data, DTYPES)
    x, y, w = data.draw(regression(dtype, world_size), label="x, y, W")
    grads = fn(*(backend.asarray(a, dtype) for a in (x, y, w)), world_size)
    n, d = x.shape
    check_ranks(backend, grads, [ref.mse_grad(x, y, w)] * world_size, op="data_parallel_grad", dtype=dtype,
                terms=n + d + world_size + 1, scale=[mse_grad_scale(x, y, w)] * world_size,
                inputs=describe(x=x, y=y, weight=w, world_size=world_size))


@spec("P03")
@given(world_size=WORLD_SIZES, data=st.data())
def test_sharded_data_parallel_grad(backend, world_size, data):
    """P03: ZeRO stage 3 / FSDP: rank r stores only part r of the weight's rows (its shard is
    exactly that part) and, after the backward pass, only the matching part of the averaged
    gradient (reduce-scattered; stage 2 shards the gradients the same way): the parts are the
    full-batch gradient's."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "sharded_data_parallel_grad")
    dtype = draw_dtype(backend, data, DTYPES)
    x, y, w = data.draw(regression(dtype, world_size, rows_multiple_of_k=True), label="x, y, W")
    weight_parts, grad_parts = fn(*(backend.asarray(a, dtype) for a in (x, y, w)), world_size)
    inputs = describe(x=x, y=y, weight=w, world_size=world_size)
    check_ranks(backend, weight_parts, ref.shard(w, world_size), op="sharded_data_parallel_grad weight shard",
                dtype=dtype, exact=True, inputs=inputs)
    n, d = x.shape
    check_ranks(backend, grad_parts, ref.shard(ref.mse_grad(x, y, w), world_size),
                op="sharded_data_parallel_grad gradient shard", dtype=dtype, terms=n + d + world_size + 1,
                scale=ref.shard(mse_grad_scale(x, y, w), world_size), inputs=inputs)


@spec("P06")
@given(micro_batches=st.integers(1, 4), data=st.data())
def test_accumulated_grad(backend, micro_batches, data):
    """P06: gradient accumulation: backward on each of M equal micro-batches with its mean
    loss divided by M, the gradients summing up, gives the gradient of the whole batch
    (8 micro-batches with loss/8 equal one batch of 32)."""
    fn = testing.op(backend, "accumulated_grad")
    dtype = draw_dtype(backend, data, DTYPES)
    x, y, w = data.draw(regression(dtype, micro_batches), label="x, y, W")
    n, d = x.shape
    assert_conforms(backend, fn(*(backend.asarray(a, dtype) for a in (x, y, w)), micro_batches), ref.mse_grad(x, y, w),
                    op="accumulated_grad", dtype=dtype, terms=n + d + micro_batches + 1, scale=mse_grad_scale(x, y, w),
                    inputs=describe(x=x, y=y, weight=w, micro_batches=micro_batches))


def test_accumulated_grad_notes_example(backend):
    """P06, the catalogue's case: 8 accumulated micro-batches (loss/8) of a batch of 32 give
    the gradient of the one batch of 32."""
    fn = testing.op(backend, "accumulated_grad")
    rng = np.random.default_rng(6)
    x, y, w = rng.standard_normal((32, 3)), rng.standard_normal((32, 2)), rng.standard_normal((2, 3))
    assert_conforms(backend, fn(*(backend.asarray(a) for a in (x, y, w)), 8), ref.mse_grad(x, y, w),
                    op="accumulated_grad", terms=32 + 3 + 8 + 1, scale=mse_grad_scale(x, y, w),
                    inputs="x (32, 3), y (32, 2), W (2, 3) from default_rng(6), micro_batches=8")


# -- ZeRO-1 (P02) ------------------------------------------------------------------------------


@st.composite
def adam_problem(draw: st.DrawFn) -> tuple[list[np.ndarray], list[list[np.ndarray]], float]:
    """1–4 float64 parameters of 1–6 elements, 1–3 steps of gradients, a learning rate."""
    data = draw(st.data())
    shapes = draw(st.lists(st.sampled_from([(1,), (2,), (3,), (2, 2), (2, 3), (6,)]), min_size=1, max_size=4),
                  label="parameter shapes")
    params = [values_for(s, "float64", data) for s in shapes]
    grads = [[values_for(s, "float64", data) for s in shapes] for _ in range(draw(st.integers(1, 3), label="steps"))]
    return params, grads, draw(st.sampled_from((1e-3, 1e-2, 0.1)), label="lr")


@spec("P02")
@given(world_size=WORLD_SIZES, problem=adam_problem())
def test_zero_adam(backend, world_size, problem):
    """P02 (imprecise in the notes: ZeRO-1 shards the OPTIMIZER state, not a '参数状态'): each
    parameter's Adam state (m, v) is held by exactly one rank, so the ranks' shares are
    disjoint and cover every parameter, while every rank keeps all parameters, which after
    each step equal those of plain, unsharded Adam."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "zero_adam")
    params, grads, lr = problem
    per_rank, owners = fn([backend.asarray(p) for p in params], [[backend.asarray(g) for g in s] for s in grads],
                          world_size, lr, BETAS, EPS)
    inputs = describe(params=params, grads=grads, world_size=world_size, lr=lr)
    held = sorted(i for mine in owners for i in mine)
    if len(owners) != world_size or held != list(range(len(params))):
        raise ConformanceError(f"{backend.name} zero_adam: the ranks hold the optimizer state of parameters {owners}; "
                               f"each of the {len(params)} parameters must be held by exactly one of the {world_size} "
                               f"ranks\n{testing.reproduction(backend, 'zero_adam', inputs)}")
    # Σ|term|: the start and every step's update, each a few operations (Adam's state, sqrt, division).
    path = [params] + [ref.adam(params, grads[:t], lr, BETAS, EPS) for t in range(1, len(grads) + 1)]
    scale = [np.abs(params[i]) + sum(np.abs(b[i] - a[i]) for a, b in pairwise(path)) + lr * len(grads)
             for i in range(len(params))]
    for rank, mine in enumerate(per_rank):
        check_ranks(backend, mine, path[-1], op=f"zero_adam parameters on rank {rank}", dtype="float64",
                    terms=8 * len(grads), scale=scale, inputs=inputs)


# -- tensor parallel (P04) ----------------------------------------------------------------------


@spec("P04")
@given(world_size=WORLD_SIZES, split=st.sampled_from(("column", "row")), data=st.data())
def test_tensor_parallel_matmul(backend, world_size, split, data):
    """P04: tensor parallelism: x @ W with W split across ranks equals the full product.  By
    columns, rank r computes x @ W[:, part r] and an all-gather joins the parts along the
    last dimension; by rows, rank r computes x[:, part r] @ W[part r, :] and an all-reduce
    SUMS the partial products (gathering them instead gives the wrong shape)."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "tensor_parallel_matmul")
    dtype = draw_dtype(backend, data, DTYPES)
    m = data.draw(st.integers(1, 3), label="rows")
    k = (world_size if split == "row" else 1) * data.draw(st.integers(1, 2), label="inner")
    n = (world_size if split == "column" else 1) * data.draw(st.integers(1, 2), label="columns")
    x, w = values_for((m, k), dtype, data), values_for((k, n), dtype, data)
    full = ORACLE.to_numpy(ORACLE.matmul_nd(ORACLE.asarray(x.astype(np.float64)), ORACLE.asarray(w.astype(np.float64))))
    scale = np.abs(x).astype(np.float64) @ np.abs(w).astype(np.float64)
    check_ranks(backend, fn(backend.asarray(x, dtype), backend.asarray(w, dtype), world_size, split),
                [full.astype(dtype)] * world_size, op=f"tensor_parallel_matmul ({split} split)", dtype=dtype,
                terms=k + world_size, scale=[scale] * world_size,
                inputs=describe(x=x, w=w, world_size=world_size, split=split))


# -- pipeline (P05) -------------------------------------------------------------------------------


@spec("P05")
@given(stages=WORLD_SIZES, data=st.data())
def test_pipeline_forward(backend, stages, data):
    """P05: pipeline parallelism: the layers split into consecutive stages, one per rank, and
    the batch into micro-batches that flow from stage to stage give the full model's output,
    rows in order."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "pipeline_forward")
    dtype = draw_dtype(backend, data, DTYPES)
    widths = data.draw(st.lists(st.integers(1, 3), min_size=stages + 1, max_size=stages + 2), label="widths")
    n = data.draw(st.integers(1, 4), label="rows")
    micro = data.draw(st.integers(1, n), label="micro-batches")
    x = values_for((n, widths[0]), dtype, data)
    weights = [values_for((b, a), dtype, data) for a, b in pairwise(widths)]
    scale = np.abs(x).astype(np.float64)  # tanh is 1-Lipschitz: errors grow at most through |W|
    for w in weights:
        scale = scale @ np.abs(w).astype(np.float64).T
    got = fn(backend.asarray(x, dtype), [backend.asarray(w, dtype) for w in weights], stages, micro)
    assert_conforms(backend, got, ref.mlp_forward(x, weights), op="pipeline_forward", dtype=dtype,
                    terms=sum(widths[:-1]) + len(weights), scale=scale,
                    inputs=describe(x=x, weights=[w.tolist() for w in weights], stages=stages, micro_batches=micro))


# -- DistributedSampler (DA04, DA05) -----------------------------------------------------------------


def sampled(backend: Backend, n: int, world_size: int, epochs: Sequence[int | None], **kwargs: Any) -> list[list[list[int]]]:
    """Every rank's indices in each epoch, ``[rank][epoch]``, after checking the partition:
    in each epoch every rank gets the same count, and the ranks' indices, interleaved rank by
    rank, are a permutation of ``0 .. n-1`` cut to a multiple of the world size
    (``drop_last``) or padded to one by repeating its start."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "distributed_sampler")
    ranks = [fn(n, world_size, r, epochs=epochs, **kwargs) for r in range(world_size)]
    inputs = describe(n=n, world_size=world_size, epochs=list(epochs), **kwargs)
    per_rank = n // world_size if kwargs["drop_last"] else -(-n // world_size)
    for e in range(len(epochs)):
        lists = [ranks[r][e] for r in range(world_size)]
        if not is_partition(lists, n, per_rank):
            raise ConformanceError(f"{backend.name} distributed_sampler: epoch {epoch_name(epochs, e)} gives the ranks "
                                   f"{lists}; each must get {per_rank} indices, together a permutation of range({n}) "
                                   f"{'cut' if kwargs['drop_last'] else 'padded by wrapping around'} to "
                                   f"{per_rank * world_size}\n{testing.reproduction(backend, 'distributed_sampler', inputs)}")
    return ranks


def is_partition(lists: list[list[int]], n: int, per_rank: int) -> bool:
    """Whether the ranks' ``lists`` each hold ``per_rank`` indices which, interleaved rank by
    rank, are distinct indices of ``range(n)`` (cut, at most ``n`` of them) or a permutation of
    it followed by its start repeated (padded)."""
    if any(len(a) != per_rank for a in lists):
        return False
    order = [a[i] for i in range(per_rank) for a in lists]
    if len(order) <= n:
        return len(set(order)) == len(order) and all(0 <= i < n for i in order)
    return sorted(order[:n]) == list(range(n)) and all(order[i] == order[i % n] for i in range(n, len(order)))


def epoch_name(epochs: Sequence[int | None], e: int) -> str:
    return f"#{e} (set_epoch({epochs[e]}))" if epochs[e] is not None else f"#{e} (no set_epoch)"


@spec("DA04")
@given(n=st.integers(0, 25), world_size=st.integers(1, 5), drop_last=st.booleans())
def test_sampler_without_shuffle(backend, n, world_size, drop_last):
    """DA04: DistributedSampler gives each rank a different part of the dataset: without
    shuffling, rank r takes indices r, r + world_size, ...; the order is padded by wrapping
    around to its start so that every rank gets ceil(n / world_size) indices (with
    drop_last, its tail is cut to floor(n / world_size) per rank, and nothing overlaps)."""
    kwargs = {"shuffle": False, "seed": 0, "drop_last": drop_last}
    ranks = sampled(backend, n, world_size, (None,), **kwargs)
    for r in range(world_size):
        expected = ref.distributed_sampler(n, world_size, r, epochs=(None,), **kwargs)[0]
        if ranks[r][0] != expected:
            inputs = describe(n=n, world_size=world_size, rank=r, **kwargs)
            raise ConformanceError(f"{backend.name} distributed_sampler: rank {r} got {ranks[r][0]}, the spec says "
                                   f"{expected}\n{testing.reproduction(backend, 'distributed_sampler', inputs)}")


@spec("DA04")
@pytest.mark.parametrize(("drop_last", "expected"), [
    pytest.param(False, [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]], id="DA04-3-ranks-over-10-padded"),
    pytest.param(True, [[0, 3, 6], [1, 4, 7], [2, 5, 8]], id="DA04-3-ranks-over-10-drop-last"),
])
def test_sampler_notes_example(backend, drop_last, expected):
    """DA04, the catalogue's case: 3 ranks over 10 samples without shuffling get
    [0,3,6,9], [1,4,7,0], [2,5,8,1]: samples 0 and 1 are repeated so that every rank has 4
    (with drop_last: [0,3,6], [1,4,7], [2,5,8], sample 9 dropped)."""
    ranks = sampled(backend, 10, 3, (None,), shuffle=False, seed=0, drop_last=drop_last)
    assert [r[0] for r in ranks] == expected, f"{backend.name}: {[r[0] for r in ranks]}, expected {expected}"


@spec("DA05")
@given(n=st.integers(12, 30), world_size=st.integers(1, 4), seed=st.integers(0, 2**16), drop_last=st.booleans())
def test_sampler_set_epoch(backend, n, world_size, seed, drop_last):
    """DA05: with shuffling, each epoch's order is a permutation (padded or cut as in DA04)
    split between the ranks without overlap; set_epoch(epoch) before an epoch makes the
    order differ from the previous epoch's (the permutation's seed is seed + epoch), the
    same epoch gives the same order, and without set_epoch every epoch repeats the order of
    epoch 0.  (For n >= 12 two permutations coincide by chance with probability < 1/12!.)"""
    kwargs = {"shuffle": True, "seed": seed, "drop_last": drop_last}
    with_epoch = sampled(backend, n, world_size, (0, 1, 1), **kwargs)
    without = sampled(backend, n, world_size, (None, None), **kwargs)
    inputs = describe(n=n, world_size=world_size, **kwargs)
    orders = {name: [[r[e] for r in ranks] for e in range(len(ranks[0]))]
              for name, ranks in (("set_epoch(0), (1), (1)", with_epoch), ("no set_epoch", without))}
    epochs = orders["set_epoch(0), (1), (1)"]
    failures = [what for what, bad in (
        ("set_epoch(1) gives the order of epoch 0", epochs[0] == epochs[1]),
        ("set_epoch(1) twice gives two orders", epochs[1] != epochs[2]),
        ("without set_epoch the order changes between epochs", orders["no set_epoch"][0] != orders["no set_epoch"][1]),
        ("without set_epoch the order is not epoch 0's", orders["no set_epoch"][0] != epochs[0]),
    ) if bad]
    if failures:
        raise ConformanceError(f"{backend.name} distributed_sampler: {'; '.join(failures)}: {orders}\n"
                               f"{testing.reproduction(backend, 'distributed_sampler', inputs)}")


# -- starting the processes (DA06, DA07) -------------------------------------------------------------


def check_exact(backend: Backend, op: str, got: Any, expected: Any, inputs: str) -> None:
    """``got`` equals ``expected`` exactly (what processes received is data, not arithmetic)."""
    if got != expected:
        raise ConformanceError(f"{backend.name} {op}: got {got!r}, the spec says {expected!r}\n"
                               f"{testing.reproduction(backend, op, inputs)}")


@spec("DA06")
def test_spawn_arguments(backend):
    """DA06 (wrong in the notes: their script defines def run(demo_fn, world_size) for
    mp.spawn(run, args=(world_size,), nprocs=world_size)): spawn calls fn(i, *args) in process
    i, the process index FIRST and then args, so the notes' case gives run(0, 2) and run(1, 2)."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "spawn_arguments")
    got = [tuple(received) for received in fn(2, (2,))]
    check_exact(backend, "spawn_arguments", got, ref.spawn_arguments(2, (2,)), describe(nprocs=2, args=(2,)))


@spec("DA06")
@pytest.mark.parametrize("name", ref.PROCESS_GROUPS)
def test_process_group_needs_cuda(backend, name):
    """DA06: the notes' init_process_group("nccl") needs CUDA devices: where the backend's
    device is not CUDA, an nccl process group is refused, while a gloo one starts anywhere."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "process_group_starts")
    check_exact(backend, "process_group_starts", fn(name), ref.process_group_starts(name, backend.device),
                describe(name=name, device=backend.device))


@spec("DA07")
@pytest.mark.parametrize("launcher", ref.LAUNCHERS)
def test_launch_environment(backend, launcher):
    """DA07 (imprecise in the notes): torch.distributed.launch is deprecated (a FutureWarning
    naming torchrun) and passes --local-rank=i on each process's command line; torchrun passes
    nothing there.  Both set RANK, LOCAL_RANK and WORLD_SIZE in every process's environment."""
    testing.require(backend, "distributed")
    fn = testing.op(backend, "launch_environment")
    check_exact(backend, "launch_environment", fn(launcher, 2), ref.launch_environment(launcher, 2),
                describe(launcher=launcher, nprocs=2))
