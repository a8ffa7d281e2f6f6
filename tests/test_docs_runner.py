"""Tests of the Markdown block runner (:mod:`dlspec.docs`) and of ``docs/test_pages.py``,
which turns every ```python block of a page into one test per backend."""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import pytest

from dlspec import docs, testing
from dlspec.api import Capabilities
from dlspec.backends.numpy import NumpyBackend
from dlspec.backends.reference import ReferenceBackend

pytest_plugins = ["pytester"]

TEST_PAGES = Path(__file__).resolve().parent.parent / "docs" / "test_pages.py"

PAGE = """\
# A page

```python
seen = ["first"]
```

Text between blocks.

<!-- requires: views -->
<!-- backend: reference, numpy -->
```python
seen.append("second")
```

```text
not = run
```

```python
seen.append("third")
assert seen == ["first", "second", "third"], f"blocks ran as {seen}"
done = True
```
"""


class NoViewsBackend(ReferenceBackend):
    """The reference, declaring that it has no views."""

    name = "noviews"
    capabilities = Capabilities(views=False, reasons={"views": "this backend has no views"})


def write_page(folder: Path, text: str, name: str = "page.md") -> list[docs.Block]:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return docs.parse_page(path)


def outcome(page_run: docs.PageRun, block: docs.Block) -> str:
    """How running ``block`` ends: ``passed``, ``skipped: <reason>`` or ``<error type>: <message>``."""
    try:
        page_run.run(block)
    except pytest.skip.Exception as exc:
        return f"skipped: {exc.msg}"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "passed"


# -- parsing --------------------------------------------------------------------------


def test_parse_finds_python_blocks_with_their_lines_and_directives(tmp_path):
    blocks = write_page(tmp_path, PAGE)
    assert [b.id for b in blocks] == ["page.md:3", "page.md:11", "page.md:19"]
    assert blocks[0].code == 'seen = ["first"]\n'
    assert [(d.name, d.values, d.line) for d in blocks[1].directives] == [
        ("requires", ["views"], 9), ("backend", ["reference", "numpy"], 10)]
    assert blocks[0].directives == blocks[2].directives == ()


@pytest.mark.parametrize(("text", "message"), [
    ("<!-- requires: views -->\n\n```python\nx = 1\n```\n", "page.md:1: directive 'requires' is not directly above"),
    ("<!-- requires: views -->\n```text\nx\n```\n", "page.md:1: directive 'requires' is not directly above"),
    ("text\n<!-- requires: views -->\n", "page.md:2: directive 'requires' ends the page"),
    ("```python\nx = 1\n", "page.md:1: the ```python fence is never closed"),
])
def test_malformed_page_is_an_error_naming_the_line(tmp_path, text, message):
    with pytest.raises(docs.DocsError, match=re.escape(message)):
        write_page(tmp_path, text)


# -- running one block ----------------------------------------------------------------


def test_failing_block_traceback_points_at_the_markdown_line(tmp_path):
    [block] = write_page(tmp_path, "# Sums\n\n```python\ndef total():\n    return 1 + 2\n\n"
                                   'assert total() == 4, "total is wrong"\n```\n')
    with pytest.raises(AssertionError, match="total is wrong") as info:
        docs.run_block(block, docs.namespace(ReferenceBackend()), ReferenceBackend())
    frames = [(f.filename, f.lineno, f.line) for f in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-1] == (str(tmp_path / "page.md"), 7, 'assert total() == 4, "total is wrong"')


def test_function_defined_in_a_block_keeps_markdown_lines(tmp_path):
    [block] = write_page(tmp_path, "```python\ndef broken():\n    return 1 / 0\n\nbroken()\n```\n")
    with pytest.raises(ZeroDivisionError) as info:
        docs.run_block(block, docs.namespace(ReferenceBackend()), ReferenceBackend())
    frames = [(f.lineno, f.name) for f in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-2:] == [(5, "<module>"), (3, "broken")]


def test_requires_skips_as_not_applicable_with_the_backends_reason(tmp_path):
    [block] = write_page(tmp_path, "<!-- requires: strides, views -->\n```python\nran = True\n```\n")
    with pytest.raises(pytest.skip.Exception, match=f"^{testing.NOT_APPLICABLE} noviews: this backend has no views$"):
        docs.run_block(block, docs.namespace(NoViewsBackend()), NoViewsBackend())
    globals_ = docs.namespace(ReferenceBackend())
    docs.run_block(block, globals_, ReferenceBackend())
    assert globals_["ran"] is True


def test_backend_directive_runs_only_on_the_named_backends(tmp_path):
    [block] = write_page(tmp_path, "<!-- backend: torch, jax -->\n```python\nran = True\n```\n")
    with pytest.raises(pytest.skip.Exception, match=f"^{testing.NOT_APPLICABLE} reference: page.md:2 is code for"):
        docs.run_block(block, docs.namespace(ReferenceBackend()), ReferenceBackend())


@pytest.mark.parametrize(("directive", "message"), [
    ("<!-- needs: views -->", "page.md:1: unknown directive 'needs'"),
    ("<!-- requires: wings -->", "page.md:1: unknown capability or dtype 'wings'"),
])
def test_unknown_directive_fails_naming_it(tmp_path, directive, message):
    [block] = write_page(tmp_path, f"{directive}\n```python\nx = 1\n```\n")
    with pytest.raises(docs.DocsError, match=re.escape(message)):
        docs.run_block(block, docs.namespace(ReferenceBackend()), ReferenceBackend())


