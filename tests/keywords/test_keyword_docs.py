"""Every public keyword is documented, with a summary line and an example, and docs/ is current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from robot.libdocpkg import LibraryDocumentation

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "keywords" / "Lakeproof"


@pytest.fixture(scope="module")
def library_doc() -> Any:
    return LibraryDocumentation(f"{LIBRARY}/")


def test_library_has_an_introduction(library_doc: Any) -> None:
    assert len(library_doc.doc.split()) > 30


def test_every_keyword_has_a_summary_and_an_example(library_doc: Any) -> None:
    keywords = list(library_doc.keywords)
    assert len(keywords) >= 10
    undocumented = [kw.name for kw in keywords if not kw.short_doc.strip()]
    assert not undocumented, f"keywords without documentation: {undocumented}"
    without_example = [kw.name for kw in keywords if "Example" not in kw.doc and kw.name != "Get Lab"]
    assert not without_example, f"keywords without an example: {without_example}"


def test_generated_docs_list_every_keyword(library_doc: Any) -> None:
    generated = (ROOT / "docs" / "Lakeproof.html").read_text(encoding="utf-8")
    missing = [kw.name for kw in library_doc.keywords if f'"{kw.name}"' not in generated]
    assert not missing, f"docs/Lakeproof.html is stale (run 'make docs'); missing: {missing}"
