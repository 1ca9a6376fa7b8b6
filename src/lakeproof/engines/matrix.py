"""The capability matrix: per suite, each capability its tests used, and whether it was proven.

The keyword library tags every test with the capabilities it asked of the engine
(``capability:split_profile``) and its suite with the engine (metadata ``Engine``), so any
``output.xml`` (one robot run, or pabot's merged one) holds what the matrix needs. A capability
of a suite is *failed* if a test using it failed, else *proven* if one passed, else *skipped*.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree

from lakeproof.engines.base import Capability
from lakeproof.errors import ConfigError

TAG_PREFIX = "capability:"
ENGINE_METADATA = "Engine"
FILE_NAME = "capability-matrix.json"

Outcome = Literal["proven", "skipped", "failed"]
_RANK: dict[Outcome, int] = {"skipped": 0, "proven": 1, "failed": 2}
_STATUS_OUTCOME: dict[str, Outcome] = {"PASS": "proven", "SKIP": "skipped", "FAIL": "failed"}
_KNOWN = {f"{TAG_PREFIX}{capability.value}": capability for capability in Capability}


def capability_tag(capability: Capability) -> str:
    """The tag a test gets for a capability it used."""
    return f"{TAG_PREFIX}{capability.value}"


@dataclass
class CapabilityMatrix:
    """Suite -> capability -> outcome, for one engine."""

    engine: str
    suites: dict[str, dict[Capability, Outcome]] = field(default_factory=dict)

    def record(self, suite: str, capabilities: Iterable[Capability], status: str) -> None:
        """Add one test of ``suite`` that used ``capabilities`` and ended with Robot ``status``."""
        outcome = _STATUS_OUTCOME.get(status, "failed")
        line = self.suites.setdefault(suite, {})
        for capability in capabilities:
            known = line.get(capability)
            if known is None or _RANK[outcome] > _RANK[known]:
                line[capability] = outcome

    def to_json(self) -> dict[str, object]:
        """The matrix as JSON: engine, capabilities in their fixed order, and each suite's outcomes."""
        return {
            "engine": self.engine,
            "capabilities": [capability.value for capability in Capability],
            "suites": {
                suite: {capability.value: outcome for capability, outcome in sorted(line.items())}
                for suite, line in sorted(self.suites.items())
            },
        }

    def write(self, directory: Path) -> Path:
        """Write ``capability-matrix.json`` into ``directory``; returns its path."""
        path = directory / FILE_NAME
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path

    def rows(self) -> list[list[str]]:
        """One row per suite: its name, then each capability's outcome (``-`` if not used)."""
        return [
            [suite, *(line.get(capability, "-") for capability in Capability)]
            for suite, line in sorted(self.suites.items())
            if line
        ]

    def markdown(self) -> str:
        """The matrix as a Markdown table (for the README)."""
        header = ["suite", *(capability.value for capability in Capability)]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows()]
        return "\n".join(lines)


def _tests(suite: ElementTree.Element, name: str) -> Iterable[tuple[str, ElementTree.Element]]:
    for child in suite:
        if child.tag == "suite":
            yield from _tests(child, f"{name}.{child.get('name')}" if name else str(child.get("name")))
        elif child.tag == "test":
            yield name, child


def matrix_from_output(path: Path, engine: str | None = None) -> CapabilityMatrix:
    """The matrix of a Robot Framework ``output.xml`` (a directory: its ``output.xml``)."""
    source = path / "output.xml" if path.is_dir() else path
    try:
        # The user's own Robot Framework output, not data from elsewhere.
        root = ElementTree.parse(source).getroot()  # noqa: S314
    except (OSError, ElementTree.ParseError) as exc:
        raise ConfigError(f"cannot read Robot Framework output {source}: {exc}; give an output.xml") from None
    found_engines = {item.text or "" for item in root.iter("meta") if item.get("name") == ENGINE_METADATA}
    matrix = CapabilityMatrix(engine or ", ".join(sorted(found_engines)) or "unknown")
    top = root.find("suite")
    if top is None:
        raise ConfigError(f"{source} holds no suite; is it a Robot Framework output.xml?")
    for suite, test in _tests(top, str(top.get("name"))):
        tags = [tag.text or "" for tag in test.iter("tag")]
        used = [_KNOWN[tag] for tag in tags if tag in _KNOWN]
        status = test.find("status")
        matrix.record(suite, used, status.get("status", "FAIL") if status is not None else "FAIL")
    return matrix


def outcome_counts(matrix: CapabilityMatrix) -> Mapping[Outcome, int]:
    """How many suite x capability cells are proven, skipped and failed."""
    counts: dict[Outcome, int] = {"proven": 0, "skipped": 0, "failed": 0}
    for line in matrix.suites.values():
        for outcome in line.values():
            counts[outcome] += 1
    return counts
