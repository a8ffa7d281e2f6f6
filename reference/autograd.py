"""Reverse-mode automatic differentiation (catalogue A01–A29, C01–C04): a minimal tape engine
over NumPy float64 arrays that pins down the graph rules.

* A :class:`Tensor` created by the user is a *leaf* (``grad_fn is None``); an operation on
  tensors of which one requires grad, run while grad mode is on, records a :class:`Node`
  (its ``grad_fn``) holding the edges to its inputs' nodes and the values its backward
  needs (A12, A20, A23, A29).
* ``backward`` walks the nodes in reverse topological order, multiplying the upstream
  gradient by each node's local Jacobian (a vector-Jacobian product, A02, A14) and *adding*
  the result into ``.grad`` of the leaves that require grad (A01, A13, A17); non-leaves
  keep no ``.grad`` unless ``retain_grad()`` was called (A15).
* A node frees its saved values after backward unless ``retain_graph`` (default: the value
  of ``create_graph``) is true, so a second backward through it raises (A10); with
  ``create_graph=True`` the backward itself is recorded, giving second derivatives (A09).
* Every tensor has a version counter, bumped by each in-place operation and shared with
  ``detach()`` but not with ``.data``; a node whose saved value changed version makes
  backward raise (A25).  In-place on a leaf that requires grad raises while grad mode is on
  (A18).  ``no_grad()`` turns grad mode off: results require no grad, but a factory asked for
  ``requires_grad=True`` still gets it (A24).
* :class:`Function` is a custom operation: ``forward(ctx, ...)`` and ``backward(ctx, grad)``
  static methods, ``ctx.save_for_backward`` (C01–C04); :func:`gradcheck` compares its
  Jacobian with central differences.

Errors are ``ValueError`` (``TypeError`` for a wrong kind of argument) where torch raises
``RuntimeError``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from reference.guards import check_choice, typed

_GRAD_MODE = [True]
REDUCTIONS = ("mean", "sum", "none")


class Node:
    """A recorded operation: ``edges`` to the nodes (or leaf tensors) of its inputs, the
    ``saved`` tensors its backward ``fn(grad, *saved)`` needs and their versions at save time."""

    def __init__(self, name: str, fn: Callable[..., tuple[Tensor | None, ...]], inputs: Sequence[Tensor],
                 saved: Sequence[Tensor] = ()) -> None:
        self.op = name
        self.fn = fn
        self.edges = [t.grad_fn if t.grad_fn is not None else (t if t.requires_grad else None) for t in inputs]
        self.saved: tuple[Tensor, ...] | None = tuple(saved)
        self.versions = [t._version[0] for t in saved]
        self.had_saved = bool(saved)
        self.retained: Tensor | None = None

    def name(self) -> str:
        """The operation's backward name, e.g. ``'MulBackward'``."""
        return f"{self.op}Backward"

    def apply(self, grad: Tensor, retain: bool) -> tuple[Tensor | None, ...]:
        """The gradients of the inputs given ``grad`` of the output; frees the saved values
        unless ``retain``."""
        if self.saved is None:
            raise ValueError("Trying to backward through the graph a second time (or directly access saved tensors "
                             "after they have already been freed); specify retain_graph=True the first time")
        if any(t._version[0] != v for t, v in zip(self.saved, self.versions)):
            raise ValueError("one of the variables needed for gradient computation has been modified by an inplace "
                             f"operation (saved by {self.name()})")
        grads = self.fn(grad, *self.saved)
        if not retain and self.had_saved:
            self.saved = None
        return grads


