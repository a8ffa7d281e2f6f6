"""The documentation site builds offline with warnings as errors, and its API page documents
every reference module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dlspec.catalogue import DOCS, ROOT

pytestmark = pytest.mark.timeout(600)


def test_api_page_documents_every_reference_module():
    modules = sorted(p.stem for p in (ROOT / "reference").glob("*.py") if p.stem != "__init__")
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [m for m in modules if f".. automodule:: reference.{m}\n" not in text]
    assert not missing, f"docs/api.md lacks: {missing}"


def test_every_page_is_in_the_table_of_contents():
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    missing = [p.stem for p in DOCS.glob("*.md") if p.stem != "index" and f"\n{p.stem}\n" not in text]
    assert not missing, f"docs/index.md's toctrees lack: {missing}"


def test_site_builds_with_warnings_as_errors(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS),
                           str(tmp_path / "html")], capture_output=True, text=True, timeout=580)
    assert done.returncode == 0, f"sphinx-build failed:\n{done.stderr[-5000:]}"
    assert (tmp_path / "html" / "errata.html").exists()
