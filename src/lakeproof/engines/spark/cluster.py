"""A Spark standalone cluster on loopback: a master, worker JVMs (one core each) and a Connect server.

Every process is started from the pyspark package's own ``bin/spark-class`` and ``bin/spark-submit``
(the wheel has no ``sbin/start-master.sh``) as a :class:`~lakeproof.procs.ManagedProcess`: own
session, log file under the lab's log folder, parent-death signal. A worker's executor JVM is its
child in the same process group, and watches its worker (``WorkerWatcher``), so stopping or killing
a worker ends its executor too; executors whose Connect server (the driver) is gone exit as well.

Readiness is probed on the master's JSON status page with a deadline: every worker ALIVE and, once
the Connect server's application registered, each worker's core in use by its executor. The S3A
settings and the lab's credentials go to the Connect server in a properties file only its owner can
read, never on a command line (``ps`` would show it).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakeproof.errors import ComponentStartError, ConfigError
from lakeproof.net import LOOPBACK, free_port, is_listening, wait_until
from lakeproof.objectstore import S3Endpoint
from lakeproof.procs import ManagedProcess, make_private_dir, write_private_text

CONNECT_SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
NO_JAVA = "Spark needs Java 17 or later: install a JDK (Debian: apt-get install openjdk-17-jdk-headless)"
_STATUS_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class SparkClusterSettings:
    """The cluster's shape and its storage: worker count and memory, retry knobs, the S3 endpoint."""

    workers: int = 2
    worker_memory: str = "1g"
    executor_memory: str = "640m"
    driver_memory: str = "768m"
    daemon_memory: str = "256m"
    start_timeout: float = 180.0
    task_max_failures: int = 4
    s3a_attempts: int = 4
    s3a_retry_interval_ms: int = 200
    s3a_timeout_ms: int = 10_000

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 8:
            raise ConfigError(f"{self.workers} Spark workers asked for; the cluster runs 1 to 8")


def spark_home() -> Path:
    """The pyspark package folder (it holds ``bin/`` and ``jars/``); ConfigError naming the make target."""
    try:
        import pyspark  # noqa: PLC0415 - an optional extra: imported only when Spark is used
    except ImportError:
        from lakeproof.engines.spark.install import INSTALL_HINT  # noqa: PLC0415

        raise ConfigError(f"the Spark driver needs the .[spark] extra; {INSTALL_HINT}") from None
    return Path(pyspark.__file__).parent


