"""The catalogue is covered: every checkable row is cited by a conformance test and a docs
page, every wrong or imprecise claim has a labelled section with a runnable example, and the
pages generated from the catalogue (errata, the notes index) are up to date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlspec import catalogue

ROOT = catalogue.ROOT
SHARED = ROOT.parent / "shared" / "catalogue.md"


def test_the_catalogue_has_its_rows():
    """279 checkable rows, 49 of them wrong or imprecise, IDs unique."""
    ids = [r.id for r in catalogue.rows()]
    assert len(ids) == len(set(ids)) == 305
    assert len(catalogue.checkable()) == 279
    assert len(catalogue.errata()) == 49


@pytest.mark.parametrize("folder", ["conformance", "docs"])
def test_every_checkable_row_is_cited(folder):
    """Every row but the untestable U area is cited by a test (conformance) and by a page (docs)."""
    paths = sorted((ROOT / "conformance").glob("test_*.py")) if folder == "conformance" else catalogue.pages()
    cited = catalogue.cited_in(paths)
    missing = sorted(r.id for r in catalogue.checkable() if r.id not in cited)
    assert not missing, f"catalogue rows cited nowhere in {folder}/: {missing}"


@pytest.mark.parametrize("row", catalogue.errata(), ids=lambda r: r.id)
def test_every_erratum_has_a_runnable_example(row):
    """A ``### ID (verdict): ...`` section under the target ``(errata-id)=`` holds a python block."""
    sections = [s for p in catalogue.pages() if (s := catalogue.errata_section(p, row.id)) is not None]
    assert sections, f"no page has a section '### {row.id} (...)' under '({catalogue.label(row.id)})='"
    assert any("```python" in s for s in sections), f"the {row.id} section has no python example"


@pytest.mark.parametrize("page", ["errata.md", "notes.md"])
def test_generated_pages_are_up_to_date(page):
    """``docs/errata.md`` and ``docs/notes.md`` are what the catalogue and the pages generate."""
    generate = {"errata.md": catalogue.errata_page, "notes.md": catalogue.notes_page}[page]
    assert (catalogue.DOCS / page).read_text(encoding="utf-8") == generate(), \
        f"docs/{page} is stale: run `python -m dlspec.catalogue`"


def test_the_copy_matches_the_shared_catalogue():
    """``docs/catalogue.md`` is the project's catalogue, unchanged (checked where it is present)."""
    if not SHARED.exists():
        pytest.skip(f"no shared catalogue at {SHARED} to compare with")
    assert Path(catalogue.CATALOGUE).read_bytes() == SHARED.read_bytes()


def test_every_conformance_test_cites_an_id():
    """Each test function in conformance/ names at least one catalogue ID (in a ``spec`` mark or
    its docstring)."""
    uncited = []
    for path in sorted((ROOT / "conformance").glob("test_*.py")):
        for match in re.finditer(r"((?:^@.*\n)*)^def (test_\w+)\(.*?\n((?:.*\n){0,3})", path.read_text(), flags=re.M):
            if not re.search(r"\b[A-Z]{1,2}\d{2}\b", match.group(1) + match.group(3)):
                uncited.append(f"{path.name}::{match.group(2)}")
    assert not uncited, "conformance tests citing no catalogue ID:\n" + "\n".join(uncited)
