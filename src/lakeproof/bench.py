"""Benchmark: the figures the issues name, measured side by side in one run and printed.

Run with ``make bench`` or ``python -m lakeproof.bench``. Figures are printed with their target
and a verdict; the exit code is 0 either way (speed is reported, not asserted: machines are noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import pyarrow as pa

from lakeproof.bench_acceptance import (
    AcceptanceRun,
    RunSandbox,
    robot_argv,
    run_acceptance,
    stop_acceptance_midway,
)
from lakeproof.datagen import tpch_query_over
from lakeproof.lab import Lab, LabSettings
from lakeproof.objectstore import S3Endpoint, upload
from lakeproof.oracle import Oracle

MIB = 1024 * 1024


@dataclass(frozen=True)
class Figure:
    """One measured figure with its target."""

    name: str
    value: float
    unit: str
    target: str
    met: bool

    def line(self) -> str:
        """A printable line: name, value, target, verdict."""
        verdict = "ok" if self.met else "MISSED"
        return f"{self.name:<58} {self.value:>10.3f} {self.unit:<6} target {self.target:<12} {verdict}"


def _median_seconds(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def bench_lab_cold_start(output_dir: Path, repeats: int) -> list[Figure]:
    """Seconds from nothing to object store + proxy ready, median of ``repeats`` starts."""
    durations = []
    for _ in range(repeats):
        with Lab(LabSettings(output_dir=output_dir, run_label="bench")) as lab:
            durations.append(lab.started_in or 0.0)
    median = statistics.median(durations)
    return [
        Figure("lab cold start (object store + proxy ready), median", median, "s", "<= 1.5", median <= 1.5)
    ]


def _get(endpoint: S3Endpoint, bucket: str, key: str) -> Callable[[], int]:
    client = endpoint.client(max_attempts=1)

    def read() -> int:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        return sum(len(chunk) for chunk in body.iter_chunks(chunk_size=MIB))

    return read


def bench_proxy(output_dir: Path, big_mib: int, big_repeats: int, small_repeats: int) -> list[Figure]:
    """Proxy pass-through throughput on large GETs and added latency on small GETs vs direct moto."""
    with Lab(LabSettings(output_dir=output_dir, readers=("coordinator",), run_label="bench")) as lab:
        direct, proxied = lab.s3, lab.reader_endpoint("coordinator")
        big_key, small_key = f"{lab.prefix}/big.bin", f"{lab.prefix}/small.bin"
        store = direct.client()
        upload(store, lab.bucket, big_key, bytes(range(256)) * (big_mib * MIB // 256))
        upload(store, lab.bucket, small_key, b"x" * 1024)

        read_direct, read_proxied = _get(direct, lab.bucket, big_key), _get(proxied, lab.bucket, big_key)
        read_direct(), read_proxied()  # warm both connection pools before timing
        direct_s, proxied_s = [], []
        for _ in range(big_repeats):  # alternate so both see the same machine noise
            direct_s.append(_median_seconds(read_direct, 1))
            proxied_s.append(_median_seconds(read_proxied, 1))
        direct_rate = big_mib / statistics.median(direct_s)
        proxied_rate = big_mib / statistics.median(proxied_s)
        ratio = proxied_rate / direct_rate

        small_direct, small_proxied = (
            _get(direct, lab.bucket, small_key),
            _get(proxied, lab.bucket, small_key),
        )
        small_direct(), small_proxied()
        direct_ms = _median_seconds(small_direct, small_repeats) * 1000
        proxied_ms = _median_seconds(small_proxied, small_repeats) * 1000
    added_ms = proxied_ms - direct_ms
    return [
        Figure(f"direct moto throughput, {big_mib} MiB GET", direct_rate, "MiB/s", "(reference)", True),
        Figure(f"proxied throughput, {big_mib} MiB GET", proxied_rate, "MiB/s", "(reference)", True),
        Figure("proxy throughput / direct throughput", ratio, "ratio", ">= 0.80", ratio >= 0.80),
        Figure("small GET median, direct", direct_ms, "ms", "(reference)", True),
        Figure("small GET median, through proxy", proxied_ms, "ms", "(reference)", True),
        Figure("latency added by the proxy per small GET, median", added_ms, "ms", "<= 2", added_ms <= 2),
    ]


def bench_datagen(rows: int) -> list[Figure]:
    """Seconds to generate ``rows`` rows of the mixed-types spec as Parquet."""
    from lakeproof.datagen.bench import bench_parquet_rows  # noqa: PLC0415 - only this figure needs it

    seconds = bench_parquet_rows(rows)
    return [Figure(f"datagen: {rows:,} rows of mixed_types to Parquet", seconds, "s", "<= 5", seconds <= 5)]


def bench_tables(files: int, repeats: int) -> list[Figure]:
    """Iceberg: one append snapshot committing ``files`` data files (pyiceberg, SQLite catalog, moto)."""
    from lakeproof.tables.bench import iceberg_commit_seconds  # noqa: PLC0415 - only this group needs it

    commit_s, write_s, rows = iceberg_commit_seconds(files, repeats)
    commit_ms = commit_s * 1000
    return [
        Figure(f"tables: writing {files:,} one-row Parquet data files", write_s, "s", "(setup)", True),
        Figure(
            f"tables: Iceberg snapshot commit of {files:,} data files, median",
            commit_ms,
            "ms",
            "<= 500",
            commit_ms <= 500,
        ),
        Figure(
            "tables: rows DuckDB reads from the committed snapshot", rows, "rows", f"= {files}", rows == files
        ),
    ]


def _total_seconds(run: Callable[[str], object], queries: Sequence[str]) -> float:
    began = time.perf_counter()
    for sql in queries:
        run(sql)
    return time.perf_counter() - began


def bench_cluster_start(output_dir: Path, repeats: int) -> list[Figure]:
    """Seconds from nothing to object store, proxy, coordinator and 3 data nodes ready."""
    durations = []
    for _ in range(repeats):
        with Lab(LabSettings(output_dir=output_dir, run_label="bench", cluster=True)) as lab:
            durations.append(lab.started_in or 0.0)
    median = statistics.median(durations)
    return [Figure("lab with 3 data nodes ready from cold, median", median, "s", "<= 3", median <= 3)]


def bench_cluster(output_dir: Path, scale_factor: float, sequential_queries: int, plans: int) -> list[Figure]:
    """TPC-H on the cluster vs plain DuckDB through the same proxy; /plan rate; coordinator memory."""
    with Lab(LabSettings(output_dir=output_dir, run_label="bench", cluster=True)) as lab:
        manifests = lab.create_tpch(scale_factor, formats=("parquet",), files=3)
        scans = {name: manifest.duckdb_scan("parquet") for name, manifest in manifests.items()}
        queries = [tpch_query_over(number, scans) for number in range(1, 23)]
        client = lab.coordinator_client()
        # DuckDB keeps remote file blocks in memory between queries; the cluster re-reads every time.
        cached, uncached = (
            Oracle(lab.reader_endpoint("coordinator")),
            Oracle(lab.reader_endpoint("coordinator"), file_cache=False),
        )
        for engine in (client.query, cached.query, uncached.query):
            engine(queries[0])  # warm every engine before timing
        cluster_s = _total_seconds(client.query, queries)
        duckdb_s = _total_seconds(uncached.query, queries)
        cached_s = _total_seconds(cached.query, queries)
        cached.close()
        uncached.close()
        ratio = cluster_s / duckdb_s

        body = {"split_sizes": [64, 32, 16, 8, 4, 2, 1, 1], "nodes": 3, "strategy": "adaptive"}
        plan_s = _median_seconds(lambda: [client.plan(body) for _ in range(plans)], 1)
        plans_per_s = plans / plan_s

        coordinator = psutil.Process(lab.cluster.pid)
        small = f"SELECT count(*) FROM {scans['nation']}"  # noqa: S608 - our own manifest's scan
        warm_up = sequential_queries // 10
        for _ in range(warm_up):
            client.query(small, {"external_distribution": "round_robin"})
        rss_before = coordinator.memory_info().rss
        for _ in range(sequential_queries - warm_up):
            client.query(small, {"external_distribution": "round_robin"})
        growth = coordinator.memory_info().rss / rss_before - 1
    sf = f"SF {scale_factor:g}"
    return [
        Figure(f"TPC-H {sf}, 22 queries, adaptive on 3 nodes", cluster_s, "s", "(reference)", True),
        Figure(f"TPC-H {sf}, 22 queries, plain DuckDB via the proxy", duckdb_s, "s", "(reference)", True),
        Figure(f"TPC-H {sf}, same, DuckDB with its file cache on", cached_s, "s", "(reference)", True),
        Figure("TPC-H cluster time / plain DuckDB time (both reading)", ratio, "ratio", "<= 2", ratio <= 2),
        Figure(
            f"/plan over HTTP, {plans} synthetic plans", plans_per_s, "plan/s", ">= 500", plans_per_s >= 500
        ),
        Figure(
            f"coordinator RSS growth over {sequential_queries} queries",
            growth * 100,
            "%",
            "< 20",
            growth < 0.2,
        ),
    ]


def bench_table_reads(output_dir: Path, files: int, plans: int) -> list[Figure]:
    """Plan time of an Iceberg snapshot of ``files`` data files, and its scan on the engine beside
    plain DuckDB's iceberg_scan through the same proxy."""
    from lakeproof.tables.iceberg import NAMESPACE, lab_catalog, write_version_hint  # noqa: PLC0415

    rows_per_file = 100
    with Lab(LabSettings(output_dir=output_dir, run_label="bench", cluster=True)) as lab:
        root = f"s3://{lab.bucket}/{lab.prefix}/tables/iceberg/wide"
        catalog = lab_catalog(output_dir / "bench-catalog.db", lab.s3, f"file://{output_dir}")
        data = pa.table({"id": pa.array(range(files * rows_per_file), pa.int64())})
        data = data.append_column("amount", pa.array([i * 0.25 for i in range(data.num_rows)]))
        # pyiceberg cuts an append into files of this many in-memory bytes: one file per 100 rows.
        target = str(int(data.nbytes / data.num_rows * rows_per_file))
        table = catalog.create_table(
            f"{NAMESPACE}.wide",
            schema=data.schema,
            location=root,
            properties={"write.target-file-size-bytes": target},
        )
        table.append(data)
        write_version_hint(table)
        written = len(table.inspect.data_files())

        client = lab.coordinator_client()
        query = f"SELECT count(*), sum(amount) FROM iceberg_scan('{root}')"  # noqa: S608 - our own table
        plan_s = _median_seconds(lambda: client.plan({"query": query}), plans)
        duckdb = Oracle(lab.reader_endpoint("coordinator"), file_cache=False)
        for engine in (client.query, duckdb.query):
            engine(query)  # warm both before timing
        engine_s = _median_seconds(lambda: client.query(query), 3)
        duckdb_s = _median_seconds(lambda: duckdb.query(query), 3)
        duckdb.close()
    return [
        Figure(
            f"Iceberg /plan of a {written:,}-data-file snapshot, median", plan_s, "s", "(reference)", True
        ),
        Figure(
            f"Iceberg scan of {written:,} files, engine adaptive on 3 nodes",
            engine_s,
            "s",
            "(reference)",
            True,
        ),
        Figure(
            f"Iceberg scan of {written:,} files, plain DuckDB iceberg_scan",
            duckdb_s,
            "s",
            "(reference)",
            True,
        ),
        Figure(
            "Iceberg scan, engine time / plain DuckDB time", engine_s / duckdb_s, "ratio", "(reference)", True
        ),
    ]