class Tensor:
    """A float64 array with autograd state: ``requires_grad``, ``grad``, ``grad_fn``,
    ``is_leaf`` and a version counter."""

    def __init__(self, array: np.ndarray, requires_grad: bool = False, *, version: list[int] | None = None) -> None:
        self._array = array
        self.requires_grad = requires_grad
        self.grad: Tensor | None = None
        self.grad_fn: Node | None = None
        self._version = version if version is not None else [0]

    # -- state -------------------------------------------------------------------------

    @property
    def is_leaf(self) -> bool:
        """True for tensors no recorded operation produced, requiring grad or not (A12)."""
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._array.shape

    @property
    def data(self) -> Tensor:
        """The same memory with no history and its OWN version counter: in-place writes
        through it go unnoticed by backward (A25)."""
        return Tensor(self._array)

    def detach(self) -> Tensor:
        """The same memory, requiring no grad, sharing the version counter (A11, T20)."""
        return Tensor(self._array, version=self._version)

    def numpy(self) -> np.ndarray:
        """A copy of the values."""
        return self._array.copy()

    def item(self) -> float:
        if self._array.size != 1:
            raise ValueError(f"a Tensor with {self._array.size} elements cannot be converted to a scalar")
        return float(self._array.reshape(()))

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad``; only leaves may stop requiring grad (A22)."""
        if not self.is_leaf and not flag:
            raise ValueError("you can only change requires_grad flags of leaf variables")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf in ``.grad`` at the next backward (A15)."""
        if not self.requires_grad:
            raise ValueError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn.retained = self

    def __repr__(self) -> str:
        return f"Tensor({self._array.tolist()}, requires_grad={self.requires_grad})"

    # -- backward ----------------------------------------------------------------------

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(Σ gradient·self)/d(leaf) into ``leaf.grad`` for every leaf requiring
        grad.  ``gradient`` may be left out only for a one-element tensor (A26);
        ``retain_graph`` defaults to ``create_graph`` (A10)."""
        if not self.requires_grad:
            raise ValueError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self._array.size != 1:
                raise ValueError("grad can be implicitly created only for scalar outputs")
            gradient = Tensor(np.ones_like(self._array))
        if not isinstance(gradient, Tensor):
            raise TypeError(f"gradient must be a Tensor or None, got {type(gradient).__name__}")
        if gradient.shape != self.shape:
            raise ValueError(f"Mismatch in shape: gradient has shape {gradient.shape}, output has shape {self.shape}")
        _run_backward(self, gradient, create_graph if retain_graph is None else retain_graph, create_graph)

    # -- in-place ----------------------------------------------------------------------

    def _inplace(self, result: Tensor) -> Tensor:
        """Write ``result`` into this tensor's memory, take over its history, bump the version."""
        if self.is_leaf and self.requires_grad and _GRAD_MODE[0]:
            raise ValueError("a leaf Variable that requires grad is being used in an in-place operation.")
        self._array[...] = result._array
        self._version[0] += 1
        if result.grad_fn is not None:
            self.grad_fn, self.requires_grad = result.grad_fn, True
        return self

    def add_(self, other: Tensor | float) -> Tensor:
        return self._inplace(self + other)

    def mul_(self, other: Tensor | float) -> Tensor:
        return self._inplace(self * other)

    def zero_(self) -> Tensor:
        return self._inplace(self * 0.0)

    # -- operations --------------------------------------------------------------------

    def __add__(self, other: Tensor | float) -> Tensor:
        b = _as_tensor(other)
        return _record("Add", self._array + b._array, lambda g: (_sum_to(g, self.shape), _sum_to(g, b.shape)), [self, b])

    __radd__ = __add__

    def __neg__(self) -> Tensor:
        return _record("Neg", -self._array, lambda g: (-g,), [self])

    def __sub__(self, other: Tensor | float) -> Tensor:
        return self + (-_as_tensor(other))

    def __rsub__(self, other: Tensor | float) -> Tensor:
        return _as_tensor(other) + (-self)

    def __mul__(self, other: Tensor | float) -> Tensor:
        """The product; each input's gradient needs the OTHER input, so only those of inputs
        that require grad are saved (``x * c`` saves ``c``, not ``x``)."""
        a, b = self, _as_tensor(other)
        saved = [b] * a.requires_grad + [a] * b.requires_grad

        def backward(g: Tensor, *s: Tensor) -> tuple[Tensor | None, ...]:
            return (_sum_to(g * s[0], a.shape) if a.requires_grad else None,
                    _sum_to(g * s[-1], b.shape) if b.requires_grad else None)

        return _record("Mul", a._array * b._array, backward, [a, b], saved=saved)

    __rmul__ = __mul__

    def __pow__(self, exponent: float) -> Tensor:
        if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
            raise TypeError(f"the exponent must be a number, got {type(exponent).__name__}")
        return _record("Pow", self._array**exponent, lambda g, x: (g * exponent * x ** (exponent - 1),), [self],
                       saved=[self])

    def __matmul__(self, other: Tensor) -> Tensor:
        if not isinstance(other, Tensor) or self._array.ndim != 2 or other._array.ndim != 2:
            raise ValueError("this reference engine multiplies 2-D tensors only")
        if self.shape[1] != other.shape[0]:
            raise ValueError(f"matmul: inner sizes differ, {self.shape} @ {other.shape}")
        out = np.einsum("ik,kj->ij", self._array, other._array)
        return _record("Mm", out, lambda g, a, b: (g @ b.t(), a.t() @ g), [self, other], saved=[self, other])

    def t(self) -> Tensor:
        """The transpose of a 2-D tensor."""
        return _record("T", self._array.T, lambda g: (g.t(),), [self])

    def exp(self) -> Tensor:
        """e^x; its backward multiplies by the saved RESULT (so in-place on it is caught, A25)."""
        out = _record("Exp", np.exp(self._array), lambda g, y: (g * y,), [self])
        if out.grad_fn is not None:
            _save(out.grad_fn, out)
        return out

    def sin(self) -> Tensor:
        return _record("Sin", np.sin(self._array), lambda g, x: (g * x.cos(),), [self], saved=[self])

    def cos(self) -> Tensor:
        return _record("Cos", np.cos(self._array), lambda g, x: (-(g * x.sin()),), [self], saved=[self])

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x), computed as e^-log(1 + e^-x) so no value overflows."""
        out = _record("Sigmoid", np.exp(-np.logaddexp(0.0, -self._array)), lambda g, y: (g * y * (1.0 - y),), [self])
        if out.grad_fn is not None:
            _save(out.grad_fn, out)
        return out

    def relu(self) -> Tensor:
        """max(x, 0); the gradient is 1 where x > 0 and 0 elsewhere (0 at the kink)."""
        mask = Tensor((self._array > 0).astype(np.float64))
        return _record("Relu", self._array * mask._array, lambda g: (g * mask,), [self])

    def reshape(self, *shape: int) -> Tensor:
        target = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            out = self._array.reshape(target)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"cannot reshape {self.shape} to {target}: {exc}") from None
        return _record("Reshape", out, lambda g: (g.reshape(self.shape),), [self])

    def expand(self, *shape: int) -> Tensor:
        """Broadcast to ``shape`` (the backward sums over the broadcast dimensions)."""
        try:
            out = np.broadcast_to(self._array, shape).copy()
        except ValueError as exc:
            raise ValueError(f"cannot expand {self.shape} to {shape}: {exc}") from None
        return _record("Expand", out, lambda g: (_sum_to(g, self.shape),), [self])

    def sum(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        """The sum over ``dim`` (all dimensions when ``None``); the backward broadcasts the
        gradient back over the summed dimensions."""
        ndim = self._array.ndim
        axes = tuple(range(ndim)) if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(f"dimension out of range: {dim} for a {ndim}-D tensor")
        kept = np.sum(self._array, axis=axes, keepdims=True)
        out = kept if keepdim else kept.reshape([n for i, n in enumerate(kept.shape) if i not in {a % ndim for a in axes}])
        return _record("Sum", out, lambda g: (g.reshape(kept.shape).expand(*self.shape),), [self])

    def mean(self) -> Tensor:
        return self.sum() * (1.0 / max(self._array.size, 1))


# -- recording and the backward pass ---------------------------------------------------


def _as_tensor(value: Tensor | float) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return Tensor(np.asarray(float(value)))
    raise TypeError(f"expected a Tensor or a number, got {type(value).__name__}")


def _record(op: str, out: np.ndarray, fn: Callable[..., tuple[Tensor | None, ...]], inputs: Sequence[Tensor],
            saved: Sequence[Tensor] = ()) -> Tensor:
    """The result of an operation: with grad mode on and an input requiring grad, it records
    a node (A23); otherwise it is a leaf that requires no grad (A11, A24)."""
    result = Tensor(np.asarray(out, dtype=np.float64))
    if _GRAD_MODE[0] and any(t.requires_grad for t in inputs):
        result.requires_grad = True
        result.grad_fn = Node(op, fn, inputs, saved)
    return result


def _save(node: Node, tensor: Tensor) -> None:
    """Save an operation's own result for its backward (exp, sigmoid)."""
    node.saved, node.versions, node.had_saved = (tensor,), [tensor._version[0]], True