def java_command() -> str:
    """The java executable Spark will use (``JAVA_HOME`` first, as spark-class does); ConfigError if none."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None or not Path(java).is_file():
        raise ConfigError(NO_JAVA)
    return java


class SparkCluster:
    """Master, workers and Connect server; ``start()`` returns once queries can run on every worker."""

    def __init__(
        self, log_dir: Path, endpoint: S3Endpoint, jars: tuple[Path, ...], settings: SparkClusterSettings
    ):
        self.log_dir = log_dir
        self.endpoint = endpoint
        self.jars = jars
        self.settings = settings
        self.home = spark_home()
        java_command()  # no Java: one line now, not a launcher's stack trace in a log
        self.tmp_dir = log_dir / "tmp"
        self.master_port = 0
        self.master_ui_port = 0
        self.connect_port = 0
        self._master: ManagedProcess | None = None
        self._workers: dict[str, ManagedProcess] = {}
        self._worker_ports: dict[str, int] = {}
        self._worker_ui_ports: dict[str, int] = {}
        self.driver_ui_port = 0
        self._connect: ManagedProcess | None = None
        self.started_in: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def master_url(self) -> str:
        """The ``spark://`` URL workers and the Connect server register with."""
        return f"spark://{LOOPBACK}:{self.master_port}"

    @property
    def connect_url(self) -> str:
        """The ``sc://`` URL a Spark Connect client opens."""
        return f"sc://{LOOPBACK}:{self.connect_port}"

    @property
    def worker_names(self) -> tuple[str, ...]:
        """Every worker this cluster has (live or killed), named as the lab names data nodes (``node-1``)."""
        return tuple(f"node-{number}" for number in range(1, self.settings.workers + 1))

    def start(self) -> SparkCluster:
        """Start master, workers and Connect server and wait until each worker runs an executor."""
        began = time.monotonic()
        atexit.register(self.stop)
        try:
            make_private_dir(self.tmp_dir)
            self._start_master()
            for name in self.worker_names:
                self.start_worker(name, wait=False)
            self._start_connect()
            self._wait(self._all_executors_up, "every worker ALIVE with an executor of the Connect server")
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop the Connect server, the workers (and their executors) and the master; idempotent."""
        for process in (self._connect, *self._workers.values(), self._master):
            if process is not None:
                process.stop()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        atexit.unregister(self.stop)

    def _env(self, memory: str) -> dict[str, str]:
        java_opts = f"-Djava.io.tmpdir={self.tmp_dir} -XX:-UsePerfData"
        return {
            "SPARK_HOME": str(self.home),
            "SPARK_LOCAL_IP": LOOPBACK,
            "SPARK_LOCAL_DIRS": str(self.tmp_dir),
            "SPARK_LOG_DIR": str(self.log_dir),
            "SPARK_CONF_DIR": str(self.log_dir / "conf"),
            # The launcher sizes daemons and the Connect server (a "daemon" too) by this.
            "SPARK_DAEMON_MEMORY": memory,
            "SPARK_DAEMON_JAVA_OPTS": java_opts,
            "SPARK_SUBMIT_OPTS": java_opts,
        }

    def _start_master(self) -> None:
        self.master_port, self.master_ui_port = free_port(), free_port()
        argv = [str(self.home / "bin" / "spark-class"), "org.apache.spark.deploy.master.Master"]
        argv += [
            "--host",
            LOOPBACK,
            "--port",
            str(self.master_port),
            "--webui-port",
            str(self.master_ui_port),
        ]
        make_private_dir(self.log_dir / "conf")
        self._master = self._launch("spark-master", argv)
        self._wait(lambda: self._master_status() is not None, "the Spark master's status page")

    def start_worker(self, name: str, wait: bool = True) -> None:
        """Start worker ``name`` (again); with ``wait``, until it is ALIVE and runs an executor."""
        if name not in self.worker_names:
            raise ConfigError(f"unknown Spark worker {name!r}; workers are: {', '.join(self.worker_names)}")
        port, ui_port = free_port(), free_port()
        work_dir = make_private_dir(self.log_dir / name)
        argv = [str(self.home / "bin" / "spark-class"), "org.apache.spark.deploy.worker.Worker"]
        argv += ["--host", LOOPBACK, "--port", str(port), "--webui-port", str(ui_port)]
        argv += ["--cores", "1", "--memory", self.settings.worker_memory, "--work-dir", str(work_dir)]
        self._worker_ports[name] = port
        self._worker_ui_ports[name] = ui_port
        self._workers[name] = self._launch(f"spark-{name}", [*argv, self.master_url])
        if wait:
            self._wait(lambda: name in self.executor_workers(), f"{name} to run an executor")

    def _start_connect(self) -> None:
        self.connect_port, self.driver_ui_port = free_port(), free_port()
        properties = self.log_dir / "conf" / "spark-connect.properties"
        write_private_text(
            properties, "".join(f"{key} {value}\n" for key, value in self._connect_conf().items())
        )
        argv = [str(self.home / "bin" / "spark-submit"), "--master", self.master_url]
        argv += ["--class", CONNECT_SERVER_CLASS, "--name", "lakeproof-spark-connect"]
        argv += ["--driver-memory", self.settings.driver_memory, "--properties-file", str(properties)]
        memory = self.settings.driver_memory
        self._connect = self._launch("spark-connect", [*argv, "spark-internal"], memory)
        self._wait(lambda: is_listening(self.connect_port), "the Spark Connect server")

    def _connect_conf(self) -> dict[str, str]:
        classpath = ":".join(str(jar) for jar in self.jars)
        java_opts = f"-Djava.io.tmpdir={self.tmp_dir} -XX:-UsePerfData"
        settings = self.settings
        return {
            "spark.driver.host": LOOPBACK,
            "spark.driver.bindAddress": LOOPBACK,
            "spark.connect.grpc.binding.address": LOOPBACK,
            "spark.connect.grpc.binding.port": str(self.connect_port),
            # The status API only (running tasks per executor); nothing else reads the UI.
            "spark.ui.enabled": "true",
            "spark.ui.port": str(self.driver_ui_port),
            "spark.ui.showConsoleProgress": "false",
            "spark.local.dir": str(self.tmp_dir),
            "spark.driver.extraClassPath": classpath,
            "spark.executor.extraClassPath": classpath,
            "spark.driver.extraJavaOptions": java_opts,
            "spark.executor.extraJavaOptions": java_opts,
            "spark.executor.memory": settings.executor_memory,
            "spark.executor.cores": "1",
            "spark.task.maxFailures": str(settings.task_max_failures),
            "spark.sql.session.timeZone": "UTC",
            **_s3a_conf(self.endpoint, settings),
        }

    def _launch(self, name: str, argv: list[str], memory: str | None = None) -> ManagedProcess:
        env = self._env(memory or self.settings.daemon_memory)
        process = ManagedProcess(name, argv, self.log_dir / f"{name}.log", env=env)
        process.start()
        return process

    def _wait(self, probe: Any, what: str) -> None:
        try:
            wait_until(probe, self.settings.start_timeout, what, interval=0.1, abort=self._exited_reason)
        except (TimeoutError, RuntimeError) as exc:
            raise ComponentStartError(f"Spark did not start: {exc}; see the logs in {self.log_dir}") from None

    def _exited_reason(self) -> str | None:
        for process in (self._master, self._connect, *self._workers.values()):
            if process is not None and (reason := process.exited_reason()) is not None:
                return f"{reason} (log: {process.log_path})"
        return None

    def health_problem(self) -> str | None:
        """Why a process of the cluster is gone (a killed worker aside), or None while all run."""
        for process in (self._master, self._connect):
            if process is not None and (reason := process.exited_reason()) is not None:
                return f"{reason} (log: {process.log_path})"
        return None

    # -- nodes -------------------------------------------------------------------------------

    def _master_status(self) -> dict[str, Any] | None:
        status = _status_json(self.master_ui_port, "/json/")
        return status if isinstance(status, dict) and status.get("status") == "ALIVE" else None

    def running_tasks(self) -> dict[str, int]:
        """Tasks running now per live worker's executor (the Connect server's status API)."""
        executors: dict[str, str] = {}
        for name in self.live_workers():
            worker = _status_json(self._worker_ui_ports[name], "/json/")
            for executor in worker.get("executors", []) if isinstance(worker, dict) else []:
                executors[str(executor.get("id"))] = name
        counts = dict.fromkeys(self.live_workers(), 0)
        applications = _status_json(self.driver_ui_port, "/api/v1/applications")
        for application in applications if isinstance(applications, list) else []:
            listed = _status_json(self.driver_ui_port, f"/api/v1/applications/{application['id']}/executors")
            for executor in listed if isinstance(listed, list) else []:
                node = executors.get(str(executor.get("id")))
                if node is not None:
                    counts[node] += int(executor.get("activeTasks", 0))
        return counts

    def _alive_workers(self) -> dict[str, dict[str, Any]]:
        status = self._master_status() or {}
        by_port = {port: name for name, port in self._worker_ports.items()}
        alive = {}
        for worker in status.get("workers", []):
            name = by_port.get(int(worker.get("port", -1)))
            if worker.get("state") == "ALIVE" and name is not None and name in self._running_workers():
                alive[name] = worker
        return alive

    def _running_workers(self) -> set[str]:
        return {name for name, process in self._workers.items() if process.exit_code() is None}

    def live_workers(self) -> tuple[str, ...]:
        """Workers whose process runs and that the master sees ALIVE, by name."""
        return tuple(sorted(self._alive_workers()))

    def executor_workers(self) -> tuple[str, ...]:
        """Live workers that run an executor (their core is in use by the Connect server's application)."""
        return tuple(
            sorted(name for name, worker in self._alive_workers().items() if worker.get("coresused"))
        )

    def _all_executors_up(self) -> bool:
        return len(self.executor_workers()) == self.settings.workers

    def kill_worker(self, name: str) -> None:
        """SIGKILL worker ``name`` and its executor (a crash), and wait until the master drops it."""
        process = self._workers.get(name)
        if process is None or process.exit_code() is not None:
            raise ConfigError(f"Spark worker {name!r} is not running; live workers: {self.live_workers()}")
        process.kill()
        self._wait(lambda: name not in self.live_workers(), f"{name} to be gone")

    def pids(self) -> dict[str, int | None]:
        """Process ids of the cluster's JVMs by component name."""
        processes = {"spark-master": self._master, "spark-connect": self._connect}
        processes |= {f"spark-{name}": process for name, process in self._workers.items()}
        return {name: process.pid for name, process in processes.items() if process is not None}


def _status_json(port: int, path: str) -> Any:
    """The JSON a Spark status page on loopback ``port`` serves at ``path``, or None if it does not answer."""
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}{path}", timeout=_STATUS_TIMEOUT_S) as response:
            return json.load(response)
    except (OSError, urllib.error.URLError, ValueError):
        return None


