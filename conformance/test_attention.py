"""Conformance: scaled dot-product attention, masks, multi-head variants and transformer blocks
(catalogue AT01–AT15, AT17–AT20).

Every backend is compared with ``reference.attention``, which writes ``softmax(q kᵀ·scale + mask) v``
out in float64.  The tolerance is the policy's bound for the chain of sums an attention is:
``terms`` adds the lengths of its accumulations (the head size of ``q·k``, the key length of the
weighted sum, the features of each projection), and ``scale`` is a first-order bound of the
magnitudes those sums carry, computed from the reference: ``Σ_s p_s |v_s|`` for the weighted
sum, times ``1 + 2·max|logit|`` because an error ``δ`` in the logits moves each probability by
at most ``2δ·p`` relatively; LayerNorm multiplies an absolute error by ``max|γ| / σ``, σ the
smallest standard deviation it divides by.  Where libraries legitimately differ (the causal
mask's alignment when query and key lengths differ, the output of a query whose keys are
all masked) the backend's declared behaviour picks the reference's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlspec import testing
from dlspec.api import Backend
from dlspec.compare import assert_conforms
from dlspec.gradcheck import check_gradient
from dlspec.strategies import draw_dtype
from reference import attention as ref
from reference.dtypes import round_to
from reference.normalization import layer_norm

spec = pytest.mark.spec
DTYPES = ("float64", "float32", "float16", "bfloat16")
BLOCK_DTYPES = ("float64", "float32")
LOW_PRECISION = ("float16", "bfloat16")
SDPA = "scaled_dot_product_attention"


# -- helpers -------------------------------------------------------------------------------------


def _mask_kind(mask: np.ndarray | None) -> str:
    return "bool" if mask is not None and mask.dtype == np.bool_ else "float"


def reference_attention(backend: Backend, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None,
                    is_causal: bool, scale: float | None, enable_gqa: bool) -> tuple[np.ndarray, np.ndarray]:
    """The reference's output (float64) and its error scale, under the backend's declared
    alignment and fully-masked-row behaviours."""
    rules = {"causal_alignment": testing.declared(backend, "causal_alignment") if is_causal else "top_left",
             "fully_masked_row": testing.declared(backend, f"fully_masked_row_{_mask_kind(mask)}")}
    wide = [a.astype(np.float64) for a in (q, k, v)]
    expected = ref.scaled_dot_product_attention(*wide, mask, is_causal, scale, enable_gqa=enable_gqa, **rules)
    qw, kw, vw = wide
    if enable_gqa and kw.shape[-3] != qw.shape[-3]:
        kw, vw = ref.expand_kv_heads(kw, qw.shape[-3]), ref.expand_kv_heads(vw, qw.shape[-3])
    probs = np.nan_to_num(ref.attention_weights(qw, kw, mask, is_causal, scale, **rules))
    factor = abs(1.0 / np.sqrt(q.shape[-1]) if scale is None else scale)
    logits = factor * np.abs(qw) @ np.swapaxes(np.abs(kw), -1, -2)
    if mask is not None and mask.dtype.kind == "f":
        logits = logits + np.abs(np.where(np.isfinite(mask), mask, 0.0))
    return expected, (probs @ np.abs(vw)) * (1 + 2 * np.max(logits, axis=-1, keepdims=True, initial=0.0))


def check_attention(backend: Backend, dtype: str, q: np.ndarray, k: np.ndarray, v: np.ndarray,
                    mask: np.ndarray | None = None, is_causal: bool = False, scale: float | None = None,
                    enable_gqa: bool = False) -> Any:
    """The backend's attention of ``q, k, v`` (given in ``dtype``; a float mask too, a boolean
    one as booleans) against the reference; returns the backend's result."""
    fn = testing.op(backend, SDPA)
    testing.require_dtype(backend, dtype)
    expected, error_scale = reference_attention(backend, q, k, v, mask, is_causal, scale, enable_gqa)
    args = [backend.asarray(a, dtype) for a in (q, k, v)]
    mask_b = None if mask is None else backend.asarray(mask, None if mask.dtype == np.bool_ else dtype)
    got = fn(*args, mask_b, is_causal, scale, enable_gqa)
    text = (f"q {q.shape}, k {k.shape}, v {v.shape} as {dtype}, mask {None if mask is None else mask.tolist()}, "
            f"is_causal={is_causal}, scale={scale}, enable_gqa={enable_gqa}")
    lowp = round_to(expected, dtype) if dtype in LOW_PRECISION else None
    assert_conforms(backend, got, expected, op=SDPA, dtype=dtype, terms=q.shape[-1] + k.shape[-2], scale=error_scale,
                    lowp_expected=lowp, inputs=text)
    return got