def _tree_rss(pids: Sequence[int | None]) -> int:
    """Resident bytes of processes ``pids`` and all their descendants (a Spark worker's executor)."""
    total = 0
    for pid in pids:
        if pid is None or not psutil.pid_exists(pid):
            continue
        root = psutil.Process(pid)
        for process in (root, *root.children(recursive=True)):
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
    return total


def bench_spark(output_dir: Path, scale_factor: float) -> list[Figure]:
    """Spark: cluster cold start and memory; TPC-H on Spark vs the reference engine vs plain DuckDB.

    One lab holds the data; the reference cluster, the Spark cluster and DuckDB read it through
    the same fault proxy, one after the other, each warmed with query 1 before the timed run.
    Needs the .[spark] extra (``make venv-spark``) and Java.
    """
    from lakeproof.engines.base import QueryOptions  # noqa: PLC0415 - only this group needs them
    from lakeproof.engines.settings import EngineSettings  # noqa: PLC0415
    from lakeproof.engines.spark.driver import SparkVariant, launch  # noqa: PLC0415

    with Lab(LabSettings(output_dir=output_dir, run_label="bench", cluster=True)) as lab:
        manifests = lab.create_tpch(scale_factor, formats=("parquet",), files=3)
        scans = {name: manifest.duckdb_scan("parquet") for name, manifest in manifests.items()}
        queries = [tpch_query_over(number, scans) for number in range(1, 23)]
        spark = launch(lab, EngineSettings(engine="spark"))
        try:
            cold_start = spark.cluster.started_in or 0.0
            rss = _tree_rss(list(spark.cluster.pids().values())) / MIB

            def on_spark(sql: str) -> object:
                return spark.query(sql, SparkVariant.CLUSTER, QueryOptions())

            first_query = _total_seconds(on_spark, queries[:1])
            spark_s = _total_seconds(on_spark, queries)
        finally:
            spark.close()
        client = lab.coordinator_client()
        duckdb = Oracle(lab.reader_endpoint("coordinator"), file_cache=False)
        for engine in (client.query, duckdb.query):
            engine(queries[0])
        reference_s = _total_seconds(client.query, queries)
        duckdb_s = _total_seconds(duckdb.query, queries)
        duckdb.close()
    sf = f"SF {scale_factor:g}"
    return [
        Figure(
            "Spark: master, 2 workers, Connect ready from cold", cold_start, "s", "<= 30", cold_start <= 30
        ),
        Figure("Spark: cluster RSS (JVMs and executors)", rss, "MiB", "(reported)", True),
        Figure("Spark: first query (TPC-H q1) on a cold cluster", first_query, "s", "(reported)", True),
        Figure(f"TPC-H {sf}, 22 queries, Spark (cluster variant)", spark_s, "s", "(reported)", True),
        Figure(f"TPC-H {sf}, 22 queries, reference engine (adaptive)", reference_s, "s", "(reported)", True),
        Figure(f"TPC-H {sf}, 22 queries, plain DuckDB via the proxy", duckdb_s, "s", "(reported)", True),
        Figure("TPC-H Spark time / plain DuckDB time", spark_s / duckdb_s, "ratio", "(reported)", True),
    ]


