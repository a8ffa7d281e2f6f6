"""The optimizers reference on hand-worked cases (the catalogue's examples and the update
formulas evaluated by hand), and its guard clauses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference import optimizers as ref


def one(value: float) -> list[np.ndarray]:
    return [np.array([value])]


def final(name: str, p: float, grads: list[float | None], **hyper) -> float:
    params, _ = ref.run(name, one(p), [[None if g is None else np.array([g])] for g in grads], hyper)
    return float(params[0][0])


def test_sgd_descends():
    assert final("sgd", 1.0, [2.0], lr=0.1) == pytest.approx(0.8)             # OP12: not 1.2
    assert final("sgd", 1.0, [2.0], lr=0.1, maximize=True) == pytest.approx(1.2)


def test_momentum_zero_vs_none_gradient():
    assert final("sgd", 1.0, [1.0, 0.0], lr=0.1, momentum=0.9) == pytest.approx(0.81)  # OP14
    assert final("sgd", 1.0, [1.0, None], lr=0.1, momentum=0.9) == pytest.approx(0.9)


def test_dampening_starts_on_the_second_step():
    # b1 = g = 1; b2 = 0.9·1 + 0.5·1 = 1.4; p = 1 − 0.1·1 − 0.1·1.4
    assert final("sgd", 1.0, [1.0, 1.0], lr=0.1, momentum=0.9, dampening=0.5) == pytest.approx(0.76)


def test_nesterov_uses_the_current_gradient():
    # OP03: b1 = 1, step g + μb = 1.9; b2 = 0.9 + 2 = 2.9, step 2 + 2.61 = 4.61
    assert final("sgd", 0.0, [1.0, 2.0], lr=0.1, momentum=0.9, nesterov=True) == pytest.approx(-0.1 * (1.9 + 4.61))


def test_adam_first_step_is_lr_times_sign():
    # bias correction makes m̂ = g and v̂ = g², so the first step is lr·g/(|g| + eps)
    assert final("adam", 0.0, [3.0], lr=0.1, eps=0.0) == pytest.approx(-0.1)
    assert final("adam", 0.0, [1e-6], lr=0.1, eps=1e-6) == pytest.approx(-0.05)  # OP17: eps outside the root


def test_adam_l2_vs_adamw_decoupled():
    assert final("adamw", 2.0, [0.0], lr=0.1, weight_decay=0.5) == pytest.approx(2.0 * 0.95)  # OP06
    # OP05: Adam's decay enters the gradient: g = 0.5·2 = 1, the first step is −lr
    assert final("adam", 2.0, [0.0], lr=0.1, weight_decay=0.5, eps=0.0) == pytest.approx(1.9)


def test_amsgrad_keeps_the_largest_raw_second_moment():
    _, states = ref.run("adam", one(0.0), [one(1.0), one(0.0)], {"amsgrad": True, "betas": (0.5, 0.5)})
    assert states[0]["max_exp_avg_sq"][0] == pytest.approx(0.5)   # v1 = 0.5, v2 = 0.25
    assert states[0]["exp_avg_sq"][0] == pytest.approx(0.25)
    assert set(states[0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}  # MD12 / OP11


def test_rmsprop_and_centered():
    # s = 0.01, d = 0.1: step lr·g/d = 0.1; centered: a = 0.01, d = sqrt(0.01 − 0.0001)
    assert final("rmsprop", 0.0, [1.0], lr=0.01, eps=0.0) == pytest.approx(-0.1)
    assert final("rmsprop", 0.0, [1.0], lr=0.01, eps=0.0, centered=True) == pytest.approx(-0.01 / math.sqrt(0.0099))


def test_adagrad_lr_decay_and_initial_accumulator():
    # Σ = 1 + 1 = 2, then 2 + 4 = 6; clr = 0.1, then 0.1/1.5
    p = final("adagrad", 0.0, [1.0, 2.0], lr=0.1, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0)
    assert p == pytest.approx(-0.1 / math.sqrt(2) - 0.1 / 1.5 * 2 / math.sqrt(6))


def test_state_structure():
    _, states = ref.run("adam", [np.ones((3, 5))], [[np.ones((3, 5))]], {})
    assert set(states[0]) == {"step", "exp_avg", "exp_avg_sq"} and states[0]["step"] == 1
    assert states[0]["exp_avg"].size + states[0]["exp_avg_sq"].size == 2 * 15          # MD12
    assert ref.run("sgd", one(1.0), [one(1.0)], {})[1] == [{}]
    assert set(ref.run("adagrad", one(1.0), [[None]], {})[1][0]) == {"step", "sum"}


def test_clip_grad_norm_scales_jointly():
    clipped, total = ref.clip_grad_norm([np.array([3.0]), np.array([4.0])], 1.0)   # OP09
    assert total == 5.0
    np.testing.assert_allclose(np.concatenate(clipped), [0.6, 0.8], rtol=1e-6)
    assert ref.total_norm([np.array([3.0, -7.0]), np.array([4.0])], math.inf) == 7.0
    same, _ = ref.clip_grad_norm([np.array([0.3])], 1.0)
    assert same[0][0] == 0.3


def test_accumulated_gradient_formula():
    w, x, y = np.array([[2.0]]), np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]])
    # loss = ((2)² + (6)²)/2, d/dw = (2·2·1 + 2·6·3)/2 = 20
    np.testing.assert_allclose(ref.accumulated_gradient(w, x, y, 2), [[20.0]])


def test_schedules():
    np.testing.assert_allclose(ref.schedule("step", 1.0, {"step_size": 2, "gamma": 0.5}, 5), [1, 1, .5, .5, .25])
    np.testing.assert_allclose(ref.schedule("cosine", 1.0, {"t_max": 2, "eta_min": 0.0}, 3), [1, .5, 0], atol=1e-15)
    np.testing.assert_allclose(ref.schedule("linear", 1.0, {"start_factor": 0.5, "end_factor": 1.0,
                                                              "total_iters": 2}, 4), [.5, .75, 1, 1])
    np.testing.assert_allclose(ref.schedule("cosine_warm_restarts", 1.0, {"t_0": 2, "t_mult": 1, "eta_min": 0.0}, 5),
                               [1, .5, 1, .5, 1])                                          # OP15
    np.testing.assert_allclose(ref.schedule("cosine_warm_restarts", 1.0, {"t_0": 1, "t_mult": 2, "eta_min": 0.0}, 4),
                               [1, 1, .5, 1])


def test_adadelta_by_hand():
    # OP16: s = 0.1·1² = 0.1, δ = √(0 + eps)/√(0.1 + eps)·1, u = 0.1·δ², p = −lr·δ
    eps = 1e-6
    delta = math.sqrt(eps) / math.sqrt(0.1 + eps)
    params, states = ref.run("adadelta", one(0.0), [one(1.0)], {})
    assert params[0][0] == pytest.approx(-delta)
    assert set(states[0]) == {"step", "square_avg", "acc_delta"}
    assert states[0]["acc_delta"][0] == pytest.approx(0.1 * delta**2)
    # a second step: s = 0.09 + 0.1·4 = 0.49, δ₂ = √(u + eps)/√(0.49 + eps)·2, lr 0.5
    delta2 = math.sqrt(0.1 * delta**2 + eps) / math.sqrt(0.49 + eps) * 2
    assert final("adadelta", 0.0, [1.0, 2.0], lr=0.5) == pytest.approx(-0.5 * (delta + delta2))


def test_param_groups_example():
    # OP10: a = b = 1, gradient 1, group lrs 0.1 and 1.0 -> 0.9 and 0.0; a group without lr takes 0.5
    groups = [(one(1.0), {"lr": 0.1}), (one(1.0), {"lr": 1.0}), (one(1.0), {})]
    params, _ = ref.run_groups("sgd", groups, [[np.array([1.0])] * 3], {"lr": 0.5})
    np.testing.assert_allclose(np.concatenate(params), [0.9, 0.0, 0.5])


def test_linear_sgd_step_by_hand_and_by_finite_differences():
    # MD11: loss (w·x + b − y)² with w = 1, b = 0, x = 1, y = 0 has gradients 2, 2
    w, b = ref.linear_sgd_step(np.array([[1.0]]), np.array([0.0]), np.array([[1.0]]), np.array([[0.0]]), 0.1)
    np.testing.assert_allclose(w, [[0.8]])
    np.testing.assert_allclose(b, [-0.2])
    rng = np.random.default_rng(0)
    w, b, x, y = rng.standard_normal((2, 3)), rng.standard_normal(2), rng.standard_normal((4, 3)), rng.standard_normal((4, 2))

    def loss(w_: np.ndarray, b_: np.ndarray) -> float:
        return float(np.mean((x @ w_.T + b_ - y) ** 2))

    h = 1e-6
    grad_w = np.array([[(loss(w + h * e, b) - loss(w - h * e, b)) / (2 * h) for e in row] for row in np.eye(6).reshape(2, 3, 2, 3)])
    grad_b = np.array([(loss(w, b + h * e) - loss(w, b - h * e)) / (2 * h) for e in np.eye(2)])
    new_w, new_b = ref.linear_sgd_step(w, b, x, y, 0.5)
    np.testing.assert_allclose(new_w, w - 0.5 * grad_w, atol=1e-8)
    np.testing.assert_allclose(new_b, b - 0.5 * grad_b, atol=1e-8)


def test_state_dict_keys():
    # MD13: model {weight, bias}; optimizer {state, param_groups}; scheduler at least last_epoch, base_lrs
    keys = ref.state_dict_keys("adadelta")
    assert keys["model"] == {"weight", "bias"} and keys["optimizer"] == {"state", "param_groups"}
    assert keys["scheduler"] == {"last_epoch", "base_lrs"}
    assert keys["param_group"] == {"params", "lr", "rho", "eps", "weight_decay", "maximize"}


@pytest.mark.parametrize(("call", "error"), [
    (lambda: ref.run("lbfgs", one(1.0), [one(1.0)], {}), ValueError),
    (lambda: ref.run("sgd", one(1.0), [one(1.0)], {"betas": (0.9, 0.9)}), ValueError),
    (lambda: ref.run("sgd", one(1.0), [one(1.0)], {"lr": -1.0}), ValueError),
    (lambda: ref.run("sgd", one(1.0), [one(1.0)], {"nesterov": True}), ValueError),             # OP08
    (lambda: ref.run("adam", one(1.0), [one(1.0)], {"betas": (1.0, 0.9)}), ValueError),
    (lambda: ref.run("adam", one(1.0), [[np.ones(2)]], {}), ValueError),
    (lambda: ref.run("adam", one(1.0), [[np.ones(1, dtype=np.int64)]], {}), TypeError),
    (lambda: ref.run("adam", one(1.0), [one(1.0), one(1.0)] + [3], {}), TypeError),
    (lambda: ref.run("adam", one(1.0), "grads", {}), TypeError),
    (lambda: ref.step("adam", one(1.0), [], [], {}), ValueError),
    (lambda: ref.run("adam", one(1.0), [one(1.0)], "hyper"), TypeError),
    (lambda: ref.clip_grad_norm([np.ones(2)], -1.0), ValueError),
    (lambda: ref.clip_grad_norm([np.ones(2)], 1.0, 0.0), ValueError),
    (lambda: ref.clip_grad_norm([np.array([np.inf])], 1.0, 2.0, True), ValueError),
    (lambda: ref.clip_grad_norm("grads", 1.0), TypeError),
    (lambda: ref.accumulated_gradient(np.ones((2, 1)), np.ones((3, 2)), np.ones((3, 1)), 2), ValueError),
    (lambda: ref.accumulated_gradient(np.ones((2, 1)), np.ones((4, 3)), np.ones((4, 1)), 2), ValueError),
    (lambda: ref.accumulated_gradient(np.ones(2), np.ones((4, 2)), np.ones((4, 1)), 2), ValueError),
    (lambda: ref.accumulated_gradient(np.ones((2, 1)), np.ones((4, 2)), np.ones((4, 1)), 2.0), TypeError),
    (lambda: ref.schedule("exp", 1.0, {}, 3), ValueError),
    (lambda: ref.schedule("step", 1.0, {"step_size": 0, "gamma": 0.1}, 3), ValueError),
    (lambda: ref.schedule("step", 1.0, {"step_size": 2}, 3), ValueError),
    (lambda: ref.schedule("step", 1.0, {"step_size": 2, "gamma": "x"}, 3), TypeError),
    (lambda: ref.schedule("step", 1.0, {"step_size": 2, "gamma": 0.1}, -1), ValueError),
    (lambda: ref.schedule("linear", 1.0, {"start_factor": 0.0, "end_factor": 1.0, "total_iters": 2}, 3), ValueError),
    (lambda: ref.run("adadelta", one(1.0), [one(1.0)], {"rho": 1.5}), ValueError),
    (lambda: ref.run("adadelta", one(1.0), [one(1.0)], {"betas": (0.9, 0.9)}), ValueError),
    (lambda: ref.run_groups("sgd", [one(1.0)], [[np.ones(1)]], {}), TypeError),
    (lambda: ref.run_groups("sgd", [(one(1.0), {})], [[np.ones(1), np.ones(1)]], {}), ValueError),
    (lambda: ref.run_groups("sgd", [(one(1.0), {"lr": -1.0})], [[np.ones(1)]], {}), ValueError),
    (lambda: ref.run_groups("sgd", [(one(1.0), {})], [[np.ones(1)]], "defaults"), TypeError),
    (lambda: ref.linear_sgd_step(np.ones((2, 3)), np.ones(3), np.ones((4, 3)), np.ones((4, 2)), 0.1), ValueError),
    (lambda: ref.linear_sgd_step(np.ones((2, 3)), np.ones(2), np.ones((4, 3)), np.ones((4, 2)), -0.1), ValueError),
    (lambda: ref.linear_sgd_step(np.ones((2, 3)), np.ones(2), np.ones((4, 3)), np.ones((4, 2)), "lr"), TypeError),
    (lambda: ref.linear_sgd_step(np.ones((2, 3), int), np.ones(2), np.ones((4, 3)), np.ones((4, 2)), 0.1), TypeError),
    (lambda: ref.state_dict_keys("lbfgs"), ValueError),
])
def test_guards(call, error):
    with pytest.raises(error, match=r"\w"):
        call()