def check_block(backend: Backend, name: str, rule: Callable[..., np.ndarray], args: list[Any], dtype: str,
                terms: int, scale: np.ndarray | float, text: str) -> None:
    """Spec operation ``name`` on ``args`` (NumPy arrays given in ``dtype``, mappings and tuples
    of them converted entry by entry) against ``rule`` on the float64 values."""
    fn = testing.op(backend, name)
    testing.require_dtype(backend, dtype)

    def convert(a: Any, to: Callable[[np.ndarray], Any]) -> Any:
        if isinstance(a, np.ndarray):
            return to(a)
        if isinstance(a, dict):
            return {key: to(value) for key, value in a.items()}
        if isinstance(a, (list, tuple)) and a and isinstance(a[0], (np.ndarray, dict)):
            return type(a)(convert(item, to) for item in a)
        return a

    expected = rule(*(convert(a, lambda x: x.astype(np.float64) if x.dtype.kind == "f" else x) for a in args))
    got = fn(*(convert(a, lambda x: backend.asarray(x, dtype if x.dtype.kind == "f" else None)) for a in args))
    assert_conforms(backend, got, expected, op=name, dtype=dtype, terms=terms, scale=scale, inputs=text)


def _normal(rng: np.random.Generator, shape: tuple[int, ...], std: float, dtype: str) -> np.ndarray:
    return round_to(rng.standard_normal(shape) * std, dtype)


def layer_params(rng: np.random.Generator, e: int, ff: int, dtype: str) -> dict[str, np.ndarray]:
    """Seeded arrays of one encoder layer: weights of variance 1/fan_in, biases and LayerNorm
    parameters of order 1 (γ around 1), all held exactly by ``dtype``."""
    fan_in = {"in_proj_weight": e, "out_proj_weight": e, "linear1_weight": e, "linear2_weight": ff}
    shapes = {"in_proj_weight": (3 * e, e), "in_proj_bias": (3 * e,), "out_proj_weight": (e, e), "out_proj_bias": (e,),
              "linear1_weight": (ff, e), "linear1_bias": (ff,), "linear2_weight": (e, ff), "linear2_bias": (e,),
              "norm1_weight": (e,), "norm1_bias": (e,), "norm2_weight": (e,), "norm2_bias": (e,)}
    params = {name: _normal(rng, shape, 1 / np.sqrt(fan_in.get(name, 4)), dtype) for name, shape in shapes.items()}
    for i in (1, 2):
        params[f"norm{i}_weight"] = round_to(1 + params[f"norm{i}_weight"], dtype)
    return params


def _norm_gain(h: np.ndarray, gamma: np.ndarray, eps: float) -> float:
    """How much LayerNorm amplifies an absolute error of its input ``h``: ``max|γ| / min σ``."""
    sigma = np.sqrt(np.var(h, axis=-1) + eps)
    return float(np.max(np.abs(gamma)) / np.min(sigma))