def bench_acceptance(output_dir: Path, repo: Path, consecutive_runs: int, processes: int) -> list[Figure]:
    """Default acceptance selection: sequential vs pabot wall, consecutive green pabot runs, leftovers."""
    suites = str(repo / "suites")

    def run(parallel: bool, name: str) -> AcceptanceRun:
        sandbox = RunSandbox.create(output_dir)
        return run_acceptance(robot_argv(parallel, output_dir / name, suites, processes), repo, sandbox)

    sequential = run(False, "sequential")
    parallel = [run(True, f"pabot-{index}") for index in range(consecutive_runs)]
    first = parallel[0]
    green = sum(run.rc == 0 for run in parallel)
    print(f"sequential robot: {sequential.seconds:.1f} s (rc {sequential.rc})", flush=True)
    for index, parallel_run in enumerate(parallel, 1):
        print(f"pabot run {index}: {parallel_run.seconds:.1f} s (rc {parallel_run.rc})", flush=True)
    return [
        Figure(
            "acceptance (default selection), pabot wall",
            first.seconds / 60,
            "min",
            "<= 5",
            first.seconds <= 300,
        ),
        Figure(
            "acceptance pabot / sequential wall ratio",
            first.seconds / sequential.seconds,
            "x",
            "<= 0.65",
            first.seconds <= 0.65 * sequential.seconds,
        ),
        Figure(
            f"consecutive green pabot runs (of {consecutive_runs}, + sequential)",
            green + (sequential.rc == 0),
            "runs",
            f"= {consecutive_runs + 1}",
            green == consecutive_runs and sequential.rc == 0,
        ),
        *_leftover_figures(output_dir, repo, suites, processes, [sequential, *parallel]),
    ]


