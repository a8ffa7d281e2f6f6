"""The parallel reference's simulations on hand-worked cases and against independent
computations (finite differences, the full-batch formulas), and its guard clauses."""

from __future__ import annotations

import argparse
import inspect

import numpy as np
import pytest

from reference import parallel as ref

RNG = np.random.default_rng(2024)
X, Y, W = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2)), RNG.standard_normal((2, 3))


def loss(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(np.mean((x @ w.T - y) ** 2))


def test_collectives_by_hand():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    assert [r.tolist() for r in ref.all_reduce([a, b])] == [[4.0, 7.0]] * 2
    assert [r.tolist() for r in ref.all_reduce([a, b], "mean")] == [[2.0, 3.5]] * 2
    assert [r.tolist() for r in ref.all_gather([a, b])] == [[1.0, 2.0, 3.0, 5.0]] * 2
    assert [r.tolist() for r in ref.reduce_scatter([a, b])] == [[4.0], [7.0]]
    assert [r.tolist() for r in ref.shard(np.arange(6).reshape(2, 3), 3, axis=1)] == [[[0], [3]], [[1], [4]], [[2], [5]]]


def test_mse_grad_is_the_derivative_of_the_loss():
    h, numeric = 1e-6, np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[idx] = h
        numeric[idx] = (loss(X, Y, W + step) - loss(X, Y, W - step)) / (2 * h)
    np.testing.assert_allclose(ref.mse_grad(X, Y, W), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("world_size", [1, 2, 3, 6])
def test_data_parallel_average_is_the_full_batch_gradient(world_size):
    """P01: averaging equal shards' gradients gives the full-batch gradient; summing would not."""
    for g in ref.data_parallel_grad(X, Y, W, world_size):
        np.testing.assert_allclose(g, ref.mse_grad(X, Y, W), rtol=1e-12, atol=1e-14)
    summed = ref.all_reduce([ref.mse_grad(xs, ys, W) for xs, ys in zip(ref.shard(X, world_size), ref.shard(Y, world_size))])
    np.testing.assert_allclose(summed[0], world_size * ref.mse_grad(X, Y, W), rtol=1e-12, atol=1e-14)


def test_gradient_accumulation_is_the_large_batch():
    """P06: 8 micro-batches with loss/8 are one batch of 32."""
    x, y, w = RNG.standard_normal((32, 3)), RNG.standard_normal((32, 2)), RNG.standard_normal((2, 3))
    np.testing.assert_allclose(ref.accumulated_grad(x, y, w, 8), ref.mse_grad(x, y, w), rtol=1e-12, atol=1e-14)


def test_adam_first_step_moves_each_element_by_lr():
    """With m̂ = g and v̂ = g² after one step, Adam moves every element by lr·g/(|g| + eps)."""
    p, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -4.0, 2.0])
    np.testing.assert_allclose(ref.adam([p], [[g]], lr=0.1)[0], p - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-14)
    assert ref.adam([p], [[np.zeros(3)]], lr=0.1)[0].tolist() == p.tolist()


def test_zero_partition_of_the_catalogue():
    """P02: 4 tensors of 16, 8, 4 and 2 elements on 2 ranks: rank 0 keeps the state of one
    tensor (16 elements), rank 1 of three (14)."""
    assert ref.zero_partition([16, 8, 4, 2], 2) == [[0], [1, 2, 3]]
    assert ref.zero_partition([2, 16, 4, 8], 3) == [[1], [3], [0, 2]]


def test_zero_adam_is_plain_adam():
    params = [RNG.standard_normal(s) for s in ((4,), (2, 3), (1,))]
    grads = [[RNG.standard_normal(p.shape) for p in params] for _ in range(3)]
    per_rank, owners = ref.zero_adam(params, grads, 2, lr=0.05)
    assert sorted(i for mine in owners for i in mine) == [0, 1, 2]
    for mine in per_rank:
        for got, want in zip(mine, ref.adam(params, grads, lr=0.05)):
            np.testing.assert_array_equal(got, want)


