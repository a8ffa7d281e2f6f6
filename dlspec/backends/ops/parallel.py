"""Adapters' implementations of data, tensor, pipeline and ZeRO parallelism (P01–P06), the
distributed sampler (DA04, DA05) and the process launchers (DA06, DA07), one mixin per
library; each backend class in ``dlspec.backends`` inherits its library's mixin.

torch runs every scheme for real in local processes joined in a gloo process group
(:mod:`dlspec.backends.torch_distributed`), with the library's own DDP,
``ZeroRedundancyOptimizer``, FSDP2 ``fully_shard``, collectives and point-to-point sends,
and starts processes with ``torch.multiprocessing.spawn``, ``torchrun`` and
``torch.distributed.launch``; the reference simulates the ranks.  NumPy has no collectives; JAX's multi-process runtime is
not started, so only gradient accumulation (one process) runs there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dlspec.spec import composed
from reference import parallel as ref
from reference.memory import Tensor, from_numpy, to_numpy


def _arrays(values: Sequence[Tensor]) -> list[np.ndarray]:
    return [to_numpy(v) for v in values]


def _tensors(values: Sequence[np.ndarray]) -> list[Tensor]:
    return [from_numpy(v) for v in values]


class ReferenceParallel:
    """The reference: each rank simulated, arrays are ``reference.memory.Tensor`` objects."""

    def data_parallel_grad(self, x: Tensor, y: Tensor, weight: Tensor, world_size: int) -> list[Tensor]:
        return _tensors(ref.data_parallel_grad(to_numpy(x), to_numpy(y), to_numpy(weight), world_size))

    def zero_adam(self, params: Sequence[Tensor], grads: Sequence[Sequence[Tensor]], world_size: int, lr: float,
                  betas: tuple[float, float], eps: float) -> tuple[list[list[Tensor]], list[list[int]]]:
        per_rank, owners = ref.zero_adam(_arrays(params), [_arrays(g) for g in grads], world_size, lr, betas, eps)
        return [_tensors(p) for p in per_rank], owners

    def sharded_data_parallel_grad(self, x: Tensor, y: Tensor, weight: Tensor,
                                   world_size: int) -> tuple[list[Tensor], list[Tensor]]:
        parts, grads = ref.sharded_data_parallel_grad(to_numpy(x), to_numpy(y), to_numpy(weight), world_size)
        return _tensors(parts), _tensors(grads)

    def tensor_parallel_matmul(self, x: Tensor, w: Tensor, world_size: int, split: str) -> list[Tensor]:
        return _tensors(ref.tensor_parallel_matmul(to_numpy(x), to_numpy(w), world_size, split))

    def pipeline_forward(self, x: Tensor, weights: Sequence[Tensor], stages: int, micro_batches: int) -> Tensor:
        return from_numpy(ref.pipeline_forward(to_numpy(x), _arrays(weights), stages, micro_batches))

    def accumulated_grad(self, x: Tensor, y: Tensor, weight: Tensor, micro_batches: int) -> Tensor:
        return from_numpy(ref.accumulated_grad(to_numpy(x), to_numpy(y), to_numpy(weight), micro_batches))

    def distributed_sampler(self, n: int, world_size: int, rank: int, *, shuffle: bool, seed: int,
                            epochs: Sequence[int | None], drop_last: bool) -> list[list[int]]:
        return ref.distributed_sampler(n, world_size, rank, shuffle=shuffle, seed=seed, epochs=epochs,
                                       drop_last=drop_last)

    def spawn_arguments(self, nprocs: int, args: tuple) -> list[tuple]:
        return ref.spawn_arguments(nprocs, args)

    def process_group_starts(self, name: str) -> bool:
        return ref.process_group_starts(name, self.device)

    def launch_environment(self, launcher: str, nprocs: int) -> list[dict]:
        return ref.launch_environment(launcher, nprocs)


class NumpyParallel:
    """NumPy (and CuPy, through ``self.xp``): no collectives and no autograd."""


class TorchParallel:
    """PyTorch: the schemes run in a pool of local processes (one gloo process group, reused
    by every call); the sampler and gradient accumulation in this process."""

    def _ranks(self, task: str, world_size: int, **payload: Any) -> list[Any]:
        """Run ``task`` of :mod:`dlspec.backends.torch_distributed` on ``world_size`` ranks,
        with the backend arrays among ``payload`` sent as NumPy."""
        from dlspec.backends import torch_distributed

        return torch_distributed.pool().run(task, world_size, **payload)

    def _host(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy()

    def _device(self, values: np.ndarray) -> Any:
        return self.torch.from_numpy(np.ascontiguousarray(values)).to(self.device)

    def data_parallel_grad(self, x: Any, y: Any, weight: Any, world_size: int) -> list[Any]:
        grads = self._ranks("data_parallel_grad", world_size, x=self._host(x), y=self._host(y), weight=self._host(weight))
        return [self._device(g) for g in grads]

    def zero_adam(self, params: Sequence[Any], grads: Sequence[Sequence[Any]], world_size: int, lr: float,
                  betas: tuple[float, float], eps: float) -> tuple[list[list[Any]], list[list[int]]]:
        ranks = self._ranks("zero_adam", world_size, params=[self._host(p) for p in params],
                            grads=[[self._host(g) for g in step] for step in grads], lr=lr, betas=betas, eps=eps)
        return [[self._device(p) for p in values] for values, _ in ranks], [owned for _, owned in ranks]

    def sharded_data_parallel_grad(self, x: Any, y: Any, weight: Any, world_size: int) -> tuple[list[Any], list[Any]]:
        ranks = self._ranks("sharded_data_parallel_grad", world_size, x=self._host(x), y=self._host(y),
                            weight=self._host(weight))
        return [self._device(w) for w, _ in ranks], [self._device(g) for _, g in ranks]

    def tensor_parallel_matmul(self, x: Any, w: Any, world_size: int, split: str) -> list[Any]:
        outs = self._ranks("tensor_parallel_matmul", world_size, x=self._host(x), w=self._host(w), split=split)
        return [self._device(o) for o in outs]

    def pipeline_forward(self, x: Any, weights: Sequence[Any], stages: int, micro_batches: int) -> Any:
        outs = self._ranks("pipeline_forward", stages, x=self._host(x), weights=[self._host(w) for w in weights],
                           micro_batches=micro_batches)
        return self._device(outs[-1])

    @composed
    def accumulated_grad(self, x: Any, y: Any, weight: Any, micro_batches: int) -> Any:
        w = weight.detach().clone().requires_grad_(True)
        for xs, ys in zip(x.tensor_split(micro_batches), y.tensor_split(micro_batches)):
            loss = self.torch.nn.functional.mse_loss(self.torch.nn.functional.linear(xs, w), ys)
            (loss / micro_batches).backward()  # .grad accumulates across backward calls
        return w.grad

    def distributed_sampler(self, n: int, world_size: int, rank: int, *, shuffle: bool, seed: int,
                            epochs: Sequence[int | None], drop_last: bool) -> list[list[int]]:
        from torch.utils.data.distributed import DistributedSampler

        sampler = DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=shuffle, seed=seed,
                                     drop_last=drop_last)
        orders = []
        for epoch in epochs:
            if epoch is not None:
                sampler.set_epoch(epoch)
            orders.append(list(sampler))
        return orders

    def spawn_arguments(self, nprocs: int, args: tuple) -> list[tuple]:
        from dlspec.backends import torch_distributed

        return torch_distributed.spawn_arguments(nprocs, args)

    def process_group_starts(self, name: str) -> bool:
        from dlspec.backends import torch_distributed

        return torch_distributed.process_group_starts(name)

    def launch_environment(self, launcher: str, nprocs: int) -> list[dict]:
        from dlspec.backends import torch_distributed

        return torch_distributed.launch_environment(launcher, nprocs)


class JaxParallel:
    """JAX: gradient accumulation with ``jax.grad``; no multi-process runtime is started."""

    @composed
    def accumulated_grad(self, x: Any, y: Any, weight: Any, micro_batches: int) -> Any:
        # JAX has no .grad to accumulate into: the gradient of the summed micro-batch losses is
        # the sum of their gradients.  Micro-batches of equal size, one leading axis.
        def loss(w: Any, xs: Any, ys: Any) -> Any:
            return self.xp.sum(self.xp.mean((xs @ w.T - ys) ** 2, axis=(1, 2))) / micro_batches

        xs, ys = (a.reshape(micro_batches, -1, a.shape[-1]) for a in (x, y))
        return self.jax.jit(self.jax.grad(loss))(weight, xs, ys)