def bench_leftovers(output_dir: Path, repo: Path, suites: str, processes: int) -> list[Figure]:
    """What one pabot run of ``suites`` leaves behind: run to the end, Ctrl-C'd, and kill -9'd."""
    sandbox = RunSandbox.create(output_dir)
    complete = run_acceptance(robot_argv(True, output_dir / "complete", suites, processes), repo, sandbox)
    print(f"pabot run of {suites}: {complete.seconds:.1f} s (rc {complete.rc})", flush=True)
    return _leftover_figures(output_dir, repo, suites, processes, [complete])


def _leftover_figures(
    output_dir: Path, repo: Path, suites: str, processes: int, complete: list[AcceptanceRun]
) -> list[Figure]:
    """Leftovers of the ``complete`` runs, then of a run Ctrl-C'd and of one kill -9'd mid-way."""
    stopped = {
        stop_signal: stop_acceptance_midway(
            robot_argv(True, output_dir / stop_signal.name, suites, processes),
            repo,
            RunSandbox.create(output_dir),
            stop_signal,
        )
        for stop_signal in (signal.SIGINT, signal.SIGKILL)
    }
    figures = []
    for what, runs in [
        ("after the runs", complete),
        ("after Ctrl-C mid-run", [stopped[signal.SIGINT]]),
        ("after kill -9 mid-run", [stopped[signal.SIGKILL]]),
    ]:
        for kind in ("processes", "ports", "scratch"):
            left = sum(getattr(run.left, kind) for run in runs)
            figures.append(Figure(f"{kind} left {what}", left, "", "= 0", left == 0))
    swept = stopped[signal.SIGKILL].scratch_after_next_lab or 0
    figures.append(
        Figure("scratch left after kill -9, after the next lab start", swept, "", "= 0", swept == 0)
    )
    return figures


