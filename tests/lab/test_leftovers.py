"""The benchmark's leftover check sees a running lab's processes and ports, and their absence."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeproof.bench_acceptance import lab_processes, listening_loopback_ports, robot_argv
from lakeproof.lab import Lab, LabSettings

pytestmark = pytest.mark.component


def test_lab_processes_and_ports_are_seen_while_running_and_gone_after(output_dir: Path) -> None:
    before = {process.pid for process in lab_processes()}
    with Lab(LabSettings(output_dir=output_dir, readers=("coordinator",), run_label="leftovers")) as lab:
        pids = {pid for pid in lab.describe()["pids"].values() if pid}
        assert pids <= {process.pid for process in lab_processes()} - before
        assert lab.object_store.port in listening_loopback_ports()
    assert not pids & {process.pid for process in lab_processes()}


def test_robot_argv_selects_the_default_tier(tmp_path: Path) -> None:
    parallel = robot_argv(True, tmp_path, "suites", 3)
    assert parallel[1:3] == ["-m", "pabot.pabot"]
    assert parallel[parallel.index("--processes") + 1] == "3"
    assert robot_argv(False, tmp_path, "suites", 3)[1:3] == ["-m", "robot"]
    assert "--exclude" in parallel
    assert "slow" in parallel
