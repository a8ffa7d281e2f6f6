"""Broken backends for parallelism (P01–P06), DistributedSampler (DA04, DA05) and the process
launchers (DA06, DA07), built on the reference backend, whose ranks are simulated (NumPy has no collectives)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from dlspec.backends.reference import ReferenceBackend
from reference import parallel as ref
from reference.memory import Tensor, from_numpy, to_numpy

CONTROL = "reference"


class GradientsSummedNotAveraged(ReferenceBackend):
    """data parallel all-reduces the local gradients by summing, not averaging (P01)."""

    name, catches = "gradients-summed-not-averaged", ("test_data_parallel_grad",)

    def data_parallel_grad(self, x: Tensor, y: Tensor, weight: Tensor, world_size: int) -> list[Tensor]:
        x, y, w = to_numpy(x), to_numpy(y), to_numpy(weight)
        local = [ref.mse_grad(xs, ys, w) for xs, ys in zip(ref.shard(x, world_size), ref.shard(y, world_size))]
        return [from_numpy(g) for g in ref.all_reduce(local, "sum")]


class ZeroShardsOverlap(ReferenceBackend):
    """ZeRO-1 shard boundaries overlap: each rank also keeps the state of the next rank's first parameter (P02)."""

    name, catches = "zero-shards-overlap", ("test_zero_adam",)

    def zero_adam(self, params: Sequence[Tensor], grads: Sequence[Sequence[Tensor]], world_size: int, lr: float,
                  betas: tuple[float, float], eps: float) -> tuple[list[list[Tensor]], list[list[int]]]:
        per_rank, owners = super().zero_adam(params, grads, world_size, lr, betas, eps)
        flat = [i for mine in owners for i in mine]
        starts = np.cumsum([0] + [len(mine) for mine in owners])
        return per_rank, [flat[a : b + 1] for a, b in pairwise(starts)]


class ZeroDropsParameter(ReferenceBackend):
    """ZeRO-1 partition drops the last parameter: no rank holds its state, it is never updated (P02)."""

    name, catches = "zero-drops-parameter", ("test_zero_adam",)

    def zero_adam(self, params: Sequence[Tensor], grads: Sequence[Sequence[Tensor]], world_size: int, lr: float,
                  betas: tuple[float, float], eps: float) -> tuple[list[list[Tensor]], list[list[int]]]:
        kept, last = [to_numpy(p) for p in params[:-1]], to_numpy(params[-1])
        per_rank, owners = ref.zero_adam(kept, [[to_numpy(g) for g in step[:-1]] for step in grads], world_size,
                                         lr, betas, eps)
        return [[from_numpy(p) for p in [*mine, last.copy()]] for mine in per_rank], owners


class RowSplitGathers(ReferenceBackend):
    """row-split tensor parallel all-gathers the partial products instead of summing them (P04)."""

    name, catches = "row-split-gathers", ("test_tensor_parallel_matmul",)

    def tensor_parallel_matmul(self, x: Tensor, w: Tensor, world_size: int, split: str) -> list[Tensor]:
        if split == "column":
            return super().tensor_parallel_matmul(x, w, world_size, split)
        x, w = to_numpy(x), to_numpy(w)
        partial = [xs @ ws for xs, ws in zip(ref.shard(x, world_size, axis=-1), ref.shard(w, world_size, axis=0))]
        return [from_numpy(o) for o in ref.all_gather(partial, axis=-1)]


class PipelineMicroBatchesReversed(ReferenceBackend):
    """the pipeline's last stage joins the micro-batches' outputs in reverse order (P05)."""

    name, catches = "pipeline-micro-batches-reversed", ("test_pipeline_forward",)

    def pipeline_forward(self, x: Tensor, weights: Sequence[Tensor], stages: int, micro_batches: int) -> Tensor:
        layers = [to_numpy(w) for w in weights]
        outputs = [ref.mlp_forward(micro, layers) for micro in np.array_split(to_numpy(x), micro_batches)]
        return from_numpy(np.concatenate(outputs[::-1]))


class SamplerWithoutPadding(ReferenceBackend):
    """DistributedSampler without wrap-around padding: rank r takes r, r + world_size, ... < n, so counts differ (DA04)."""

    name, catches = "sampler-without-padding", ("test_sampler_without_shuffle", "test_sampler_notes_example")

    def distributed_sampler(self, n: int, world_size: int, rank: int, *, shuffle: bool, seed: int,
                            epochs: Sequence[int | None], drop_last: bool) -> list[list[int]]:
        orders = super().distributed_sampler(n, 1, 0, shuffle=shuffle, seed=seed, epochs=epochs, drop_last=drop_last)
        return [order[rank::world_size] for order in orders]


class SamplerIgnoresSetEpoch(ReferenceBackend):
    """set_epoch is ignored: every epoch shuffles with the seed alone, the same order each epoch (DA05)."""

    name, catches = "sampler-ignores-set-epoch", ("test_sampler_set_epoch",)

    def distributed_sampler(self, n: int, world_size: int, rank: int, *, shuffle: bool, seed: int,
                            epochs: Sequence[int | None], drop_last: bool) -> list[list[int]]:
        return super().distributed_sampler(n, world_size, rank, shuffle=shuffle, seed=seed, epochs=[None] * len(epochs),
                                           drop_last=drop_last)


class SpawnWithoutIndex(ReferenceBackend):
    """spawn calls fn(*args) without the process index, the notes' reading of mp.spawn (DA06)."""

    name, catches = "spawn-without-index", ("test_spawn_arguments",)

    def spawn_arguments(self, nprocs: int, args: tuple) -> list[tuple]:
        return [tuple(args) for _ in range(nprocs)]


class SpawnIndexLast(ReferenceBackend):
    """spawn passes the process index after args, fn(*args, i) (DA06)."""

    name, catches = "spawn-index-last", ("test_spawn_arguments",)

    def spawn_arguments(self, nprocs: int, args: tuple) -> list[tuple]:
        return [(*args, i) for i in range(nprocs)]


class NcclWithoutCuda(ReferenceBackend):
    """an nccl process group starts on a CPU-only device (DA06)."""

    name, catches = "nccl-without-cuda", ("test_process_group_needs_cuda",)

    def process_group_starts(self, name: str) -> bool:
        return ref.process_group_starts(name, "cuda")


class TorchrunPassesLocalRank(ReferenceBackend):
    """torchrun passes --local-rank=i on the command line, as its own 2.0 docstring still says (DA07)."""

    name, catches = "torchrun-passes-local-rank", ("test_launch_environment",)

    def launch_environment(self, launcher: str, nprocs: int) -> list[dict]:
        return [p | {"argv": [f"--local-rank={i}"]} for i, p in enumerate(ref.launch_environment(launcher, nprocs))]


class LaunchNotDeprecated(ReferenceBackend):
    """torch.distributed.launch starts the processes without its deprecation warning (DA07)."""

    name, catches = "launch-not-deprecated", ("test_launch_environment",)

    def launch_environment(self, launcher: str, nprocs: int) -> list[dict]:
        return [p | {"deprecated": False} for p in ref.launch_environment(launcher, nprocs)]
