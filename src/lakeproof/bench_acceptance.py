"""Acceptance-run figures: pabot vs sequential wall time, consecutive green runs, leftovers.

Runs the default acceptance selection (everything but ``slow``) the way users do: ``robot`` for
the sequential baseline and ``pabot`` for the parallel run, side by side in one benchmark run.
After each run, after a Ctrl-C (SIGINT to the run's process group, as a terminal sends it) and
after a ``kill -9`` (SIGKILL to the process group) in the middle of one, it counts what the run
left behind: lab processes, their listening ports, and scratch folders.

Other people's labs may run on the same machine, so every run is counted apart: it runs with a
marker in its environment (inherited by every process it starts) and with a temporary directory
(``TMPDIR``) of its own, where its labs put their scratch. After a ``kill -9`` nothing of the run
is left to clean up, so its scratch is counted twice: right after, and after the next lab start,
whose sweep removes folders whose owner process is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from lakeproof.net import wait_until
from lakeproof.scratch import LAB_ROOT_PREFIX, TASK_PREFIX

# Command-line fragments that identify the lab's component processes.
LAB_PROCESS_MARKERS = ("moto.server", "lakeproof.faultproxy", "lakeproof.refcluster", "distributed.cli.dask_")
DEFAULT_SELECTION = ("--exclude", "slow")
PABOT_ORDERING = ("--ordering", "pabot_ordering.txt")
"""The suites longest first, as ``make acceptance`` runs them (a path relative to the repository)."""
RUN_MARKER = "LAKEPROOF_BENCH_RUN"
"""Environment variable whose value tells one benchmark run's processes from everyone else's."""
SCRATCH_PREFIXES = (LAB_ROOT_PREFIX, TASK_PREFIX, "dask-scratch-space")
"""What a lab leaves in the temporary directory if it is not cleaned up."""
_RUN_TIMEOUT_S = 1800
_SETTLE_TIMEOUT_S = 20
_LAB_START_TIMEOUT_S = 60


@dataclass(frozen=True)
class Leftovers:
    """What a run left behind: processes it started (labs, pabot's workers, anything), their
    listening loopback ports, and lab scratch folders."""

    processes: int
    ports: int
    scratch: int

    @property
    def total(self) -> int:
        """Everything left, summed: the figure's target is 0."""
        return self.processes + self.ports + self.scratch


@dataclass(frozen=True)
class AcceptanceRun:
    """One run of the suites: wall seconds, exit code, and what it left behind."""

    seconds: float
    rc: int
    left: Leftovers
    scratch_after_next_lab: int | None = None
    """After a kill -9: scratch folders still there once another lab has started (and swept)."""


def _command(process: psutil.Process) -> str:
    """The command line ``process_iter(["cmdline"])`` read (the process may be gone since)."""
    return " ".join(process.info["cmdline"] or ())


def _marked(process: psutil.Process, run_id: str) -> bool:
    try:
        return process.environ().get(RUN_MARKER) == run_id
    except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
        return False


def lab_processes(run_id: str | None = None) -> list[psutil.Process]:
    """Processes of lab components running now: all of them, or those of benchmark run ``run_id``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = _command(process)
        if any(marker in command for marker in LAB_PROCESS_MARKERS) and (
            run_id is None or _marked(process, run_id)
        ):
            found.append(process)
    return found


def run_processes(run_id: str) -> list[psutil.Process]:
    """Every process of benchmark run ``run_id`` running now, whatever it is."""
    return [process for process in psutil.process_iter() if _marked(process, run_id)]


def listening_loopback_ports(pids: set[int] | None = None) -> set[int]:
    """TCP ports listening on 127.0.0.1 now: all of them, or those of processes ``pids``."""
    return {
        connection.laddr.port
        for connection in psutil.net_connections(kind="tcp")
        if connection.status == psutil.CONN_LISTEN
        and connection.laddr
        and connection.laddr.ip == "127.0.0.1"
        and (pids is None or connection.pid in pids)
    }


@dataclass(frozen=True)
class RunSandbox:
    """One run's marker and temporary directory, and what of the run is still there."""

    run_id: str
    temp: Path

    @classmethod
    def create(cls, parent: Path) -> RunSandbox:
        """A new sandbox with its temporary directory under ``parent``."""
        run_id = uuid.uuid4().hex
        temp = parent / f"tmp-{run_id[:12]}"
        temp.mkdir(parents=True)
        return cls(run_id, temp)

    def environment(self) -> dict[str, str]:
        """The run's environment: the marker, its own TMPDIR, and this interpreter's scripts first
        on PATH (pabot starts its workers as plain ``robot``)."""
        bin_dir = str(Path(sys.executable).parent)
        return {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            RUN_MARKER: self.run_id,
            "TMPDIR": str(self.temp),
        }

    def scratch(self) -> int:
        """Scratch folders of labs in the run's temporary directory."""
        return sum(entry.name.startswith(SCRATCH_PREFIXES) for entry in self.temp.iterdir())

    def leftovers(self) -> Leftovers:
        """The run's lab processes, their ports and its scratch once a short settling deadline passes."""

        def count() -> Leftovers:
            processes = run_processes(self.run_id)
            ports = listening_loopback_ports({process.pid for process in processes})
            return Leftovers(len(processes), len(ports), self.scratch())

        with contextlib.suppress(TimeoutError):  # what is left after the deadline is the figure
            wait_until(
                lambda: count().total == 0, _SETTLE_TIMEOUT_S, "lab processes, ports and scratch to go"
            )
        return count()

    def start_and_stop_a_lab(self) -> None:
        """Start a lab (object store and proxy) in the run's environment and stop it again."""
        script = "import pathlib; from lakeproof.lab import Lab, LabSettings; " + (
            "Lab(LabSettings(output_dir=pathlib.Path('lab-out'))).start().stop()"
        )
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=self.temp,
            env=self.environment(),
            check=True,
            timeout=_LAB_START_TIMEOUT_S,
            capture_output=True,
        )


