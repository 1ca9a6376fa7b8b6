"""The Spark driver on a real cluster: variants agree with the oracle, storage faults are retried or
named, a worker killed mid-query costs nothing, cancel and deadlines stop queries, nothing is left.

One cluster serves the module (a cold start takes 15-60 s on the 2-core machine, longer when it is
busy). Skipped with the reason when the .[spark] extra, the S3A jars or Java are missing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psutil
import pytest

pytest.importorskip("pyspark", reason="the Spark driver needs the .[spark] extra: run `make venv-spark`")

from lakeproof.compare import Answer as ResultTable
from lakeproof.compare import answer_from_duckdb, compare
from lakeproof.datagen import Manifest, load_spec
from lakeproof.engines.base import Answer, EngineError, QueryOptions
from lakeproof.engines.settings import EngineSettings
from lakeproof.engines.spark.cluster import java_command
from lakeproof.engines.spark.driver import SparkDriver, SparkVariant, launch
from lakeproof.engines.spark.install import installed_jars
from lakeproof.errors import ConfigError
from lakeproof.lab import Lab, LabSettings
from lakeproof.net import wait_until
from lakeproof.oracle import Oracle

pytestmark = [pytest.mark.component, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[3]

try:
    java_command()
    installed_jars()
except ConfigError as missing:
    pytest.skip(str(missing), allow_module_level=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A lab without the reference cluster, holding the smoke dataset."""
    with Lab(LabSettings(output_dir=tmp_path_factory.mktemp("spark-lab"))) as running:
        yield running


@pytest.fixture(scope="module")
def smoke(lab: Lab) -> Manifest:
    """The smoke dataset (3 files of 1,000 rows in every format, LF and CRLF text files)."""
    return lab.create_dataset(load_spec(ROOT / "data" / "datasets" / "smoke.yaml"))


@pytest.fixture(scope="module")
def spark(lab: Lab) -> Iterator[SparkDriver]:
    """The Spark driver on a cluster reading the lab through the ``coordinator`` listener."""
    driver = launch(lab, EngineSettings(engine="spark"))
    yield driver
    driver.close()


@pytest.fixture
def clean_proxy(lab: Lab) -> Iterator[None]:
    """No fault rule and no counts before the test; no rule left after it."""
    lab.control.clear_rules()
    lab.control.reset_stats()
    yield
    lab.control.clear_rules()


def _oracle(lab: Lab, sql: str) -> ResultTable:
    with Oracle(lab.s3) as oracle:
        return answer_from_duckdb(oracle.connection.sql(sql))


def _should_equal_oracle(lab: Lab, sql: str, answer: Answer) -> None:
    comparison = compare(_oracle(lab, sql), answer.table)
    assert comparison.equal, comparison.summary()


BY_REGION = (
    "SELECT region, count(*) AS n, min(amount) AS cheapest, max(day) AS last_day, avg(score) AS mean "
    "FROM {scan} GROUP BY region"
)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_every_variant_gives_the_oracles_answer(
    lab: Lab, smoke: Manifest, spark: SparkDriver, fmt: str
) -> None:
    sql = BY_REGION.format(scan=smoke.duckdb_scan(fmt))  # type: ignore[arg-type]
    for variant in spark.variants():
        answer = spark.query(sql, variant, QueryOptions())
        assert [column.type for column in answer.columns] == [
            "VARCHAR",
            "BIGINT",
            "DECIMAL(10,2)",
            "DATE",
            "DOUBLE",
        ]
        assert sum(row[1] for row in answer.rows) == 3000, variant
        _should_equal_oracle(lab, sql, answer)


def test_the_variants_are_the_documented_four(spark: SparkDriver) -> None:
    assert spark.variants() == ("local", "cluster", "cluster_tiny_splits", "cluster_no_aqe")


