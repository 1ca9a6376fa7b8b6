"""The ``spark`` driver: the lab's queries on a Spark standalone cluster through Spark Connect.

``launch(lab, settings)`` starts a :class:`~lakeproof.engines.spark.cluster.SparkCluster` whose
S3A connector reads the lab's objects through one fault-proxy listener (settings ``reader``,
default ``coordinator``), and returns the driver. A query is rewritten (``sources.rewrite``): each
lab scan becomes a temporary view over ``spark.read``, the rest is translated from DuckDB's SQL to
Spark's by sqlglot. The answer is Arrow from Spark Connect, described with DuckDB's type names and
converted to the same JSON-safe values as the oracle's, so the comparison runs unchanged.

Variants (each a Spark Connect session of its own, with its own SQL settings):

``local``
    every stage runs as one task (each scan coalesced to one partition, one shuffle partition),
    so one executor thread reads every split, as ``coordinator_only`` reads them on one node;
``cluster``
    Spark's defaults on both workers;
``cluster_tiny_splits``
    ``spark.sql.files.maxPartitionBytes`` of 64 KiB and no open cost: many splits per file;
``cluster_no_aqe``
    adaptive query execution off, so shuffles and joins keep their planned partitioning.

Capabilities: distribution variants, node lifecycle (a node is a worker JVM with its executor:
killed with SIGKILL, restarted, and the query's lost tasks retried on the other worker) and async
cancel (Spark Connect's interrupt by operation tag). Not shown, so not claimed: a split profile,
per-node storage endpoints (every executor reads through the same listener), partial results, a
plan API, and per-query retry options (S3A's retry knobs are set once for the cluster).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import re
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import ClassVar

from pyspark.errors import PySparkException
from pyspark.errors.exceptions.connect import (
    AnalysisException,
    ParseException,
    SparkConnectException,
    SparkConnectGrpcException,
)
from pyspark.logger import PySparkLogger
from pyspark.sql import DataFrame, SparkSession

from lakeproof.compare.answer import Answer as ResultTable
from lakeproof.compare.answer import Column
from lakeproof.engines.base import Answer, Capability, Driver, EngineError, QueryOptions
from lakeproof.engines.settings import EngineSettings
from lakeproof.engines.spark.cluster import SparkCluster, SparkClusterSettings
from lakeproof.engines.spark.install import installed_jars
from lakeproof.engines.spark.sources import SparkSource, rewrite
from lakeproof.engines.spark.types import duckdb_type_name
from lakeproof.errors import ConfigError
from lakeproof.jsonvalue import json_value
from lakeproof.lab.lab import Lab

# The Connect client logs every query error it raises (JSON on stderr); the driver turns each into an
# EngineError the log shows once, so the client's copy would only clutter the console.
for _client_logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_client_logger).setLevel(logging.CRITICAL + 1)


class SparkVariant(enum.StrEnum):
    """How Spark distributes a query; every variant must give the oracle's answer."""

    LOCAL = "local"
    CLUSTER = "cluster"
    CLUSTER_TINY_SPLITS = "cluster_tiny_splits"
    CLUSTER_NO_AQE = "cluster_no_aqe"


TINY_SPLIT_BYTES = 64 << 10
"""``spark.sql.files.maxPartitionBytes`` of ``cluster_tiny_splits``: a 300 KB file is 5 splits."""

_VARIANT_CONF: dict[SparkVariant, dict[str, str]] = {
    SparkVariant.LOCAL: {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "true"},
    SparkVariant.CLUSTER: {"spark.sql.adaptive.enabled": "true"},
    SparkVariant.CLUSTER_TINY_SPLITS: {
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.files.maxPartitionBytes": str(TINY_SPLIT_BYTES),
        "spark.sql.files.openCostInBytes": "0",
    },
    SparkVariant.CLUSTER_NO_AQE: {"spark.sql.adaptive.enabled": "false"},
}

DEFAULT_TIMEOUT_S = 300.0
"""A query's deadline unless its pragma ``query_timeout_s`` says otherwise: Spark's first queries on
a cold cluster take 25 s on a quiet 2-core machine (JIT, class loading), and beyond 120 s when the
machine is busy with other runs."""

_S3A_URI = re.compile(r"s3a://[^\s,;:'\"\])]+")
_STORAGE_MARKERS = ("s3a://", "AmazonS3Exception", "AWSStatus500Exception", "AWSServiceThrottledException")
_NOT_FOUND = ("PATH_NOT_FOUND", "Path does not exist", "FileNotFoundException")