def test_sharded_gradient_parts_join_to_the_full_gradient():
    """P03: the weight parts are its rows, the gradient parts those of the full-batch gradient."""
    w = RNG.standard_normal((4, 3))
    parts, grads = ref.sharded_data_parallel_grad(X, RNG.standard_normal((6, 4)), w, 2)
    np.testing.assert_array_equal(np.concatenate(parts), w)
    assert [g.shape for g in grads] == [(2, 3), (2, 3)]


def test_tensor_parallel_by_hand():
    """P04: [[1, 2]] @ [[1, 0], [0, 1]] split two ways: columns are gathered, rows summed."""
    x, w = np.array([[1.0, 2.0]]), np.array([[1.0, 3.0], [5.0, 7.0]])
    for split in ("column", "row"):
        assert [r.tolist() for r in ref.tensor_parallel_matmul(x, w, 2, split)] == [[[11.0, 17.0]]] * 2


def test_pipeline_is_the_full_model():
    """P05: 2 stages x 4 micro-batches equal the full model; the model is tanh(h @ W.T) per layer."""
    x = RNG.standard_normal((8, 3))
    weights = [RNG.standard_normal(s) for s in ((4, 3), (2, 4), (2, 2))]
    np.testing.assert_allclose(ref.mlp_forward(x, weights),
                               np.tanh(np.tanh(np.tanh(x @ weights[0].T) @ weights[1].T) @ weights[2].T), rtol=1e-15)
    for stages, micro in ((1, 1), (2, 4), (3, 3), (3, 8)):
        np.testing.assert_allclose(ref.pipeline_forward(x, weights, stages, micro), ref.mlp_forward(x, weights),
                                   rtol=1e-14, atol=1e-15)


def test_sampler_of_the_catalogue():
    """DA04: 3 ranks over 10 without shuffling; drop_last cuts sample 9 instead of repeating 0 and 1."""
    def ranks(**kw):
        return [ref.distributed_sampler(10, 3, r, shuffle=False, **kw)[0] for r in range(3)]

    assert ranks() == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert ranks(drop_last=True) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert ref.distributed_sampler(2, 5, 4, shuffle=False)[0] == [0]  # padding wraps around more than once


def test_sampler_epochs():
    """DA05: without set_epoch the order repeats; set_epoch(e) reshuffles with seed + e."""
    def order(epochs):
        return [[i for pair in zip(*es) for i in pair] for es in zip(*(ref.distributed_sampler(
            20, 2, r, seed=7, epochs=epochs) for r in range(2)))]

    repeated = order((None, None))
    assert repeated[0] == repeated[1] and sorted(repeated[0]) == list(range(20))
    zero, one, again = order((0, 1, None))
    assert zero == repeated[0] and one != zero and again == one and sorted(one) == list(range(20))


def test_spawn_passes_the_index_first():
    """DA06: the notes' mp.spawn(run, args=(world_size,), nprocs=world_size) calls run(i, world_size):
    bound to their def run(demo_fn, world_size), the process index lands in demo_fn."""
    def notes_run(demo_fn, world_size):
        return demo_fn, world_size

    received = ref.spawn_arguments(2, (2,))
    assert received == [(0, 2), (1, 2)]
    assert [inspect.signature(notes_run).bind(*r).arguments for r in received] == [
        {"demo_fn": 0, "world_size": 2}, {"demo_fn": 1, "world_size": 2}]
    assert ref.spawn_arguments(3, ()) == [(0,), (1,), (2,)]


