"""``lakeproof`` command line: run the lab by hand, generate datasets.

Errors the user can fix are printed as one line (``lakeproof: error: ...``, or
``lakeproof datagen: error: ...`` for a bad option) with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import textwrap
import threading
import traceback
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from lakeproof.containers import load_definition
from lakeproof.datagen import LocalSink, S3Sink, load_spec, write_dataset, write_tpch
from lakeproof.engines.matrix import matrix_from_output, outcome_counts
from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.lab import Lab, LabSettings
from lakeproof.objectstore import ExistingStore, S3Endpoint, validate_bucket_name
from lakeproof.objectstore.existing import (
    ENV_ACCESS_KEY,
    ENV_BUCKET,
    ENV_ENDPOINT,
    ENV_REGION,
    ENV_SECRET_KEY,
    configured_bucket,
)
from lakeproof.procs import USAGE_EXIT, write_private_text
from lakeproof.tables import DEFAULT_DATASETS_DIR, load_table_spec, write_loaded_history

_HEALTH_INTERVAL_S = 1.0
INTERNAL_EXIT = 1
"""Exit code for a fault of the kit itself; ``LAKEPROOF_TRACEBACK=1`` shows its traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (no usage block) naming the command's --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_EXIT, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _endpoint_url(text: str) -> str:
    url = urllib.parse.urlsplit(text)
    try:
        port = url.port
    except ValueError:
        port = None
    if url.scheme not in {"http", "https"} or not url.hostname or port is None:
        raise argparse.ArgumentTypeError(
            f"expected an S3 endpoint URL such as http://127.0.0.1:PORT (the object_store "
            f"'lab up' printed), got {text!r}"
        )
    return text