class SparkDriver(Driver):
    """The lab's queries on a Spark cluster, through Spark Connect."""

    name: ClassVar[str] = "spark"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.DISTRIBUTION_VARIANTS, Capability.NODE_LIFECYCLE, Capability.ASYNC_CANCEL}
    )

    # coordinator_only reads every split in one place, as `local` does in one task; round robin and
    # adaptive spread the reads over the data nodes, as `cluster` spreads tasks over the executors.
    variant_aliases: ClassVar[Mapping[str, str]] = {
        "coordinator_only": SparkVariant.LOCAL,
        "round_robin": SparkVariant.CLUSTER,
        "adaptive": SparkVariant.CLUSTER,
    }

    def __init__(self, cluster: SparkCluster):
        self.cluster = cluster
        self._sessions: dict[SparkVariant, SparkSession] = {}
        self._lock = threading.Lock()
        self._background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="spark-query")
        self._running: dict[str, tuple[SparkSession, Future[Answer]]] = {}

    def variants(self) -> tuple[str, ...]:
        """``local``, ``cluster``, ``cluster_tiny_splits`` and ``cluster_no_aqe``."""
        return tuple(SparkVariant)

    # -- queries -----------------------------------------------------------------------------

    def query(self, sql: str, variant: str, options: QueryOptions) -> Answer:
        """Run ``sql`` under ``variant`` and wait for its answer, up to ``query_timeout_s``."""
        query_id = self.start_async(sql, variant, options)
        return self.wait(query_id, timedelta(seconds=_timeout(options)))

    def start_async(self, sql: str, variant: str, options: QueryOptions) -> str:
        """Start ``sql`` on a background thread, tagged so :meth:`cancel` can interrupt it."""
        session = self._session(_variant(variant))
        # Not "lakeproof_scan_": engines.sql's own placeholders start so, and are replaced by text.
        spark_query = rewrite(sql, view_prefix=f"spark_view_{uuid.uuid4().hex[:8]}_")
        query_id = f"lakeproof-{uuid.uuid4().hex}"
        local = _variant(variant) is SparkVariant.LOCAL
        future = self._background.submit(
            self._run, session, query_id, spark_query.sql, spark_query.views, local
        )
        self._running[query_id] = (session, future)
        return query_id

    def wait(self, query_id: str, timeout: timedelta) -> Answer:
        """The answer of background query ``query_id``; it is interrupted if ``timeout`` passes first."""
        session, future = self._known(query_id)
        seconds = timeout.total_seconds()
        try:
            return future.result(timeout=seconds)
        except FutureTimeout:
            session.interruptTag(query_id)
            raise EngineError(
                504,
                "timeout_exception",
                f"query exceeded its deadline of {seconds:g} s (pragma query_timeout_s)",
            ) from None
        finally:
            if future.done():
                self._running.pop(query_id, None)

    def cancel(self, query_id: str) -> None:
        """Interrupt background query ``query_id`` (its Spark jobs are cancelled)."""
        session, _ = self._known(query_id)
        session.interruptTag(query_id)

    def _known(self, query_id: str) -> tuple[SparkSession, Future[Answer]]:
        running = self._running.get(query_id)
        if running is None:
            raise EngineError(404, "resource_not_found_exception", f"no background query {query_id!r}")
        return running

    def _run(
        self, session: SparkSession, tag: str, sql: str, views: Mapping[str, SparkSource], local: bool
    ) -> Answer:
        session.addTag(tag)  # thread-local in Spark Connect: tags only this thread's operations
        try:
            for view, scan in views.items():
                frame = _load(session, scan)
                (frame.coalesce(1) if local else frame).createOrReplaceTempView(view)
            frame = session.sql(sql)
            schema = frame.schema
            table = frame.toArrow()
        except PySparkException as exc:
            raise engine_error(exc) from None
        finally:
            session.removeTag(tag)
            for view in views:
                _drop_view(session, view)
        columns = tuple(Column(field.name, duckdb_type_name(field.dataType)) for field in schema.fields)
        # Column by column: rows as dicts would merge two result columns of the same name.
        values = [[json_value(value) for value in column.to_pylist()] for column in table.columns]
        rows = tuple(zip(*values, strict=True)) if values else ()
        return Answer(ResultTable(columns, rows), profile={"engine": "spark"})

    def _session(self, variant: SparkVariant) -> SparkSession:
        with self._lock:
            session = self._sessions.get(variant)
            if session is None:
                session = SparkSession.builder.remote(self.cluster.connect_url).create()
                for key, value in _VARIANT_CONF[variant].items():
                    session.conf.set(key, value)
                self._sessions[variant] = session
            return session

    # -- nodes -------------------------------------------------------------------------------

    def running_work(self) -> Mapping[str, int]:
        """Tasks running now on each live node's executor (from the Connect server's status API)."""
        return self.cluster.running_tasks()

    def nodes(self) -> tuple[str, ...]:
        """Live workers (each runs one executor), named as the lab's data nodes: ``node-1``, ``node-2``."""
        return self.cluster.live_workers()

    def kill_node(self, node: str) -> None:
        """SIGKILL worker ``node`` and its executor JVM; the master drops it."""
        self.cluster.kill_worker(node)

    def restart_node(self, node: str) -> None:
        """Start worker ``node`` again and wait until it runs an executor of the Connect server."""
        self.cluster.start_worker(node)

    def close(self) -> None:
        """Close the Connect sessions and stop the cluster; idempotent."""
        self._background.shutdown(wait=False, cancel_futures=True)
        for session in self._sessions.values():
            # The server may already be gone; the cluster stop below ends it anyway.
            with contextlib.suppress(PySparkException):
                session.stop()
        self._sessions.clear()
        self.cluster.stop()


