"""The embedded lab: object store + fault proxy (and later the reference cluster) as one unit.

One call starts everything on free loopback ports with readiness probes and per-component log
files; one call stops it. Teardown always runs: ``stop()`` is idempotent, registered with
``atexit``, and the children die with the lab process (see ``lakeproof.procs``).
"""

from __future__ import annotations

import atexit
import ipaddress
import math
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakeproof.datagen import (
    DatasetSpec,
    Format,
    Manifest,
    ObjectInfo,
    S3Sink,
    write_dataset,
    write_file,
    write_tpch,
)
from lakeproof.errors import ComponentStartError, ConfigError, LakeproofError
from lakeproof.faultproxy.client import ProxyControl
from lakeproof.lab.proxy_process import FaultProxyProcess
from lakeproof.net import LOOPBACK, wait_until
from lakeproof.objectstore import (
    ExistingObjectStore,
    ExistingStore,
    MotoServer,
    S3Endpoint,
    create_bucket,
    delete_key,
    new_run_prefix,
    validate_bucket_name,
)
from lakeproof.procs import make_private_dir
from lakeproof.refcluster.client import CoordinatorClient
from lakeproof.refcluster.defects import Defects
from lakeproof.refcluster.processes import MAX_NODES, CoordinatorProcess, DaskNodes, write_coordinator_config
from lakeproof.scratch import LAB_ROOT_PREFIX, TASK_PREFIX, make_lab_root, remove_lab_root, sweep, system_temp

DEFAULT_READERS = ("coordinator", "node-1", "node-2", "node-3")
_DASK_ADDRESS = re.compile(r"^tcp://[^\s/:]+:\d{1,5}$")
MASK = "***"
"""What logs show in place of a credential."""


@dataclass(frozen=True)
class LabSettings:
    """What to start: ports are 0 (a free one) unless fixed, readers name the proxy listeners."""

    output_dir: Path = Path("out")
    readers: tuple[str, ...] = DEFAULT_READERS
    bucket: str = "lake"
    s3_port: int = 0
    control_port: int = 0
    reader_ports: Mapping[str, int] = field(default_factory=dict)
    run_label: str = "run"
    start_timeout: float = 30.0
    cluster: bool = False
    dask_scheduler: str | None = None
    # Deliberate engine defects (refcluster.defects): only the honesty tests set these.
    engine_defects: tuple[str, ...] = ()
    # A store the user already runs, used instead of starting moto (the bucket must exist there).
    existing_store: ExistingStore | None = None
    # Where the proxy's reader listeners bind: loopback, unless engine nodes in containers must
    # reach them (0.0.0.0, or the Docker bridge's address); the control API stays on loopback.
    proxy_host: str = LOOPBACK

    @property
    def data_nodes(self) -> tuple[str, ...]:
        """Readers that are data nodes (every reader but the coordinator)."""
        return tuple(name for name in self.readers if name != "coordinator")

    def __post_init__(self) -> None:
        validate_bucket_name(self.bucket)
        # Robot Framework hands over a word it cannot read as a boolean (cluster=maybe) as is.
        if not isinstance(self.cluster, bool):
            raise ConfigError(f"cluster must be true or false, got {self.cluster!r}")
        if self.dask_scheduler is not None and not _DASK_ADDRESS.match(self.dask_scheduler):
            raise ConfigError(
                f"dask scheduler address {self.dask_scheduler!r} must be tcp://HOST:PORT "
                "(the address a running scheduler prints)"
            )
        if not (math.isfinite(self.start_timeout) and self.start_timeout > 0):
            raise ConfigError(
                f"start timeout {self.start_timeout} s must be above 0, e.g. 30 s "
                "(how long each component may take to become ready)"
            )
        Defects.parse(self.engine_defects)
        try:
            ipaddress.ip_address(self.proxy_host)
        except ValueError:
            raise ConfigError(
                f"proxy host {self.proxy_host!r} is not an IP address; use 127.0.0.1 (the default), "
                "0.0.0.0 (every interface, so containers can reach the listeners) or one of this machine's"
            ) from None
        if self.existing_store is not None and self.s3_port:
            raise ConfigError(
                f"object store port {self.s3_port} given with the existing store {self.existing_store.url}: "
                "the lab starts no store of its own then; leave the port out"
            )
        if self.engine_defects and not self.cluster:
            raise ConfigError("engine defects need the reference cluster: start the lab with a cluster")
        if not self.readers:
            raise ConfigError("the lab needs at least one reader (proxy listener), e.g. 'coordinator'")
        if self.cluster and "coordinator" not in self.readers:
            raise ConfigError("a lab with a cluster needs a 'coordinator' reader")
        if self.cluster and len(self.data_nodes) > MAX_NODES:
            raise ConfigError(f"{len(self.data_nodes)} data nodes asked for; the lab runs 0 to {MAX_NODES}")
        unknown = sorted(set(self.reader_ports) - set(self.readers))
        if unknown:
            raise ConfigError(
                f"ports given for unknown readers {unknown}; readers are: {', '.join(self.readers)}"
            )
        for what, port in [
            ("object store", self.s3_port),
            ("control API", self.control_port),
            *self.reader_ports.items(),
        ]:
            if not 0 <= port <= 65535:
                raise ConfigError(f"port {port} for {what} is out of range; use 1-65535 or 0 for a free port")


