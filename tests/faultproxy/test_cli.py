"""``python -m lakeproof.faultproxy`` as the lab runs it: ready file, clean stop, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeproof.faultproxy import ProxyControl
from lakeproof.net import free_port, wait_until
from lakeproof.procs import write_ready_file

from .conftest import BUCKET, s3_client

pytestmark = pytest.mark.component

COMMAND = [sys.executable, "-m", "lakeproof.faultproxy"]


def is_listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def run_to_exit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def started(moto_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    """A proxy process with three listeners; yields (process, ready file, log file)."""
    ready, log_path = tmp_path / "proxy.ready.json", tmp_path / "proxy.log"
    argv = [*COMMAND, "--upstream", moto_url, "--listener", "coordinator", "--listener", "node-1=0"]
    argv += ["--listener", f"node-2={free_port()}", "--control-port", "0", "--ready-file", str(ready)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: ready.exists() or process.poll() is not None, 30, "fault proxy process")
        assert process.poll() is None, log_path.read_text()
        yield process, ready, log_path
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_the_process_reports_its_ports_serves_and_stops_cleanly_on_sigterm(
    started: tuple[subprocess.Popen[bytes], Path, Path], prefix: str
) -> None:
    process, ready, log_path = started
    info = json.loads(ready.read_text())
    assert info["pid"] == process.pid
    assert list(info["listeners"]) == ["coordinator", "node-1", "node-2"]
    ports = [info["control"], *info["listeners"].values()]
    assert all(is_listening(port) for port in ports)

    control = ProxyControl(f"http://127.0.0.1:{info['control']}")
    assert control.listeners() == info["listeners"]
    client = s3_client(f"http://127.0.0.1:{info['listeners']['node-1']}")
    client.put_object(Bucket=BUCKET, Key=f"{prefix}k", Body=b"via the process")
    assert client.get_object(Bucket=BUCKET, Key=f"{prefix}k", Range="bytes=0-2")["Body"].read() == b"via"
    assert control.stats(prefix=prefix)["by_listener"]["node-1"]["requests"] == 2

    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    assert not any(is_listening(port) for port in ports)
    assert not ready.exists()
    log = log_path.read_text()
    access = f"listener=node-1 op=RANGE_GET bucket={BUCKET} key={prefix}k range=bytes=0-2 status=206 bytes=3"
    assert f"{access} fault=-" in log
    assert "Traceback" not in log


def test_a_listener_port_in_use_is_exit_2_with_one_line(moto_url: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_to_exit(
            "--upstream", moto_url, "--listener", "coordinator", "--listener", f"node-2={port}"
        )
    assert result.returncode == 2
    assert result.stderr == (
        f"fault proxy: port {port} for listener 'node-2' is already in use on 127.0.0.1; "
        "choose another port or stop the process holding it\n"
    )


@pytest.mark.parametrize(
    ("listeners", "message"),
    [
        (["Node_1"], "invalid listener name 'Node_1'; use lower-case letters, digits and '-'"),
        (["node-1", "node-1=0"], "listener 'node-1' is given twice; every listener needs its own name"),
        (["node-1=x"], "invalid port 'x' in --listener 'node-1=x'; use NAME or NAME=PORT with a number"),
        (["node-1=70000"], "invalid port 70000 for listener 'node-1'; use 0 (any free port) to 65535"),
    ],
)
def test_a_bad_listener_is_exit_2_with_one_line(listeners: list[str], message: str) -> None:
    args = [arg for name in listeners for arg in ("--listener", name)]
    result = run_to_exit("--upstream", "http://127.0.0.1:1", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"fault proxy: {message}")
    assert result.stderr.count("\n") == 1


def test_help_explains_every_option() -> None:
    result = run_to_exit("--help")
    assert result.returncode == 0
    for option in ("--upstream", "--listener", "--control-port", "--ready-file", "--log-level"):
        assert option in result.stdout
    assert "NAME[=PORT]" in result.stdout


def test_the_ready_file_is_written_atomically(tmp_path: Path) -> None:
    ready = tmp_path / "sub" / "ready.json"
    write_ready_file(ready, {"pid": os.getpid(), "control": 1, "listeners": {"coordinator": 2}})
    assert json.loads(ready.read_text()) == {
        "pid": os.getpid(),
        "control": 1,
        "listeners": {"coordinator": 2},
    }
    assert [path.name for path in ready.parent.iterdir()] == ["ready.json"]