@pytest.mark.parametrize("launcher", ref.LAUNCHERS)
def test_launched_processes_parsed_as_the_docs_show(launcher):
    """DA07: a script parsing ``--local-rank`` as torch.distributed.launch's docstring shows gets
    the local rank from the command line under launch only; under torchrun it must read
    ``os.environ["LOCAL_RANK"]``, which both launchers set."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--local-rank", "--local_rank", type=int)
    for i, process in enumerate(ref.launch_environment(launcher, 3)):
        assert process["env"] == {"RANK": str(i), "LOCAL_RANK": str(i), "WORLD_SIZE": "3"}
        assert parser.parse_args(process["argv"]).local_rank == (i if launcher == "launch" else None)
        assert process["deprecated"] == (launcher == "launch")


def test_nccl_needs_cuda():
    """DA06: gloo starts on any device, nccl only on CUDA."""
    assert [ref.process_group_starts(name, device) for name in ("gloo", "nccl") for device in ("cpu", "cuda")] == [
        True, True, False, True]


@pytest.mark.parametrize(("fn", "args", "kwargs"), [
    (ref.all_reduce, ([],), {}),
    (ref.all_reduce, ([np.ones(2), np.ones(3)],), {}),
    (ref.all_reduce, ([np.ones(2)],), {"op": "max"}),
    (ref.all_reduce, ("ab",), {}),
    (ref.all_gather, ([np.ones(2)],), {"axis": 1}),
    (ref.all_gather, ([np.ones(2)],), {"axis": 0.5}),
    (ref.reduce_scatter, ([np.ones(3), np.ones(3)],), {}),
    (ref.shard, (np.ones(5), 2), {}),
    (ref.shard, ([1, 2], 2), {}),
    (ref.shard, (np.ones(4), 0), {}),
    (ref.shard, (np.ones(4), True), {}),
    (ref.mse_grad, (X, Y, W.T), {}),
    (ref.mse_grad, (X[:0], Y[:0], W), {}),
    (ref.mse_grad, (X, Y, W.astype(np.int64)), {}),
    (ref.mse_grad, (X, Y.astype(np.complex128), W), {}),
    (ref.data_parallel_grad, (X, Y, W, 4), {}),
    (ref.accumulated_grad, (X, Y, W, 0), {}),
    (ref.adam, ([np.ones(2)], [[np.ones(3)]]), {}),
    (ref.adam, ([np.ones(2)], [[np.ones(2), np.ones(2)]]), {}),
    (ref.adam, ([np.ones(2)], [[np.ones(2)]]), {"betas": (0.9, 1.0)}),
    (ref.adam, ([np.ones(2)], [[np.ones(2)]]), {"lr": "fast"}),
    (ref.adam, ([np.ones(2, dtype=np.int64)], [[np.ones(2)]]), {}),
    (ref.adam, (np.ones(2), 3), {}),
    (ref.zero_partition, ([1, -2], 2), {}),
    (ref.zero_partition, ([1.5], 2), {}),
    (ref.zero_adam, ([np.ones(2)], [[np.ones(2)]], 0), {}),
    (ref.sharded_data_parallel_grad, (X, Y, np.ones((3, 3)), 2), {}),
    (ref.tensor_parallel_matmul, (X, W, 1, "column"), {}),
    (ref.tensor_parallel_matmul, (X, W.T, 2, "diagonal"), {}),
    (ref.tensor_parallel_matmul, (X, W.T, 2, "row"), {}),
    (ref.mlp_forward, (X, []), {}),
    (ref.mlp_forward, (X, [W.T]), {}),
    (ref.mlp_forward, (X.astype(np.int64), [W]), {}),
    (ref.mlp_forward, (X[0], [W]), {}),
    (ref.pipeline_forward, (X, [np.ones((3, 3))], 2, 1), {}),
    (ref.pipeline_forward, (X, [np.ones((3, 3))], 1, 7), {}),
    (ref.distributed_sampler, (10, 3, 3), {}),
    (ref.distributed_sampler, (-1, 3, 0), {}),
    (ref.distributed_sampler, (10, 0, 0), {}),
    (ref.distributed_sampler, (10, 3, 0), {"shuffle": 1}),
    (ref.distributed_sampler, (10, 3, 0), {"epochs": 1}),
    (ref.distributed_sampler, (10, 3, 0), {"epochs": ["one"]}),
    (ref.distributed_sampler, (10.0, 3, 0), {}),
    (ref.spawn_arguments, (0, ()), {}),
    (ref.spawn_arguments, (2, [2]), {}),
    (ref.spawn_arguments, (2.0, ()), {}),
    (ref.launch_environment, ("mpirun", 2), {}),
    (ref.launch_environment, ("torchrun", 0), {}),
    (ref.process_group_starts, ("mpi", "cpu"), {}),
    (ref.process_group_starts, ("nccl", 0), {}),
])
def test_guards(fn, args, kwargs):
    with pytest.raises((ValueError, TypeError), match=r"\w"):
        fn(*args, **kwargs)
