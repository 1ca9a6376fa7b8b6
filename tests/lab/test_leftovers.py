"""The benchmark's leftover check sees a run's lab processes, ports and scratch, and their absence.

A run is told apart from other people's labs on the machine by a marker in its environment and
its own temporary directory; the kill -9 case shows scratch a killed run leaves, and the next
lab start sweeping it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lakeproof.bench_acceptance import (
    Leftovers,
    RunSandbox,
    lab_processes,
    listening_loopback_ports,
    robot_argv,
    stop_acceptance_midway,
)
from lakeproof.lab import Lab, LabSettings
from lakeproof.net import wait_until
from lakeproof.objectstore import MotoServer

pytestmark = pytest.mark.component

ROOT = Path(__file__).resolve().parents[2]

# A suite that starts a lab with a cluster and then waits (with a deadline) to be stopped.
WAITING_SUITE = """\
*** Settings ***
Library    {library}/
Library    OperatingSystem

*** Test Cases ***
Start a lab and wait to be stopped
    Start Lab    nodes=1
    Wait Until Created    {never}    timeout=300 s
"""


def test_lab_processes_and_ports_are_seen_while_running_and_gone_after(output_dir: Path) -> None:
    before = {process.pid for process in lab_processes()}
    with Lab(LabSettings(output_dir=output_dir, readers=("coordinator",), run_label="leftovers")) as lab:
        pids = {pid for pid in lab.describe()["pids"].values() if pid}
        assert pids <= {process.pid for process in lab_processes()} - before
        store = lab.object_store
        assert isinstance(store, MotoServer)
        assert store.port in listening_loopback_ports()
        assert store.port in listening_loopback_ports(pids)
        assert store.port not in listening_loopback_ports({1})
    assert not pids & {process.pid for process in lab_processes()}


def test_a_run_counts_only_its_own_processes_and_scratch(tmp_path: Path) -> None:
    sandbox, other = RunSandbox.create(tmp_path), RunSandbox.create(tmp_path)
    ready = tmp_path / "ready.json"
    argv = [sys.executable, "-m", "lakeproof.cli", "lab", "up", "--nodes", "1", "--ready-file", str(ready)]
    lab = subprocess.Popen(
        [*argv, "--output-dir", str(tmp_path / "out")],
        env=sandbox.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(ready.exists, 60, "lab up", abort=lambda: None if lab.poll() is None else "lab up exited")
        processes = lab_processes(sandbox.run_id)
        assert len(processes) == 5  # object store, proxy, scheduler, node, coordinator
        assert not lab_processes(other.run_id)
        assert listening_loopback_ports({process.pid for process in processes})
        assert sandbox.scratch() == 1  # the lab's scratch root, in the run's own TMPDIR
        assert other.scratch() == 0
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(timeout=30)
    left = sandbox.leftovers()
    assert (left.processes, left.ports, left.scratch) == (0, 0, 0)


def _waiting_suite_argv(tmp_path: Path, parallel: bool) -> list[str]:
    suite = tmp_path / "waiting.robot"
    never = tmp_path / "never-created"
    suite.write_text(WAITING_SUITE.format(library=ROOT / "keywords" / "Lakeproof", never=never))
    return robot_argv(parallel, tmp_path / "results", str(suite), processes=1)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_a_robot_run_stopped_midway_leaves_nothing_once_the_next_lab_starts(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    argv = _waiting_suite_argv(tmp_path, parallel=False)

    run = stop_acceptance_midway(argv, ROOT, RunSandbox.create(tmp_path), stop_signal)

    assert (run.left.processes, run.left.ports) == (0, 0)
    if stop_signal == signal.SIGINT:
        assert run.left.scratch == 0  # the lab stopped itself
        assert run.scratch_after_next_lab is None
    else:
        assert run.left.scratch == 1  # nobody was left to remove the lab's root...
        assert run.scratch_after_next_lab == 0  # ...until the next lab started


def test_a_pabot_run_killed_midway_leaves_nothing(tmp_path: Path) -> None:
    # pabot's workers run in sessions of their own: the kill reaches only pabot, and each worker
    # sees it is orphaned and stops its run, so its suites' teardowns stop their labs.
    argv = _waiting_suite_argv(tmp_path, parallel=True)

    run = stop_acceptance_midway(argv, ROOT, RunSandbox.create(tmp_path), signal.SIGKILL)

    assert run.left == Leftovers(processes=0, ports=0, scratch=0)
    assert run.scratch_after_next_lab == 0


def test_robot_argv_selects_the_default_tier(tmp_path: Path) -> None:
    parallel = robot_argv(True, tmp_path, "suites", 3)
    assert parallel[1:3] == ["-m", "pabot.pabot"]
    assert parallel[parallel.index("--processes") + 1] == "3"
    assert robot_argv(False, tmp_path, "suites", 3)[1:3] == ["-m", "robot"]
    assert "--exclude" in parallel
    assert "slow" in parallel