def _variant(name: str) -> SparkVariant:
    try:
        return SparkVariant(name)
    except ValueError:
        raise ConfigError(f"unknown Spark variant {name!r}; use one of {', '.join(SparkVariant)}") from None


def _timeout(options: QueryOptions) -> float:
    value = options.pragma.get("query_timeout_s", DEFAULT_TIMEOUT_S)
    return float(value)


def _load(session: SparkSession, scan: SparkSource) -> DataFrame:
    reader = session.read.format(scan.format).options(**scan.options)
    if scan.schema is not None:
        reader = reader.schema(scan.schema)
    return reader.load(list(scan.paths))


def _drop_view(session: SparkSession, view: str) -> None:
    # A session whose server is gone has no views left to drop.
    with contextlib.suppress(PySparkException):
        session.catalog.dropTempView(view)


def engine_error(exc: PySparkException) -> EngineError:  # noqa: PLR0911 - one return per kind of failure
    """Spark's failure as the kit's: 400 for the query's mistakes, 503 naming the object for storage.

    The reason is one line: Spark's first line, with an ``s3a://`` object named as the lab names it
    (``s3://``), and the Java exception class that caused it when Spark wraps one.
    """
    text = str(exc)
    first = _one_line(text)
    objects = [uri.replace("s3a://", "s3://", 1) for uri in _S3A_URI.findall(text)]
    if any(marker in text for marker in _NOT_FOUND):
        where = f" {objects[0]}" if objects else ""
        return EngineError(400, "not_found", f"no object matches{where}: {first}")
    if isinstance(exc, ParseException):
        return EngineError(400, "parsing_exception", first)
    if isinstance(exc, AnalysisException):
        return EngineError(400, "analysis_exception", first)
    if any(marker in text for marker in _STORAGE_MARKERS):
        where = objects[0] if objects else "an object"
        return EngineError(503, "storage_exception", f"reading {where} failed: {first}")
    if "OPERATION_CANCELED" in text or "cancelled" in text.lower():
        return EngineError(499, "cancelled", first)
    if isinstance(exc, SparkConnectGrpcException | SparkConnectException):
        return EngineError(500, "spark_exception", first)
    return EngineError(500, type(exc).__name__, first)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else "Spark failed without a message"
    return line if len(line) <= 600 else line[:597] + "..."


def launch(lab: Lab, settings: EngineSettings) -> SparkDriver:
    """Start a Spark cluster reading ``lab``'s objects and return its driver.

    Options (``options:`` of the engine settings file): ``reader``, the proxy listener S3A reads
    through (default ``coordinator``); ``workers`` (default 2); ``start_timeout``, seconds for each
    start-up step (default 180: a busy 2-core machine needs far more than a quiet one).
    """
    options = settings.options
    reader = str(options.get("reader", "coordinator"))
    if reader not in lab.settings.readers:
        listeners = ", ".join(lab.settings.readers)
        raise ConfigError(f"Spark reader {reader!r} is not a listener of the lab; listeners: {listeners}")
    cluster_settings = SparkClusterSettings(
        workers=int(options.get("workers", 2)), start_timeout=float(options.get("start_timeout", 180.0))
    )
    endpoint = lab.reader_endpoint(reader)
    cluster = SparkCluster(lab.log_dir / "spark", endpoint, installed_jars(), cluster_settings)
    cluster.start()
    return SparkDriver(cluster)