def _mha_scale(query: np.ndarray, key: np.ndarray, value: np.ndarray, w: np.ndarray, b: np.ndarray | None,
               w_out: np.ndarray, b_out: np.ndarray | None, heads: int, kpm: np.ndarray | None) -> np.ndarray:
    """The first-order error scale of multi-head attention: the magnitudes of the projections
    (``|x| @ |W|ᵀ + |b|``), propagated through attention like :func:`reference_attention`'s, then
    through the output projection."""
    e = query.shape[-1]
    b = np.zeros(3 * e) if b is None else b
    q, k, v = (ref._split_heads(np.abs(x) @ np.abs(w[i * e:(i + 1) * e]).T + np.abs(b[i * e:(i + 1) * e]), heads)
               for i, x in enumerate((query, key, value)))
    mask = None if kpm is None else ~kpm[:, None, None, :]
    probs = ref.attention_weights(q, k, mask)
    logits = np.max(q @ np.swapaxes(k, -1, -2), axis=-1, keepdims=True) / np.sqrt(e // heads)
    attended = (probs @ v) * (1 + 2 * logits)
    concat = attended.transpose(0, 2, 1, 3).reshape(query.shape[0], query.shape[1], e)
    return concat @ np.abs(w_out).T + (0.0 if b_out is None else np.abs(b_out))


def _layer_error(x: np.ndarray, p: dict[str, np.ndarray], heads: int, norm_first: bool, eps: float) -> tuple[int, float]:
    """``(terms, scale)`` for one encoder layer: the accumulations' lengths, and the largest
    magnitude any stage carries times the LayerNorms' amplification of errors."""
    e, ff, n = x.shape[-1], p["linear1_weight"].shape[0], x.shape[1]
    x = x.astype(np.float64)

    def mha(h: np.ndarray) -> np.ndarray:
        return ref.multi_head_attention(h, h, h, p["in_proj_weight"], p["in_proj_bias"], p["out_proj_weight"],
                                        p["out_proj_bias"], heads)

    def mha_scale(h: np.ndarray) -> np.ndarray:
        return _mha_scale(h, h, h, p["in_proj_weight"], p["in_proj_bias"], p["out_proj_weight"], p["out_proj_bias"],
                          heads, None)

    def ff_scale(h: np.ndarray) -> np.ndarray:
        hidden = np.abs(h) @ np.abs(p["linear1_weight"]).T + np.abs(p["linear1_bias"])
        return hidden @ np.abs(p["linear2_weight"]).T + np.abs(p["linear2_bias"])

    def norm(h: np.ndarray, i: int) -> np.ndarray:
        return layer_norm(h, (e,), p[f"norm{i}_weight"], p[f"norm{i}_bias"], eps)

    gains = []
    if norm_first:
        n1 = norm(x, 1)
        h1 = x + mha(n1)
        n2 = norm(h1, 2)
        gains = [_norm_gain(x, p["norm1_weight"], eps), _norm_gain(h1, p["norm2_weight"], eps)]
        carried = [np.abs(x), mha_scale(n1), np.abs(h1), ff_scale(n2)]
    else:
        h1 = x + mha(x)
        n1 = norm(h1, 1)
        h2 = n1 + ref.feed_forward(n1, p)
        gains = [_norm_gain(h1, p["norm1_weight"], eps), _norm_gain(h2, p["norm2_weight"], eps)]
        carried = [np.abs(x), mha_scale(x), np.abs(n1), ff_scale(n1), np.abs(h2)]
    magnitude = max(float(np.max(c, initial=0.0)) for c in carried)
    return 4 * e + n + ff + 2 * e, magnitude * float(np.prod([1 + g for g in gains]))


# -- scaled dot-product attention (AT01 AT03 AT05 AT06 AT09) -------------------------------------------


@st.composite
def attention_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """Shapes ``(B, H, L, E)`` with B ≤ 2, L ≤ 4, S ≤ 5, E ≤ 4, 1–2 key/value heads shared by
    1–3 query heads each (GQA) or one per query head; a mask that is absent, causal, boolean
    (True = attend; broadcast over batch and heads or not) or additive (0 or a value in [-2, 2],
    or −∞); the default or a custom scale."""
    b, hkv, n, s, e = (draw(st.integers(1, top), label=what) for what, top in
                       (("batch", 2), ("kv heads", 2), ("L", 4), ("S", 5), ("E", 4)))
    group = draw(st.integers(1, 3), label="query heads per kv head")
    kind = draw(st.sampled_from(("none", "causal", "bool", "float")), label="mask")
    mask_shape = draw(st.sampled_from(((n, s), (b, 1, n, s), (b, hkv * group, n, s))), label="mask shape")
    keep = draw(st.lists(st.booleans(), min_size=int(np.prod(mask_shape)), max_size=int(np.prod(mask_shape))),
                label="keep")
    keep = np.array(keep, dtype=bool).reshape(mask_shape)
    mask = None
    if kind == "bool":
        mask = keep
    elif kind == "float":
        added = draw(st.lists(st.sampled_from((0.0, 0.0, -0.5, 1.25, -2.0)), min_size=keep.size, max_size=keep.size),
                     label="added")
        mask = np.where(keep, np.reshape(added, mask_shape), -np.inf)
    scale = draw(st.sampled_from((None, None, 0.5, 0.125)), label="scale")
    return {"shapes": ((b, hkv * group, n, e), (b, hkv, s, e), (b, hkv, s, e)), "mask": mask,
            "is_causal": kind == "causal", "scale": scale, "enable_gqa": group > 1}


@spec("AT01", "AT03", "AT05", "AT06", "AT09")
@given(inputs=attention_inputs(), data=st.data())
def test_scaled_dot_product_attention(backend, inputs, data):
    """AT01, AT03, AT05, AT06, AT09: ``softmax(q kᵀ/√E + mask) v`` (AT01) on every kind of mask:
    boolean True = attend (AT05), additive with −∞ removing a key (AT03), causal (AT06); a custom
    scale replaces 1/√E; with ``enable_gqa`` query head h reads kv head h // (Hq/Hkv) (AT09)."""
    dtype = draw_dtype(backend, data, DTYPES)
    eighths = st.integers(-16, 16).map(lambda i: i / 8)  # exact in every float dtype, logits of order 1
    q, k, v = (data.draw(hnp.arrays(np.float64, shape, elements=eighths), label="values")
               for shape in inputs.pop("shapes"))
    check_attention(backend, dtype, q, k, v, **inputs)


@spec("AT01", "AT09")
@pytest.mark.parametrize(("q_heads", "kv_heads"), [(8, 2), (4, 1), (4, 4)], ids=["AT09-gqa-8-by-2", "AT09-mqa", "mha"])
def test_notes_grouped_query_attention(backend, q_heads, kv_heads):
    """AT09, the catalogue's case: 8 query heads over 2 kv heads equal attention over K and V
    expanded by repeat_interleave(4) (query head h uses kv head h // 4); one kv head is
    multi-query attention, as many as the query heads plain multi-head attention (AT01, default
    scale 1/√E)."""
    rng = np.random.default_rng(9)
    q, k, v = (rng.standard_normal((2, h, 3, 4)) for h in (q_heads, kv_heads, kv_heads))
    got = backend.to_numpy(check_attention(backend, "float64", q, k, v, enable_gqa=True))
    expanded = [ref.expand_kv_heads(a, q_heads) for a in (k, v)]
    assert_conforms(backend, check_attention(backend, "float64", q, *expanded), got, op=SDPA, exact=True,
                    inputs="GQA vs attention over repeat_interleave'd K, V")


@spec("AT06")
@pytest.mark.parametrize(("query_len", "key_len"), [(2, 5), (5, 2), (4, 4)])
def test_causal_alignment(backend, query_len, key_len):
    """AT06 with query and key lengths that differ: the causal mask is top-left (query i sees
    keys j ≤ i, torch SDPA) or bottom-right (j ≤ i + S - L, flash-attention), as the backend
    declares; both are the lower triangle when L == S.  The mask op and ``is_causal`` agree."""
    alignment = testing.declared(backend, "causal_alignment")
    got = testing.op(backend, "causal_mask")(query_len, key_len)
    assert_conforms(backend, got, ref.causal_mask(query_len, key_len, alignment), op="causal_mask", exact=True,
                    inputs=f"{query_len}, {key_len}")
    rng = np.random.default_rng(6)
    q, k, v = (rng.standard_normal((1, 2, n, 3)) for n in (query_len, key_len, key_len))
    check_attention(backend, "float64", q, k, v, is_causal=True)


@spec("AT06")
def test_causal_prefix_ignores_the_future(backend):
    """AT06: with the causal mask, position i only attends to positions ≤ i: changing tokens 4
    and 5 leaves the outputs of positions 0–3 unchanged, bit for bit (a masked key adds exp(−∞)
    = 0 exactly)."""
    fn = testing.op(backend, SDPA)
    rng = np.random.default_rng(4)
    qkv = rng.standard_normal((3, 1, 2, 6, 4))
    changed = qkv.copy()
    changed[..., 4:, :] = rng.standard_normal(changed[..., 4:, :].shape)
    before, after = (backend.to_numpy(fn(*(backend.asarray(a) for a in x), None, True)) for x in (qkv, changed))
    assert_conforms(backend, backend.asarray(after[..., :4, :]), before[..., :4, :], op=SDPA, exact=True,
                    inputs="causal, tokens 4-5 changed")
    assert not np.allclose(after[..., 4:, :], before[..., 4:, :])


@spec("AT03", "AT05")
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_row(backend, kind):
    """AT03, AT05: a query whose keys are all masked has no softmax (0/0).  torch SDPA returns a
    zero row; masked_fill(−∞) + softmax written by hand gives NaN; JAX's boolean mask (a large
    finite negative logit) averages every value.  The backend declares which, per kind of mask
    (``fully_masked_row_bool`` / ``fully_masked_row_float``); the other rows are unaffected."""
    rng = np.random.default_rng(3)
    q, k, v = rng.standard_normal((1, 1, 3, 4)), rng.standard_normal((1, 1, 5, 4)), rng.standard_normal((1, 1, 5, 4))
    keep = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 1]], dtype=bool)
    mask = keep if kind == "bool" else np.where(keep, 0.0, -np.inf)
    check_attention(backend, "float64", q, k, v, mask)


