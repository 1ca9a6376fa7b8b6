"""Scratch folders: under a root the lab owns, named after their owner process, swept when it is gone.

A node task copies its splits into a scratch folder and removes it when done, but a node killed
with SIGKILL (on purpose, in the resilience suites) cannot, and neither can a lab killed
outright. So every lab makes one root, ``<temp>/lakeproof-lab-<pid>-<start>-<random>``, and hands
it to its coordinator and data nodes (``LAKEPROOF_SCRATCH_DIR``); their task folders inside are
``lakeproof-node-<pid>-<start>-<random>``. The root goes at the lab's stop. A folder whose owner
process is gone (its pid no longer runs, or runs a process started at another time: the pid was
reused) is swept: task folders of a killed node when it restarts, roots of a killed lab when the
next lab starts. A live owner's folder is never touched, whoever owns it: labs of other pabot
processes, or other people's runs on the same machine.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

import psutil

SCRATCH_ENV = "LAKEPROOF_SCRATCH_DIR"
"""Environment variable naming the lab's scratch root, set for its coordinator and data nodes."""
LAB_ROOT_PREFIX = "lakeproof-lab-"
TASK_PREFIX = "lakeproof-node-"

_OWNED = re.compile(r"^(?P<pid>\d+)-(?P<start>\d+)-")
_OWNER_TAG = re.compile(r"^(?P<pid>\d+)-(?P<start>\d+)$")
# Start times are read in centiseconds (the kernel counts them in clock ticks of 1/100 s); a
# tick of rounding either way is still the same process.
_START_TOLERANCE = 1


def _start_centiseconds(pid: int) -> int | None:
    try:
        return round(psutil.Process(pid).create_time() * 100)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


@functools.cache
def owner_tag() -> str:
    """``<pid>-<start>``: this process, told apart from a later one that reuses its pid."""
    pid = os.getpid()
    return f"{pid}-{_start_centiseconds(pid)}"


def owner_alive(name: str, prefix: str) -> bool:
    """Whether the process named by folder ``name`` (``<prefix><pid>-<start>-...``) still runs.

    A name not of that shape is someone else's: treated as alive, so it is never swept.
    """
    match = _OWNED.match(name.removeprefix(prefix)) if name.startswith(prefix) else None
    if match is None:
        return True
    return _runs(int(match["pid"]), int(match["start"]))


def owner_tag_alive(tag: str) -> bool:
    """Whether the process of an :func:`owner_tag` (``<pid>-<start>``, e.g. a container's label)
    still runs; a value not of that shape is someone else's: treated as alive, never swept."""
    match = _OWNER_TAG.match(tag)
    return True if match is None else _runs(int(match["pid"]), int(match["start"]))


def _runs(pid: int, start: int) -> bool:
    """Whether process ``pid`` runs and started at ``start`` (centiseconds), so it is not a reused pid."""
    started = _start_centiseconds(pid)
    return started is not None and abs(started - start) <= _START_TOLERANCE


def sweep(directory: Path, prefix: str) -> list[Path]:
    """Remove the ``prefix`` folders in ``directory`` whose owner process is gone; return them."""
    swept = []
    with contextlib.suppress(FileNotFoundError):
        for entry in directory.iterdir():
            if entry.name.startswith(prefix) and entry.is_dir() and not owner_alive(entry.name, prefix):
                shutil.rmtree(entry, ignore_errors=True)
                swept.append(entry)
    return swept


def system_temp() -> Path:
    """Where lab roots go: the system's temporary directory (``TMPDIR`` if set)."""
    return Path(tempfile.gettempdir())


def make_lab_root() -> Path:
    """A new scratch root owned by this process."""
    return Path(tempfile.mkdtemp(prefix=f"{LAB_ROOT_PREFIX}{owner_tag()}-", dir=system_temp()))


def remove_lab_root(root: Path) -> None:
    """Remove a lab's scratch root and everything in it; a root already gone is fine."""
    shutil.rmtree(root, ignore_errors=True)


def scratch_env(root: Path | None) -> dict[str, str]:
    """The environment that puts a child's scratch in ``root`` (none: the system's temp): its task
    folders, and Dask's own ``dask-scratch-space``, which Dask would otherwise leave in /tmp."""
    if root is None:
        return {}
    return {SCRATCH_ENV: str(root), "DASK_TEMPORARY_DIRECTORY": str(root)}


def task_scratch() -> tempfile.TemporaryDirectory[str]:
    """A folder for one node task, owned by this process, in the lab's root (else the system's)."""
    root = os.environ.get(SCRATCH_ENV)
    # Like every mkdtemp folder, only the owner can enter it (0700).
    return tempfile.TemporaryDirectory(prefix=f"{TASK_PREFIX}{owner_tag()}-", dir=root or None)
