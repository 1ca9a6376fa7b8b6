"""Runs acceptance suites (or a few of their tests) against a deliberately defective engine.

Each honesty test proves that a suite fails when the engine is wrong: it runs the suite with
``--variable ENGINE_DEFECTS:<names>`` (``Start Lab`` passes them to the coordinator, see
``lakeproof.refcluster.defects``) and checks which tests fail, and why.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from robot.api import ExecutionResult, ResultVisitor
from robot.result import TestCase

REPO = Path(__file__).resolve().parents[2]
SUITE_TIMEOUT_S = 300


@dataclass
class SuiteRun:
    """What a Robot Framework run did: its exit code, and each test's verdict."""

    rc: int
    failures: dict[str, str] = field(default_factory=dict)
    passed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    console: str = ""

    def describe(self) -> str:
        """One readable paragraph for assertion messages."""
        failed = "; ".join(f"{name}: {message}" for name, message in self.failures.items())
        return f"rc={self.rc}, passed={self.passed}, failed={{{failed}}}\n{self.console[-3000:]}"


class _Verdicts(ResultVisitor):  # type: ignore[misc]  # robot.api has no type for it
    def __init__(self, run: SuiteRun):
        self.run = run

    def visit_test(self, test: TestCase) -> None:
        if test.passed:
            self.run.passed.append(test.name)
        elif test.failed:
            self.run.failures[test.name] = test.message
        else:
            self.run.skipped[test.name] = test.message


def run_suite(
    paths: Sequence[str],
    defects: Sequence[str],
    tests: Sequence[str] | None = None,
    include: Sequence[str] | None = None,
    variables: Mapping[str, str] | None = None,
) -> SuiteRun:
    """Run ``robot`` on ``paths`` (relative to the repository) with the engine ``defects``.

    ``tests`` and ``include`` select tests as ``--test`` and ``--include`` do; ``variables``
    are further ``--variable`` values. Output goes to a temporary directory.
    """
    with tempfile.TemporaryDirectory(prefix="lakeproof-honesty-") as output:
        argv = [sys.executable, "-m", "robot", "--outputdir", output, "--log", "NONE", "--report", "NONE"]
        argv += ["--variable", f"ENGINE_DEFECTS:{','.join(defects)}"]
        for name, value in (variables or {}).items():
            argv += ["--variable", f"{name}:{value}"]
        for test in tests or ():
            argv += ["--test", test]
        for tag in include or ():
            argv += ["--include", tag]
        argv += [str(REPO / path) for path in paths]
        completed = subprocess.run(
            argv, cwd=REPO, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S, check=False
        )
        run = SuiteRun(completed.returncode, console=completed.stdout + completed.stderr)
        output_xml = Path(output) / "output.xml"
        if output_xml.exists():
            ExecutionResult(str(output_xml)).visit(_Verdicts(run))
    return run
