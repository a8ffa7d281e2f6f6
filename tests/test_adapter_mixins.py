"""The built-in backends are assembled from one adapter mixin per area
(``dlspec/backends/ops/<area>.py``); their methods share one namespace, so a helper defined
by two areas would silently shadow one of them (it happened: the kvcache and attention
mixins both had ``_attend``).  The rule: a name is defined by the mixins of ONE area only —
private helpers carry their area's name when they could be confused (``_kv_attend``)."""

from __future__ import annotations

import inspect

import pytest

from dlspec.backends.cupy import CupyBackend
from dlspec.backends.jax import JaxBackend
from dlspec.backends.numpy import NumpyBackend
from dlspec.backends.reference import ReferenceBackend
from dlspec.backends.torch import TorchBackend

OPS = "dlspec.backends.ops."


def area_owners(cls: type) -> dict[str, set[str]]:
    """Each attribute name defined by an area mixin in ``cls``'s MRO -> the areas defining it."""
    owners: dict[str, set[str]] = {}
    for base in inspect.getmro(cls):
        if base.__module__.startswith(OPS):
            for name in vars(base):
                if not (name.startswith("__") and name.endswith("__")):
                    owners.setdefault(name, set()).add(base.__module__.removeprefix(OPS))
    return owners


@pytest.mark.parametrize("cls", [ReferenceBackend, NumpyBackend, TorchBackend, JaxBackend, CupyBackend],
                         ids=lambda c: c.__name__)
def test_no_name_is_defined_by_two_areas(cls):
    """No method or attribute of one area's mixin is shadowed by another area's."""
    clashes = {name: sorted(areas) for name, areas in area_owners(cls).items()
               if len(areas) > 1 and name != "behaviours"}
    assert not clashes, f"{cls.__name__}: names defined in several areas (one shadows the others): {clashes}"


def test_the_scan_sees_a_clash():
    """A mixin redefining another area's helper is reported."""
    attention = next(b for b in inspect.getmro(TorchBackend) if b.__module__ == OPS + "attention")
    name = next(n for n in vars(attention) if n.startswith("_") and not n.startswith("__"))
    clash = type("Clash", (), {name: None, "__module__": OPS + "kvcache"})
    assert name in {n for n, areas in area_owners(type("T", (clash, TorchBackend), {})).items() if len(areas) > 1}