def _reader_port(text: str) -> tuple[str, int]:
    name, sep, port = text.partition("=")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PORT (for example node-1=9101), got {text!r}")
    return name, int(port)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lakeproof",
        description="Acceptance-test kit for distributed query engines over S3 data: lab and data tools.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lab = commands.add_parser("lab", help="run the embedded lab by hand")
    lab_commands = lab.add_subparsers(dest="lab_command", required=True, metavar="LAB_COMMAND")
    up = lab_commands.add_parser(
        "up",
        help="start object store, fault proxy and reference cluster, print endpoints, run until Ctrl-C",
        description="Start the embedded lab on 127.0.0.1 (object store, or --store-endpoint, fault proxy "
        "and, unless --no-cluster, the reference cluster: a coordinator and Dask data nodes), print its "
        "endpoints and credential placeholders as JSON, and keep it running until Ctrl-C or SIGTERM; "
        "then stop everything.",
    )
    up.add_argument(
        "--nodes",
        type=int,
        default=3,
        help="data-node readers besides the coordinator, each with its own proxy listener (default: 3)",
    )
    up.add_argument(
        "--cluster",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start the reference cluster (coordinator API + one Dask worker per node); default: yes",
    )
    up.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="attach the coordinator to this existing Dask scheduler (tcp://host:port) instead of "
        "starting a scheduler and nodes",
    )
    up.add_argument(
        "--engine-defects",
        metavar="NAMES",
        default="",
        help="comma-separated deliberate engine defects (drop_split, single_attempt, ...), to check "
        "that a suite fails on a wrong engine; never set otherwise",
    )
    up.add_argument(
        "--bucket",
        help=f"bucket to create, or with --store-endpoint the bucket to use (default: ${ENV_BUCKET} or lake)",
    )
    up.add_argument(
        "--store-endpoint",
        type=_endpoint_url,
        metavar="URL",
        help=f"use the S3 endpoint you already run (e.g. your MinIO) instead of starting one (default: "
        f"${ENV_ENDPOINT}); credentials come from ${ENV_ACCESS_KEY} and ${ENV_SECRET_KEY}, never the "
        "command line; the bucket must exist; the lab writes only under its run prefix, removed at stop",
    )
    up.add_argument(
        "--store-region",
        metavar="REGION",
        help=f"region of --store-endpoint (default: ${ENV_REGION} or us-east-1)",
    )
    up.add_argument("--s3-port", type=int, default=0, help="object store port (default: 0 = a free port)")
    up.add_argument(
        "--proxy-host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address the proxy's reader listeners bind to (default: 127.0.0.1); 0.0.0.0 or the Docker "
        "bridge's address lets engine nodes in containers reach them",
    )
    up.add_argument(
        "--control-port", type=int, default=0, help="fault proxy control API port (default: 0 = a free port)"
    )
    up.add_argument(
        "--reader-port",
        type=_reader_port,
        action="append",
        default=[],
        metavar="NAME=PORT",
        help="fix one reader's proxy listener port, e.g. coordinator=9100 (repeatable)",
    )
    up.add_argument(
        "--output-dir",
        type=Path,
        default=Path("out"),
        help="where component logs go, under lab-logs/<prefix>/ (default: out)",
    )
    up.add_argument(
        "--ready-file", type=Path, help="also write the endpoints JSON to this file once everything is ready"
    )
    up.add_argument(
        "--start-timeout",
        type=_positive_seconds,
        default=30.0,
        help="seconds each component may take to become ready (default: 30)",
    )

    matrix = commands.add_parser(
        "matrix",
        help="the capability matrix of a Robot Framework run (also a pabot run's merged output)",
        description="Read OUTPUT (an output.xml, or a directory holding one, such as results/), "
        "write capability-matrix.json beside it, and print the matrix as a Markdown table: per "
        "suite, each capability its tests used, proven, skipped or failed.",
    )
    matrix.add_argument("output", type=Path, metavar="OUTPUT", help="output.xml or its directory")
    matrix.add_argument("--engine", help="engine name to record (default: the one the run recorded)")

    engine = commands.add_parser("engine", help="engines from container images: check a definition file")
    engine_commands = engine.add_subparsers(dest="engine_command", required=True, metavar="ENGINE_COMMAND")
    check = engine_commands.add_parser(
        "check",
        help="validate an engine definition file and print its nodes, without Docker",
        description="Validate an engine definition (YAML: image, roles, ports, health, storage; see "
        "data/engines/examples/) and print as JSON its image, driver and, per node, its role, the proxy "
        "listener it reads through and its published ports. Needs no Docker engine.",
    )
    check.add_argument("definition", type=Path, metavar="DEFINITION", help="path of the engine definition")

    datagen = commands.add_parser(
        "datagen",
        help="generate a dataset from a YAML spec (or TPC-H), locally or into S3",
        description="Generate the dataset described by SPEC (a YAML file such as data/datasets/smoke.yaml), "
        "or TPC-H with --tpch, as Parquet / CSV / NDJSON objects. The same spec and seed always give "
        "byte-identical objects. Prints the manifest (objects, sizes, row counts, checksums) as one JSON "
        "document (with --tpch: one object of the eight tables' manifests, by table) and writes each "
        "manifest beside its objects as <dataset>/manifest.json. With --table, writes a table history "
        "(data/tables/*.yaml: Iceberg and Delta tables, a snapshot or version per step) into S3 at "
        "<prefix>/tables/<format>/<name>, the Iceberg catalog in the SQLite file --catalog, and its "
        "manifest (every snapshot: id, timestamp, operation, files, rows) at "
        "<prefix>/tables/manifests/<name>.json.",
    )
    source = datagen.add_mutually_exclusive_group(required=True)
    source.add_argument("spec", nargs="?", type=Path, metavar="SPEC", help="path of the dataset spec (YAML)")
    source.add_argument(
        "--tpch",
        type=float,
        metavar="SF",
        help="generate the 8 TPC-H tables at this scale factor instead (e.g. 0.01)",
    )
    source.add_argument(
        "--table",
        type=Path,
        metavar="TABLE_SPEC",
        help="write this table history (e.g. data/tables/orders.yaml) instead; needs --s3-endpoint",
    )
    target = datagen.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="write the objects under this local directory")
    target.add_argument(
        "--s3-endpoint",
        type=_endpoint_url,
        metavar="URL",
        help="upload to this S3 endpoint instead, e.g. the object_store URL 'lab up' printed",
    )
    datagen.add_argument("--bucket", default="lake", help="bucket for --s3-endpoint (default: lake)")
    datagen.add_argument("--prefix", default="", help="key prefix for --s3-endpoint (default: none)")
    datagen.add_argument("--rows", type=int, help="override the spec's row count")
    datagen.add_argument("--seed", type=int, help="override the spec's seed")
    datagen.add_argument(
        "--catalog",
        type=Path,
        default=Path("lakeproof-catalog.db"),
        help="the SQLite file of the Iceberg catalog for --table (default: lakeproof-catalog.db)",
    )
    parser.epilog = "every command's options:\n" + "\n".join(
        textwrap.fill(usage, width=100, initial_indent="  ", subsequent_indent="      ")
        for usage in _usages(commands)
    )
    parser.epilog += "\n\n'lakeproof COMMAND --help' explains each option."
    return parser


