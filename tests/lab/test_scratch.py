"""Scratch folders belong to a lab: gone at its stop, and swept once their owner process is dead.

The component tests use real processes: a data node killed with SIGKILL in the middle of a task,
and a whole ``lakeproof lab up`` killed with SIGKILL; a live lab's folders are never swept.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from lakeproof.datagen import load_spec
from lakeproof.lab import Lab, LabSettings
from lakeproof.net import wait_until
from lakeproof.scratch import LAB_ROOT_PREFIX, TASK_PREFIX, owner_alive, owner_tag, sweep

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _start_of(pid: int) -> int:
    return round(psutil.Process(pid).create_time() * 100)


def test_owner_tag_names_this_process_and_its_start() -> None:
    pid, start = owner_tag().split("-")
    assert int(pid) == os.getpid()
    assert int(start) == _start_of(os.getpid())


def test_a_folder_of_a_live_owner_is_alive() -> None:
    assert owner_alive(f"{TASK_PREFIX}{owner_tag()}-abc", TASK_PREFIX)


def test_a_folder_of_a_dead_owner_is_not(dead_pid: int) -> None:
    assert not owner_alive(f"{TASK_PREFIX}{dead_pid}-123-abc", TASK_PREFIX)


def test_a_reused_pid_is_not_the_owner() -> None:
    # This process's pid, but a start time an hour earlier: another process had the pid then.
    stale = _start_of(os.getpid()) - 360_000
    assert not owner_alive(f"{TASK_PREFIX}{os.getpid()}-{stale}-abc", TASK_PREFIX)


@pytest.mark.parametrize("name", ["lakeproof-node-abc123", "lakeproof-node-12-x", "other-1-2-x"])
def test_folders_not_named_by_an_owner_are_left_alone(name: str) -> None:
    assert owner_alive(name, TASK_PREFIX)


def test_sweep_removes_only_folders_of_dead_owners(tmp_path: Path, dead_pid: int) -> None:
    live = tmp_path / f"{TASK_PREFIX}{owner_tag()}-live"
    dead = tmp_path / f"{TASK_PREFIX}{dead_pid}-12345-dead"
    unowned = tmp_path / f"{TASK_PREFIX}old7f3k2"
    for folder in (live, dead, unowned):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "split-1.parquet").write_bytes(b"PAR1")
    other_prefix = tmp_path / f"{LAB_ROOT_PREFIX}{dead_pid}-12345-x"
    other_prefix.mkdir()

    assert sweep(tmp_path, TASK_PREFIX) == [dead]
    assert live.exists()
    assert unowned.exists()
    assert other_prefix.exists()  # another prefix: not this sweep's business
    assert not dead.exists()


def test_sweep_of_a_missing_directory_is_nothing(tmp_path: Path) -> None:
    assert sweep(tmp_path / "missing", TASK_PREFIX) == []


# -- with real labs ---------------------------------------------------------------------------


@pytest.fixture
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A system temp of this test's own (TMPDIR), so other people's labs on the machine never count."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    return temp


@pytest.mark.component
def test_a_lab_removes_its_scratch_root_at_stop(output_dir: Path, private_temp: Path) -> None:
    with Lab(LabSettings(output_dir=output_dir, readers=("coordinator", "node-1"), cluster=True)) as lab:
        root = Path(lab.describe()["scratch"])
        assert root.parent == private_temp
        assert root.name.startswith(f"{LAB_ROOT_PREFIX}{owner_tag()}-")
        assert root.is_dir()
    assert not root.exists()
    assert list(private_temp.iterdir()) == []


@pytest.mark.component
def test_a_node_killed_mid_task_leaves_no_scratch(output_dir: Path, private_temp: Path) -> None:
    settings = LabSettings(output_dir=output_dir, readers=("coordinator", "node-1"), cluster=True)
    with Lab(settings) as lab:
        root = Path(lab.describe()["scratch"])
        manifest = lab.create_dataset(load_spec(ROOT / "data" / "datasets" / "smoke.yaml"))
        # The node's reads hang, so its task sits in its scratch folder until the node is killed.
        # The query reads a column: count(*) needs only the footers the coordinator ships, so the
        # node would make no request to hang on and its folder would live for milliseconds.
        lab.control.add_rule(action="hang", listener="node-1", key="*.parquet")
        client = lab.coordinator_client()
        query = client.start_async(
            f"SELECT sum(qty) FROM {manifest.duckdb_scan('parquet')}",
            {"external_distribution": "round_robin", "query_timeout_s": 60},
        )
        node_folders = f"{TASK_PREFIX}{lab.describe()['pids']['node-1']}-*"
        wait_until(lambda: any(root.glob(node_folders)), 60, "the node's task folder")

        lab.kill_node("node-1")

        assert list(root.glob(node_folders)) == []
        client.cancel_async(query)


@pytest.mark.component
def test_a_lab_killed_outright_is_swept_by_the_next_and_a_live_one_is_not(
    tmp_path: Path, private_temp: Path
) -> None:
    ready = tmp_path / "ready.json"
    argv = [sys.executable, "-m", "lakeproof.cli", "lab", "up", "--nodes", "1", "--ready-file", str(ready)]
    killed = subprocess.Popen(
        [*argv, "--output-dir", str(tmp_path / "out")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until(
            ready.exists, 60, "lab up", abort=lambda: None if killed.poll() is None else "lab up exited"
        )
        killed_root = Path(json.loads(ready.read_text())["scratch"])
        killed_start = _start_of(killed.pid)
        assert killed_root.is_dir()
        with Lab(LabSettings(output_dir=tmp_path / "live", readers=("coordinator",), cluster=True)) as live:
            live_root = Path(live.describe()["scratch"])
            assert killed_root.is_dir()  # its owner still runs: the new lab leaves it alone

            os.kill(killed.pid, signal.SIGKILL)
            killed.wait(timeout=10)
            assert killed_root.is_dir()  # nobody was there to remove it...

            # A task folder of a node outside any lab's root (a worker of an attached scheduler).
            dead_task = private_temp / f"{TASK_PREFIX}{killed.pid}-{killed_start}-x"
            dead_task.mkdir()
            with Lab(LabSettings(output_dir=tmp_path / "next", readers=("coordinator",))):
                assert not killed_root.exists()  # ...until the next lab started
                assert not dead_task.exists()
                assert live_root.is_dir()  # a live lab's root stays
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait()
