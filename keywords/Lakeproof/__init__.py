"""Lakeproof: Robot Framework keywords for the embedded lab, datasets and storage faults."""

from __future__ import annotations

import functools
import logging
import os
import signal
import threading
from typing import Any

from robot.api.exceptions import SkipExecution
from robotlibcore import DynamicCore

from lakeproof import __version__
from Lakeproof.api_keywords import ApiKeywords
from Lakeproof.cluster_keywords import ClusterKeywords
from Lakeproof.container_keywords import ContainerKeywords
from Lakeproof.context import EngineSpecific, KnownDifferenceSkip, LabContext, pabot_queue_index
from Lakeproof.dataset_keywords import DatasetKeywords
from lakeproof.engines.base import CapabilityMissing
from Lakeproof.fault_keywords import FaultKeywords
from Lakeproof.lab_keywords import LabKeywords
from Lakeproof.matrix_listener import CapabilityRecorder
from Lakeproof.property_keywords import PropertyKeywords
from Lakeproof.small_table_keywords import SmallTableKeywords
from Lakeproof.spec_keywords import SpecKeywords
from Lakeproof.table_keywords import TableKeywords

_ORPHAN_CHECK_INTERVAL_S = 0.5
# botocore logs every request at DEBUG with its Authorization header (the access key), and Robot
# Framework puts Python's log records into its own log at --loglevel DEBUG or TRACE.
_SIGNING_LOGGERS = ("botocore", "boto3", "s3transfer")


def _stop_when_orphaned(parent: int) -> None:
    """Send this process SIGTERM (Robot Framework's graceful stop) once ``parent`` is gone."""
    gone = threading.Event()
    while os.getppid() == parent:  # an orphan is adopted by init or a subreaper
        gone.wait(_ORPHAN_CHECK_INTERVAL_S)
    os.kill(os.getpid(), signal.SIGTERM)


@functools.cache  # once a process: a second SIGTERM would make Robot Framework skip teardowns
def _watch_pabot() -> None:
    """In a pabot worker, stop the run when pabot itself dies.

    pabot starts every worker in a session of its own, so a ``kill -9`` of pabot (or of its
    process group) reaches no worker: each would go on running its suites, and its labs, for
    nobody. The worker stops gracefully instead, and its suites' teardowns stop their labs.
    """
    if pabot_queue_index() is not None:
        watcher = threading.Thread(
            target=_stop_when_orphaned, args=(os.getppid(),), name="pabot-watch", daemon=True
        )
        watcher.start()


class Lakeproof(DynamicCore):
    """Keywords that prove a distributed query engine reads object-store data correctly.

    The library drives the *embedded lab*: an S3 object store (moto server), a fault proxy in
    front of it with one listener per reader (``coordinator``, ``node-1``, ...), and the
    reference cluster: a coordinator and one Dask worker process per data node, each reading
    through its own listener. Suites start a lab in their setup, create datasets from the YAML
    specs in ``data/datasets/`` (or TPC-H), run queries under each distribution strategy,
    compare them with the oracle (plain DuckDB on the same objects), inject storage faults,
    kill nodes, and check the proxy's statistics and the engine's profile.

    = Isolation =

    Every lab writes under its own unique key prefix and listens on free 127.0.0.1 ports, so
    suites run side by side under pabot without seeing each other's data or faults.

    = Engines =

    The engine under test is chosen with ``--variable ENGINE:name`` (default ``reference``, the
    kit's own) and configured with ``--variable ENGINE_SETTINGS:file.yaml``. Keywords reach it
    only through its driver. A keyword that needs something the engine cannot show (a capability
    such as ``node_lifecycle``) marks the test SKIP with one line naming the capability, and a
    case the engine's known-differences file lists is skipped with the listed reason: never a
    silent pass. Each test is tagged ``capability:<name>`` for what it used, and each suite shows
    its capabilities (proven, skipped, failed) in the log; ``capability-matrix.json`` holds the
    run's matrix.

    = Clean-up =

    `Stop Lab` stops everything. A lab is also stopped when the suite that started it ends, and
    when Robot Framework exits (also after Ctrl-C), so nothing is left running.

    = Example =

    | *** Settings ***
    | Library           Lakeproof
    | Suite Setup       `Start Lab`    nodes=2
    | Suite Teardown    `Stop Lab`
    |
    | *** Test Cases ***
    | A SlowDown is retried
    |     `Create Dataset`    smoke
    |     `Inject Fault`    slowdown_503    key=*/part-0001.parquet    times=1
    |     `Dataset Should Read Back Completely`    smoke    parquet
    |     `Fault Should Have Been Hit`    slowdown_503    times=1
    |
    | Every strategy agrees with the oracle
    |     ${scan}=    `Get Dataset Scan`    smoke    csv
    |     FOR    ${strategy}    IN    @{STRATEGIES}
    |         `Query Should Match Oracle`    SELECT count(*) FROM ${scan}    strategy=${strategy}
    |     END
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        _watch_pabot()
        for name in _SIGNING_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
        self._context = LabContext()
        self._recorder = CapabilityRecorder(self._context)
        DynamicCore.__init__(
            self,
            [
                LabKeywords(self._context),
                DatasetKeywords(self._context),
                FaultKeywords(self._context),
                ClusterKeywords(self._context),
                PropertyKeywords(self._context),
                SpecKeywords(self._context),
                ApiKeywords(self._context),
                ContainerKeywords(self._context),
                SmallTableKeywords(self._context),
                TableKeywords(self._context),
            ],
        )
        self.ROBOT_LIBRARY_LISTENER = self

    def run_keyword(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> Any:
        """Run a keyword; what the engine cannot show skips the test, with one line saying why."""
        try:
            return DynamicCore.run_keyword(self, name, args, kwargs)
        except CapabilityMissing as missing:
            self._context.note_missing(missing)
            raise SkipExecution(str(missing)) from None
        except (EngineSpecific, KnownDifferenceSkip) as skip:
            raise SkipExecution(str(skip)) from None

    def _start_suite(self, data: Any, result: Any) -> None:
        self._recorder.start_suite()

    def _start_test(self, data: Any, result: Any) -> None:
        self._recorder.start_test()

    def _end_test(self, data: Any, result: Any) -> None:
        self._recorder.end_test(data.parent.full_name, result)

    def _end_suite(self, data: Any, result: Any) -> None:
        self._recorder.end_suite(data.full_name, result)
        # A lab outlives its suite only by mistake (a failed teardown): stop it here.
        if self._context.lab is not None and self._context.started_by_suite == data.full_name:
            self._context.stop()

    def _close(self) -> None:
        self._context.stop()
        self._recorder.close()