def _usages(commands: argparse._SubParsersAction[_Parser]) -> list[str]:
    """The usage line of every leaf command (``lab up``, ``datagen``), for the top-level help."""
    usages = []
    for command in dict.fromkeys(commands.choices.values()):
        nested = [action for action in command._actions if isinstance(action, argparse._SubParsersAction)]
        if nested:
            usages.extend(_usages(nested[0]))
        else:
            usages.append(" ".join(command.format_usage().removeprefix("usage:").split()))
    return usages


def _datagen(args: argparse.Namespace) -> int:
    if args.table is not None:
        return _datagen_table(args)
    sink: LocalSink | S3Sink
    if args.out is not None:
        sink = LocalSink(args.out)
    else:
        sink = S3Sink(S3Endpoint(args.s3_endpoint).client(), validate_bucket_name(args.bucket), args.prefix)
    if args.tpch is not None:
        if args.rows is not None or args.seed is not None:
            raise ConfigError("--rows and --seed apply to a spec; size TPC-H by its scale factor (--tpch SF)")
        manifests = write_tpch(args.tpch, sink)
    else:
        spec = load_spec(args.spec).with_changes(rows=args.rows, seed=args.seed)
        manifests = {spec.name: write_dataset(spec, sink)}
    for manifest in manifests.values():
        sink.put(f"{manifest.dataset}/manifest.json", manifest.to_json().encode("utf-8"))
    # One JSON value on stdout, so a script can parse it whole: a manifest, or TPC-H's by table.
    documents = {name: json.loads(manifest.to_json()) for name, manifest in manifests.items()}
    print(json.dumps(documents if args.tpch is not None else documents[spec.name], indent=2))
    return 0


def _datagen_table(args: argparse.Namespace) -> int:
    if args.s3_endpoint is None:
        raise ConfigError("--table writes Iceberg and Delta tables into S3; give --s3-endpoint, not --out")
    if args.rows is not None:
        raise ConfigError("--rows applies to a dataset spec; a table history takes its rows by its steps")
    bucket = validate_bucket_name(args.bucket)
    endpoint = S3Endpoint(args.s3_endpoint)
    table_spec, dataset = load_table_spec(args.table, DEFAULT_DATASETS_DIR)
    if args.seed is not None:
        dataset = dataset.with_changes(seed=args.seed)
    manifest = write_loaded_history(table_spec, dataset, endpoint, bucket, args.catalog, prefix=args.prefix)
    key = "/".join(
        part for part in (args.prefix.strip("/"), "tables/manifests", f"{manifest.name}.json") if part
    )
    endpoint.client().put_object(Bucket=bucket, Key=key, Body=manifest.to_json().encode("utf-8"))
    print(manifest.to_json())
    return 0


def _engine_check(args: argparse.Namespace) -> int:
    engine = load_definition(args.definition).engine
    nodes = {
        node: {
            "role": role.name,
            "listener": engine.listener_of(node),
            "ports": {port.name: port.container for port in role.ports},
        }
        for role in engine.roles
        for node in role.node_names
    }
    print(
        json.dumps(
            {"name": engine.name, "image": engine.image, "driver": engine.driver, "nodes": nodes}, indent=2
        )
    )
    return 0


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM and SIGINT take the same path, so the lab's teardown runs either way.
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """SIGINT and SIGTERM stop the lab, set explicitly: a background job of a non-interactive
    shell starts with SIGINT ignored, and Python then installs no Ctrl-C handler of its own."""
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _raise_keyboard_interrupt)


