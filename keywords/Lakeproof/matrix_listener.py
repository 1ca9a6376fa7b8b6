"""Records, test by test, which capabilities the engine was asked for, and shows the matrix.

Each test gets a ``capability:<name>`` tag per capability it used (so any ``output.xml``, also
pabot's merged one, holds the matrix: ``lakeproof matrix results/``); each suite whose tests
used any gets metadata ``Engine`` and a ``Capabilities`` table in the log and report; the run's
matrix is written to ``capability-matrix.json`` in the output directory when Robot Framework
closes the library.
"""

from __future__ import annotations

from typing import Any

from robot.api import logger

from Lakeproof.context import LabContext, robot_output_dir
from lakeproof.engines.base import Capability
from lakeproof.engines.matrix import ENGINE_METADATA, CapabilityMatrix, capability_tag


class CapabilityRecorder:
    """The library's listener half for the capability matrix."""

    def __init__(self, context: LabContext):
        self.context = context
        self.matrix: CapabilityMatrix | None = None
        self._setup_needs: set[Capability] | None = None

    def start_suite(self) -> None:
        """A suite starts with no capability used; what its setup asks for, every test of it needs."""
        self.context.capabilities_used.clear()
        self._setup_needs = None

    def start_test(self) -> None:
        """A test starts with what its suite's setup used (a setup skipped for a missing capability
        skips every test, and the matrix must say so), and nothing else."""
        if self._setup_needs is None:
            self._setup_needs = set(self.context.capabilities_used)
        self.context.capabilities_used.clear()
        self.context.capabilities_used.update(self._setup_needs)

    def end_test(self, suite: str, result: Any) -> None:
        """Tag the test with what it used, and record its outcome."""
        used = sorted(self.context.capabilities_used)
        if not used:
            return
        if self.matrix is None:
            self.matrix = CapabilityMatrix(self.context.engine_name)
        result.tags.add([capability_tag(capability) for capability in used])
        self.matrix.record(suite, used, result.status)

    def end_suite(self, suite: str, result: Any) -> None:
        """Put the suite's line of the matrix into its metadata (shown in log and report)."""
        line = self.matrix.suites.get(suite) if self.matrix is not None else None
        if not line or self.matrix is None:
            return
        result.metadata[ENGINE_METADATA] = self.matrix.engine
        result.metadata["Capabilities"] = "\n".join(
            ["| =capability= | =outcome= |"]
            + [f"| {capability.value} | {outcome} |" for capability, outcome in sorted(line.items())]
        )

    def close(self) -> None:
        """Write the run's ``capability-matrix.json``."""
        if self.matrix is not None and self.matrix.suites:
            path = self.matrix.write(robot_output_dir())
            logger.console(f"Capability matrix: {path}")