@spec("AT04")
def test_masked_keys_get_zero_gradient(backend):
    """AT04: masked positions have no effect on the parameters' updates: the gradient of the
    attention output with respect to a key or value masked for every query is exactly 0, and
    the gradients with respect to q, k and v match finite differences of the reference."""
    rng = np.random.default_rng(5)
    q, k, v = rng.standard_normal((1, 2, 2, 3)), rng.standard_normal((1, 2, 4, 3)), rng.standard_normal((1, 2, 4, 3))
    keep = np.array([[1, 0, 1, 0], [1, 0, 0, 0]], dtype=bool)
    check_gradient(backend, SDPA, [q, k, v, np.where(keep, 0.0, -np.inf)], wrt=(0, 1, 2))
    fn = testing.op(backend, SDPA)
    mask = backend.asarray(keep)
    cotangent = backend.asarray(rng.standard_normal(q.shape))
    _, dk, dv = backend.vjp(lambda a, b, c: fn(a, b, c, mask), [backend.asarray(x) for x in (q, k, v)], cotangent)
    for grad, what in ((dk, "key"), (dv, "value")):
        masked = backend.to_numpy(grad)[..., ~keep.any(axis=0), :]
        assert np.all(masked == 0.0), f"{backend.name}: gradient w.r.t. masked {what}s is {masked.tolist()}, not 0"


