"""The reference cluster's processes: a Dask scheduler, one Dask worker per data node, a coordinator.

Workers run without a nanny, so killing a node's process really loses the node (a nanny would
restart it behind the test's back). Every process is a ``ManagedProcess``: own log file, own
session, dies with the lab.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lakeproof.errors import ComponentStartError, ConfigError
from lakeproof.net import LOOPBACK, wait_until
from lakeproof.objectstore import S3Endpoint
from lakeproof.procs import ManagedProcess, ReadyFileProcess, write_private_text
from lakeproof.scratch import TASK_PREFIX, scratch_env, sweep

MAX_NODES = 16
"""Data nodes a lab runs at most (LabSettings checks it)."""

DASK_ENV = {
    # The worker's statistical profiler samples every thread 100 times a second, and the event
    # loop is checked 50 times a second: a third of a node's CPU on a 2-core lab, for a profile
    # and warnings nobody reads. Liveness (heartbeats, closed connections) does not depend on them.
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
}
"""Environment of the scheduler and worker processes."""


def _dask(*args: str) -> list[str]:
    # The venv's dask CLI, run with this interpreter so the same packages load in every node.
    return [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]]


class DaskNodes:
    """A Dask scheduler and named workers ``node-1`` .. ``node-N`` on 127.0.0.1."""

    def __init__(
        self,
        log_dir: Path,
        node_names: tuple[str, ...],
        start_timeout: float = 30.0,
        scratch_root: Path | None = None,
    ):
        self.log_dir = log_dir
        self.node_names = node_names
        self.start_timeout = start_timeout
        self.scratch_root = scratch_root
        self._env = {**DASK_ENV, **scratch_env(scratch_root)}
        self.scheduler_file = log_dir / "dask-scheduler.json"
        self.address: str | None = None
        self._scheduler: ManagedProcess | None = None
        self._workers: dict[str, ManagedProcess] = {}

    def start_scheduler(self) -> str:
        """Start the scheduler and return its address once it has written it."""
        self.scheduler_file.unlink(missing_ok=True)
        argv = _dask(
            "scheduler",
            "--host",
            LOOPBACK,
            "--port",
            "0",
            "--dashboard-address",
            f"{LOOPBACK}:0",  # its HTTP server (health, metrics) runs anyway: keep it on loopback
            "--scheduler-file",
            str(self.scheduler_file),
        )
        self._scheduler = scheduler = ManagedProcess(
            "dask scheduler", argv, self.log_dir / "dask-scheduler.log", env=self._env
        )
        scheduler.start()
        try:
            wait_until(
                lambda: self._written_address() is not None,
                self.start_timeout,
                "dask scheduler",
                abort=scheduler.exited_reason,
            )
        except (TimeoutError, RuntimeError) as exc:
            raise ComponentStartError(f"{exc}; see {scheduler.log_path}") from None
        address = self._written_address()
        assert address is not None  # the wait above saw it
        self.address = address
        return address

    def _written_address(self) -> str | None:
        """The address in the scheduler file, None until the scheduler has written all of it."""
        # Dask writes the file in place, not atomically: it can exist and still be half written.
        try:
            address = json.loads(self.scheduler_file.read_text(encoding="utf-8"))["address"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return str(address)

    def start_node(self, name: str) -> None:
        """Start (or restart) the worker process of data node ``name``."""
        if self.address is None:
            raise ComponentStartError("start the dask scheduler before its nodes")
        if name not in self.node_names:
            raise ConfigError(
                f"unknown data node {name!r}; nodes are: {', '.join(self.node_names) or 'none'}"
            )
        if (old := self._workers.get(name)) is not None:
            old.stop()
            self._sweep_scratch()
        argv = _dask(
            "worker",
            self.address,
            "--name",
            name,
            "--nthreads",
            "1",
            "--no-nanny",
            "--dashboard-address",
            f"{LOOPBACK}:0",  # its HTTP server (health, metrics) runs anyway: keep it on loopback
            "--host",
            LOOPBACK,
            "--memory-limit",
            "0",
            "--local-directory",
            # Dask's own scratch for the worker: with the lab's scratch, gone at its stop.
            str((self.scratch_root or self.log_dir) / f"{name}-dask"),
        )
        worker = ManagedProcess(f"data node {name}", argv, self.log_dir / f"{name}.log", env=self._env)
        worker.start()
        self._workers[name] = worker

    def kill_node(self, name: str) -> None:
        """SIGKILL the worker of ``name``: a crash, not a polite shutdown."""
        worker = self._workers.get(name)
        if worker is None:
            raise ConfigError(f"unknown data node {name!r}; nodes are: {', '.join(self._workers) or 'none'}")
        worker.kill()
        self._sweep_scratch()

    def _sweep_scratch(self) -> None:
        """Remove task folders a killed node left in the lab's scratch root."""
        if self.scratch_root is not None:
            sweep(self.scratch_root, TASK_PREFIX)

    def pids(self) -> dict[str, int | None]:
        """Process ids of the scheduler (if this lab started it) and every worker."""
        scheduler = {"dask_scheduler": self._scheduler.pid} if self._scheduler else {}
        return {**scheduler, **{name: worker.pid for name, worker in self._workers.items()}}

    def exited_reason(self) -> str | None:
        """Why the scheduler is gone, or None while it runs (nodes may die on purpose)."""
        return self._scheduler.exited_reason() if self._scheduler else None

    def stop(self) -> None:
        """Stop every worker, then the scheduler; idempotent."""
        for worker in self._workers.values():
            worker.stop(grace=3.0)
        if self._scheduler is not None:
            self._scheduler.stop(grace=3.0)
        self.scheduler_file.unlink(missing_ok=True)


def write_coordinator_config(
    path: Path,
    scheduler: str | None,
    readers: Mapping[str, S3Endpoint],
    port: int = 0,
    defects: Sequence[str] = (),
) -> None:
    """The coordinator's start-up settings, as JSON (its command line takes the file).

    ``defects`` names deliberate engine defects (``refcluster.defects``) for honesty tests.
    """
    config: dict[str, Any] = {
        "scheduler": scheduler,
        "port": port,
        "defects": list(defects),
        "readers": {
            name: {"url": e.url, "access_key": e.access_key, "secret_key": e.secret_key, "region": e.region}
            for name, e in readers.items()
        },
    }
    # It holds the readers' credentials: the owner's only.
    write_private_text(path, json.dumps(config, indent=2))


class CoordinatorProcess(ReadyFileProcess):
    """``python -m lakeproof.refcluster`` serving the query API on a loopback port."""

    def __init__(self, log_dir: Path, start_timeout: float = 30.0, scratch_root: Path | None = None):
        self.config_path = log_dir / "coordinator.json"
        args = ["--config", str(self.config_path)]
        super().__init__(
            "coordinator",
            "lakeproof.refcluster",
            args,
            log_dir / "coordinator.log",
            start_timeout,
            env=scratch_env(scratch_root),
        )

    @property
    def port(self) -> int | None:
        """The API port, None before the coordinator is ready."""
        port = self.ready.get("port")
        return int(port) if port is not None else None

    @property
    def url(self) -> str:
        """Base URL of the coordinator's HTTP API."""
        if self.port is None:
            raise ComponentStartError("the coordinator is not running: start the lab with a cluster")
        return f"http://{LOOPBACK}:{self.port}"