GROUPS = ("lab", "proxy", "datagen", "cluster", "tables")
SLOW_GROUPS = ("acceptance", "leftovers", "spark")
QUICK_LEFTOVERS_SUITE = "suites/smoke/cluster.robot"
"""One small suite with a cluster: enough to measure leftovers in about a minute."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark and print one line per figure."""
    parser = argparse.ArgumentParser(prog="python -m lakeproof.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller objects and data")
    parser.add_argument(
        "--only",
        choices=GROUPS + SLOW_GROUPS,
        action="append",
        help="run only these groups (repeatable); 'acceptance', 'leftovers' and 'spark' (minutes per "
        "run; spark needs `make venv-spark`) run only when named; 'leftovers --quick' runs one small "
        "suite, 'spark --quick' TPC-H SF 0.01",
    )
    parser.add_argument(
        "--acceptance-runs", type=int, default=1, help="consecutive pabot runs for the zero-flaky figure"
    )
    parser.add_argument("--processes", type=int, default=2, help="pabot processes (default 2)")
    args = parser.parse_args(argv)
    quick = args.quick
    chosen = args.only or GROUPS
    with tempfile.TemporaryDirectory(prefix="lakeproof-bench-") as scratch:
        output_dir = Path(scratch)
        runs: dict[str, Callable[[], list[Figure]]] = {
            "lab": lambda: [*bench_lab_cold_start(output_dir, 3), *bench_cluster_start(output_dir, 3)],
            "proxy": lambda: bench_proxy(output_dir, *((8, 2, 30) if quick else (64, 5, 300))),
            "datagen": lambda: bench_datagen(100_000 if quick else 1_000_000),
            "cluster": lambda: bench_cluster(output_dir, *((0.01, 100, 200) if quick else (0.1, 1000, 1000))),
            "tables": lambda: [
                *bench_tables(1000, 3 if quick else 5),
                *bench_table_reads(output_dir, 100 if quick else 1000, 3 if quick else 5),
            ],
            "acceptance": lambda: bench_acceptance(
                output_dir, Path.cwd(), args.acceptance_runs, args.processes
            ),
            "spark": lambda: bench_spark(output_dir, 0.01 if quick else 0.1),
            "leftovers": lambda: bench_leftovers(
                output_dir,
                Path.cwd(),
                str(Path.cwd() / (QUICK_LEFTOVERS_SUITE if quick else "suites")),
                args.processes,
            ),
        }
        for group in chosen:
            for figure in runs[group]():
                print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