@spec("AT02")
def test_scaling_keeps_softmax_soft(backend):
    """AT02: for d_k = 512 the dot products of unit-variance vectors have variance 512, so
    without the 1/√d_k scale softmax is nearly one-hot (mean largest weight about 0.9 over 16
    keys), with it far from saturated (about 0.25 here, 0.1 in the catalogue).  With the identity as values, attention's
    output IS its weights, so the backend's own softmax is measured."""
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal((1, 1, 32, 512)), rng.standard_normal((1, 1, 16, 512))
    identity = np.eye(16)[None, None]
    unscaled, scaled = (backend.to_numpy(check_attention(backend, "float64", q, k, identity, scale=s))
                        for s in (1.0, None))
    assert unscaled.max(axis=-1).mean() > 0.8 > 0.5 > scaled.max(axis=-1).mean()


@spec("AT10")
@pytest.mark.parametrize("skip", [False, True], ids=["pure-attention", "with-skip"])
def test_rank_collapse(backend, skip):
    """AT10: twelve layers of pure self-attention (the backend's, fresh seeded projections each
    layer, no MLP, no LayerNorm) drive 16 tokens to one vector, a rank-1 matrix (relative
    distance below 1e-6; the catalogue measured 2e-8), while skip connections keep them apart
    (above 1e-2; the catalogue measured 0.1), as in the reference's simulation."""
    fn = testing.op(backend, SDPA)
    x = np.random.default_rng(10).standard_normal((16, 32))
    rng, h = np.random.default_rng(1), x
    for _ in range(12):  # the projections of reference.attention.self_attention_stack
        w = rng.standard_normal((3, 32, 32)) / np.sqrt(32)
        out = backend.to_numpy(fn(*(backend.asarray((h @ w[i])[None]) for i in range(3))))[0]
        h = h + out if skip else out
    residual = ref.rank_one_residual(h)
    assert (residual > 1e-2) if skip else (residual < 1e-6), f"{backend.name}: rank-1 residual {residual:.3g}"


