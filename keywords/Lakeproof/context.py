"""State shared by the keyword classes of one library instance: the running lab and its datasets."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from lakeproof.lab import Lab


def robot_output_dir() -> Path:
    """Robot Framework's output directory, or ``out`` when not run by Robot Framework."""
    try:
        return Path(BuiltIn().get_variable_value("${OUTPUT DIR}"))
    except RobotNotRunningError:
        return Path("out")


def pabot_instance_label() -> str:
    """A label unique per pabot process (PABOTQUEUEINDEX), ``run`` under plain robot."""
    index = os.environ.get("PABOTQUEUEINDEX")
    return f"pabot{index}" if index is not None else "run"


@dataclass
class LabContext:
    """The lab the keywords act on, and which suite started it (so its end can stop it)."""

    lab: Lab | None = None
    started_by_suite: str | None = None
    datasets: dict[str, Any] = field(default_factory=dict)

    def require_lab(self) -> Lab:
        """The running lab, or an error that says to start one."""
        if self.lab is None:
            raise AssertionError("no lab is running: call 'Start Lab' in the suite setup first")
        return self.lab

    def stop(self) -> None:
        """Stop the lab if one is running and forget its datasets."""
        lab, self.lab, self.started_by_suite = self.lab, None, None
        self.datasets.clear()
        if lab is not None:
            lab.stop()
