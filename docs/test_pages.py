"""Every ```python block of every page in this folder, run as one test per backend.

``pytest docs --backend=numpy,torch`` runs each block against each backend.  The blocks of
a page share one namespace per backend and run in page order; a block selected alone
(``-k``) or run out of order first replays the blocks before it (:class:`dlspec.docs.PageRun`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlspec import docs
from dlspec.api import Backend

PAGES = {page: docs.parse_page(page) for page in sorted(Path(__file__).parent.glob("*.md"))}
BLOCKS = [block for blocks in PAGES.values() for block in blocks]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Here rather than a parametrize mark, so the block comes first in the test id:
    # test_block[memory.md:42-torch] (this hook runs before the plugin's, a mark's after).
    if "block" in metafunc.fixturenames:
        metafunc.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])


@pytest.fixture(scope="session")
def page_runs() -> dict[tuple[Path, Backend], docs.PageRun]:
    """One :class:`~dlspec.docs.PageRun` per (page, backend), shared by the page's blocks."""
    return {}


def test_block(block: docs.Block, backend: Backend, page_runs: dict[tuple[Path, Backend], docs.PageRun]) -> None:
    """The block runs without error on the backend (its asserts are the checks)."""
    __tracebackhide__ = True
    key = (block.path, backend)
    if key not in page_runs:
        page_runs[key] = docs.PageRun(PAGES[block.path], backend)
    page_runs[key].run(block)