def test_operation_proxy_reports_a_missing_op_as_not_implemented(tmp_path, monkeypatch):
    monkeypatch.setitem(testing._current, "item", None)  # keep numpy out of this run's operations summary
    [block] = write_page(tmp_path, "```python\nx = backend.asarray(np.ones(3))\nB.detach(x)\n```\n")
    with pytest.raises(pytest.skip.Exception, match=f"^{testing.NOT_IMPLEMENTED} numpy: detach$"):
        docs.run_block(block, docs.namespace(NumpyBackend()), NumpyBackend())
    with pytest.raises(AttributeError, match="not a spec operation"):
        _ = docs.Ops(NumpyBackend()).not_an_op


# -- a page: shared namespace, order and replay ---------------------------------------


def test_blocks_of_a_page_share_one_namespace_in_order(tmp_path):
    blocks = write_page(tmp_path, PAGE)
    page_run = docs.PageRun(blocks, ReferenceBackend())
    assert [outcome(page_run, block) for block in blocks] == ["passed"] * 3
    assert page_run.globals["seen"] == ["first", "second", "third"]
    assert page_run.globals["backend"].name == "reference"


def test_block_run_alone_first_replays_the_blocks_before_it(tmp_path):
    blocks = write_page(tmp_path, PAGE)
    page_run = docs.PageRun(blocks, ReferenceBackend())
    page_run.run(blocks[2])
    assert page_run.globals["seen"] == ["first", "second", "third"]


def test_earlier_block_after_a_later_one_starts_a_fresh_namespace(tmp_path):
    blocks = write_page(tmp_path, PAGE)
    page_run = docs.PageRun(blocks, ReferenceBackend())
    page_run.run(blocks[2])
    page_run.run(blocks[0])
    assert page_run.globals["seen"] == ["first"] and "done" not in page_run.globals
    page_run.run(blocks[1])
    assert page_run.globals["seen"] == ["first", "second"]


def test_replay_passes_over_a_skipped_block_as_in_order(tmp_path):
    blocks = write_page(tmp_path, PAGE)
    in_order = docs.PageRun(blocks, NoViewsBackend())
    third = "AssertionError: blocks ran as ['first', 'third']"
    assert [outcome(in_order, block) for block in blocks] == [
        "passed", f"skipped: {testing.NOT_APPLICABLE} noviews: this backend has no views", third]
    assert outcome(docs.PageRun(blocks, NoViewsBackend()), blocks[2]) == third


def test_replay_failure_says_which_block_was_replayed(tmp_path):
    blocks = write_page(tmp_path, "```python\n1 / 0\n```\n\n```python\nx = 1\n```\n")
    with pytest.raises(ZeroDivisionError) as info:
        docs.PageRun(blocks, ReferenceBackend()).run(blocks[1])
    assert info.value.__notes__ == ["while replaying page.md:1, which page.md:5 follows on the page"]


# -- docs/test_pages.py under pytest --------------------------------------------------

FAILING_PAGE = """\
```python
x = backend.asarray(np.arange(6))
```

<!-- requires: autograd -->
```python
grad = True
```

<!-- backend: torch -->
```python
import torch
```

```python
y = B.view(x, (2, 3))
assert backend.shape(y) == (3, 2), "deliberately wrong shape"
```
"""


@pytest.fixture
def docs_folder(pytester: pytest.Pytester) -> pytest.Pytester:
    """A folder holding a copy of docs/test_pages.py (renamed: docs' own module is imported)."""
    pytester.makepyfile(test_page_blocks=TEST_PAGES.read_text(encoding="utf-8"))
    return pytester


def test_pages_yield_one_test_per_block_and_backend(docs_folder):
    (docs_folder.path / "page.md").write_text(PAGE, encoding="utf-8")
    result = docs_folder.runpytest("--backend=reference,numpy", "--collect-only", "-q")
    ids = [line for line in result.outlines if "::test_block[" in line]
    assert ids == [f"test_page_blocks.py::test_block[page.md:{line}-{name}]"
                   for name in ("reference", "numpy") for line in (3, 11, 19)]


def test_failing_block_is_reported_at_its_markdown_line_and_skips_are_counted(docs_folder):
    (docs_folder.path / "page.md").write_text(FAILING_PAGE, encoding="utf-8")
    result = docs_folder.runpytest("--backend=reference", "-rs")
    result.assert_outcomes(passed=1, failed=1, skipped=2)
    result.stdout.fnmatch_lines([
        "*test_block?page.md:15-reference?*",
        ">   assert backend.shape(y) == (3, 2), \"deliberately wrong shape\"",
        "E   AssertionError: deliberately wrong shape",
        "page.md:17: AssertionError",
        "*not applicable on backend reference: the reference's gradients are central finite differences*",
        "*not applicable on backend reference: page.md:11 is code for torch only",
    ])
    summary = next(line for line in result.outlines if line.startswith("reference "))
    assert summary.split() == ["reference", "1", "1", "0", "2", "0"], summary


def test_block_selected_alone_replays_the_page_before_it(docs_folder):
    (docs_folder.path / "page.md").write_text(PAGE, encoding="utf-8")
    result = docs_folder.runpytest("--backend=reference", "-k", "page.md:19")
    result.assert_outcomes(passed=1, deselected=2)


def test_requires_a_dtype_skips_backends_without_it(tmp_path):
    """``<!-- requires: bfloat16 -->`` is a dtype requirement: not applicable on NumPy."""
    page = tmp_path / "page.md"
    page.write_text("<!-- requires: bfloat16 -->\n```python\nx = 1\n```\n")
    (block,) = docs.parse_page(page)
    with pytest.raises(pytest.skip.Exception, match="no bfloat16"):
        docs.run_block(block, docs.namespace(NumpyBackend()), NumpyBackend())
