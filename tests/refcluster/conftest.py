"""A real cluster per test module: coordinator and three data nodes, each behind its own proxy
listener, with the smoke dataset; each test starts and ends without fault rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeproof.datagen import Manifest, load_spec
from lakeproof.lab import Lab, LabSettings
from lakeproof.refcluster.client import CoordinatorClient

DATASETS = Path(__file__).resolve().parents[2] / "data" / "datasets"
READERS = ("coordinator", "node-1", "node-2", "node-3")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The module's lab; modules that need another lab define their own ``lab``."""
    output = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    with Lab(LabSettings(output_dir=output, readers=READERS, cluster=True)) as running:
        yield running


@pytest.fixture(scope="module")
def smoke(lab: Lab) -> Manifest:
    """The smoke dataset (three files of every format) in the module's lab."""
    return lab.create_dataset(load_spec(DATASETS / "smoke.yaml"))


@pytest.fixture
def client(lab: Lab) -> Iterator[CoordinatorClient]:
    """A client of the lab's coordinator; fault rules are cleared before and after the test."""
    lab.control.clear_rules()
    yield lab.coordinator_client()
    lab.control.clear_rules()
