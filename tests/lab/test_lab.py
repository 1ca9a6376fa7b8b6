"""Lab orchestration: start, describe, stop, and nothing left running after errors or signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakeproof.errors import ConfigError, PortInUseError
from lakeproof.lab import Lab, LabSettings
from lakeproof.lab.lab import MASK
from lakeproof.net import LOOPBACK, is_listening, wait_until

pytestmark = pytest.mark.component

Description = dict[str, Any]
Ports = Callable[[Description], list[int]]
Gone = Callable[[Description], None]


def test_lab_starts_every_reader_and_stops_clean(
    output_dir: Path, lab_ports: Ports, assert_lab_gone: Gone
) -> None:
    with Lab(LabSettings(output_dir=output_dir, readers=("coordinator", "node-1"))) as lab:
        description = lab.describe()
        assert set(description["readers"]) == {"coordinator", "node-1"}
        assert all(is_listening(port) for port in lab_ports(description))
        # The bucket exists and a reader sees through its listener what was written directly.
        lab.s3.client().put_object(Bucket=lab.bucket, Key=f"{lab.prefix}/a.txt", Body=b"abc")
        via_proxy = lab.reader_endpoint("node-1").client()
        assert via_proxy.get_object(Bucket=lab.bucket, Key=f"{lab.prefix}/a.txt")["Body"].read() == b"abc"
        assert (lab.log_dir / "objectstore.log").exists()
        assert (lab.log_dir / "faultproxy.log").exists()
        assert lab.health_problem() is None
    assert_lab_gone(description)


def test_two_labs_side_by_side_get_their_own_ports_and_prefixes(output_dir: Path, lab_ports: Ports) -> None:
    with Lab(LabSettings(output_dir=output_dir)) as first, Lab(LabSettings(output_dir=output_dir)) as second:
        assert first.prefix != second.prefix
        assert not set(lab_ports(first.describe())) & set(lab_ports(second.describe()))


def test_a_dead_component_is_reported_by_health_check(output_dir: Path) -> None:
    with Lab(LabSettings(output_dir=output_dir, readers=("coordinator",))) as lab:
        pid = lab.describe()["pids"]["object_store"]
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: lab.health_problem() is not None, 10, "health check to notice")
        assert "object store" in (lab.health_problem() or "")


def test_reader_port_in_use_fails_start_and_leaves_nothing(output_dir: Path) -> None:
    with socket.socket() as holder:
        holder.bind((LOOPBACK, 0))
        holder.listen()
        port = holder.getsockname()[1]
        lab = Lab(
            LabSettings(
                output_dir=output_dir, readers=("coordinator", "node-1"), reader_ports={"node-1": port}
            )
        )
        with pytest.raises(PortInUseError, match=rf"port {port} for listener 'node-1' is already in use"):
            lab.start()
    assert lab.object_store.exited_reason() is not None  # the store started first was stopped again


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"bucket": "Lake_1"}, "invalid bucket name 'Lake_1'"),
        ({"readers": ()}, "at least one reader"),
        ({"reader_ports": {"node-9": 9100}}, r"unknown readers \['node-9'\]"),
        ({"s3_port": 70000}, "port 70000 for object store is out of range"),
    ],
)
def test_bad_settings_are_one_line_errors(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LabSettings(**settings)


def _ignore_sigint() -> None:
    # As a background job of a non-interactive shell (`lakeproof lab up &` in a script) starts.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_lab_cli(
    tmp_path: Path, sigint_ignored: bool = False
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    ready = tmp_path / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lakeproof.cli",
            "lab",
            "up",
            "--nodes",
            "2",
            "--output-dir",
            str(tmp_path / "out"),
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_ignore_sigint if sigint_ignored else None,  # noqa: PLW1509 - the test's point
    )
    wait_until(
        ready.exists, 60, "lakeproof lab up", abort=lambda: None if process.poll() is None else "exited"
    )
    return process, json.loads(ready.read_text())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_lab_up_stops_everything_on_signal(
    tmp_path: Path, sig: signal.Signals, assert_lab_gone: Gone
) -> None:
    process, description = _start_lab_cli(tmp_path)
    assert set(description["readers"]) == {"coordinator", "node-1", "node-2"}
    assert description["access_key"]
    assert description["secret_key"]
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert b"stopping the lab" in stderr
    assert_lab_gone(description)


def test_cli_lab_up_stops_on_sigint_even_when_started_with_it_ignored(
    tmp_path: Path, assert_lab_gone: Gone
) -> None:
    process, description = _start_lab_cli(tmp_path, sigint_ignored=True)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert b"stopping the lab" in stderr
    assert_lab_gone(description)


def test_cli_lab_up_shows_its_credentials_only_to_its_user(tmp_path: Path) -> None:
    process, description = _start_lab_cli(tmp_path)
    try:
        ready = tmp_path / "ready.json"
        assert stat.S_IMODE(ready.stat().st_mode) == 0o600
        assert description["secret_key"] not in {"", MASK}
        config = json.loads((Path(description["logs"]) / "coordinator.json").read_text())
        assert config["readers"]["coordinator"]["secret_key"] == description["secret_key"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_credentials_are_masked_and_lab_files_are_the_owners_only(output_dir: Path) -> None:
    with Lab(LabSettings(output_dir=output_dir, readers=("coordinator",), cluster=True)) as lab:
        description = lab.describe()
        assert description["access_key"] == description["secret_key"] == MASK
        secret = lab.s3.secret_key
        assert len(secret) >= 32
        assert secret not in repr(lab.reader_endpoint("coordinator"))
        logs = lab.log_dir
        for directory in (output_dir / "lab-logs", logs):
            assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
        umask = os.umask(0)
        os.umask(umask)
        assert stat.S_IMODE(output_dir.stat().st_mode) == 0o777 & ~umask  # the user's, as mkdir makes it
        files = [path for path in logs.rglob("*") if path.is_file()]
        assert {"coordinator.json", "coordinator.log", "objectstore.log", "faultproxy.log"} <= {
            path.name for path in files
        }
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert secret in (logs / "coordinator.json").read_text()
    # A second lab makes credentials of its own.
    with Lab(LabSettings(output_dir=output_dir, readers=("coordinator",))) as other:
        assert other.s3.secret_key != secret


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"cluster": "maybe"}, "cluster must be true or false, got 'maybe'"),
        ({"start_timeout": 0.0}, "start timeout 0.0 s must be above 0"),
        ({"start_timeout": float("nan")}, "start timeout nan s must be above 0"),
        ({"dask_scheduler": "garbage"}, r"dask scheduler address 'garbage' must be tcp://HOST:PORT"),
        ({"dask_scheduler": "tcp://127.0.0.1"}, r"address 'tcp://127.0.0.1' must be tcp://HOST:PORT"),
    ],
)
def test_settings_robot_cannot_type_check_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LabSettings(**settings)


def test_cli_lab_up_killed_hard_takes_its_children_along(tmp_path: Path, assert_lab_gone: Gone) -> None:
    process, description = _start_lab_cli(tmp_path)
    process.kill()  # SIGKILL: no teardown code runs; the kernel's parent-death signal must act
    process.wait(timeout=10)
    assert_lab_gone(description)


def test_a_failing_script_still_stops_the_lab(tmp_path: Path, assert_lab_gone: Gone) -> None:
    pids_file = tmp_path / "lab.json"
    script = textwrap.dedent(
        f"""
        import json, pathlib
        from lakeproof.lab import Lab, LabSettings
        with Lab(LabSettings(output_dir=pathlib.Path({str(tmp_path)!r}))) as lab:
            pathlib.Path({str(pids_file)!r}).write_text(json.dumps(lab.describe()))
            raise RuntimeError("a test failed")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=False)
    assert result.returncode == 1
    assert b"a test failed" in result.stderr
    assert_lab_gone(json.loads(pids_file.read_text()))


def test_cli_reports_bad_arguments_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lakeproof.cli",
            "lab",
            "up",
            "--bucket",
            "Bad_Bucket",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert lines == [lines[0]]
    assert lines[0].startswith("lakeproof: error: invalid bucket name 'Bad_Bucket'")
