"""Per-engine known differences: cases an engine cannot express, or where it legitimately differs.

``data/engines/<engine>/known_differences.yaml`` lists them::

    differences:
      - case: aggregates/Average of a double column     # spec area/case name, tpch/q<N>, or a test name
        reason: Spark sums doubles in another order; the last digit differs
        evidence: results/spark-avg.txt, or a link to the engine's documentation or issue
      - case: aggregates/Sum of the id sequence
        reason: Spark sums integers as BIGINT, DuckDB as HUGEINT
        evidence: ...
        types: {total: BIGINT}                         # the engine's type of each such column

A listed case is skipped with its reason (the log names the file and the evidence); it is never
compared more loosely. An entry with ``types`` is not skipped: it says the engine types those
columns otherwise, so the case runs and passes only if each listed column has exactly the listed
type and every value equals the oracle's (the other columns' types must match as always). An
engine without the file has no known differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, model_validator

from lakeproof.specfile import FieldError, SpecModel, load_document

ENGINES_DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "engines"
FILE_NAME = "known_differences.yaml"


class _Difference(SpecModel):
    case: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    evidence: str = Field(min_length=1)
    types: dict[str, str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_line(self) -> _Difference:
        for name in ("case", "reason"):
            if "\n" in getattr(self, name).strip():
                raise FieldError((name,), f"{name} must be one line (it is shown as the SKIP message)")
        return self


class _DifferencesFile(SpecModel):
    differences: list[_Difference] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_cases(self) -> _DifferencesFile:
        cases = [entry.case for entry in self.differences]
        seen: dict[str, int] = {}
        for index, case in enumerate(cases):
            if case in seen:
                raise FieldError(
                    ("differences", index, "case"),
                    f"case {case!r} is listed twice (also differences[{seen[case]}]); keep one entry",
                )
            seen[case] = index
        return self


@dataclass(frozen=True)
class KnownDifference:
    """One listed case: why the engine differs and where that was shown."""

    case: str
    reason: str
    evidence: str
    source: str
    """``path:line`` of the entry."""
    types: Mapping[str, str] = field(default_factory=dict)
    """Column -> the engine's type of it, for a case compared with its known types (not skipped)."""

    def types_message(self, engine: str) -> str:
        """The one-line log message of a case compared with its known types."""
        listed = ", ".join(f"{column} as {kind}" for column, kind in self.types.items())
        return (
            f"known difference of engine '{engine}', compared with it: {listed}; {self.reason} "
            f"(listed in {self.source})"
        )

    def skip_message(self, engine: str) -> str:
        """The one-line SKIP message."""
        return (
            f"known difference of engine '{engine}': {self.reason} "
            f"(evidence: {self.evidence}; listed in {self.source})"
        )


def differences_path(engine: str, data_dir: Path = ENGINES_DATA_DIR) -> Path:
    """Where engine ``engine``'s known differences are listed."""
    return data_dir / engine / FILE_NAME


def load_known_differences(path: Path) -> dict[str, KnownDifference]:
    """The differences listed in ``path`` by case; none if the file does not exist.

    Raises ConfigError naming the file, line and field of the first problem.
    """
    if not path.exists():
        return {}
    document = load_document(
        path,
        _DifferencesFile,
        "known-differences file",
        "differences: [{case: ..., reason: ..., evidence: ..., types: {column: TYPE} (optional)}]",
    )
    return {
        entry.case: KnownDifference(
            entry.case,
            entry.reason.strip(),
            entry.evidence.strip(),
            f"{path}:{document.line(('differences', index))}",
            dict(entry.types or {}),
        )
        for index, entry in enumerate(document.model.differences)
    }
