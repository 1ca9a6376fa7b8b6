"""A DataDriver reader that makes one Robot Framework test of each case of the query spec catalogue.

Use it in a suite whose template keyword takes ``${area}`` and ``${case}``::

    Library    DataDriver    reader_class=${CURDIR}/../../keywords/QuerySpecReader.py
    ...        file_search_strategy=None

Each test is named after its case, tagged with the area (the spec file's name), the file's and the
case's tags, and documented with the case's description, its query and where it is written.
"""

from __future__ import annotations

import os
from pathlib import Path

from DataDriver.AbstractReaderClass import AbstractReaderClass
from DataDriver.ReaderConfig import TestCaseData

from lakeproof.queryspec import SpecCase, load_catalogue

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


class QuerySpecReader(AbstractReaderClass):  # type: ignore[misc]  # DataDriver has no type hints
    """Reads every ``data/specs/*.yaml`` file; a broken file fails the suite with its file and line."""

    def get_data_from_source(self) -> list[TestCaseData]:
        """One test per case, in file then case order."""
        catalogue = load_catalogue(DATA_DIR / "specs", DATA_DIR / "datasets")
        return [
            TestCaseData(
                case.name,
                {"${area}": case.area, "${case}": case.name},
                list(case.tags),
                _documentation(case),
            )
            for case in catalogue.cases
        ]


def _documentation(case: SpecCase) -> str:
    where = os.path.relpath(case.source, DATA_DIR.parent)
    lines = [case.description, ""] if case.description else []
    lines.append(f"Spec ``{where}``: dataset ``{case.dataset}``, formats {', '.join(case.formats)}.")
    lines.append("")
    lines.extend(f"| {line}" for line in case.query.splitlines())
    return "\n".join(lines)
