"""Data, ZeRO, tensor and pipeline parallelism (P01–P06), DistributedSampler (DA04, DA05) and
how the launchers start the processes (DA06, DA07), simulated: a "world" is a list with one entry per rank, and each collective is a plain
function from the ranks' inputs to the ranks' outputs.

* ``all_reduce``: every rank receives the element-wise sum (or mean) of all ranks' arrays;
* ``all_gather``: every rank receives all ranks' arrays concatenated along an axis;
* ``reduce_scatter``: rank ``r`` receives part ``r`` of the sum (or mean) of all arrays.

On top of them, each parallel scheme is written as it runs: shards of the batch, of the
weights or of the optimizer state; local computations; collectives.  The claims are that
each scheme computes what one process computes on the whole (the full-batch gradient, the
unsharded Adam step, the full matmul, the full model); ``conformance/test_parallel.py``
checks a backend's real collectives against these simulations and those claims.

The model of the gradient checks is a linear map without bias under the mean squared error,
``loss = mean((x @ W.T - y)**2)``, whose gradient has the closed form
``dloss/dW = 2/(N·k) · (x @ W.T - y).T @ x`` for ``N`` rows and ``k`` outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reference import optimizers
from reference.guards import check_choice, check_int

REDUCE_OPS = ("sum", "mean")
SPLITS = ("column", "row")
#: The command-line launchers: ``torchrun`` (``python -m torch.distributed.run``) and the
#: deprecated ``python -m torch.distributed.launch``.
LAUNCHERS = ("torchrun", "launch")
#: The environment variables a launcher sets in each process it starts.
LAUNCH_ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE")
#: Process-group backends: gloo runs on CPUs, nccl needs CUDA devices.
PROCESS_GROUPS = ("gloo", "nccl")


# -- collectives -----------------------------------------------------------------------------


def all_reduce(values: Sequence[np.ndarray], op: str = "sum") -> list[np.ndarray]:
    """Every rank receives the element-wise ``op`` ("sum" or "mean") of all ranks' arrays,
    summed in float64 in rank order."""
    arrays = _ranks(values, "all_reduce")
    check_choice(op, "op", REDUCE_OPS)
    total = np.zeros(arrays[0].shape)
    for a in arrays:
        total = total + a
    result = total / len(arrays) if op == "mean" else total
    return [result.astype(arrays[0].dtype) for _ in arrays]


def all_gather(values: Sequence[np.ndarray], axis: int = 0) -> list[np.ndarray]:
    """Every rank receives all ranks' arrays concatenated along ``axis``, in rank order."""
    arrays = _ranks(values, "all_gather")
    check_int(axis, "axis")
    if arrays[0].ndim == 0 or not -arrays[0].ndim <= axis < arrays[0].ndim:
        raise ValueError(f"all_gather: axis {axis} is out of range for {arrays[0].ndim}-D arrays")
    return [np.concatenate(arrays, axis=axis) for _ in arrays]


def reduce_scatter(values: Sequence[np.ndarray], op: str = "sum") -> list[np.ndarray]:
    """Rank ``r`` receives part ``r`` (along axis 0, equal parts) of the ``op`` of all ranks'
    arrays: ``reduce_scatter(v)[r] == all_reduce(v)[r]`` split ``len(v)`` ways."""
    arrays = _ranks(values, "reduce_scatter")
    reduced = all_reduce(arrays, op)[0]
    return shard(reduced, len(arrays), axis=0)


def shard(a: np.ndarray, world_size: int, axis: int = 0) -> list[np.ndarray]:
    """``a`` cut along ``axis`` into ``world_size`` equal consecutive parts, part ``r`` for
    rank ``r``; raises ``ValueError`` when the size does not divide."""
    a = _array(a, "shard")
    world = _world(world_size)
    check_int(axis, "axis")
    if a.ndim == 0 or not -a.ndim <= axis < a.ndim:
        raise ValueError(f"shard: axis {axis} is out of range for a {a.ndim}-D array")
    size = a.shape[axis]
    if size % world:
        raise ValueError(f"shard: size {size} along axis {axis} does not divide into {world} equal parts")
    step = size // world
    return [np.take(a, np.arange(r * step, (r + 1) * step), axis=axis) for r in range(world)]


# -- data parallel, gradient accumulation (P01, P06) ------------------------------------------


