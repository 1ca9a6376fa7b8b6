"""The DataDriver reader makes one test per spec case: its name, arguments, tags and documentation."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from DataDriver.ReaderConfig import ReaderConfig

from lakeproof.queryspec import load_catalogue

ROOT = Path(__file__).resolve().parents[2]


def reader_class() -> Any:
    # DataDriver imports the reader by path, as the suite names it; so does this test.
    spec = importlib.util.spec_from_file_location("QuerySpecReader", ROOT / "keywords" / "QuerySpecReader.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.QuerySpecReader


def test_one_test_per_case_with_area_case_tags_and_documentation() -> None:
    tests = reader_class()(ReaderConfig()).get_data_from_source()
    cases = load_catalogue(ROOT / "data" / "specs", ROOT / "data" / "datasets").cases

    assert [test.test_case_name for test in tests] == [case.name for case in cases]
    first, case = tests[0], cases[0]
    assert first.arguments == {"${area}": case.area, "${case}": case.name}
    assert first.tags == list(case.tags)
    assert case.area in first.tags
    # Where the case is written, relative to the repository, then its query as a preformatted block.
    assert f"Spec ``data/specs/{case.area}.yaml:" in first.documentation
    assert first.documentation.endswith("\n".join(f"| {line}" for line in case.query.splitlines()))
