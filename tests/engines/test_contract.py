"""The contract every driver must pass, run for each driver that can run here.

``reference`` always runs; the minimal example driver (``examples/drivers/duckdb_local.py``) runs
too, so the README's example is proven; ``spark`` runs when its extra is installed and is skipped
with the reason otherwise. Your own driver runs with them when named by module path in
``LAKEPROOF_CONTRACT_DRIVERS`` (comma-separated), with the settings file in
``LAKEPROOF_CONTRACT_SETTINGS`` if it needs one. A failure names the driver method and the shape
it must have.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lakeproof.compare import CompareOptions, answer_from_duckdb, compare
from lakeproof.compare.answer import Answer as ResultTable
from lakeproof.compare.answer import Column
from lakeproof.datagen import Manifest, load_spec
from lakeproof.engines.base import (
    Answer,
    Capability,
    CapabilityMissing,
    Driver,
    EngineError,
    QueryOptions,
    SplitRead,
)
from lakeproof.engines.registry import open_driver
from lakeproof.engines.settings import load_engine_settings
from lakeproof.lab import Lab, LabSettings
from lakeproof.oracle import Oracle
from lakeproof.refcluster.model import STRATEGIES as REFERENCE_STRATEGIES

pytestmark = pytest.mark.component

DATASETS = Path(__file__).resolve().parents[2] / "data" / "datasets"
READERS = ("coordinator", "node-1", "node-2")
EXAMPLE = "examples.drivers.duckdb_local"


YOUR_DRIVERS = tuple(
    name.strip() for name in os.environ.get("LAKEPROOF_CONTRACT_DRIVERS", "").split(",") if name.strip()
)


def _spark_installed() -> bool:
    return importlib.util.find_spec("pyspark") is not None


DRIVERS = [
    pytest.param("reference", id="reference"),
    pytest.param(EXAMPLE, id="duckdb_local"),
    pytest.param(
        "spark",
        id="spark",
        marks=pytest.mark.skipif(
            not _spark_installed(), reason="the spark extra is not installed (make acceptance ENGINE=spark)"
        ),
    ),
    *(pytest.param(name, id=name) for name in YOUR_DRIVERS),
]

# What each capability lets a check call, and how: a driver without the capability must refuse.
CALLS_BY_CAPABILITY: dict[Capability, list[tuple[str, tuple[Any, ...]]]] = {
    Capability.ASYNC_CANCEL: [
        ("start_async", ("SELECT 1", "?", QueryOptions())),
        ("wait", ("id", timedelta(seconds=1))),
        ("cancel", ("id",)),
        ("running_work", ()),
    ],
    Capability.PLAN_API: [("plan", ("SELECT 1", "?", QueryOptions()))],
    Capability.NODE_LIFECYCLE: [("nodes", ()), ("kill_node", ("node-1",)), ("restart_node", ("node-1",))],
}


@pytest.fixture(scope="module", params=DRIVERS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Driver, Lab, Manifest]]:
    """A lab with the smoke dataset and the driver under test, closed and stopped afterwards."""
    name: str = request.param
    settings = LabSettings(
        output_dir=tmp_path_factory.mktemp("contract"), readers=READERS, cluster=name == "reference"
    )
    with Lab(settings) as lab:
        manifest = lab.create_dataset(load_spec(DATASETS / "smoke.yaml"))
        settings_file = os.environ.get("LAKEPROOF_CONTRACT_SETTINGS") if name in YOUR_DRIVERS else None
        driver = open_driver(name, lab, load_engine_settings(name, settings_file))
        try:
            yield driver, lab, manifest
        finally:
            driver.close()
            driver.close()  # Driver.close must be idempotent


def _expect(holds: bool, contract: str) -> None:
    """Fail with the contract a driver broke: the method and the shape it must have."""
    if not holds:
        pytest.fail(contract, pytrace=False)


def _oracle_answer(lab: Lab, sql: str) -> ResultTable:
    with Oracle(lab.s3) as oracle:
        return answer_from_duckdb(oracle.connection.sql(sql))


def _group_query(manifest: Manifest) -> str:
    return f"SELECT region, count(*) AS n, max(qty) AS q FROM {manifest.duckdb_scan('csv')} GROUP BY region"


def test_the_driver_declares_a_name_capabilities_and_variants(engine: tuple[Driver, Lab, Manifest]) -> None:
    driver, _, _ = engine
    _expect(isinstance(driver.name, str) and bool(driver.name), "Driver.name must be a non-empty str")
    _expect(
        isinstance(driver.capabilities, frozenset)
        and all(isinstance(item, Capability) for item in driver.capabilities),
        f"Driver.capabilities must be a frozenset of Capability, got {driver.capabilities!r}",
    )
    variants = driver.variants()
    _expect(
        isinstance(variants, tuple) and bool(variants) and all(isinstance(v, str) and v for v in variants),
        f"Driver.variants() must return a non-empty tuple of names, got {variants!r}",
    )
    assert driver.default_variant() in variants, "Driver.default_variant() must be one of variants()"
    for strategy, variant in driver.variant_aliases.items():
        _expect(
            strategy in REFERENCE_STRATEGIES and variant in variants,
            "Driver.variant_aliases must map reference strategies to the driver's variants, "
            f"got {strategy!r}: {variant!r}",
        )
    if len(variants) > 1:
        assert Capability.DISTRIBUTION_VARIANTS in driver.capabilities, (
            "a driver with several variants must declare Capability.DISTRIBUTION_VARIANTS"
        )


def test_a_query_answers_with_typed_columns_and_rows(engine: tuple[Driver, Lab, Manifest]) -> None:
    driver, lab, manifest = engine
    sql = _group_query(manifest)
    answer = driver.query(sql, driver.default_variant(), QueryOptions())
    assert isinstance(answer, Answer), (
        f"Driver.query must return engines.base.Answer, got {type(answer).__name__}"
    )
    assert isinstance(answer.table, ResultTable), "Answer.table must be a compare.answer.Answer"
    assert all(isinstance(column, Column) for column in answer.columns), (
        "Answer.columns must be Column(name, type)"
    )
    assert all(isinstance(row, tuple) for row in answer.rows), "Answer.rows must be a tuple of tuples"
    _expect(answer.is_partial is False, "Driver.query: a complete answer must have is_partial False")
    _expect(
        isinstance(answer.warnings, tuple) and all(isinstance(w, str) for w in answer.warnings),
        "Driver.query: Answer.warnings must be a tuple of str",
    )
    comparison = compare(_oracle_answer(lab, sql), answer.table, CompareOptions())
    assert comparison.equal, f"Driver.query answered differently from plain DuckDB: {comparison.summary()}"


def test_the_split_profile_is_there_exactly_when_declared(engine: tuple[Driver, Lab, Manifest]) -> None:
    driver, _, manifest = engine
    answer = driver.query(_group_query(manifest), driver.default_variant(), QueryOptions(profile=True))
    if Capability.SPLIT_PROFILE not in driver.capabilities:
        assert answer.splits is None, (
            "a driver without SPLIT_PROFILE must answer with splits=None, not a made-up profile"
        )
        return
    assert answer.splits, "a driver with SPLIT_PROFILE must list the splits it read in Answer.splits"
    assert all(isinstance(split, SplitRead) for split in answer.splits), "Answer.splits must hold SplitRead"
    assert sum(split.rows for split in answer.splits) == manifest.total_rows, (
        "the rows of Answer.splits must add up to the rows the query read"
    )


def test_bad_sql_is_an_engine_error_with_status_type_and_one_line_reason(
    engine: tuple[Driver, Lab, Manifest],
) -> None:
    driver, _, manifest = engine
    with pytest.raises(EngineError) as caught:
        driver.query(
            f"SELECT no_such_column FROM {manifest.duckdb_scan('parquet')}",
            driver.default_variant(),
            QueryOptions(),
        )
    error = caught.value
    _expect(
        isinstance(error.status, int) and 400 <= error.status <= 599,
        f"Driver.query: EngineError.status must be an HTTP-like 4xx/5xx int, got {error.status!r}",
    )
    _expect(
        isinstance(error.error_type, str) and bool(error.error_type),
        "Driver.query: EngineError.error_type must be a non-empty str",
    )
    _expect(
        isinstance(error.reason, str) and bool(error.reason) and "\n" not in error.reason,
        f"Driver.query: EngineError.reason must be one line, got {error.reason!r}",
    )


def _refuses_undeclared(driver: Driver, capability: Capability) -> None:
    """Every call that needs ``capability`` raises CapabilityMissing naming it."""
    for method, args in CALLS_BY_CAPABILITY[capability]:
        try:
            getattr(driver, method)(*args)
        except CapabilityMissing as missing:
            _expect(
                missing.capability is capability,
                f"Driver.{method} must raise CapabilityMissing({capability.value}), "
                f"got CapabilityMissing({missing.capability.value})",
            )
        else:
            pytest.fail(
                f"Driver.{method} must raise CapabilityMissing({capability.value}): the driver does not "
                f"declare {capability.value}, but the call succeeded",
                pytrace=False,
            )
    with pytest.raises(CapabilityMissing):
        driver.require(capability)


@pytest.mark.parametrize("capability", sorted(CALLS_BY_CAPABILITY))
def test_a_capability_not_declared_is_refused(
    engine: tuple[Driver, Lab, Manifest], capability: Capability
) -> None:
    driver, _, _ = engine
    if capability in driver.capabilities:
        pytest.skip(f"{driver.name} declares {capability}")
    _refuses_undeclared(driver, capability)


class _ClaimsNothingButListsNodes(Driver):
    """A broken driver: it declares no node lifecycle, yet answers ``nodes()``."""

    name = "broken"
    capabilities = frozenset()

    def variants(self) -> tuple[str, ...]:
        return ("one",)

    def query(self, sql: str, variant: str, options: QueryOptions) -> Answer:
        raise EngineError(400, "unused", "not called")

    def nodes(self) -> tuple[str, ...]:
        return ("node-1",)

    def close(self) -> None:
        pass


def test_a_driver_breaking_the_contract_is_named_with_the_method_and_shape() -> None:
    with pytest.raises(pytest.fail.Exception) as caught:
        _refuses_undeclared(_ClaimsNothingButListsNodes(), Capability.NODE_LIFECYCLE)
    assert str(caught.value) == (
        "Driver.nodes must raise CapabilityMissing(node_lifecycle): the driver does not declare "
        "node_lifecycle, but the call succeeded"
    )


def test_every_variant_gives_the_same_answer(engine: tuple[Driver, Lab, Manifest]) -> None:
    driver, lab, manifest = engine
    sql = _group_query(manifest)
    expected = _oracle_answer(lab, sql)
    for variant in driver.variants():
        comparison = compare(expected, driver.query(sql, variant, QueryOptions()).table, CompareOptions())
        assert comparison.equal, (
            f"Driver.query under variant {variant!r} differs from the oracle: {comparison.summary()}"
        )


def test_an_async_query_is_awaited_when_declared(engine: tuple[Driver, Lab, Manifest]) -> None:
    driver, lab, manifest = engine
    if Capability.ASYNC_CANCEL not in driver.capabilities:
        pytest.skip(f"{driver.name} does not declare async_cancel")
    sql = _group_query(manifest)
    query_id = driver.start_async(sql, driver.default_variant(), QueryOptions())
    _expect(isinstance(query_id, str) and bool(query_id), "Driver.start_async must return a non-empty str id")
    answer = driver.wait(query_id, timedelta(seconds=60))
    comparison = compare(_oracle_answer(lab, sql), answer.table, CompareOptions())
    assert comparison.equal, f"Driver.wait answered differently from plain DuckDB: {comparison.summary()}"
    work = driver.running_work()
    _expect(
        isinstance(work, Mapping) and all(isinstance(count, int) for count in work.values()),
        f"Driver.running_work must return a mapping of executor name to running task count, got {work!r}",
    )