def _sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum a broadcast gradient back to the input's ``shape``."""
    lead = g._array.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return g.sum(axes).reshape(shape) if axes else g


def _accumulate(tensor: Tensor, grad: Tensor, create_graph: bool) -> None:
    """``tensor.grad += grad``: in place (the same tensor, A17) unless the graph is being
    recorded, then as a new recorded sum."""
    if tensor.grad is None:
        tensor.grad = grad if create_graph else Tensor(grad._array.copy())
    elif create_graph:
        tensor.grad = tensor.grad + grad
    else:
        tensor.grad._array += grad._array


def _run_backward(root: Tensor, gradient: Tensor, retain: bool, create_graph: bool,
                  capture: dict[int, Tensor | None] | None = None) -> None:
    """Propagate ``gradient`` from ``root`` to the leaves in reverse topological order; with
    ``capture`` (``id(leaf)`` → gradient so far), the gradients of those leaves are summed
    there instead of into ``.grad``, and other leaves are left alone."""
    def deliver(leaf: Tensor, grad: Tensor) -> None:
        if capture is None:
            _accumulate(leaf, grad, create_graph)
        elif id(leaf) in capture:
            found = capture[id(leaf)]
            capture[id(leaf)] = grad if found is None else found + grad

    with set_grad_enabled(create_graph):
        if root.grad_fn is None:
            deliver(root, gradient)
            return
        waiting: dict[Node, int] = {}
        stack, seen = [root.grad_fn], {root.grad_fn}
        while stack:
            for edge in stack.pop().edges:
                if isinstance(edge, Node):
                    waiting[edge] = waiting.get(edge, 0) + 1
                    if edge not in seen:
                        seen.add(edge)
                        stack.append(edge)
        pending, ready = {root.grad_fn: gradient}, [root.grad_fn]
        while ready:
            node = ready.pop()
            grad = pending.pop(node)
            if node.retained is not None and capture is None:
                _accumulate(node.retained, grad, create_graph)
            for edge, g in zip(node.edges, node.apply(grad, retain)):
                if edge is None or g is None:
                    continue
                if isinstance(edge, Tensor):
                    deliver(edge, g)
                    continue
                pending[edge] = g if edge not in pending else pending[edge] + g
                waiting[edge] -= 1
                if waiting[edge] == 0:
                    ready.append(edge)