class Lab:
    """A running (or stopped) embedded lab. Use as a context manager or call start/stop."""

    def __init__(self, settings: LabSettings | None = None):
        self.settings = settings or LabSettings()
        self.prefix = new_run_prefix(self.settings.run_label)
        self.log_dir = self.settings.output_dir / "lab-logs" / self.prefix
        self.object_store: MotoServer | ExistingObjectStore
        if self.settings.existing_store is not None:
            self.object_store = ExistingObjectStore(
                self.settings.existing_store, self.settings.bucket, self.settings.start_timeout
            )
        else:
            # Credentials of this lab alone (the object store accepts any): a log that shows them
            # is a leak a test can find, and an engine under test must be given them, not guess them.
            self.object_store = MotoServer(
                self.log_dir / "objectstore.log",
                self.settings.s3_port,
                self.settings.start_timeout,
                access_key=f"LP{secrets.token_hex(9).upper()}",
                secret_key=secrets.token_urlsafe(30),
            )
        # Set once the existing store passed its checks: from then on the run prefix may hold
        # objects of this lab, which its stop removes (and nothing else in that store).
        self._run_data_to_remove = False
        self.scratch_root: Path | None = None
        self._proxy: FaultProxyProcess | None = None
        self._control: ProxyControl | None = None
        self._nodes: DaskNodes | None = None
        self._coordinator: CoordinatorProcess | None = None
        self._client: CoordinatorClient | None = None
        self.started_in: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Lab:
        """Start the object store, create the bucket, start the fault proxy (and cluster); return self."""
        began = time.monotonic()
        atexit.register(self.stop)
        try:
            # The output directory is the user's (Robot writes its reports there); the lab's logs
            # below it hold credentials: the owner's only.
            self.settings.output_dir.mkdir(parents=True, exist_ok=True)
            make_private_dir(self.log_dir)
            # Scratch of labs killed before they could stop (and of killed nodes outside any
            # lab's root: workers of a scheduler attached to) goes now; live owners' stays.
            for prefix in (LAB_ROOT_PREFIX, TASK_PREFIX):
                sweep(system_temp(), prefix)
            if self.settings.cluster:
                self.scratch_root = make_lab_root()
                # Data nodes need nothing else to register with their scheduler: start them
                # first so their start-up overlaps the object store's and the proxy's.
                self._start_nodes()
            store = self.object_store.start()
            if isinstance(self.object_store, ExistingObjectStore):
                self._run_data_to_remove = True
            else:
                create_bucket(store.client(), self.settings.bucket)
            listeners = {name: self.settings.reader_ports.get(name, 0) for name in self.settings.readers}
            self._proxy = FaultProxyProcess(
                store,
                listeners,
                self.log_dir / "faultproxy.log",
                self.settings.control_port,
                self.settings.start_timeout,
                self.settings.proxy_host,
            )
            self._proxy.start()
            self._control = ProxyControl(self._proxy.control_url)
            if self.settings.cluster:
                self._start_coordinator()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def _start_nodes(self) -> None:
        """A Dask scheduler and a worker per data node, unless attaching to an existing scheduler."""
        settings = self.settings
        self._nodes = DaskNodes(self.log_dir, settings.data_nodes, settings.start_timeout, self.scratch_root)
        if settings.dask_scheduler is None and settings.data_nodes:
            self._nodes.start_scheduler()
            for name in settings.data_nodes:
                self._nodes.start_node(name)

    def _start_coordinator(self) -> None:
        """The coordinator, once the proxy listeners it and the nodes read through exist."""
        settings = self.settings
        scheduler = self._scheduler_address()
        self._coordinator = CoordinatorProcess(self.log_dir, settings.start_timeout, self.scratch_root)
        readers = {name: self.reader_endpoint(name) for name in settings.readers}
        write_coordinator_config(
            self._coordinator.config_path, scheduler, readers, defects=settings.engine_defects
        )
        self._coordinator.start()
        if settings.dask_scheduler is None:
            self.wait_for_nodes(len(settings.data_nodes))

    @property
    def cluster(self) -> CoordinatorProcess:
        """The running coordinator of the reference cluster."""
        if self._coordinator is None or self._coordinator.port is None:
            raise ComponentStartError("the lab has no reference cluster: start it with cluster=True")
        return self._coordinator

    @property
    def coordinator_url(self) -> str:
        """Base URL of the coordinator's query API."""
        return self.cluster.url

    def live_nodes(self) -> list[str]:
        """Names of the data nodes the coordinator currently sees."""
        return [node["name"] for node in self.coordinator_client().nodes()]

    def coordinator_client(self) -> CoordinatorClient:
        """A client of the coordinator's API."""
        if self._client is None:
            self._client = CoordinatorClient(self.coordinator_url)
        return self._client

    def wait_for_nodes(self, count: int, timeout: float | None = None) -> None:
        """Wait until the coordinator sees exactly ``count`` data nodes."""
        limit = timeout if timeout is not None else self.settings.start_timeout
        try:
            wait_until(lambda: len(self.live_nodes()) == count, limit, f"{count} data nodes", interval=0.05)
        except TimeoutError as exc:
            raise ComponentStartError(
                f"{exc} (seen: {', '.join(self.live_nodes()) or 'none'}); see {self.log_dir}"
            ) from None

    def kill_node(self, name: str) -> None:
        """SIGKILL data node ``name`` (a crash) and wait until the coordinator no longer sees it."""
        if self._nodes is None:
            raise ComponentStartError("the lab has no data nodes to kill")
        self._nodes.kill_node(name)
        wait_until(lambda: name not in self.live_nodes(), self.settings.start_timeout, f"{name} to be gone")

    def restart_node(self, name: str) -> None:
        """Start data node ``name`` again and wait until the coordinator sees it."""
        if self._nodes is None or self._nodes.address is None:
            raise ComponentStartError("the lab has no data nodes to restart")
        self._nodes.start_node(name)
        wait_until(lambda: name in self.live_nodes(), self.settings.start_timeout, f"{name} to join")

    def stop(self) -> None:
        """Stop every component that was started, the cluster first, and remove the lab's scratch
        folders; safe to call more than once."""
        try:
            for component in (self._coordinator, self._nodes, self._proxy):
                if component is not None:
                    component.stop()
        finally:
            self.object_store.stop()
            if self.scratch_root is not None:
                remove_lab_root(self.scratch_root)
            atexit.unregister(self.stop)
            self._remove_run_data()

    def _remove_run_data(self) -> None:
        """In an existing store, delete what this run wrote (its prefix), once; moto's data dies with it."""
        if not (self._run_data_to_remove and isinstance(self.object_store, ExistingObjectStore)):
            return
        self._run_data_to_remove = False
        try:
            self.object_store.remove_run_data(self.prefix)
        except (BotoCoreError, ClientError) as exc:
            raise LakeproofError(
                f"could not remove this run's objects s3://{self.bucket}/{self.prefix}/ from "
                f"{self.object_store.store.url}: {' '.join(str(exc).split())}; delete them by hand"
            ) from None

    def health_problem(self) -> str | None:
        """A one-line description of a component that died unexpectedly, or None if all run."""
        components = (self.object_store, self._proxy, self._nodes, self._coordinator)
        probes = [component.exited_reason for component in components if component is not None]
        for exited_reason in probes:
            if (reason := exited_reason()) is not None:
                return f"{reason}; logs are in {self.log_dir}"
        return None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what a suite needs ------------------------------------------------------------------

    @property
    def bucket(self) -> str:
        """The bucket every run of this lab writes into (under ``prefix``)."""
        return self.settings.bucket

    @property
    def s3(self) -> S3Endpoint:
        """The object store itself, bypassing the proxy (for uploads and the oracle)."""
        return self.object_store.endpoint

    @property
    def proxy(self) -> FaultProxyProcess:
        """The running fault proxy process."""
        if self._proxy is None or not self._proxy.ready:
            raise ComponentStartError("the lab is not running: start it first")
        return self._proxy

    @property
    def control(self) -> ProxyControl:
        """Client of the fault proxy's control API (rules and stats)."""
        if self._control is None:
            raise ComponentStartError("the lab is not running: start it first")
        return self._control

    def reader_endpoint(self, reader: str) -> S3Endpoint:
        """The S3 endpoint (proxy listener) that reader ``reader`` uses."""
        return self.proxy.listener_endpoint(reader)

    def create_dataset(self, spec: DatasetSpec) -> Manifest:
        """Generate ``spec`` and upload every object under this run's prefix; return the manifest."""
        return write_dataset(spec, self._sink())

    def write_dataset_file(self, spec: DatasetSpec, index: int, *, rows: int, seed: int) -> list[ObjectInfo]:
        """Write file ``index`` of dataset ``spec`` anew in each format (see `write_file`)."""
        return write_file(spec, index, self._sink(), rows=rows, seed=seed)

    def _sink(self) -> S3Sink:
        return S3Sink(self.s3.client(), self.bucket, self.prefix)

    def delete_object(self, key: str) -> None:
        """Delete the object at ``key`` under this run's prefix (a manifest's relative key)."""
        delete_key(self.s3.client(), self.bucket, f"{self.prefix}/{key}")

    def create_tpch(
        self, scale_factor: float, formats: Sequence[Format] = ("parquet", "csv"), files: int = 1
    ) -> dict[str, Manifest]:
        """The 8 TPC-H tables at ``scale_factor`` under ``<prefix>/tpch-sf<sf>/``, a manifest per table."""
        sink = S3Sink(self.s3.client(), self.bucket, f"{self.prefix}/tpch-sf{scale_factor:g}")
        return write_tpch(scale_factor, sink, formats=formats, files=files)

    def describe(self, reveal_credentials: bool = False) -> dict[str, Any]:
        """Endpoints, credentials, prefix and log directory, for people and logs.

        The credentials show as ``***`` unless ``reveal_credentials``: only for a channel that is
        the user's own (``lab up`` prints them to its terminal), never for a log or report.
        """
        store = self.s3
        return {
            "object_store": store.url,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "access_key": store.access_key if reveal_credentials else MASK,
            "secret_key": store.secret_key if reveal_credentials else MASK,
            "region": store.region,
            "proxy_control": self.proxy.control_url,
            "readers": {name: self.reader_endpoint(name).url for name in self.settings.readers},
            "logs": str(self.log_dir),
            **({"scratch": str(self.scratch_root)} if self.scratch_root else {}),
            "pids": {
                "object_store": self.object_store.pid,
                "fault_proxy": self.proxy.pid,
                **(self._nodes.pids() if self._nodes else {}),
                **({"coordinator": self._coordinator.pid} if self._coordinator else {}),
            },
            **({"coordinator": self.coordinator_url} if self._coordinator else {}),
            **({"dask_scheduler": self._scheduler_address()} if self.settings.cluster else {}),
            **(
                {"engine_defects": list(self.settings.engine_defects)} if self.settings.engine_defects else {}
            ),
        }

    def _scheduler_address(self) -> str | None:
        return self.settings.dask_scheduler or (self._nodes.address if self._nodes else None)