# -- masks (AT05) ------------------------------------------------------------------------------------


@spec("AT05")
@pytest.mark.parametrize("size", [0, 1, 4])
def test_subsequent_mask(backend, size):
    """AT05, the sequence (look-ahead) mask: generate_square_subsequent_mask(4) is −∞ above the
    diagonal and 0 on and below it, an ADDITIVE float mask."""
    got = testing.op(backend, "subsequent_mask")(size)
    assert_conforms(backend, got, ref.subsequent_mask(size), op="subsequent_mask", exact=True, inputs=str(size))


@spec("AT05")
@given(lengths=st.lists(st.integers(0, 5), min_size=1, max_size=3), extra=st.integers(0, 2))
def test_key_padding_mask(backend, lengths, extra):
    """AT05, the padding mask from sequence lengths in nn.MultiheadAttention's convention:
    True = padding, IGNORED (the opposite of SDPA's boolean attn_mask, True = attend)."""
    max_len = max(lengths) + extra
    got = testing.op(backend, "key_padding_mask")(backend.asarray(np.array(lengths, dtype=np.int64)), max_len)
    assert_conforms(backend, got, ref.key_padding_mask(np.array(lengths), max_len), op="key_padding_mask", exact=True,
                    inputs=f"{lengths}, {max_len}")


# -- multi-head attention (AT05 AT07 AT08) -----------------------------------------------------------


@st.composite
def mha_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """Self-attention (one array as query, key and value) or cross-attention (keys of another
    length); 1–2 heads of 1–3 features; biases or none; a key-padding mask from lengths ≥ 1."""
    b, n, heads, d = (draw(st.integers(1, top), label=what) for what, top in
                      (("batch", 2), ("L", 4), ("heads", 2), ("head size", 3)))
    cross = draw(st.booleans(), label="cross-attention")
    s = draw(st.integers(1, 5), label="S") if cross else n
    lengths = draw(st.none() | st.lists(st.integers(1, s), min_size=b, max_size=b), label="lengths")
    return {"b": b, "n": n, "s": s, "e": heads * d, "heads": heads, "cross": cross,
            "bias": draw(st.booleans(), label="biases"), "lengths": lengths, "seed": draw(st.integers(0, 2**16))}


def check_mha(backend: Backend, dtype: str, case: dict[str, Any]) -> None:
    """Multi-head attention on the seeded arrays ``case`` describes, against the reference."""
    rng = np.random.default_rng(case["seed"])
    b, n, s, e = case["b"], case["n"], case["s"], case["e"]
    query = _normal(rng, (b, n, e), 1.0, dtype)
    key = _normal(rng, (b, s, e), 1.0, dtype) if case["cross"] else query
    w, w_out = _normal(rng, (3 * e, e), 1 / np.sqrt(e), dtype), _normal(rng, (e, e), 1 / np.sqrt(e), dtype)
    bias, b_out = (_normal(rng, (m,), 1.0, dtype) if case["bias"] else None for m in (3 * e, e))
    kpm = None if case["lengths"] is None else ref.key_padding_mask(np.array(case["lengths"]), s)
    args = [query, key, key, w, bias, w_out, b_out, case["heads"], kpm]
    scale = _mha_scale(*(a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                         for a in args))
    check_block(backend, "multi_head_attention", ref.multi_head_attention, args, dtype, terms=3 * e + s, scale=scale,
                text=f"{case} as {dtype}")