# -- custom functions (C01-C04) --------------------------------------------------------


class Context:
    """What ``forward`` hands to ``backward``: ``save_for_backward(*tensors)`` and ``saved_tensors``."""

    def __init__(self) -> None:
        self.to_save: tuple[Tensor, ...] = ()
        self.node: Node | None = None

    def save_for_backward(self, *tensors: Tensor) -> None:
        if not all(isinstance(t, Tensor) for t in tensors):
            raise TypeError("save_for_backward takes tensors only")
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        if self.node is not None and self.node.saved is None:
            raise ValueError("Trying to backward through the graph a second time: the saved tensors were freed")
        return self.to_save if self.node is None else self.node.saved or ()


class Function:
    """A custom operation: subclasses define static ``forward(ctx, *args)`` (run with grad
    mode off) and ``backward(ctx, grad)`` returning one gradient per argument of forward
    (``None`` for non-tensors); ``Cls.apply(*args)`` runs it and records the node (C04)."""

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: Tensor) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        ctx = Context()
        with no_grad():
            out = cls.forward(ctx, *args)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(out).__name__}")
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]

        def backward(grad: Tensor, *saved: Tensor) -> tuple[Tensor | None, ...]:
            grads = cls.backward(ctx, grad)
            grads = grads if isinstance(grads, tuple) else (grads,)
            if len(grads) != len(args):
                raise ValueError(f"{cls.__name__}.backward returned {len(grads)} gradients, forward took {len(args)}")
            return tuple(grads[i] for i in positions)

        result = _record(cls.__name__, out._array, backward, [args[i] for i in positions], saved=ctx.to_save)
        ctx.node = result.grad_fn
        return result


class Swish(Function):
    """The notes' SwishFn: ``x·σ(x)``, saving ``x`` and ``σ(x)``; backward
    ``grad·(σ + x·σ·(1 − σ))`` (C01–C04)."""

    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Tensor:
        sig = x.sigmoid()
        ctx.save_for_backward(x, sig)
        return x * sig

    @staticmethod
    def backward(ctx: Context, grad: Tensor) -> Tensor:
        x, sig = ctx.saved_tensors
        return grad * (sig + x * sig * (1.0 - sig))


# -- the public functions ---------------------------------------------------------------


@typed
def tensor(values: Any, requires_grad: bool = False) -> Tensor:
    """A new float64 leaf holding ``values``; ``requires_grad=True`` is honoured even under
    ``no_grad()`` (A24).  Raises ``TypeError`` for values that are not real numbers."""
    if isinstance(values, Tensor) or not isinstance(values, (list, tuple, int, float, np.ndarray, np.generic)):
        raise TypeError(f"tensor takes numbers, (nested) lists of them or an ndarray, got {type(values).__name__}")
    try:
        array = np.array(values)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"tensor: ragged or invalid values: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"tensor takes real numbers, got dtype {array.dtype}")
    return Tensor(array.astype(np.float64), requires_grad=bool(requires_grad))


@typed
def values(t: Tensor) -> np.ndarray:
    """A float64 NumPy copy of the tensor's values."""
    return t.numpy()


