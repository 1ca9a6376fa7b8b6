"""Fixtures for datagen tests: spec files and a written edge-value dataset.

The real S3 endpoint (`moto_endpoint`) and per-test key prefixes come from ``tests/conftest.py``.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from lakeproof.datagen import LocalSink, Manifest, load_spec, write_dataset

from .helpers import DATASETS


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    """Write YAML text to a spec file under tmp_path and return its path."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def edge_manifest(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """The edge_values dataset written locally once for all round-trip tests."""
    spec = load_spec(DATASETS / "edge_values.yaml")
    return write_dataset(spec, LocalSink(tmp_path_factory.mktemp("edge")))
