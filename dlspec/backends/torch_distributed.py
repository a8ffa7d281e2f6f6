"""Real ``torch.distributed`` runs for the parallel area (P01–P05): a pool of local processes.

:class:`ProcessPool` starts ``PROCESSES`` processes (``multiprocessing``'s "spawn" context,
so each imports this module afresh; nothing is pickled but the task's name and NumPy
arrays), joined in one gloo process group over loopback (``127.0.0.1``, a free port chosen
by binding port 0).  Every process also creates the subgroups of its first 1, 2, ...
ranks, so a task for ``world_size`` ranks runs on ranks ``0 .. world_size - 1`` while the
others idle.  The pool is started once, on first use, and reused by every check of a run:
process start-up (importing torch) costs seconds, a task milliseconds.

A run that takes longer than ``TIMEOUT_S`` (a hang in a collective) kills the pool and
raises :class:`TimeoutError`; a task that raises in a worker raises :class:`RuntimeError`
here with the worker's traceback.  At exit every worker destroys its process group.

The launcher checks (DA06, DA07) start processes of their own, once per call:
:func:`spawn_arguments` with ``torch.multiprocessing.spawn`` (each child imports torch),
:func:`launch_environment` with ``torchrun`` or ``torch.distributed.launch`` running
:data:`LAUNCHED_SCRIPT`, which imports only the standard library.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import json
import os
import pickle
import queue
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from multiprocessing import get_context
from typing import Any

import numpy as np

#: Processes in the pool: the largest world size a task may ask for.
PROCESSES = 3
#: Seconds a task (or the pool's start) may take before the pool is killed.
TIMEOUT_S = 120.0

Task = Callable[[int, Any, dict[str, Any]], Any]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the tasks: each runs on one rank and returns NumPy values ------------------------------


def _linear_on_shard(rank: int, group: Any, payload: dict[str, Any]) -> tuple[Any, Any, Any]:
    """This rank's shard of the batch ``payload["x"], payload["y"]`` and an ``nn.Linear``
    without bias holding ``payload["weight"]``."""
    import torch

    world = torch.distributed.get_world_size(group)
    x, y = (torch.from_numpy(payload[k]).chunk(world)[rank] for k in ("x", "y"))
    weight = torch.from_numpy(payload["weight"])
    model = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False, dtype=weight.dtype)
    with torch.no_grad():
        model.weight.copy_(weight)
    return x, y, model


def data_parallel_grad(rank: int, group: Any, payload: dict[str, Any]) -> np.ndarray:
    """P01: DistributedDataParallel over an ``nn.Linear`` without bias; this rank's batch
    shard forward and backward; the gradient DDP leaves in ``weight.grad``."""
    import torch
    from torch.nn.parallel import DistributedDataParallel

    x, y, model = _linear_on_shard(rank, group, payload)
    ddp = DistributedDataParallel(model, process_group=group)
    torch.nn.functional.mse_loss(ddp(x), y).backward()
    return model.weight.grad.numpy()


def zero_adam(rank: int, group: Any, payload: dict[str, Any]) -> tuple[list[np.ndarray], list[int]]:
    """P02: ``ZeroRedundancyOptimizer`` wrapping Adam, stepped with the given gradients;
    the parameters afterwards and the indices of those whose Adam state this rank holds."""
    import torch
    from torch.distributed.optim import ZeroRedundancyOptimizer

    params = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in payload["params"]]
    opt = ZeroRedundancyOptimizer(params, optimizer_class=torch.optim.Adam, process_group=group,
                                  lr=payload["lr"], betas=payload["betas"], eps=payload["eps"])
    for step in payload["grads"]:
        for p, g in zip(params, step):
            p.grad = torch.from_numpy(g.copy())
        opt.step()
    owned = [i for i, p in enumerate(params) if opt.optim.state.get(p)]
    return [p.detach().numpy() for p in params], owned


def sharded_data_parallel_grad(rank: int, group: Any, payload: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """P03: FSDP2 ``fully_shard`` (ZeRO-3) over an ``nn.Linear`` without bias: this rank's
    batch shard forward and backward; the local shards of the weight and of its gradient."""
    import torch
    from torch.distributed.device_mesh import DeviceMesh
    from torch.distributed.fsdp import fully_shard

    x, y, model = _linear_on_shard(rank, group, payload)
    fully_shard(model, mesh=DeviceMesh.from_group(group, "cpu"))
    torch.nn.functional.mse_loss(model(x), y).backward()
    return model.weight.to_local().detach().numpy(), model.weight.grad.to_local().numpy()


def tensor_parallel_matmul(rank: int, group: Any, payload: dict[str, Any]) -> np.ndarray:
    """P04: ``x @ w`` with ``w`` split by columns (local products all-gathered along the last
    dimension) or by rows (``x`` split by columns to match, partial products all-reduced)."""
    import torch
    import torch.distributed as dist

    world = dist.get_world_size(group)
    x, w = torch.from_numpy(payload["x"]), torch.from_numpy(payload["w"])
    if payload["split"] == "column":
        local = x @ w.chunk(world, dim=1)[rank]
        parts = [torch.empty_like(local) for _ in range(world)]
        dist.all_gather(parts, local.contiguous(), group=group)
        return torch.cat(parts, dim=-1).numpy()
    partial = x.chunk(world, dim=-1)[rank] @ w.chunk(world, dim=0)[rank]
    dist.all_reduce(partial, op=dist.ReduceOp.SUM, group=group)
    return partial.numpy()


def pipeline_forward(rank: int, group: Any, payload: dict[str, Any]) -> np.ndarray | None:
    """P05: stage ``rank`` holds its contiguous share of the layers ``h = tanh(h @ W.T)``;
    the batch flows through as micro-batches, each stage receiving its input from the
    previous stage and sending its output to the next; the last stage returns the outputs."""
    import torch
    import torch.distributed as dist

    stages = dist.get_world_size(group)
    layers = [torch.from_numpy(w) for w in payload["weights"]]
    mine = [layers[i] for i in np.array_split(np.arange(len(layers)), stages)[rank]]
    widths = [w.shape[1] for w in layers] + [layers[-1].shape[0]]
    width_in = widths[sum(len(s) for s in np.array_split(np.arange(len(layers)), stages)[:rank])]
    outputs = []
    for micro in torch.from_numpy(payload["x"]).tensor_split(payload["micro_batches"]):
        h = micro if rank == 0 else torch.empty(micro.shape[0], width_in, dtype=micro.dtype)
        if rank > 0:
            dist.recv(h, src=rank - 1, group=group)
        for w in mine:
            h = torch.tanh(h @ w.T)
        if rank < stages - 1:
            dist.send(h.contiguous(), dst=rank + 1, group=group)
        else:
            outputs.append(h)
    return torch.cat(outputs).numpy() if rank == stages - 1 else None


TASKS: dict[str, Task] = {t.__name__: t for t in (data_parallel_grad, zero_adam, sharded_data_parallel_grad,
                                                 tensor_parallel_matmul, pipeline_forward)}


# -- starting processes (DA06, DA07) -------------------------------------------------------

#: The script the launchers run: it writes its command-line arguments and the launcher's
#: environment variables as JSON to ``$DLSPEC_LAUNCH_OUT/<pid>.json``; standard library only.
LAUNCHED_SCRIPT = """\
import json, os, sys
report = {"argv": sys.argv[1:], "env": {k: os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE")}}
with open(os.path.join(os.environ["DLSPEC_LAUNCH_OUT"], f"{os.getpid()}.json"), "w") as f:
    json.dump(report, f)
"""
#: What the deprecated launcher's ``FutureWarning`` says.
DEPRECATION = "torch.distributed.launch is deprecated"


def report_arguments(directory: str, *received: Any) -> None:
    """A spawned process's function: pickles the arguments it received to ``<directory>/<pid>``."""
    with open(os.path.join(directory, str(os.getpid())), "wb") as f:
        pickle.dump(received, f)


def spawn_arguments(nprocs: int, args: tuple) -> list[tuple]:
    """DA06: ``torch.multiprocessing.spawn(fn, args=args, nprocs=nprocs)`` with ``fn`` reporting
    its positional arguments; what each process's ``fn`` received, in process order."""
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory(prefix="dlspec-spawn-") as directory:
        context = mp.spawn(functools.partial(report_arguments, directory), args=args, nprocs=nprocs, join=False)
        deadline = time.monotonic() + TIMEOUT_S
        while not context.join(timeout=1.0):
            if time.monotonic() > deadline:
                for p in context.processes:
                    p.kill()
                raise TimeoutError(f"torch.multiprocessing.spawn: {nprocs} processes took longer than {TIMEOUT_S:g} s")
        received = []
        for p in context.processes:
            with open(os.path.join(directory, str(p.pid)), "rb") as f:
                received.append(pickle.load(f))
        return received


def launch_environment(launcher: str, nprocs: int) -> list[dict[str, Any]]:
    """DA07: ``python -m torch.distributed.run`` (``launcher="torchrun"``) or ``python -m
    torch.distributed.launch`` (``"launch"``) with ``--nproc-per-node=nprocs`` running
    :data:`LAUNCHED_SCRIPT`; each process's arguments and environment, in ``RANK`` order, and
    whether the launcher's stderr carries its deprecation warning."""
    module = {"torchrun": "torch.distributed.run", "launch": "torch.distributed.launch"}[launcher]
    with tempfile.TemporaryDirectory(prefix="dlspec-launch-") as directory:
        script = os.path.join(directory, "launched.py")
        with open(script, "w") as f:
            f.write(LAUNCHED_SCRIPT)
        env = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE")}
        env |= {"DLSPEC_LAUNCH_OUT": directory, "PYTHONWARNINGS": "default", "OMP_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, "-m", module, f"--nproc-per-node={nprocs}", "--master-addr=127.0.0.1",
                               f"--master-port={free_port()}", script], env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
        if done.returncode:
            raise RuntimeError(f"{module} exited with {done.returncode}:\n{done.stderr[-4000:]}")
        reports = []
        for name in os.listdir(directory):
            if name.endswith(".json"):
                with open(os.path.join(directory, name)) as f:
                    reports.append(json.load(f))
    deprecated = DEPRECATION in done.stderr
    reports.sort(key=lambda r: int(r["env"]["RANK"]) if (r["env"]["RANK"] or "").isdigit() else -1)
    return [r | {"deprecated": deprecated} for r in reports]


def process_group_starts(name: str) -> bool:
    """DA06: whether ``init_process_group(name)`` starts a one-process group in this process
    (over an in-memory store: nothing to wait for); destroyed again at once."""
    import torch.distributed as dist

    if dist.is_initialized():
        raise RuntimeError("process_group_starts: this process already has a default process group")
    try:
        with warnings.catch_warnings():  # without NCCL compiled in, asking for its default timeout warns first
            warnings.simplefilter("ignore", UserWarning)
            dist.init_process_group(name, store=dist.HashStore(), rank=0, world_size=1)
    except RuntimeError:
        return False
    dist.destroy_process_group()
    return True


# -- the pool ---------------------------------------------------------------------------


def _serve(rank: int, processes: int, port: int, inbox: Any, outbox: Any) -> None:
    """A worker: join the process group and its subgroups, then run tasks until ``None``."""
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    import torch
    import torch._dynamo  # what the tasks import (DDP imports dynamo): once, while every rank starts
    import torch.distributed as dist
    import torch.distributed.fsdp
    import torch.distributed.optim
    import torch.nn.parallel

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=processes,
                            timeout=datetime.timedelta(seconds=TIMEOUT_S / 2))
    try:
        groups = {n: dist.new_group(list(range(n))) for n in range(1, processes)} | {processes: dist.group.WORLD}
        outbox.put((rank, True, "ready"))
        while (message := inbox.get()) is not None:
            name, world_size, payload = message
            try:
                value = TASKS[name](rank, groups[world_size], payload) if rank < world_size else None
                outbox.put((rank, True, value))
            except Exception:
                outbox.put((rank, False, traceback.format_exc()))
    finally:
        dist.destroy_process_group()


class ProcessPool:
    """``processes`` local processes in one gloo group, running :data:`TASKS` on request."""

    def __init__(self, processes: int = PROCESSES) -> None:
        ctx = get_context("spawn")
        port = free_port()
        self.processes = processes
        self.inboxes = [ctx.Queue() for _ in range(processes)]
        self.outbox = ctx.Queue()
        self.workers = [ctx.Process(target=_serve, args=(rank, processes, port, self.inboxes[rank], self.outbox),
                                    daemon=True, name=f"dlspec-gloo-rank{rank}") for rank in range(processes)]
        for w in self.workers:
            w.start()
        self._collect("start the process group")

    def run(self, task: str, world_size: int, **payload: Any) -> list[Any]:
        """Run ``task`` on ranks ``0 .. world_size - 1``; their results, in rank order."""
        if task not in TASKS:
            raise KeyError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
        if not 1 <= world_size <= self.processes:
            raise ValueError(f"world_size must be in [1, {self.processes}], got {world_size}")
        for inbox in self.inboxes:
            inbox.put((task, world_size, payload))
        return self._collect(task)[:world_size]

    def _collect(self, what: str) -> list[Any]:
        results: dict[int, Any] = {}
        errors = []
        deadline = time.monotonic() + TIMEOUT_S
        while len(results) + len(errors) < self.processes:
            try:
                rank, ok, value = self.outbox.get(timeout=1.0)
            except queue.Empty:
                if time.monotonic() < deadline and self.alive():
                    continue
                self.close(force=True)
                why = f"took longer than {TIMEOUT_S:g} s" if self.alive() else "lost a worker process"
                raise TimeoutError(f"torch.distributed: {what} {why}; the pool was killed") from None
            if ok:
                results[rank] = value
            else:
                errors.append(f"rank {rank}:\n{value}")
        if errors:
            raise RuntimeError(f"torch.distributed: {what} failed\n" + "\n".join(errors))
        return [results[r] for r in range(self.processes)]

    def alive(self) -> bool:
        """Whether every worker is still running."""
        return all(w.is_alive() for w in self.workers)

    def close(self, force: bool = False) -> None:
        """Ask every worker to destroy its process group and exit; kill those that do not."""
        if not force:
            for inbox in self.inboxes:
                inbox.put(None)
        for w in self.workers:
            w.join(timeout=0 if force else 10)
            if w.is_alive():
                w.kill()
                w.join()


_POOL: list[ProcessPool] = []


def pool() -> ProcessPool:
    """The run's process pool, started on first use (and again after a timeout killed it)."""
    if not _POOL or not _POOL[0].alive():
        _POOL[:] = [ProcessPool()]
    return _POOL[0]


@atexit.register
def _shutdown() -> None:
    for p in _POOL:
        if p.alive():
            p.close()

