"""Iceberg and Delta table histories written into S3 from dataset specs; engine-independent.

Spec format (``data/tables/*.yaml``; unknown fields are errors)::

    name: orders               # lowercase [a-z0-9_]; the table's folder name
    dataset: sales             # rows and columns from data/datasets/sales.yaml
    seed: 11                   # optional: overrides the dataset's seed
    columns: [id, region, qty] # the table's first columns (default: every dataset column)
    narrow: {qty: int}         # optional: write a bigint as int, a double as float (to widen later)
    key: id                    # the column equality deletes match on
    formats: [iceberg, delta]  # default both
    partition_by: [region]     # optional: identity partitions by column values
    target_file_size: 16384    # Delta's data file size in bytes (Iceberg: files per step)
    steps:                     # each a snapshot (Iceberg) or version (Delta); formats: [...] limits one
      - {step: append, rows: 1000, files: 3}    # the dataset's next rows, in that many files
      - {step: overwrite, rows: 500}            # the whole table replaced by the next rows
      - {step: delete, where: "qty > 90", mode: position}  # position | equality | copy_on_write
      - {step: add_column, column: price}       # old rows read NULL, later appends carry it
      - {step: rename_column, column: qty, to: quantity}   # Iceberg only
      - {step: drop_column, column: discount}   # Iceberg only
      - {step: widen_column, column: qty, to: bigint}      # int->bigint, float->double; Iceberg only
      - {step: partition_by, partition_by: [day]}   # Iceberg partition spec evolution ([]: none)
      - {step: compact, files: 1}               # live rows rewritten into fewer files
      - {step: expire, keep_last: 2}            # Iceberg expire snapshots; Delta vacuum

A step a format cannot do is refused with one line naming the step and the format.
"""

from lakeproof.tables.history import DEFAULT_DATASETS_DIR, table_root, write_history, write_loaded_history
from lakeproof.tables.manifest import DeleteFileInfo, SnapshotInfo, TableInfo, TableManifest
from lakeproof.tables.spec import TABLE_FORMATS, TableFormat, TableSpec, load_table_spec

__all__ = [
    "DEFAULT_DATASETS_DIR",
    "TABLE_FORMATS",
    "DeleteFileInfo",
    "SnapshotInfo",
    "TableFormat",
    "TableInfo",
    "TableManifest",
    "TableSpec",
    "load_table_spec",
    "table_root",
    "write_history",
    "write_loaded_history",
]
