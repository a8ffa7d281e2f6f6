"""Executable Markdown: the ```python blocks of a docs page, run against a backend.

A page is plain CommonMark.  Its fenced ```python blocks are run in page order, in one
namespace per (page, backend) that starts from :func:`namespace`; blocks in any other
language (```text, ```console) are only read.  HTML comments of the form
``<!-- name: value -->`` on the lines just above a fence are *directives* for that block,
invisible once rendered:

``<!-- requires: views -->``
    the block needs these :class:`~dlspec.api.Capabilities` flags (a comma list); on a
    backend without one it is skipped as *not applicable*, with the backend's reason.
``<!-- backend: torch -->``
    the block is literal code for these backends (a comma list) and is skipped as *not
    applicable* on the others.

Code is compiled with the page as its file name and its real line numbers, so a traceback
points at the Markdown line.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

import numpy as np
import pytest

from dlspec import testing
from dlspec.api import DTYPES, Backend

#: Fence languages whose blocks are run.
RUN_LANGUAGES = frozenset({"python"})

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*(?P<name>[\w-]+)\s*:\s*(?P<value>.*?)\s*-->\s*$")


class DocsError(Exception):
    """A malformed page or directive; the message names the file and line."""


@dataclass(frozen=True)
class Directive:
    """``<!-- name: value -->`` on ``line`` of a page."""

    name: str
    value: str
    line: int

    @property
    def values(self) -> list[str]:
        """The comma-separated entries of the value."""
        return [v.strip() for v in self.value.split(",") if v.strip()]


@dataclass(frozen=True)
class Block:
    """One ```python block: its code, the line of its opening fence and its directives."""

    path: Path
    line: int
    code: str
    directives: tuple[Directive, ...] = ()

    @property
    def id(self) -> str:
        """``page.md:line``, the block's name in test ids and messages."""
        return f"{self.path.name}:{self.line}"

    def compile(self) -> CodeType:
        """The code compiled with the page's path as file name and its Markdown line numbers
        (the code object starts at the block, so a traceback quotes the block, not the page)."""
        return _shift_lines(compile(self.code, str(self.path), "exec"), self.line)


def _shift_lines(code: CodeType, lines: int) -> CodeType:
    """``code`` and the code objects nested in it moved down by ``lines`` lines."""
    consts = tuple(_shift_lines(c, lines) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=consts)


def parse_page(path: Path) -> list[Block]:
    """The ```python blocks of the page at ``path``, in order, with their directives.

    Raises :class:`DocsError` for a fence that is never closed, or a directive that is not
    directly above a ```python fence (it would otherwise be silently ignored).
    """
    blocks: list[Block] = []
    pending: list[Directive] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        text, number = lines[number], number + 1
        if found := _DIRECTIVE.match(text):
            pending.append(Directive(found["name"], found["value"], number))
            continue
        fence = _FENCE.match(text)
        language = fence["info"].split()[0] if fence and fence["info"] else ""
        if pending and not (fence and language in RUN_LANGUAGES):
            raise DocsError(f"{path}:{pending[0].line}: directive {pending[0].name!r} is not directly above a "
                            f"```python fence, so it would apply to nothing")
        if fence is None:
            continue
        start, indent, close = number, len(fence["indent"]), fence["fence"]
        body: list[str] = []
        while number < len(lines) and not _closes(lines[number], close):
            body.append(_strip_indent(lines[number], indent))
            number += 1
        if number == len(lines):
            raise DocsError(f"{path}:{start}: the {close}{language} fence is never closed")
        number += 1
        if language in RUN_LANGUAGES:
            blocks.append(Block(path, start, "\n".join(body) + "\n", tuple(pending)))
        pending = []
    if pending:
        raise DocsError(f"{path}:{pending[0].line}: directive {pending[0].name!r} ends the page")
    return blocks


def _closes(text: str, fence: str) -> bool:
    stripped = text.strip()
    return len(text) - len(text.lstrip(" ")) <= 3 and stripped.startswith(fence) and not stripped.strip(fence[0])


def _strip_indent(text: str, indent: int) -> str:
    return text[min(indent, len(text) - len(text.lstrip(" "))):]


class Ops:
    """``B.view(x, shape)`` is ``dlspec.testing.op(backend, "view")(x, shape)``: the backend's
    spec operation, or a skip reported as *not implemented* when it has none."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        try:
            return testing.op(self._backend, name)
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None


def namespace(backend: Backend, area: str = "memory") -> dict[str, Any]:
    """The globals the first block of a page starts from: ``backend`` (under test), ``B``
    (its spec operations, see :class:`Ops`), ``np`` (NumPy), ``ref`` (the page's reference
    module, ``reference.<area>`` for page ``docs/<area>.md``, else the ``reference`` package)
    and ``raises_as_spec`` (:func:`dlspec.testing.raises_as_spec`)."""
    try:
        ref = importlib.import_module(f"reference.{area}")
    except ModuleNotFoundError:
        ref = importlib.import_module("reference")
    return {"__name__": "__docs__", "backend": backend, "B": Ops(backend), "np": np, "ref": ref,
            "raises_as_spec": testing.raises_as_spec}


def apply_directives(block: Block, backend: Backend) -> None:
    """Skip, reported as *not applicable*, when a directive rules ``backend`` out; raise
    :class:`DocsError` for an unknown directive or capability."""
    for d in block.directives:
        if d.name == "requires":
            for capability in d.values:
                if capability in DTYPES:
                    testing.require_dtype(backend, capability)
                elif isinstance(getattr(backend.capabilities, capability, None), bool):
                    testing.require(backend, capability)
                else:
                    raise DocsError(f"{block.path}:{d.line}: unknown capability or dtype {capability!r} in 'requires'")
        elif d.name == "backend":
            if backend.name not in d.values:
                pytest.skip(f"{testing.NOT_APPLICABLE} {backend.name}: {block.id} is code for {d.value} only")
        else:
            raise DocsError(f"{block.path}:{d.line}: unknown directive {d.name!r}; known: requires, backend")


def run_block(block: Block, globals_: dict[str, Any], backend: Backend) -> None:
    """Apply the block's directives, then execute it in ``globals_`` (which it updates)."""
    __tracebackhide__ = True
    apply_directives(block, backend)
    exec(block.compile(), globals_)


class PageRun:
    """The blocks of one page run against one backend in one namespace, in page order.

    Running a block whose predecessors have not all run first replays them; running one
    that is not next (a rerun, or an earlier block after a later one) first starts a fresh
    namespace.  A replayed block that skips is passed over, as it is in order.
    """

    def __init__(self, blocks: Sequence[Block], backend: Backend) -> None:
        self.blocks = list(blocks)
        self.backend = backend
        self.area = self.blocks[0].path.stem if self.blocks else "memory"
        self.globals = namespace(backend, self.area)
        self.next = 0

    def run(self, block: Block) -> None:
        """Run ``block`` (one of this page's) after replaying what it depends on."""
        __tracebackhide__ = True
        index = self.blocks.index(block)
        if index < self.next:
            self.globals, self.next = namespace(self.backend, self.area), 0
        for earlier in self.blocks[self.next : index]:
            self._replay(earlier, block)
        self.next = index + 1
        run_block(block, self.globals, self.backend)

    def _replay(self, earlier: Block, block: Block) -> None:
        try:
            with contextlib.suppress(pytest.skip.Exception):
                run_block(earlier, self.globals, self.backend)
        except Exception as exc:
            exc.add_note(f"while replaying {earlier.id}, which {block.id} follows on the page")
            raise
