"""Sphinx configuration of the dlspec documentation site: the ``docs/*.md`` pages (MyST) and
the reference's API from its docstrings.  Built offline, warnings as errors:
``sphinx-build -W -b html docs build/docs``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

project = "dlspec"
author = "the dlspec developers"
copyright = "2026, the dlspec developers"
extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "test_pages.py", "__init__.py"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # area pages may start a section at ### under a ## errata heading
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "alabaster"
html_static_path: list[str] = []
