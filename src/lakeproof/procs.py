"""Child processes of the lab: explicit argv, own session, logs to a file, always terminated.

Children are started in their own session so a terminal Ctrl-C reaches only the lab, which then
stops them in order; on Linux they also get PR_SET_PDEATHSIG so they die with the lab even if the
lab itself is killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """preexec hook: ask the kernel to SIGTERM this child when its parent dies."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


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
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
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
