"""Spec operations of data, tensor, pipeline and ZeRO parallelism (catalogue P01–P06) and of
``DistributedSampler`` (DA04, DA05), and of how the launchers start the processes (DA06, DA07).

Each operation runs one parallel scheme on ``world_size`` ranks and returns what every rank
ends with (a list, rank by rank), so a test sees both the result and that the ranks agree.
A backend declaring the ``distributed`` capability runs the ranks for real (torch: local
processes in a gloo process group); the reference simulates them (:mod:`reference.parallel`).
"""

from __future__ import annotations

from collections.abc import Sequence

from dlspec.spec import Array, spec_op


class ParallelOps:
    """Data, ZeRO, tensor and pipeline parallelism; gradient accumulation; the distributed sampler;
    starting the processes."""

    @spec_op("P01")
    def data_parallel_grad(self, x: Array, y: Array, weight: Array, world_size: int) -> list[Array]:
        """Each rank's gradient of ``mean((x @ weight.T - y)**2)`` with respect to ``weight``
        after data-parallel training's gradient synchronisation (DDP): the batch is cut into
        ``world_size`` equal shards, one per rank, and the local gradients are all-reduced."""

    @spec_op("P02")
    def zero_adam(self, params: Sequence[Array], grads: Sequence[Sequence[Array]], world_size: int, lr: float,
                  betas: tuple[float, float], eps: float) -> tuple[list[list[Array]], list[list[int]]]:
        """ZeRO stage 1: Adam over ``params`` on ``world_size`` ranks, one step per entry of
        ``grads`` (one gradient per parameter, the same on every rank), with each rank keeping
        the optimizer state of only its share of the parameters.  Returns each rank's
        parameters afterwards and the indices of the parameters whose state it holds."""

    @spec_op("P03")
    def sharded_data_parallel_grad(self, x: Array, y: Array, weight: Array,
                                   world_size: int) -> tuple[list[Array], list[Array]]:
        """ZeRO stage 3 / FSDP on the model of :meth:`data_parallel_grad`: each rank stores
        only its part of ``weight``'s rows and after the backward pass only the matching part
        of the averaged gradient.  Returns each rank's weight part and gradient part."""

    @spec_op("P04")
    def tensor_parallel_matmul(self, x: Array, w: Array, world_size: int, split: str) -> list[Array]:
        """Each rank's ``x @ w`` computed with ``w`` split across ``world_size`` ranks by
        columns (``split="column"``: local products all-gathered) or by rows (``"row"``: ``x``
        split by columns to match, partial products all-reduced by summing)."""

    @spec_op("P05")
    def pipeline_forward(self, x: Array, weights: Sequence[Array], stages: int, micro_batches: int) -> Array:
        """The model ``h = tanh(h @ W.T)`` per weight, its layers cut into ``stages``
        consecutive stages (one rank each) and the batch into ``micro_batches`` that flow
        through them; the last stage's outputs in micro-batch order."""

    @spec_op("P06")
    def accumulated_grad(self, x: Array, y: Array, weight: Array, micro_batches: int) -> Array:
        """The gradient of :meth:`data_parallel_grad`'s loss accumulated over ``micro_batches``
        equal parts of the batch, each part's loss divided by ``micro_batches``."""

    @spec_op("DA04 DA05")
    def distributed_sampler(self, n: int, world_size: int, rank: int, *, shuffle: bool, seed: int,
                            epochs: Sequence[int | None], drop_last: bool) -> list[list[int]]:
        """The dataset indices ``DistributedSampler`` gives ``rank`` of ``world_size`` over a
        dataset of ``n`` items, one list per entry of ``epochs`` (an int: ``set_epoch`` is
        called with it first; ``None``: it is not)."""

    @spec_op("DA06")
    def spawn_arguments(self, nprocs: int, args: tuple) -> list[tuple]:
        """The positional arguments the function given to ``spawn(fn, args=args, nprocs=nprocs)``
        (``torch.multiprocessing.spawn``) receives in each of the ``nprocs`` processes, in process order."""

    @spec_op("DA06")
    def process_group_starts(self, name: str) -> bool:
        """Whether a one-process process group of backend ``name`` (``"gloo"``, ``"nccl"``) starts
        on the backend's device, rather than being refused."""

    @spec_op("DA07")
    def launch_environment(self, launcher: str, nprocs: int) -> list[dict]:
        """What each of the ``nprocs`` processes that ``launcher`` (``"torchrun"``: ``python -m
        torch.distributed.run``, ``"launch"``: ``python -m torch.distributed.launch``) starts on one
        node sees, in rank order: ``{"argv": its command-line arguments, "env": its RANK,
        LOCAL_RANK and WORLD_SIZE (None where unset), "deprecated": whether the launcher warned
        that it is deprecated}``."""