@typed
def version(t: Tensor) -> int:
    """The tensor's version counter: the number of in-place writes to its memory (A25)."""
    return t._version[0]


@contextlib.contextmanager
def set_grad_enabled(mode: bool) -> Iterator[None]:
    """Within the block grad mode is ``mode``; restored after (A19)."""
    if not isinstance(mode, (bool, np.bool_)):
        raise TypeError(f"mode must be a bool, got {type(mode).__name__}")
    before = _GRAD_MODE[0]
    _GRAD_MODE[0] = bool(mode)
    try:
        yield
    finally:
        _GRAD_MODE[0] = before


def no_grad() -> contextlib.AbstractContextManager[None]:
    """``set_grad_enabled(False)``: operations inside record nothing (A11, A19, A24, A28)."""
    return set_grad_enabled(False)


def is_grad_enabled() -> bool:
    """Whether operations are being recorded."""
    return _GRAD_MODE[0]


@typed
def grad(output: Tensor, inputs: Sequence[Tensor], grad_output: Tensor | None = None, retain_graph: bool | None = None,
         create_graph: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``output`` (contracted with ``grad_output``, implicit only for one
    element) with respect to the leaves ``inputs``, returned instead of accumulated into ``.grad``."""
    if not all(t.is_leaf and t.requires_grad for t in inputs):
        raise ValueError("grad: every input must be a leaf that requires grad")
    if not output.requires_grad:
        raise ValueError("element 0 of tensors does not require grad and does not have a grad_fn")
    if grad_output is None:
        if output._array.size != 1:
            raise ValueError("grad can be implicitly created only for scalar outputs")
        grad_output = Tensor(np.ones_like(output._array))
    if grad_output.shape != output.shape:
        raise ValueError(f"Mismatch in shape: grad_output {grad_output.shape}, output {output.shape}")
    capture: dict[int, Tensor | None] = {id(t): None for t in inputs}
    _run_backward(output, grad_output, create_graph if retain_graph is None else retain_graph, create_graph, capture)
    return tuple(capture[id(t)] for t in inputs)


@typed
def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6, atol: float = 1e-4,
              rtol: float = 1e-3) -> bool:
    """Whether the Jacobian of ``fn`` from backward passes (one per output element) matches
    central differences with step ``eps`` within ``atol + rtol·|numerical|``, for every input
    requiring grad (C01; torch's gradcheck with its defaults for float64)."""
    if not all(isinstance(t, Tensor) for t in inputs):
        raise TypeError("gradcheck: inputs must be Tensors")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    out = fn(*inputs)
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            continue
        for j in np.ndindex(x.shape):
            sides = []
            for step in (eps, -eps):
                moved = x._array.copy()
                moved[j] += step
                with no_grad():
                    sides.append(fn(*inputs[:i], Tensor(moved), *inputs[i + 1:])._array)
            numerical = (sides[0] - sides[1]) / (2 * eps)
            analytic = np.zeros(out.shape)
            for k in np.ndindex(out.shape):
                onehot = np.zeros(out.shape)
                onehot[k] = 1.0
                (g,) = grad(out, [x], Tensor(onehot), retain_graph=True)
                analytic[k] = 0.0 if g is None else g._array[j]
            if not np.all(np.abs(analytic - numerical) <= atol + rtol * np.abs(numerical)):
                return False
    return True


@typed
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """``(input − target)²`` reduced by ``reduction``: a 0-d tensor for ``"mean"``/``"sum"``,
    the element-wise losses for ``"none"`` — a loss is a scalar only when reduced (A05)."""
    check_choice(reduction, "reduction", REDUCTIONS)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input {input.shape} and target {target.shape} differ in shape")
    squared = (input - target) ** 2
    return {"mean": squared.mean, "sum": squared.sum, "none": lambda: squared}[reduction]()


@typed
def swish(x: np.ndarray) -> np.ndarray:
    """``x·σ(x)`` (SiLU) in float64 (C02)."""
    x = _real(x)
    return x * np.exp(-np.logaddexp(0.0, -x))


@typed
def swish_derivative(x: np.ndarray) -> np.ndarray:
    """``d/dx x·σ(x) = σ(x) + x·σ(x)·(1 − σ(x))`` in float64 (C03)."""
    x = _real(x)
    sig = np.exp(-np.logaddexp(0.0, -x))
    return sig + x * sig * (1.0 - sig)


def _real(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind not in "biuf":
        raise TypeError(f"expected real numbers, got dtype {x.dtype}")
    return np.asarray(x, dtype=np.float64)
