"""Keywords that write small Iceberg and Delta tables into the lab and name their metadata objects,
so a suite can aim faults at a metadata JSON, a manifest list, a manifest, a delete file or a Delta
commit. (The table histories of ``data/tables/`` are the table writer's; these are fixed and small.)"""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from deltalake import write_deltalake
from robot.api import logger
from robotlibcore import keyword

from Lakeproof.context import LabContext
from lakeproof.engines.base import Capability
from lakeproof.tables.delta import storage_options
from lakeproof.tables.iceberg import NAMESPACE, lab_catalog, row_delta, write_version_hint

TableFormat = Literal["iceberg", "delta"]
_ROW_GROUP_ROWS = 10  # files of several row groups: a position delete lands in a later one


def _rows(first: int, count: int) -> pa.Table:
    ids = list(range(first, first + count))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "city": pa.array([["oslo", "lima", "pune"][i % 3] for i in ids], pa.string()),
            "amount": pa.array([i * 1.25 for i in ids], pa.float64()),
        }
    )


class SmallTableKeywords:
    """Write small tables into the lab and name their metadata objects."""

    def __init__(self, context: LabContext):
        self.context = context

    @keyword
    def create_small_table(self, format: TableFormat, name: str) -> dict[str, Any]:
        """Writes table ``name`` in ``format`` under the lab's prefix and returns what a suite aims at.

        Iceberg (``tables/iceberg/<name>``): two appends of 40 rows (files of four row groups), a
        position delete file (rows 3 and 12 of the first file) and an equality delete file (city
        ``pune``). Returned: ``scan`` (the ``iceberg_scan(...)`` call), ``root``, and the object keys
        ``metadata_json``, ``manifest_list``, ``manifest`` (of the first data file),
        ``position_deletes`` and ``equality_deletes``, and the ``bucket`` they are in; ``snapshots``
        (the ids, ascending), ``current_snapshot`` and ``first_commit_at`` (UTC, to the millisecond).

        Delta (``tables/delta/<name>``): two commits of 40 rows. Returned: ``scan``, ``root`` and
        ``commit``, the key of the second commit's JSON.

        Example:
        | &{table}=    `Create Small Table`    iceberg    facts
        | `Inject Fault`    slowdown_503    key=${table.manifest_list}    times=2
        """
        self.context.engine(Capability.TABLE_FORMATS)
        lab = self.context.require_lab()
        root = f"s3://{lab.bucket}/{lab.prefix}/tables/{format}/{name}"
        if format == "iceberg":
            table = self._iceberg(root)
        else:
            write_deltalake(root, _rows(0, 40), storage_options=storage_options(lab.s3))
            write_deltalake(root, _rows(40, 40), mode="append", storage_options=storage_options(lab.s3))
            table = {"commit": f"{lab.prefix}/tables/delta/{name}/_delta_log/{1:020d}.json"}
        described = {"scan": f"{format}_scan('{root}')", "root": root, "bucket": lab.bucket, **table}
        logger.info(f"Table {name}: {described}")
        return described

    def _iceberg(self, root: str) -> dict[str, str]:
        lab = self.context.require_lab()
        with tempfile.TemporaryDirectory(prefix="lakeproof-catalog-") as folder:
            catalog = lab_catalog(Path(folder) / "catalog.db", lab.s3, f"file://{folder}")
            properties = {"write.parquet.row-group-limit": str(_ROW_GROUP_ROWS)}
            table = catalog.create_table(
                f"{NAMESPACE}.t", schema=_rows(0, 1).schema, location=root, properties=properties
            )
            table.append(_rows(0, 40))
            write_version_hint(table)
            (first_manifest,) = table.inspect.manifests()["path"].to_pylist()
            table.append(_rows(40, 40))
            row_delta(table, "id IN (3, 12)", "position", None)  # rows 3 and 12 of the first file
            row_delta(table, "city = 'pune'", "equality", "city")
            write_version_hint(table)
            deletes = table.inspect.delete_files()
            kinds = dict(zip(deletes["content"].to_pylist(), deletes["file_path"].to_pylist(), strict=True))
            snapshot = table.current_snapshot()
            assert snapshot is not None
            first = min(table.snapshots(), key=lambda s: s.timestamp_ms)
            history = {
                "snapshots": sorted(s.snapshot_id for s in table.snapshots()),
                "current_snapshot": snapshot.snapshot_id,
                # Milliseconds, UTC: how Iceberg keeps commit times.
                "first_commit_at": datetime.datetime.fromtimestamp(
                    first.timestamp_ms / 1000, datetime.UTC
                ).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            }
            uris = {
                "metadata_json": table.metadata_location,
                "manifest_list": snapshot.manifest_list,
                "manifest": first_manifest,
                "position_deletes": kinds[1],
                "equality_deletes": kinds[2],
            }
        prefix = f"s3://{lab.bucket}/"
        return {**history, **{name: uri.removeprefix(prefix) for name, uri in uris.items()}}

    @keyword
    def set_iceberg_format_version(self, table: dict[str, Any], version: int) -> None:
        """Makes ``table`` (from `Create Small Table`) declare format ``version``: a copy of its current
        metadata JSON saying so becomes the current one (the version hint names it).

        Example:
        | `Set Iceberg Format Version`    ${table}    3
        """
        lab = self.context.require_lab()
        client = lab.s3.client()
        metadata = json.loads(client.get_object(Bucket=lab.bucket, Key=table["metadata_json"])["Body"].read())
        metadata["format-version"] = version
        folder = table["metadata_json"].rsplit("/", 1)[0]
        stem = f"99999-format-version-{version}"
        client.put_object(
            Bucket=lab.bucket, Key=f"{folder}/{stem}.metadata.json", Body=json.dumps(metadata).encode()
        )
        client.put_object(Bucket=lab.bucket, Key=f"{folder}/version-hint.text", Body=stem.encode())
