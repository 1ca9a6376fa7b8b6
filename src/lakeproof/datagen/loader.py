"""Load a dataset spec from YAML, reporting any problem as one ``file:line: field: what to do`` line."""

from pathlib import Path

from lakeproof.datagen.spec import DatasetSpec
from lakeproof.specfile import load_document


def load_spec(path: str | Path) -> DatasetSpec:
    """Read and validate the dataset spec at `path`.

    Raises ConfigError with a one-line message naming the file, line and field.
    """
    return load_document(path, DatasetSpec, "dataset spec", "name: ..., seed: ..., columns: ...").model
