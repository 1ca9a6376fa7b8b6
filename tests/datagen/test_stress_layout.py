"""Many small files: file weights spread rows unevenly, and NDJSON encodes them all at once."""

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from lakeproof.datagen import DatasetSpec, encode, file_row_counts, generate_tables, load_spec
from lakeproof.datagen.encode import encode_files
from lakeproof.errors import ConfigError

from .helpers import DATASETS


def _spec(**fields: object) -> DatasetSpec:
    return DatasetSpec.model_validate(
        {
            "name": "weights",
            "seed": 1,
            "rows": 190,
            "files": 5,
            "columns": [{"name": "id", "type": "bigint", "generator": "sequence"}],
            **fields,
        }
    )


def test_file_weights_repeat_over_the_files_in_order() -> None:
    # Weights 1, 4, 1, 4, 1 (sum 11) over 190 rows, plus one empty file.
    assert file_row_counts(_spec(file_weights=[1, 4], empty_files=1)) == [17, 69, 17, 69, 18, 0]


def test_size_skew_replaces_the_weight_of_its_file() -> None:
    counts = file_row_counts(_spec(rows=160, file_weights=[1, 2], size_skew={"file": 4, "factor": 10}))
    assert counts == [10, 20, 10, 20, 100]


@pytest.mark.parametrize("weights", ["[1, -1]", "[0, 0]", "[1, .nan]"])
def test_file_weights_must_be_non_negative_with_one_positive(
    write_spec: Callable[..., Path], weights: str
) -> None:
    path = write_spec(
        f"name: w\nseed: 1\nrows: 10\nfile_weights: {weights}\ncolumns:\n  - {{name: id, type: int}}\n"
    )
    with pytest.raises(
        ConfigError, match=r"spec.yaml:4: file_weights: .*must be numbers >= 0 with at least one"
    ):
        load_spec(path)


def test_a_zero_weight_is_an_empty_file_in_its_place(write_spec: Callable[..., Path]) -> None:
    path = write_spec(
        "name: w\nseed: 1\nrows: 12\nfiles: 5\nfile_weights: [0, 1, 0, 2]\n"
        "columns:\n  - {name: id, type: int}\n"
    )
    # Weights repeat over the files: 0, 1, 0, 2, 0 -> 12 rows split 1:2 over files 1 and 3.
    assert file_row_counts(load_spec(path)) == [0, 4, 0, 8, 0]


@pytest.mark.parametrize("spec_name", ["mixed_types", "edge_values"])
def test_ndjson_encoded_together_is_byte_identical_to_one_file_at_a_time(spec_name: str) -> None:
    spec = load_spec(DATASETS / f"{spec_name}.yaml").with_changes(rows=3000)
    tables = generate_tables(spec)
    assert encode_files(tables, "ndjson") == [encode(table, "ndjson") for table in tables]


def test_ndjson_of_empty_tables_is_empty() -> None:
    empty = pa.table({"id": pa.array([], pa.int64())})
    one = pa.table({"id": pa.array([7], pa.int64())})
    assert encode_files([empty, one, empty], "ndjson") == [b"", b'{"id":7}\n', b""]