def mse_grad(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The gradient of ``mean((x @ weight.T - y)**2)`` with respect to ``weight``,
    ``2/(N·k) · (x @ weight.T - y).T @ x``, in ``weight``'s dtype (computed in float64)."""
    x, y, weight = _regression(x, y, weight)
    n, k = y.shape
    if n == 0:
        raise ValueError("mse_grad: the mean of an empty batch is undefined")
    x64, y64, w64 = (a.astype(np.float64) for a in (x, y, weight))
    return (2.0 / (n * k) * (x64 @ w64.T - y64).T @ x64).astype(weight.dtype)


def data_parallel_grad(x: np.ndarray, y: np.ndarray, weight: np.ndarray, world_size: int) -> list[np.ndarray]:
    """P01: the batch is cut into ``world_size`` equal shards, rank ``r`` computes the gradient
    of its own shard's mean loss, and an all-reduce *averages* the ranks' gradients: every
    rank then holds the full-batch gradient.  Raises ``ValueError`` for unequal shards."""
    x, y, weight = _regression(x, y, weight)
    world = _world(world_size)
    local = [mse_grad(xs, ys, weight) for xs, ys in zip(shard(x, world), shard(y, world))]
    return all_reduce(local, "mean")


def accumulated_grad(x: np.ndarray, y: np.ndarray, weight: np.ndarray, micro_batches: int) -> np.ndarray:
    """P06: gradient accumulation: the batch is cut into ``micro_batches`` equal parts and the
    gradients of ``loss_m / micro_batches`` are summed, which is the full-batch gradient."""
    x, y, weight = _regression(x, y, weight)
    parts = _world(micro_batches, "micro_batches")
    total = np.zeros(weight.shape)
    for xs, ys in zip(shard(x, parts), shard(y, parts)):
        total = total + mse_grad(xs, ys, weight).astype(np.float64) / parts
    return total.astype(weight.dtype)


# -- ZeRO (P02, P03) ----------------------------------------------------------------------------


def adam(params: Sequence[np.ndarray], grads: Sequence[Sequence[np.ndarray]], lr: float = 1e-3,
         betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> list[np.ndarray]:
    """Plain Adam (:func:`reference.optimizers.adam`: bias-corrected moments, eps outside the
    square root), one step per entry of ``grads`` (each a gradient per parameter), on one rank."""
    params, grads = _params_and_grads(params, grads)
    lr, beta1, beta2, eps = _adam_hyper(lr, betas, eps)
    stepped, _ = optimizers.run("adam", [q.astype(np.float64) for q in params], [list(step) for step in grads],
                                {"lr": lr, "betas": (beta1, beta2), "eps": eps})
    return [q.astype(orig.dtype) for q, orig in zip(stepped, params)]


def zero_partition(sizes: Sequence[int], world_size: int) -> list[list[int]]:
    """Which parameters' optimizer state each rank keeps under ZeRO stage 1: the parameters,
    largest first, each go to the rank holding the fewest elements so far (the lowest rank on
    a tie).  Every parameter is owned by exactly one rank."""
    world = _world(world_size)
    sizes = [check_int(s, "parameter size") for s in sizes]
    if any(s < 0 for s in sizes):
        raise ValueError(f"parameter sizes must be >= 0, got {sizes}")
    owned: list[list[int]] = [[] for _ in range(world)]
    load = [0] * world
    for i in sorted(range(len(sizes)), key=lambda j: -sizes[j]):
        r = load.index(min(load))
        owned[r].append(i)
        load[r] += sizes[i]
    return [sorted(o) for o in owned]


def zero_adam(params: Sequence[np.ndarray], grads: Sequence[Sequence[np.ndarray]], world_size: int, lr: float = 1e-3,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> tuple[list[list[np.ndarray]], list[list[int]]]:
    """P02, ZeRO stage 1: every rank keeps a full copy of the parameters but Adam's state
    (m, v) only for the parameters it owns (:func:`zero_partition`); each step it updates
    those, and every parameter is then copied from its owner to all ranks.  Returns each
    rank's parameters, which equal plain :func:`adam`'s, and each rank's owned indices."""
    params, grads = _params_and_grads(params, grads)
    world = _world(world_size)
    owners = zero_partition([p.size for p in params], world)
    updated: dict[int, np.ndarray] = {}
    for mine in owners:
        stepped = adam([params[i] for i in mine], [[step[i] for i in mine] for step in grads], lr, betas, eps)
        updated.update(zip(mine, stepped))
    return [[updated[i].copy() for i in range(len(params))] for _ in range(world)], owners


def sharded_data_parallel_grad(x: np.ndarray, y: np.ndarray, weight: np.ndarray,
                               world_size: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """P03, ZeRO stage 3 (FSDP): rank ``r`` stores only rows part ``r`` of ``weight``; for the
    forward and backward passes the full weight is all-gathered, each rank computes the
    gradient of its batch shard, and a reduce-scatter averages the gradients and leaves each
    rank the part matching its weight rows (stage 2 shards the gradients the same way).
    Returns each rank's weight part and gradient part."""
    x, y, weight = _regression(x, y, weight)
    world = _world(world_size)
    weight_parts = shard(weight, world)
    full = all_gather(weight_parts)
    local = [mse_grad(xs, ys, w) for xs, ys, w in zip(shard(x, world), shard(y, world), full)]
    return weight_parts, reduce_scatter(local, "mean")


# -- tensor and pipeline parallel (P04, P05) -------------------------------------------------------


def tensor_parallel_matmul(x: np.ndarray, w: np.ndarray, world_size: int, split: str = "column") -> list[np.ndarray]:
    """P04: ``x @ w`` with ``w`` (``(k, n)``) split across ranks.  ``split="column"``: rank
    ``r`` holds columns part ``r`` and computes ``x @ w_r``; an all-gather along the last axis
    joins the parts.  ``split="row"``: rank ``r`` holds rows part ``r`` and the matching
    columns of ``x``; the partial products ``x_r @ w_r`` are summed by an all-reduce."""
    x, w = _array(x, "tensor_parallel_matmul"), _array(w, "tensor_parallel_matmul")
    world = _world(world_size)
    check_choice(split, "split", SPLITS)
    if x.ndim < 1 or w.ndim != 2 or x.shape[-1] != w.shape[0]:
        raise ValueError(f"tensor_parallel_matmul takes x of shape (*, k) and w of shape (k, n), "
                         f"got {x.shape} and {w.shape}")
    if split == "column":
        return all_gather([x @ part for part in shard(w, world, axis=1)], axis=-1)
    return all_reduce([xs @ ws for xs, ws in zip(shard(x, world, axis=-1), shard(w, world, axis=0))], "sum")


def mlp_forward(x: np.ndarray, weights: Sequence[np.ndarray]) -> np.ndarray:
    """The model the pipeline runs: ``h = tanh(h @ W.T)`` for each weight in turn, from
    ``h = x`` (``x`` of shape ``(N, d0)``, weight ``l`` of shape ``(d_{l+1}, d_l)``)."""
    x, layers = _mlp(x, weights)
    h = x.astype(np.float64)
    for w in layers:
        h = np.tanh(h @ w.astype(np.float64).T)
    return h.astype(x.dtype)


def pipeline_forward(x: np.ndarray, weights: Sequence[np.ndarray], stages: int, micro_batches: int) -> np.ndarray:
    """P05: the layers are cut into ``stages`` consecutive groups (the first ``L % stages``
    stages hold one layer more), the batch into ``micro_batches`` consecutive parts (the first
    ``N % micro_batches`` one row more).  At clock tick ``t`` stage ``s`` runs micro-batch
    ``t - s`` on the output stage ``s - 1`` produced at tick ``t - 1``; the last stage's outputs,
    in micro-batch order, equal :func:`mlp_forward` on the whole batch."""
    x, layers = _mlp(x, weights)
    n_stages, n_micro = _world(stages, "stages"), _world(micro_batches, "micro_batches")
    if n_stages > len(layers) or n_micro > x.shape[0]:
        raise ValueError(f"pipeline_forward: {n_stages} stages need at least as many layers (got {len(layers)}) and "
                         f"{n_micro} micro-batches at least as many rows (got {x.shape[0]})")
    stage_layers = [layers[a:b] for a, b in _bounds(len(layers), n_stages)]
    inbox: dict[tuple[int, int], np.ndarray] = {(0, m): x[a:b] for m, (a, b) in enumerate(_bounds(x.shape[0], n_micro))}
    outputs: dict[int, np.ndarray] = {}
    for tick in range(n_stages + n_micro - 1):
        for s in range(n_stages):
            m = tick - s
            if not 0 <= m < n_micro:
                continue
            h = mlp_forward(inbox.pop((s, m)), stage_layers[s])
            if s + 1 < n_stages:
                inbox[(s + 1, m)] = h
            else:
                outputs[m] = h
    return np.concatenate([outputs[m] for m in range(n_micro)])


# -- DistributedSampler (DA04, DA05) ---------------------------------------------------------------


def distributed_sampler(n: int, world_size: int, rank: int, *, shuffle: bool = True, seed: int = 0,
                        epochs: Sequence[int | None] = (None,), drop_last: bool = False) -> list[list[int]]:
    """The indices ``DistributedSampler`` gives ``rank`` in each of ``epochs`` (``e``: call
    ``set_epoch(e)`` first; ``None``: don't, keeping the previous epoch, initially 0).

    The epoch's order is ``0 .. n-1``, or with ``shuffle`` a permutation drawn from the seed
    ``seed + epoch`` (which permutation is the library's own).  Without ``drop_last`` it is
    padded by wrapping around to its start until its length is a multiple of ``world_size``
    (DA04: 3 ranks over 10 get ``[0,3,6,9], [1,4,7,0], [2,5,8,1]``); with ``drop_last`` its tail
    is cut to a multiple instead.  Rank ``r`` takes every ``world_size``-th index from ``r``."""
    n, world, rank = check_int(n, "n"), _world(world_size), check_int(rank, "rank")
    if n < 0:
        raise ValueError(f"distributed_sampler: the dataset size must be >= 0, got {n}")
    if not 0 <= rank < world:
        raise ValueError(f"distributed_sampler: rank must be in [0, {world - 1}], got {rank}")
    for flag, name in ((shuffle, "shuffle"), (drop_last, "drop_last")):
        if not isinstance(flag, bool):
            raise TypeError(f"distributed_sampler: {name} must be a bool, got {type(flag).__name__}")
    seed = check_int(seed, "seed")
    if isinstance(epochs, (str, bytes)) or not isinstance(epochs, Sequence):
        raise TypeError(f"distributed_sampler: epochs must be a sequence of ints or None, got {type(epochs).__name__}")
    per_rank = n // world if drop_last else -(-n // world)
    total = per_rank * world
    epoch, result = 0, []
    for e in epochs:
        if e is not None:
            epoch = check_int(e, "epoch")
        order = [int(i) for i in np.random.default_rng(seed + epoch).permutation(n)] if shuffle else list(range(n))
        while len(order) < total:
            order += order[: total - len(order)]
        result.append(order[:total][rank::world])
    return result


# -- starting the processes (DA06, DA07) -----------------------------------------------------------


def spawn_arguments(nprocs: int, args: tuple = ()) -> list[tuple]:
    """DA06: ``torch.multiprocessing.spawn(fn, args=args, nprocs=nprocs)`` calls ``fn(i, *args)``
    in process ``i``: the process index comes first, before ``args``; the arguments in process order."""
    n = _world(nprocs, "nprocs")
    if not isinstance(args, tuple):
        raise TypeError(f"spawn_arguments: args must be a tuple, got {type(args).__name__}")
    return [(i, *args) for i in range(n)]


def launch_environment(launcher: str, nprocs: int) -> list[dict]:
    """DA07: what each of the ``nprocs`` processes a launcher starts on one node sees, in rank
    order: both launchers set ``RANK`` and ``LOCAL_RANK`` (``i``) and ``WORLD_SIZE`` in its
    environment; only the deprecated ``launch`` (it warns with a ``FutureWarning``) also passes
    ``--local-rank=i`` on its command line (unless given ``--use-env``); ``torchrun`` passes nothing."""
    check_choice(launcher, "launcher", LAUNCHERS)
    n = _world(nprocs, "nprocs")
    deprecated = launcher == "launch"
    return [{"argv": [f"--local-rank={i}"] if deprecated else [],
             "env": {"RANK": str(i), "LOCAL_RANK": str(i), "WORLD_SIZE": str(n)},
             "deprecated": deprecated} for i in range(n)]


def process_group_starts(name: str, device: str) -> bool:
    """DA06: whether a process group of backend ``name`` starts on ``device``: ``"gloo"`` runs on
    any device, ``"nccl"`` only where there are CUDA devices (``device == "cuda"``)."""
    check_choice(name, "process group backend", PROCESS_GROUPS)
    if not isinstance(device, str):
        raise TypeError(f"process_group_starts: device must be a str, got {type(device).__name__}")
    return name == "gloo" or device == "cuda"


# -- guards ----------------------------------------------------------------------------------------


def _array(a: object, what: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{what} takes NumPy arrays, got {type(a).__name__}")
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{what} takes real numeric arrays, got dtype {a.dtype}")
    return a


def _world(value: object, what: str = "world_size") -> int:
    size = check_int(value, what)
    if size < 1:
        raise ValueError(f"{what} must be >= 1, got {size}")
    return size


def _ranks(values: object, what: str) -> list[np.ndarray]:
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)) or not values:
        raise TypeError(f"{what} takes a non-empty list with one array per rank, got {type(values).__name__}")
    arrays = [_array(v, what) for v in values]
    if len({a.shape for a in arrays}) != 1:
        raise ValueError(f"{what}: every rank must contribute an array of one shape, got {[a.shape for a in arrays]}")
    return arrays


def _regression(x: object, y: object, weight: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y, weight = (_array(a, "the linear model") for a in (x, y, weight))
    if weight.dtype.kind != "f":
        raise TypeError(f"the linear model's weight must be floating, got {weight.dtype}")
    if x.ndim != 2 or y.ndim != 2 or weight.ndim != 2 or weight.shape[1] != x.shape[1] \
            or y.shape != (x.shape[0], weight.shape[0]):
        raise ValueError(f"the linear model takes x (N, d), y (N, k) and weight (k, d), got x {x.shape}, "
                         f"y {y.shape}, weight {weight.shape}")
    return x, y, weight


def _params_and_grads(params: object, grads: object) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    if not isinstance(params, Sequence) or not isinstance(grads, Sequence):
        raise TypeError("params must be a list of arrays and grads a list of steps, each a list of arrays")
    params = [_array(p, "the optimizer") for p in params]
    steps = []
    for step in grads:
        if not isinstance(step, Sequence) or len(step) != len(params):
            raise ValueError("each step of grads must give one gradient per parameter")
        step = [_array(g, "the optimizer") for g in step]
        if any(g.shape != p.shape for g, p in zip(step, params)):
            raise ValueError("each gradient must have its parameter's shape")
        steps.append(step)
    if any(p.dtype.kind != "f" for p in params):
        raise TypeError("the optimizer's parameters must be floating")
    return params, steps


def _adam_hyper(lr: object, betas: object, eps: object) -> tuple[float, float, float, float]:
    numbers = (lr, *betas, eps) if isinstance(betas, tuple) and len(betas) == 2 else None
    if numbers is None or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
        raise TypeError("Adam takes a float lr, a pair of float betas and a float eps")
    lr, beta1, beta2, eps = (float(v) for v in numbers)
    if lr < 0 or eps < 0 or not (0 <= beta1 < 1 and 0 <= beta2 < 1):
        raise ValueError(f"Adam needs lr >= 0, eps >= 0 and betas in [0, 1), got {lr}, ({beta1}, {beta2}), {eps}")
    return lr, beta1, beta2, eps


def _mlp(x: object, weights: object) -> tuple[np.ndarray, list[np.ndarray]]:
    x = _array(x, "the pipeline's model")
    if not isinstance(weights, Sequence) or not weights:
        raise TypeError("the pipeline's model takes a non-empty list of weights")
    layers = [_array(w, "the pipeline's model") for w in weights]
    width = x.shape[-1] if x.ndim == 2 else None
    for w in layers:
        if w.ndim != 2 or w.shape[1] != width:
            raise ValueError(f"the pipeline's model takes x (N, d0) and weights (d_(l+1), d_l) that chain, "
                             f"got x {x.shape} and weights {[q.shape for q in layers]}")
        width = w.shape[0]
    if x.dtype.kind != "f":
        raise TypeError(f"the pipeline's model takes a floating x, got {x.dtype}")
    return x, layers


def _bounds(n: int, parts: int) -> list[tuple[int, int]]:
    """Consecutive ``[start, stop)`` of ``parts`` parts of ``n``, the first ``n % parts`` one longer."""
    sizes = [n // parts + (i < n % parts) for i in range(parts)]
    starts = np.cumsum([0] + sizes)
    return [(int(starts[i]), int(starts[i + 1])) for i in range(parts)]
