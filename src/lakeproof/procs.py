"""Child processes of the lab: explicit argv, own session, logs to a file, always terminated.

Children are started in their own session so a terminal Ctrl-C reaches only the lab, which then
stops them in order; on Linux they also get PR_SET_PDEATHSIG so they die with the lab even if the
lab itself is killed. The death signal is SIGKILL: with the lab gone nobody waits for a graceful
shutdown, and some children (a Dask worker whose scheduler died with the lab) would spend half a
minute trying to say goodbye.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from lakeproof.errors import ComponentStartError, PortInUseError
from lakeproof.net import wait_until

USAGE_EXIT = 2
"""Exit code of the kit's commands and servers for a bad argument or a port in use (one line on stderr)."""

# Modes of what the lab writes: logs and configs hold its credentials, so only the owner reads them.
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """preexec hook: ask the kernel to SIGKILL this child when its parent dies."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ManagedProcess:
    """A named child process whose stdout and stderr go to ``log_path``."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict[str, str] | None = None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._env = env
        self._popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        """Start the process; its output is appended to the log file."""
        make_private_dir(self.log_path.parent)
        self._log = open_private(self.log_path, append=True)
        self._popen = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(self._env or {})},
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )

    @property
    def pid(self) -> int | None:
        """The OS process id, or None before start."""
        return self._popen.pid if self._popen else None

    def exit_code(self) -> int | None:
        """The exit code if the process has ended, else None."""
        return self._popen.poll() if self._popen else None

    def exited_reason(self) -> str | None:
        """A one-line reason if the process has exited (for readiness probes), else None."""
        code = self.exit_code()
        if code is None:
            return None
        return f"{self.name} exited with code {code}; last log lines: {self.log_tail()}"

    def log_tail(self, lines: int = 5) -> str:
        """The last ``lines`` lines of the log, joined on one line."""
        try:
            with self.log_path.open("r", encoding="utf-8", errors="replace") as handle:
                tail = deque((line.rstrip() for line in handle if line.strip()), maxlen=lines)
        except FileNotFoundError:
            return "(no log)"
        return " | ".join(tail) or "(empty log)"

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; idempotent."""
        popen = self._popen
        if popen is not None and popen.poll() is None:
            self._signal_group(popen.pid, signal.SIGTERM)
            try:
                popen.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal_group(popen.pid, signal.SIGKILL)
                popen.wait(grace)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL the process group at once (simulates a crash)."""
        popen = self._popen
        if popen is not None and popen.poll() is None:
            self._signal_group(popen.pid, signal.SIGKILL)
            popen.wait()

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)


def make_private_dir(path: Path) -> Path:
    """``path`` and its missing parents as directories only the owner can enter; returns ``path``."""
    missing = [parent for parent in (path, *path.parents) if not parent.exists()]
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    for directory in missing:
        directory.chmod(PRIVATE_DIR)  # mkdir's mode passes through the umask; chmod does not
    return path


def open_private(path: Path, append: bool = False) -> IO[bytes]:
    """``path`` opened for writing bytes, created readable by the owner only."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    handle = os.fdopen(os.open(path, flags, PRIVATE_FILE), "ab" if append else "wb")
    os.fchmod(handle.fileno(), PRIVATE_FILE)  # a file that existed keeps its mode otherwise
    return handle


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file, then rename), readable by the owner only."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open_private(temporary) as handle:
        handle.write(text.encode("utf-8"))
    temporary.replace(path)


def write_ready_file(path: Path, info: Mapping[str, object]) -> None:
    """Write ``info`` as JSON to ``path`` atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private_text(path, json.dumps(info))


async def announce_and_wait_for_stop(ready_file: Path | None, info: Mapping[str, object]) -> None:
    """For a server: write its ready file, wait for SIGTERM or SIGINT, then remove the file."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready_file is not None:
        write_ready_file(ready_file, info)
    try:
        await stop.wait()
    finally:
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)


class ReadyFileProcess:
    """One of the kit's own servers (``python -m MODULE``) that writes a JSON ready file once it listens.

    A server that exits with ``USAGE_EXIT`` printed a one-line reason (bad argument, port in
    use): that line becomes the error, as is.
    """

    def __init__(
        self,
        name: str,
        module: str,
        args: Sequence[str],
        log_path: Path,
        start_timeout: float,
        env: dict[str, str] | None = None,
    ):
        self.name = name
        self.env = env
        self.module = module
        self.args = list(args)
        self.log_path = log_path
        self.ready_path = log_path.with_suffix(".ready.json")
        self.start_timeout = start_timeout
        self.ready: dict[str, Any] = {}
        self._process: ManagedProcess | None = None

    @property
    def pid(self) -> int | None:
        """Process id, None when not started."""
        return self._process.pid if self._process else None

    def start(self) -> dict[str, Any]:
        """Start the server and return what it wrote to its ready file."""
        self.ready_path.unlink(missing_ok=True)
        argv = [sys.executable, "-m", self.module, *self.args, "--ready-file", str(self.ready_path)]
        self._process = process = ManagedProcess(self.name, argv, self.log_path, env=self.env)
        process.start()
        try:
            wait_until(self.ready_path.exists, self.start_timeout, self.name, abort=process.exited_reason)
        except (TimeoutError, RuntimeError) as exc:
            code = process.exit_code()
            self.stop()
            if code == USAGE_EXIT:
                reason = process.log_tail(lines=1)
                raise (PortInUseError if "in use" in reason else ComponentStartError)(reason) from None
            raise ComponentStartError(f"{exc}; see {self.log_path}") from None
        self.ready = json.loads(self.ready_path.read_text(encoding="utf-8"))
        return self.ready

    def exited_reason(self) -> str | None:
        """Why the server is gone (exit code and log tail), or None while it runs."""
        return self._process.exited_reason() if self._process else None

    def stop(self) -> None:
        """Stop the server; safe to call more than once."""
        if self._process is not None:
            self._process.stop()
        self.ready_path.unlink(missing_ok=True)