def robot_argv(parallel: bool, output_dir: Path, suites: str, processes: int) -> list[str]:
    """The sequential (``robot``) or parallel (``pabot``) command for the default selection."""
    common = ["--outputdir", str(output_dir), *DEFAULT_SELECTION, suites]
    if parallel:
        return [
            sys.executable,
            "-m",
            "pabot.pabot",
            "--processes",
            str(processes),
            "--no-pabotlib",  # the suites need no PabotLib, and its server would outlive a killed pabot
            *PABOT_ORDERING,
            *common,
        ]
    return [sys.executable, "-m", "robot", *common]


def _start(argv: Sequence[str], cwd: Path, sandbox: RunSandbox) -> subprocess.Popen[bytes]:
    """Start a suite run quietly, in its own process group (like a job in a terminal)."""
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=sandbox.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_if_running(process: subprocess.Popen[bytes]) -> None:
    """A run that outlived its deadline (or whose caller failed) is killed with its process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_acceptance(argv: Sequence[str], cwd: Path, sandbox: RunSandbox) -> AcceptanceRun:
    """Run ``argv`` to completion and measure it."""
    began = time.perf_counter()
    process = _start(argv, cwd, sandbox)
    try:
        rc = process.wait(timeout=_RUN_TIMEOUT_S)
    finally:
        _kill_if_running(process)
    seconds = time.perf_counter() - began
    return AcceptanceRun(seconds, rc, sandbox.leftovers())


def stop_acceptance_midway(
    argv: Sequence[str],
    cwd: Path,
    sandbox: RunSandbox,
    stop_signal: signal.Signals = signal.SIGINT,
    start_timeout: float = 120.0,
) -> AcceptanceRun:
    """Start ``argv``, send ``stop_signal`` to its process group once its first cluster is up,
    and measure what is left behind: SIGINT is a Ctrl-C, SIGKILL a ``kill -9``."""
    began = time.perf_counter()
    process = _start(argv, cwd, sandbox)
    try:
        wait_until(
            lambda: any(
                "lakeproof.refcluster" in " ".join(p.info["cmdline"] or ())
                for p in lab_processes(sandbox.run_id)
            ),
            start_timeout,
            "a lab with a cluster to start",
        )
        os.killpg(process.pid, stop_signal)
        rc = process.wait(timeout=_RUN_TIMEOUT_S)
    finally:
        _kill_if_running(process)
    seconds = time.perf_counter() - began
    left = sandbox.leftovers()
    if stop_signal != signal.SIGKILL:
        return AcceptanceRun(seconds, rc, left)
    sandbox.start_and_stop_a_lab()
    return AcceptanceRun(seconds, rc, left, scratch_after_next_lab=sandbox.scratch())
