"""State shared by the keyword classes of one library instance: the running lab and its datasets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from lakeproof.containers import ContainerEngine
from lakeproof.datagen import DatasetSpec, Manifest
from lakeproof.engines.base import Capability, CapabilityMissing, Driver
from lakeproof.engines.known_differences import KnownDifference, differences_path, load_known_differences
from lakeproof.engines.reference import ReferenceDriver
from lakeproof.engines.settings import EngineSettings
from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.lab import Lab
from lakeproof.oracle import Oracle
from lakeproof.tables import TableManifest


def robot_output_dir() -> Path:
    """Robot Framework's output directory, or ``out`` when not run by Robot Framework."""
    try:
        return Path(BuiltIn().get_variable_value("${OUTPUT DIR}"))
    except RobotNotRunningError:
        return Path("out")


def timeout_seconds(timeout: timedelta) -> float:
    """``timeout`` in seconds; ConfigError unless it is above zero (a wait of no time never succeeds)."""
    seconds = timeout.total_seconds()
    if seconds <= 0:
        raise ConfigError(f"timeout {seconds:g} s must be above 0, e.g. 30 s")
    return seconds


def pabot_queue_index() -> str | None:
    """pabot's ``${PABOTQUEUEINDEX}`` of this worker (a Robot variable, not an environment
    variable), or None under plain robot."""
    try:
        index = BuiltIn().get_variable_value("${PABOTQUEUEINDEX}")
    except RobotNotRunningError:
        return None
    return None if index is None else str(index)


def pabot_instance_label() -> str:
    """A label unique per pabot process (PABOTQUEUEINDEX), ``run`` under plain robot."""
    index = pabot_queue_index()
    return f"pabot{index}" if index is not None else "run"


class EngineSpecific(LakeproofError):
    """A check speaks the reference engine's own wire protocol; another engine skips it."""

    def __init__(self, engine: str, what: str):
        super().__init__(f"engine '{engine}' is not the reference engine: {what} exists only there")


class KnownDifferenceSkip(LakeproofError):
    """A case the engine's known-differences file lists: skipped with the listed reason."""

    def __init__(self, engine: str, difference: KnownDifference):
        super().__init__(difference.skip_message(engine))


@dataclass
class LabContext:
    """The lab the keywords act on, and which suite started it (so its end can stop it)."""

    lab: Lab | None = None
    started_by_suite: str | None = None
    datasets: dict[str, Manifest] = field(default_factory=dict)
    specs: dict[str, DatasetSpec] = field(default_factory=dict)  # of the datasets made from a spec
    tables: dict[str, TableManifest] = field(default_factory=dict)  # table histories, by name
    oracles: dict[str, Oracle] = field(default_factory=dict)
    tpch_scale_factor: float | None = None
    driver: Driver | None = None
    engine_settings: EngineSettings = field(default_factory=EngineSettings)
    capabilities_used: set[Capability] = field(default_factory=set)
    """What the current test asked of the engine (the capability matrix reads it at its end)."""
    _known_differences: dict[str, KnownDifference] | None = None

    def engine(self, *needs: Capability) -> Driver:
        """The engine's driver, after noting ``needs`` for the matrix; CapabilityMissing if it lacks one."""
        if self.driver is None:
            self.require_lab()
            raise AssertionError("the lab runs no engine: start it with 'Start Lab' and cluster=True")
        self.capabilities_used.update(needs)
        for capability in needs:
            self.driver.require(capability)
        return self.driver

    def reference(self, what: str, *needs: Capability) -> ReferenceDriver:
        """The reference driver, for checks of its own HTTP API; EngineSpecific for another engine."""
        driver = self.engine(*needs)
        if not isinstance(driver, ReferenceDriver):
            raise EngineSpecific(driver.name, what)
        return driver

    @property
    def engine_name(self) -> str:
        """The engine's own name (its driver's), or the one asked for before a driver runs."""
        return self.driver.name if self.driver is not None else self.engine_settings.engine

    def known_types(self, case: str) -> Mapping[str, str]:
        """The column types the engine's known-differences file lists for ``case`` (empty if none);
        KnownDifferenceSkip if it lists ``case`` without types (the case cannot be compared)."""
        if self._known_differences is None:
            path = self.engine_settings.known_differences or differences_path(self.engine_name)
            self._known_differences = load_known_differences(path)
        difference = self._known_differences.get(case)
        if difference is None:
            return {}
        if not difference.types:
            raise KnownDifferenceSkip(self.engine_name, difference)
        logger.info(difference.types_message(self.engine_name))
        return difference.types

    def note_missing(self, missing: CapabilityMissing) -> None:
        """Record a capability a driver method found missing (the test is skipped for it)."""
        self.capabilities_used.add(missing.capability)

    containers: ContainerEngine | None = None  # an engine's nodes as containers, reading through the lab

    def require_lab(self) -> Lab:
        """The running lab, or an error that says to start one."""
        if self.lab is None:
            raise AssertionError("no lab is running: call 'Start Lab' in the suite setup first")
        return self.lab

    def oracle(self, reader: str | None = None) -> Oracle:
        """A DuckDB oracle kept for the lab's lifetime.

        It reads through ``reader``'s proxy listener, or with no reader straight from the object
        store, so faults injected for the engine never touch the independent answer.
        """
        key = reader or ""
        if key not in self.oracles:
            lab = self.require_lab()
            self.oracles[key] = Oracle(lab.reader_endpoint(reader) if reader else lab.s3)
        return self.oracles[key]

    def stop(self) -> None:
        """Close the engine's driver, stop the lab if one is running and forget its datasets and oracles."""
        driver, self.driver = self.driver, None
        lab, self.lab, self.started_by_suite = self.lab, None, None
        self._known_differences = None
        containers, self.containers = self.containers, None
        if containers is not None:  # the nodes go first: they read through the lab
            containers.stop()
        self.datasets.clear()
        self.specs.clear()
        self.tables.clear()
        self.tpch_scale_factor = None
        for oracle in self.oracles.values():
            oracle.close()
        self.oracles.clear()
        try:
            if driver is not None:
                driver.close()
        finally:
            if lab is not None:
                lab.stop()
