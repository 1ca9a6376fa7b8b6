"""Keywords that create datasets in the lab's object store and read them back through readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from robot.api import logger
from robotlibcore import keyword

from Lakeproof.context import LabContext
from lakeproof.datagen import FORMATS, DatasetSpec, Format, Manifest, ObjectInfo, free_file_index, load_spec
from lakeproof.errors import ConfigError
from Lakeproof.html_log import log_table

# Dataset names resolve to the project's spec files; a path works too.
DATASETS_DIR = Path(__file__).resolve().parents[2] / "data" / "datasets"


def resolve_spec_path(spec: str) -> Path:
    """``smoke`` -> ``data/datasets/smoke.yaml``; anything with a suffix or a slash is a path."""
    if spec.endswith((".yaml", ".yml")) or "/" in spec:
        return Path(spec)
    path = DATASETS_DIR / f"{spec}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(found.stem for found in DATASETS_DIR.glob("*.yaml")))
        raise ConfigError(f"unknown dataset {spec!r}: there is no {path}; known datasets: {known}")
    return path


class DatasetKeywords:
    """Create seeded datasets and prove they read back completely."""

    def __init__(self, context: LabContext):
        self.context = context

    def _manifest(self, dataset: str) -> Manifest:
        manifest = self.context.datasets.get(dataset)
        if manifest is None:
            known = ", ".join(sorted(self.context.datasets)) or "none yet"
            raise AssertionError(
                f"dataset {dataset!r} was not created in this lab (created: {known}); "
                "call 'Create Dataset' first"
            )
        return manifest

    def _object(self, dataset: str, format: Format, index: int) -> ObjectInfo:
        objects = self._manifest(dataset).objects_of(format)
        if not 0 <= index < len(objects):
            raise AssertionError(
                f"dataset {dataset!r} has {len(objects)} {format} files; index {index} is out of range"
            )
        return objects[index]

    @keyword
    def create_dataset(self, spec: str, rows: int | None = None) -> dict[str, Any]:
        """Generates the dataset ``spec`` and uploads it under this run's prefix.

        ``spec`` is a name from ``data/datasets/`` (``smoke`` for ``smoke.yaml``) or a path to a
        YAML spec. ``rows`` overrides the spec's row count. The same spec and seed always give
        byte-identical objects. Returns the manifest as a dictionary: ``dataset``,
        ``total_rows``, ``objects`` (each with ``key``, ``uri``, ``format``, ``size``, ``rows``,
        ``sha256``) and ``columns`` per format; logs the objects as a table.

        Example:
        | ${manifest}=    `Create Dataset`    smoke
        | Should Be Equal As Integers    ${manifest}[total_rows]    3000
        """
        loaded = load_spec(resolve_spec_path(spec))  # a bad spec is the first thing to hear of
        if rows is not None:
            loaded = loaded.with_changes(rows=rows)
        manifest = self.context.require_lab().create_dataset(loaded)
        self.context.datasets[manifest.dataset] = manifest
        self.context.specs[manifest.dataset] = loaded
        objects = len(manifest.objects)
        log_table(
            f"Dataset {manifest.dataset}: {manifest.total_rows} rows per format in {objects} objects",
            ["object", "format", "rows", "bytes", "sha256"],
            [[obj.uri, obj.format, obj.rows, obj.size, obj.sha256[:12]] for obj in manifest.objects],
        )
        return manifest.model_dump(mode="json")

    def _spec(self, dataset: str) -> DatasetSpec:
        self._manifest(dataset)
        spec = self.context.specs.get(dataset)
        if spec is None:
            raise AssertionError(
                f"dataset {dataset!r} was not made from a spec (TPC-H?): its files cannot be rewritten"
            )
        return spec

    def _written(self, dataset: str, objects: list[ObjectInfo], removed: list[str], what: str) -> None:
        manifest = self._manifest(dataset).with_objects(objects, removed)
        self.context.datasets[dataset] = manifest
        log_table(
            f"{what}; {dataset} now holds {manifest.total_rows} rows per format",
            ["object", "format", "rows", "bytes"],
            [[obj.uri, obj.format, obj.rows, obj.size] for obj in objects]
            + [[key, "deleted", "", ""] for key in removed],
        )

    @keyword
    def add_dataset_file(self, dataset: str, rows: int, seed: int = 1) -> int:
        """Writes one more file of ``dataset`` in each of its formats, under the globs that read it.

        The file holds ``rows`` rows drawn from the dataset's spec with ``seed`` (a sequence
        column counts from 0 again) and takes the first free file number. The dataset's manifest
        (`Get Dataset Manifest`, ``total_rows``) follows. Returns the new file's index.

        Example:
        | ${index}=    `Add Dataset File`    smoke    rows=120    seed=7
        """
        spec = self._spec(dataset)
        index = free_file_index(self._manifest(dataset))
        objects = self.context.require_lab().write_dataset_file(spec, index, rows=rows, seed=seed)
        self._written(dataset, objects, [], f"Added file {index} of {rows} rows")
        return index

    @keyword
    def overwrite_dataset_file(self, dataset: str, index: int, rows: int, seed: int = 1) -> None:
        """Writes file ``index`` of ``dataset`` anew in each of its formats: same keys, other contents.

        The new version holds ``rows`` rows drawn from the dataset's spec with ``seed``, so its
        size, and for Parquet its row groups and footer, differ from the old one.

        Example:
        | `Overwrite Dataset File`    smoke    0    rows=450    seed=8
        """
        spec = self._spec(dataset)
        for fmt in spec.formats:
            self._object(dataset, fmt, index)
        objects = self.context.require_lab().write_dataset_file(spec, index, rows=rows, seed=seed)
        self._written(dataset, objects, [], f"Overwrote file {index} with {rows} rows")

    @keyword
    def delete_dataset_file(self, dataset: str, index: int) -> None:
        """Deletes file ``index`` (in file order, as `Get Dataset Uri` counts) of ``dataset`` in each format.

        Example:
        | `Delete Dataset File`    smoke    1
        """
        manifest = self._manifest(dataset)
        keys = [self._object(dataset, fmt, index).key for fmt in manifest.formats]
        lab = self.context.require_lab()
        for key in keys:
            lab.delete_object(key)
        self._written(dataset, [], keys, f"Deleted file {index}")

    @keyword("Create TPC-H Dataset")
    def create_tpch_dataset(
        self, scale_factor: float = 0.01, formats: str = "parquet,csv", files: int = 1
    ) -> dict[str, str]:
        """Generates the eight TPC-H tables with DuckDB's dbgen and uploads them under this run's prefix.

        ``formats`` is a comma-separated list of ``parquet``, ``csv`` and ``ndjson``. Each table
        becomes a dataset named after it (``lineitem``, ``orders``, ...) that the other dataset
        keywords accept; creating TPC-H again replaces them. ``files`` splits every table into
        that many objects, so its scans spread over the nodes. DuckDB's official answers exist
        for scale factors 0.01, 0.1 and 1. Returns each table's object glob for the first format.

        Example:
        | ${tables}=    `Create TPC-H Dataset`    scale_factor=0.01    formats=parquet
        | Log    ${tables}[lineitem]
        """
        names = [name.strip() for name in formats.split(",") if name.strip()]
        if not names or set(names) - set(FORMATS):
            raise ConfigError(f"formats {formats!r}: use a comma-separated list of {', '.join(FORMATS)}")
        chosen = cast("list[Format]", names)
        manifests = self.context.require_lab().create_tpch(scale_factor, formats=chosen, files=files)
        self.context.tpch_scale_factor = scale_factor
        self.context.datasets.update(manifests)
        log_table(
            f"TPC-H at scale factor {scale_factor:g}",
            ["table", "rows", "objects", "location"],
            [[name, m.total_rows, len(m.objects), m.glob(chosen[0])] for name, m in manifests.items()],
        )
        return {name: manifest.glob(chosen[0]) for name, manifest in manifests.items()}

    @keyword
    def get_dataset_object_key(self, dataset: str, format: Format, index: int = 0) -> str:
        """Returns the full object key of file ``index`` of ``dataset`` in ``format``.

        Handy to aim a fault at one object.

        Example:
        | ${key}=    `Get Dataset Object Key`    smoke    parquet    index=1
        | `Inject Fault`    slowdown_503    key=${key}    times=2
        """
        return self._object(dataset, format, index).uri.split("/", 3)[3]

    @keyword
    def get_dataset_manifest(self, dataset: str) -> dict[str, Any]:
        """Returns the manifest of ``dataset`` (created in this lab) as a dictionary.

        Example:
        | ${manifest}=    `Get Dataset Manifest`    smoke
        | Log    ${manifest}[total_rows]
        """
        return self._manifest(dataset).model_dump(mode="json")

    @keyword
    def get_dataset_scan(self, dataset: str, format: Format, index: int | None = None) -> str:
        """Returns the DuckDB table function call that reads every ``format`` file of ``dataset``.

        Column types are spelled out for CSV and NDJSON, so every reader parses the same way.
        With ``index``, the call reads only that file, named exactly (no glob, so nothing is listed).

        Example:
        | ${scan}=    `Get Dataset Scan`    smoke    csv
        | ${result}=    `Run Query`    SELECT count(*) FROM ${scan}
        | ${one}=    `Get Dataset Scan`    smoke    parquet    index=1
        """
        source = None if index is None else self._object(dataset, format, index).uri
        return self._manifest(dataset).duckdb_scan(format, source=source)

    @keyword
    def get_dataset_uri(self, dataset: str, format: Format, index: int | None = None) -> str:
        """Returns the ``s3://`` URI of one file of ``dataset`` in ``format``, or the glob of all of them.

        ``index`` picks the file; without it the glob is returned. Engines name objects (and
        listings) this way in their error messages.

        Example:
        | ${glob}=    `Get Dataset Uri`    smoke    csv
        | ${uri}=    `Get Dataset Uri`    smoke    csv    index=2
        """
        if index is None:
            return self._manifest(dataset).glob(format)
        return self._object(dataset, format, index).uri

    @keyword
    def count_rows_through_reader(self, dataset: str, format: Format, reader: str = "coordinator") -> int:
        """Returns the number of rows DuckDB reads from all ``format`` files of ``dataset`` via ``reader``.

        The read goes through ``reader``'s fault proxy listener, so injected faults apply.

        Example:
        | ${rows}=    `Count Rows Through Reader`    smoke    csv    reader=node-1
        """
        manifest = self._manifest(dataset)
        return self._count(manifest.duckdb_scan(format), reader)

    def _count(self, scan: str, reader: str) -> int:
        # ``scan`` is built by the manifest from its own object URIs, not from user text.
        result = self.context.oracle(reader).query(f"SELECT count(*) AS n FROM {scan}")  # noqa: S608
        return int(result.column("n")[0].as_py())

    @keyword
    def dataset_should_read_back_completely(
        self, dataset: str, format: Format, reader: str = "coordinator"
    ) -> None:
        """Fails unless every ``format`` file of ``dataset`` reads back through ``reader`` with its rows.

        Each object is read on its own and its row count compared with the manifest; the log
        shows a table of expected and read rows per object.

        Example:
        | `Dataset Should Read Back Completely`    smoke    ndjson    reader=node-2
        """
        manifest = self._manifest(dataset)
        rows = []
        for obj in manifest.objects_of(format):
            read = self._count(manifest.duckdb_scan(format, source=obj.uri), reader)
            rows.append([obj.uri, obj.rows, read, "ok" if read == obj.rows else "MISMATCH"])
        log_table(
            f"{dataset} ({format}) read through {reader}",
            ["object", "expected rows", "read rows", "verdict"],
            rows,
        )
        wrong = [row for row in rows if row[3] != "ok"]
        if wrong:
            details = "; ".join(
                f"{uri}: expected {expected}, read {read}" for uri, expected, read, _ in wrong
            )
            raise AssertionError(
                f"{len(wrong)} of {len(rows)} {format} objects read back wrong through {reader}: {details}"
            )
        logger.info(f"all {len(rows)} {format} objects of {dataset} read back completely through {reader}")