@spec("AT05", "AT07", "AT08")
@given(case=mha_inputs(), data=st.data())
def test_multi_head_attention(backend, case, data):
    """AT07, AT08, AT05: nn.MultiheadAttention with given weights.  Self-attention projects the
    SAME input through three DIFFERENT blocks of in_proj_weight (3E, E), so Q ≠ K ≠ V (AT08);
    cross-attention takes keys and values of another length, the result keeps the query's
    length (AT07); a key-padding mask, True = ignore, removes the padded keys (AT05)."""
    check_mha(backend, draw_dtype(backend, data, BLOCK_DTYPES), case)


@spec("AT07", "AT08")
def test_multi_head_attention_gradient(backend):
    """AT07, AT08: the gradients of cross-attention with respect to the query, the keys and the
    in-projection match finite differences of the reference."""
    rng = np.random.default_rng(8)
    query, key = rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 3, 4))
    w, w_out = rng.standard_normal((12, 4)) / 2, rng.standard_normal((4, 4)) / 2
    check_gradient(backend, "multi_head_attention", [query, key, key, w, None, w_out, None, 2], wrt=(0, 1, 3))


# -- transformer blocks (AT11-AT15, AT17, U15) ----------------------------------------------------------


@st.composite
def block_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """An encoder layer's sizes: batch ≤ 2, length ≤ 4, 1–2 heads of 1–3 features, feed-forward
    width ≤ 6; Post-LN or Pre-LN; a seed for the values."""
    b, n, heads, d, ff = (draw(st.integers(1, top), label=what) for what, top in
                          (("batch", 2), ("L", 4), ("heads", 2), ("head size", 3), ("ff", 6)))
    return {"b": b, "n": n, "heads": heads, "e": heads * d, "ff": ff, "norm_first": draw(st.booleans()),
            "seed": draw(st.integers(0, 2**16))}


@spec("AT11", "AT12", "AT13")
@given(case=block_inputs(), data=st.data())
def test_encoder_layer(backend, case, data):
    """AT11, AT12, AT13: nn.TransformerEncoderLayer (dropout 0) loaded with given weights is
    Post-LN, x = norm1(x + SA(x)); x = norm2(x + FF(x)) (AT11, norm_first=False), or Pre-LN,
    x = x + SA(norm1(x)); x = x + FF(norm2(x)) (AT12), FF = linear2(relu(linear1(x))) (AT13)."""
    dtype = draw_dtype(backend, data, BLOCK_DTYPES)
    rng = np.random.default_rng(case["seed"])
    x = _normal(rng, (case["b"], case["n"], case["e"]), 1.0, dtype)
    params = layer_params(rng, case["e"], case["ff"], dtype)
    wide = {name: a.astype(np.float64) for name, a in params.items()}
    terms, scale = _layer_error(x, wide, case["heads"], case["norm_first"], 1e-5)
    check_block(backend, "encoder_layer", ref.encoder_layer, [x, params, case["heads"], case["norm_first"]], dtype,
                terms, scale, f"{case} as {dtype}")


@spec("AT14")
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-ln", "pre-ln"])
@pytest.mark.parametrize("final_norm", [False, True], ids=["no-final-norm", "final-norm"])
def test_transformer_encoder(backend, norm_first, final_norm):
    """AT14: TransformerEncoder(encoder_layer, num_layers, norm) applies num_layers layers, each
    with ITS OWN weights (three different sets here), then the optional final LayerNorm."""
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 3, 4))
    layers = [layer_params(rng, 4, 6, "float64") for _ in range(3)]
    norm = (1 + rng.standard_normal(4) / 4, rng.standard_normal(4) / 4) if final_norm else None
    terms, scale, h = 0, 0.0, x
    for p in layers:  # the layers' errors add up
        t, s = _layer_error(h, p, 2, norm_first, 1e-5)
        terms, scale, h = terms + t, scale + s, ref.encoder_layer(h, p, 2, norm_first)
    if norm is not None:
        terms, scale = terms + 4, scale * (1 + _norm_gain(h, norm[0], 1e-5))
    check_block(backend, "transformer_encoder", ref.transformer_encoder, [x, layers, 2, norm_first, norm], "float64",
                terms, scale, f"3 layers, norm_first={norm_first}, final_norm={final_norm}")