def test_a_sum_of_bigint_stays_bigint_in_spark_and_the_comparison_says_so(
    lab: Lab, smoke: Manifest, spark: SparkDriver
) -> None:
    sql = f"SELECT sum(id) AS total FROM {smoke.duckdb_scan('parquet')}"
    answer = spark.query(sql, SparkVariant.CLUSTER, QueryOptions())

    assert answer.table.rows == ((2999 * 3000 // 2,),)
    assert compare(_oracle(lab, sql), answer.table).summary() == (
        "results differ: column 'total' is BIGINT, expected HUGEINT"
    )


@pytest.mark.usefixtures("clean_proxy")
@pytest.mark.parametrize(
    ("action", "extra"),
    [
        ("slowdown_503", {}),
        ("internal_error_500", {}),
        ("reset_before_response", {}),
        ("truncated_body", {"bytes": 100}),
    ],
)
def test_transient_storage_faults_are_retried_by_s3a(
    lab: Lab, smoke: Manifest, spark: SparkDriver, action: str, extra: dict[str, int]
) -> None:
    scan = smoke.duckdb_scan("csv")
    sql = f"SELECT count(*) AS n, min(id) AS low, max(id) AS high, avg(qty) AS mean FROM {scan}"
    rule = lab.control.add_rule(
        action=action,
        key="*/csv/part-0001.csv",
        operation=["GET", "RANGE_GET"],
        prefix=lab.prefix,
        per_request=2,
        **extra,
    )

    answer = spark.query(sql, SparkVariant.CLUSTER, QueryOptions())

    assert answer.rows[0][0] == 3000
    _should_equal_oracle(lab, sql, answer)
    assert lab.control.stats(prefix=lab.prefix)["by_rule"][rule["id"]]["faults"] >= 2


@pytest.mark.usefixtures("clean_proxy")
def test_a_persistent_fault_is_a_storage_error_naming_the_object(
    lab: Lab, smoke: Manifest, spark: SparkDriver
) -> None:
    lab.control.add_rule(action="internal_error_500", key="*/parquet/part-0002.parquet", prefix=lab.prefix)

    with pytest.raises(EngineError) as error:
        spark.query(
            f"SELECT sum(qty) AS total FROM {smoke.duckdb_scan('parquet')}", "cluster", QueryOptions()
        )

    assert error.value.status == 503
    assert f"s3://lake/{lab.prefix}/smoke/parquet/part-0002.parquet" in error.value.reason


@pytest.mark.usefixtures("clean_proxy")
def test_a_missing_object_is_a_400_naming_the_glob(lab: Lab, spark: SparkDriver) -> None:
    with pytest.raises(EngineError) as error:
        spark.query(
            f"SELECT count(*) FROM read_parquet('s3://lake/{lab.prefix}/none/*.parquet')",
            "cluster",
            QueryOptions(),
        )

    assert error.value.status == 400
    assert error.value.reason.startswith(f"no object matches s3://lake/{lab.prefix}/none/*.parquet")


def test_bad_sql_is_a_400_with_sparks_first_line(smoke: Manifest, spark: SparkDriver) -> None:
    with pytest.raises(EngineError) as error:
        spark.query(f"SELECT no_such_column FROM {smoke.duckdb_scan('parquet')}", "cluster", QueryOptions())

    assert error.value.status == 400
    assert error.value.error_type == "analysis_exception"
    assert "no_such_column" in error.value.reason
    assert "\n" not in error.value.reason


@pytest.mark.usefixtures("clean_proxy")
def test_a_hanging_read_is_cancelled_and_ends_at_its_deadline(
    lab: Lab, smoke: Manifest, spark: SparkDriver
) -> None:
    lab.control.add_rule(action="hang", key="*/ndjson/*", prefix=lab.prefix, hang_seconds=600)
    sql = f"SELECT count(*) AS n FROM {smoke.duckdb_scan('ndjson')}"

    query_id = spark.start_async(sql, "cluster", QueryOptions())
    wait_until(lambda: lab.control.stats(prefix=lab.prefix)["totals"]["faults"] > 0, 120, "a read to hang")
    spark.cancel(query_id)
    with pytest.raises(EngineError) as cancelled:
        spark.wait(query_id, timedelta(seconds=60))
    assert cancelled.value.status == 499

    began = time.monotonic()
    with pytest.raises(EngineError) as late:
        spark.query(sql, "cluster", QueryOptions(pragma={"query_timeout_s": 5}))
    assert late.value.status == 504
    assert late.value.reason == "query exceeded its deadline of 5 s (pragma query_timeout_s)"
    assert time.monotonic() - began < 10


@pytest.mark.usefixtures("clean_proxy")
def test_a_worker_killed_mid_query_costs_no_row(lab: Lab, smoke: Manifest, spark: SparkDriver) -> None:
    # Slow reads keep the query running on both executors while one of them is killed.
    lab.control.add_rule(action="latency", key="*/csv/*", prefix=lab.prefix, latency_ms=3000)
    scan = smoke.duckdb_scan("csv")
    sql = f"SELECT region, count(*) AS n, min(amount) AS cheapest FROM {scan} GROUP BY region"

    query_id = spark.start_async(sql, "cluster_tiny_splits", QueryOptions())
    wait_until(
        lambda: lab.control.stats(prefix=lab.prefix)["totals"]["faults"] > 0, 120, "the reads to start"
    )
    spark.kill_node("node-1")
    assert spark.nodes() == ("node-2",)
    answer = spark.wait(query_id, timedelta(seconds=300))

    lab.control.clear_rules()
    _should_equal_oracle(lab, sql, answer)
    spark.restart_node("node-1")
    assert spark.nodes() == ("node-1", "node-2")


OWNER = """
import json, sys
from pathlib import Path
from lakeproof.lab import Lab, LabSettings
from lakeproof.engines.settings import EngineSettings
from lakeproof.engines.spark.driver import launch
lab = Lab(LabSettings(output_dir=Path(sys.argv[1]))).start()
driver = launch(lab, EngineSettings(engine="spark"))
Path(sys.argv[2]).write_text(json.dumps(driver.cluster.pids()))
sys.stdin.read()
"""


def test_nothing_is_left_when_the_owner_is_killed_with_sigkill(tmp_path: Path) -> None:
    pids_file = tmp_path / "pids.json"
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path / "out"), str(pids_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(pids_file.exists, 300, "the owner's Spark cluster", interval=0.5)
        pids = json.loads(pids_file.read_text())
        family = [psutil.Process(pid) for pid in pids.values()]
        family += [child for process in family for child in process.children(recursive=True)]
        assert len(family) >= 6  # master, two workers, Connect server, an executor per worker
    finally:
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()

    def all_gone() -> bool:
        return not any(
            process.is_running() and process.status() != psutil.STATUS_ZOMBIE for process in family
        )

    wait_until(all_gone, 60, "the cluster's JVMs to end with their owner", interval=0.2)