def _s3a_conf(endpoint: S3Endpoint, settings: SparkClusterSettings) -> dict[str, str]:
    """S3A through ``endpoint``: path-style, plain HTTP, static credentials, the retry knobs.

    hadoop-aws 3.3.1 reads its timeouts and sizes with ``getInt``/``getLong``, while the Hadoop 3.5
    defaults bundled with pyspark spell them with units (``60s``, ``64M``): each is set here as a
    plain number (milliseconds, seconds or bytes, as 3.3.1 expects), or S3A fails to start.
    """
    timeout = str(settings.s3a_timeout_ms)
    interval = str(settings.s3a_retry_interval_ms)
    attempts = str(settings.s3a_attempts)
    hadoop = {
        "fs.s3a.endpoint": endpoint.url,
        "fs.s3a.endpoint.region": endpoint.region,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false",
        "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "fs.s3a.access.key": endpoint.access_key,
        "fs.s3a.secret.key": endpoint.secret_key,
        "fs.s3a.attempts.maximum": attempts,
        "fs.s3a.retry.limit": attempts,
        "fs.s3a.retry.interval": interval,
        "fs.s3a.retry.throttle.limit": attempts,
        "fs.s3a.retry.throttle.interval": interval,
        "fs.s3a.connection.timeout": timeout,
        "fs.s3a.connection.establish.timeout": timeout,
        "fs.s3a.connection.request.timeout": "0",
        "fs.s3a.connection.ttl": "0",
        "fs.s3a.threads.keepalivetime": "60",
        "fs.s3a.multipart.purge.age": "86400",
        "fs.s3a.multipart.size": str(64 << 20),
        "fs.s3a.multipart.threshold": str(128 << 20),
        "fs.s3a.block.size": str(32 << 20),
        "fs.s3a.readahead.range": str(64 << 10),
        "fs.s3a.change.detection.mode": "none",
    }
    return {f"spark.hadoop.{key}": value for key, value in hadoop.items()}