@spec("U15")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("max_len", "d_model"), [(50, 16), (7, 2), (0, 4)])
def test_positional_encoding(backend, max_len, d_model, dtype):
    """U15: the sinusoidal positional encoding PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] =
    cos(p / 10000^(2i/d)) (nn.Transformer ships none).  The angle p / 10000^(2i/d) is itself
    rounded, so each value may be off by one rounding of an argument of size p (terms 1,
    scale p)."""
    testing.require_dtype(backend, dtype)
    got = testing.op(backend, "positional_encoding")(max_len, d_model, dtype)
    position = np.broadcast_to(np.arange(max_len, dtype=np.float64)[:, None], (max_len, d_model))
    assert_conforms(backend, got, ref.positional_encoding(max_len, d_model), op="positional_encoding", dtype=dtype,
                    terms=1, scale=position, inputs=f"{max_len}, {d_model}, {dtype}")


@spec("AT17")
@pytest.mark.parametrize("dtype", BLOCK_DTYPES)
def test_bert_embeddings(backend, dtype):
    """AT17: BERT's embeddings are the sum of the token (word), segment (token type) and
    LEARNED position embeddings (a table indexed 0..L-1, not sinusoids), then LayerNorm."""
    rng = np.random.default_rng(17)
    ids, types = rng.integers(0, 10, (2, 5)), rng.integers(0, 2, (2, 5))
    word, segment, position = (_normal(rng, (rows, 6), 1.0, dtype) for rows in (10, 2, 8))
    gamma, beta = round_to(1 + rng.standard_normal(6) / 4, dtype), _normal(rng, (6,), 0.25, dtype)
    args = [ids, types, word, segment, position, gamma, beta]
    total = word[ids] + segment[types] + position[:5].astype(np.float64)
    scale = 3 * np.max(np.abs(total)) * (1 + _norm_gain(total, gamma, 1e-12)) + np.abs(beta)
    check_block(backend, "bert_embeddings", ref.bert_embeddings, args, dtype, 6 + 3, scale, f"ids {ids.tolist()}")


@spec("AT13", "AT15")
def test_transformer_defaults(backend):
    """AT13, AT15: nn.Transformer's defaults are the paper's base model: d_model 512, 8 heads,
    6 encoder and 6 decoder layers, feed-forward 2048; the encoder layer defaults to dropout
    0.1, ReLU, batch_first False and Post-LN (norm_first False)."""
    got = testing.op(backend, "transformer_defaults")()
    assert got == ref.transformer_defaults(), f"{backend.name}: defaults {got}, expected {ref.transformer_defaults()}"


# -- transformers-library facts (AT18-AT20) --------------------------------------------------------


@spec("AT18", "AT19", "AT20")
def test_transformers_library_facts(backend):
    """AT18–AT20, facts of Hugging Face ``transformers`` (on torch): BertForPreTraining has two
    heads, MLM logits (B, L, vocab) and NSP logits (B, 2) (AT18); DistilBertModel's default
    hidden size is 768, so 2 × 16 tokens give (2, 16, 768) (AT19); a ModelOutput drops None
    fields and answers o['logits'], o.logits and o[0] alike (AT20)."""
    if not backend.library.startswith("torch"):
        pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: the transformers library runs on torch")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed (AT18-AT20 need it)")
    torch = backend.torch
    config = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=37)
    out = transformers.BertForPreTraining(config).eval()(torch.randint(0, 100, (2, 7)))
    assert tuple(out.prediction_logits.shape) == (2, 7, 100) and tuple(out.seq_relationship_logits.shape) == (2, 2)
    hidden = transformers.DistilBertModel(transformers.DistilBertConfig()).eval()(torch.randint(0, 100, (2, 16)))
    assert tuple(hidden.last_hidden_state.shape) == (2, 16, 768)
    logits = torch.zeros(2, 3)
    o = transformers.modeling_outputs.SequenceClassifierOutput(logits=logits)
    assert list(o.keys()) == ["logits"] and o["logits"] is o.logits is o[0]