def _lab_up(args: argparse.Namespace) -> int:
    if args.nodes < 0:
        raise ConfigError(f"--nodes must be 0 or more, got {args.nodes}")
    if args.ready_file is not None and not args.ready_file.parent.is_dir():
        # Found out before the lab starts, not once it is up and the file cannot be written.
        raise ConfigError(f"--ready-file {args.ready_file}: there is no directory {args.ready_file.parent}")
    readers = ("coordinator", *(f"node-{index}" for index in range(1, args.nodes + 1)))
    settings = LabSettings(
        output_dir=args.output_dir,
        readers=readers,
        bucket=configured_bucket(args.bucket),
        s3_port=args.s3_port,
        control_port=args.control_port,
        reader_ports=dict(args.reader_port),
        start_timeout=args.start_timeout,
        cluster=args.cluster,
        dask_scheduler=args.dask_scheduler,
        engine_defects=tuple(name.strip() for name in args.engine_defects.split(",") if name.strip()),
        existing_store=ExistingStore.configured(args.store_endpoint, args.store_region),
        proxy_host=args.proxy_host,
    )
    _stop_on_signals()
    stopped = threading.Event()
    with Lab(settings) as lab:
        # From the ready file on, a stop signal is the normal way out: it must find the handler
        # below in place, even when it comes the instant the file exists.
        try:
            # The user's own terminal (or the file they named) gets the credentials; logs never do.
            description = lab.describe(reveal_credentials=True)
            description["started_in_s"] = round(lab.started_in or 0.0, 3)
            text = json.dumps(description, indent=2)
            print(text, flush=True)
            if args.ready_file:
                write_private_text(args.ready_file, text)
            print("lab is up; press Ctrl-C to stop", file=sys.stderr, flush=True)
            while not stopped.wait(_HEALTH_INTERVAL_S):
                if (problem := lab.health_problem()) is not None:
                    raise LakeproofError(problem)
        except KeyboardInterrupt:
            print("stopping the lab", file=sys.stderr, flush=True)
    return 0


def _failure(exc: Exception) -> tuple[str, int]:
    """The one line and exit code for an error: the user's to fix (2), or the kit's own fault (1)."""
    if isinstance(exc, LakeproofError):
        return str(exc), USAGE_EXIT
    if isinstance(exc, BotoCoreError | ClientError):
        # An unreachable endpoint or a refused upload: botocore's message names the URL or the bucket.
        return f"object store request failed: {exc}", USAGE_EXIT
    if isinstance(exc, OSError):
        # A path that cannot be written or read (a file where a directory should be, no permission).
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror or exc}; check the path and its permissions", USAGE_EXIT
    if os.environ.get("LAKEPROOF_TRACEBACK"):
        traceback.print_exception(exc)
    return (
        f"internal error ({type(exc).__name__}: {exc}); this is a bug in lakeproof, please report it "
        "(LAKEPROOF_TRACEBACK=1 shows the traceback)",
        INTERNAL_EXIT,
    )


def _matrix(args: argparse.Namespace) -> int:
    """``lakeproof matrix``: write capability-matrix.json beside the output and print the table."""
    matrix = matrix_from_output(args.output, args.engine)
    path = matrix.write(args.output if args.output.is_dir() else args.output.parent)
    counts = outcome_counts(matrix)
    print(f"Capabilities of engine {matrix.engine}:\n\n{matrix.markdown()}\n")
    print(", ".join(f"{count} {outcome}" for outcome, count in counts.items()) + f"; written to {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lakeproof`` command."""
    args = _build_parser().parse_args(argv)
    try:
        commands = {"lab": _lab_up, "engine": _engine_check, "matrix": _matrix, "datagen": _datagen}
        return commands[args.command](args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message, code = _failure(exc)
        print(f"lakeproof: error: {' '.join(message.split())}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
