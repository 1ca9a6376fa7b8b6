"""Files written into a dataset after the fact: added, overwritten, deleted, and the manifest that follows."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from lakeproof.datagen import LocalSink, free_file_index, load_spec, write_dataset, write_file

from .helpers import SMALL_SPEC, read_back


def test_added_overwritten_and_deleted_files_keep_the_manifest_true(tmp_path: Path) -> None:
    spec_path = tmp_path / "small.yaml"
    spec_path.write_text(SMALL_SPEC)
    spec = load_spec(spec_path)
    sink = LocalSink(tmp_path / "out")
    manifest = write_dataset(spec, sink)  # 1000 rows in two files per format
    assert free_file_index(manifest) == 2

    added = write_file(spec, 2, sink, rows=30, seed=5)
    assert [obj.key for obj in added] == [
        f"small/{fmt}/part-0002.{fmt}" for fmt in ("parquet", "csv", "ndjson")
    ]
    manifest = manifest.with_objects(added)
    assert manifest.total_rows == 1030
    for fmt in manifest.formats:
        assert len(read_back(manifest, fmt)) == 1030

    old_footer = pq.read_metadata(manifest.objects_of("parquet")[0].uri)
    manifest = manifest.with_objects(write_file(spec, 0, sink, rows=9, seed=6))
    assert manifest.total_rows == 500 + 30 + 9
    assert pq.read_metadata(manifest.objects_of("parquet")[0].uri).num_rows == 9 != old_footer.num_rows

    removed = [obj.key for obj in manifest.objects if "/part-0001." in obj.key]
    manifest = manifest.with_objects(removed=removed)
    assert [len(manifest.objects_of(fmt)) for fmt in manifest.formats] == [2, 2, 2]
    assert manifest.total_rows == 9 + 30
    assert free_file_index(manifest) == 1
