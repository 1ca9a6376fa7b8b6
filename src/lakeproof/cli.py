"""``lakeproof`` command line: run the lab by hand, generate datasets.

Errors the user can fix are printed as one line (``lakeproof: error: ...``) with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from botocore.exceptions import BotoCoreError, ClientError

from lakeproof.datagen import LocalSink, S3Sink, load_spec, write_dataset, write_tpch
from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.lab import Lab, LabSettings
from lakeproof.objectstore import S3Endpoint, validate_bucket_name

_HEALTH_INTERVAL_S = 1.0


def _reader_port(text: str) -> tuple[str, int]:
    name, sep, port = text.partition("=")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PORT (for example node-1=9101), got {text!r}")
    return name, int(port)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakeproof",
        description="Acceptance-test kit for distributed query engines over S3 data: lab and data tools.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lab = commands.add_parser("lab", help="run the embedded lab by hand")
    lab_commands = lab.add_subparsers(dest="lab_command", required=True, metavar="LAB_COMMAND")
    up = lab_commands.add_parser(
        "up",
        help="start object store, fault proxy and reference cluster, print endpoints, run until Ctrl-C",
        description="Start the embedded lab on 127.0.0.1 (object store, fault proxy and, unless "
        "--no-cluster, the reference cluster: a coordinator and Dask data nodes), print its endpoints and "
        "credential placeholders as JSON, and keep it running until Ctrl-C or SIGTERM; then stop everything.",
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
    up.add_argument("--bucket", default="lake", help="bucket to create (default: lake)")
    up.add_argument("--s3-port", type=int, default=0, help="object store port (default: 0 = a free port)")
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
        type=float,
        default=30.0,
        help="seconds each component may take to become ready (default: 30)",
    )

    datagen = commands.add_parser(
        "datagen",
        help="generate a dataset from a YAML spec (or TPC-H), locally or into S3",
        description="Generate the dataset described by SPEC (a YAML file such as data/datasets/smoke.yaml), "
        "or TPC-H with --tpch, as Parquet / CSV / NDJSON objects. The same spec and seed always give "
        "byte-identical objects. Prints each manifest (objects, sizes, row counts, checksums) as JSON "
        "and writes it beside the objects as <dataset>/manifest.json.",
    )
    source = datagen.add_mutually_exclusive_group(required=True)
    source.add_argument("spec", nargs="?", type=Path, metavar="SPEC", help="path of the dataset spec (YAML)")
    source.add_argument(
        "--tpch",
        type=float,
        metavar="SF",
        help="generate the 8 TPC-H tables at this scale factor instead (e.g. 0.01)",
    )
    target = datagen.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="write the objects under this local directory")
    target.add_argument(
        "--s3-endpoint",
        metavar="URL",
        help="upload to this S3 endpoint instead, e.g. the object_store URL 'lab up' printed",
    )
    datagen.add_argument("--bucket", default="lake", help="bucket for --s3-endpoint (default: lake)")
    datagen.add_argument("--prefix", default="", help="key prefix for --s3-endpoint (default: none)")
    datagen.add_argument("--rows", type=int, help="override the spec's row count")
    datagen.add_argument("--seed", type=int, help="override the spec's seed")
    return parser


def _datagen(args: argparse.Namespace) -> int:
    sink: LocalSink | S3Sink
    if args.out is not None:
        sink = LocalSink(args.out)
    else:
        sink = S3Sink(S3Endpoint(args.s3_endpoint).client(), validate_bucket_name(args.bucket), args.prefix)
    if args.tpch is not None:
        manifests = list(write_tpch(args.tpch, sink).values())
    else:
        spec = load_spec(args.spec).with_changes(rows=args.rows, seed=args.seed)
        manifests = [write_dataset(spec, sink)]
    for manifest in manifests:
        text = manifest.to_json()
        sink.put(f"{manifest.dataset}/manifest.json", text.encode("utf-8"))
        print(text)
    return 0


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same path as Ctrl-C, so the lab's teardown runs either way.
    raise KeyboardInterrupt


def _lab_up(args: argparse.Namespace) -> int:
    if args.nodes < 0:
        raise ConfigError(f"--nodes must be 0 or more, got {args.nodes}")
    readers = ("coordinator", *(f"node-{index}" for index in range(1, args.nodes + 1)))
    settings = LabSettings(
        output_dir=args.output_dir,
        readers=readers,
        bucket=args.bucket,
        s3_port=args.s3_port,
        control_port=args.control_port,
        reader_ports=dict(args.reader_port),
        start_timeout=args.start_timeout,
        cluster=args.cluster,
        dask_scheduler=args.dask_scheduler,
        engine_defects=tuple(name.strip() for name in args.engine_defects.split(",") if name.strip()),
    )
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    stopped = threading.Event()
    with Lab(settings) as lab:
        description = lab.describe()
        description["started_in_s"] = round(lab.started_in or 0.0, 3)
        text = json.dumps(description, indent=2)
        print(text, flush=True)
        if args.ready_file:
            args.ready_file.write_text(text, encoding="utf-8")
        print("lab is up; press Ctrl-C to stop", file=sys.stderr, flush=True)
        try:
            while not stopped.wait(_HEALTH_INTERVAL_S):
                if (problem := lab.health_problem()) is not None:
                    raise LakeproofError(problem)
        except KeyboardInterrupt:
            print("stopping the lab", file=sys.stderr, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lakeproof`` command."""
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "lab":
            return _lab_up(args)
        if args.command == "datagen":
            return _datagen(args)
    except LakeproofError as exc:
        print(f"lakeproof: error: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        # An unreachable endpoint or a refused upload: botocore's message names the URL or the bucket.
        print(f"lakeproof: error: object store request failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
