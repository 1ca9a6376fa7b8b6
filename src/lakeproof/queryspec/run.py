"""Run one spec case under every format x strategy and judge every answer.

Each engine answer is compared with the oracle's answer for its format (plain DuckDB on the same
objects), with the answer of the first strategy for that format, and with the case's expected
table if it has one; the oracle's own answer is compared with the expected table too, so a wrong
hand-computed expectation (or a wrong oracle) shows. Nothing stops at the first difference: the
report holds every run, so a log can show the whole matrix.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import duckdb

from lakeproof.compare import Answer, CompareOptions, Comparison, answer_from_duckdb, compare
from lakeproof.compare.values import format_value
from lakeproof.datagen import Format
from lakeproof.engines.base import Answer as EngineAnswer
from lakeproof.engines.base import EngineError, QueryOptions
from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.oracle import Oracle
from lakeproof.queryspec.catalogue import SpecCase

Engine = Callable[[str, str, QueryOptions], EngineAnswer]
"""Runs a query under a variant with options (a driver's ``query``); raises LakeproofError."""

ORACLE = "oracle (DuckDB)"
# Failures named in a report's one-line message; the rest are counted.
_NAMED_FAILURES = 3


@dataclass(frozen=True)
class Check:
    """One comparison of an answer with a reference: ``oracle``, ``expected table`` or a strategy."""

    reference: str
    comparison: Comparison


@dataclass(frozen=True)
class Run:
    """One answer: the oracle's, or the engine's under one strategy, for one format."""

    format: Format
    strategy: str
    """A strategy name, or ``ORACLE`` for the oracle's own answer."""
    answer: EngineAnswer | None
    """The engine's answer (None for the oracle, or when the engine failed)."""
    rows: int | None
    error: str | None
    checks: tuple[Check, ...]
    refusal: str | None = None
    """The reason of the refusal a case expecting an error got, as the case expects it."""

    @property
    def failed(self) -> bool:
        """True if the engine failed or any comparison found a difference."""
        return self.error is not None or any(not check.comparison.equal for check in self.checks)

    @property
    def verdict(self) -> str:
        """``matches`` and what with, ``reference`` for an oracle run unchecked, or the first problem."""
        if self.error is not None:
            return f"engine error: {self.error}"
        if self.refusal is not None:
            return f"refused as expected: {self.refusal}"
        for check in self.checks:
            if not check.comparison.equal:
                return f"differs from the {check.reference}: {_difference(check.comparison)}"
        if not self.checks:
            return "reference"
        return "matches " + ", ".join(check.reference for check in self.checks)

    @property
    def _profile(self) -> Mapping[str, Any]:
        return (self.answer.profile if self.answer is not None else None) or {}

    @property
    def strategy_used(self) -> str:
        """The strategy the engine reports it used, and how it ran the query (``fragment``)."""
        profile = self._profile
        used = (profile.get("strategy") or {}).get("used")
        mode = profile.get("mode")
        return " / ".join(str(part) for part in (used, mode) if part) or "-"

    @property
    def engine_ms(self) -> str:
        """The engine's own time for the query (its profile's total), in milliseconds."""
        timings = self._profile.get("timings_ms") or {}
        total = timings.get("total")
        return f"{total:.0f}" if isinstance(total, int | float) else "-"

    @property
    def splits_per_node(self) -> str:
        """How many splits each node read, e.g. ``node-1: 5, node-2: 5``."""
        splits = (self.answer.splits if self.answer is not None else None) or ()
        counts = Counter(split.node for split in splits)
        return ", ".join(f"{node}: {count}" for node, count in sorted(counts.items())) or "-"


def _difference(comparison: Comparison) -> str:
    """The comparison's summary; one wrong row (a wrong aggregate, say) is shown in full."""
    summary = comparison.summary()
    if len(comparison.missing) == 1 and len(comparison.extra) == 1:
        expected, actual = (
            "(" + ", ".join(format_value(value) for value in row) + ")"
            for row in (comparison.missing[0], comparison.extra[0])
        )
        summary += f": expected {expected}, got {actual}"
    return summary


@dataclass(frozen=True)
class CaseReport:
    """Every run of one case, the oracle's first."""

    case: SpecCase
    strategies: tuple[str, ...]
    runs: tuple[Run, ...]
    oracle_answers: Mapping[Format, Answer | str]
    """The oracle's answer for each format, or its error's first line for a case expecting an error."""

    @property
    def failures(self) -> list[Run]:
        """The runs that failed, in matrix order."""
        return [run for run in self.runs if run.failed]

    def summary(self) -> str:
        """One line: how many engine runs matched, or which failed and why."""
        failures = self.failures
        if not failures and self.case.error is not None:
            return (
                f"all {len(self.oracle_answers) * len(self.strategies)} runs "
                f"({', '.join(self.oracle_answers)} x {len(self.strategies)} strategies) are refused "
                f"with {self.case.error.type} naming {self.case.error.reason!r}, as the oracle refuses"
            )
        if not failures:
            references = "the oracle, the expected table" if self.case.expected else "the oracle"
            return (
                f"all {len(self.oracle_answers) * len(self.strategies)} runs "
                f"({', '.join(self.oracle_answers)} x {len(self.strategies)} strategies) "
                f"match {references} and each other"
            )
        named = "; ".join(f"{run.format}/{run.strategy}: {run.verdict}" for run in failures[:_NAMED_FAILURES])
        more = f"; and {len(failures) - _NAMED_FAILURES} more" if len(failures) > _NAMED_FAILURES else ""
        return f"{len(failures)} of {len(self.runs)} runs wrong: {named}{more}"


def run_case(
    case: SpecCase,
    scans: Mapping[Format, str],
    strategies: Sequence[str],
    engine: Engine,
    oracle: Oracle,
    known_types: Mapping[str, str] | None = None,
) -> CaseReport:
    """Run ``case`` in each of its formats (``scans`` gives each one's table function call).

    ``known_types`` are the engine's column types a known difference lists (see
    ``CompareOptions.known_types``).

    Every engine query of the case (each format under each strategy) is sent at once, as
    independent clients would send them, while the oracle answers each format in turn.
    """
    judge = _Judge(
        CompareOptions(ordered=case.ordered, float_tolerance=case.tolerance, known_types=known_types or {}),
        case.expected.answer() if case.expected is not None else None,
    )
    queries = {fmt: case.query_over(scans[fmt]) for fmt in case.formats}
    runs: list[Run] = []
    oracle_answers: dict[Format, Answer | str] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(queries) * len(strategies))) as pool:
        pending = {
            (fmt, strategy): pool.submit(
                _ask, engine, query, strategy, QueryOptions(pragma=dict(case.pragma))
            )
            for fmt, query in queries.items()
            for strategy in strategies
        }
        for fmt, query in queries.items():
            if case.error is not None:
                refused = oracle_answers[fmt] = _oracle_refusal(oracle, query, case, fmt)
                runs.append(Run(fmt, ORACLE, None, None, None, (), refused))
                runs += [
                    _refusal_run(fmt, strategy, pending[fmt, strategy].result(), case)
                    for strategy in strategies
                ]
                continue
            reference = oracle_answers[fmt] = _oracle_answer(oracle, query, case, fmt)
            runs.append(judge.oracle(fmt, reference))
            baseline: tuple[str, Answer] | None = None
            for strategy in strategies:
                run = judge.engine(fmt, strategy, pending[fmt, strategy].result(), reference, baseline)
                runs.append(run)
                if baseline is None and run.answer is not None:
                    baseline = (strategy, run.answer.table)
    return CaseReport(case, tuple(strategies), tuple(runs), oracle_answers)


@dataclass(frozen=True)
class Refusal:
    """An engine's error answer: HTTP-like status, error type and one-line reason."""

    status: int | None
    type: str | None
    reason: str
    message: str
    """The whole error as the engine's client reports it (reason, type and status)."""


# What only the engine's insides know: the relations nodes and merges read, the SQL that loads
# splits, scratch folders. A refusal naming them tells the user nothing about their query.
INTERNAL_MARKERS = ("__splits", "__source_", "CREATE TEMP", "lakeproof-node-", "lakeproof-lab-")


def _ask(engine: Engine, query: str, variant: str, options: QueryOptions) -> EngineAnswer | Refusal:
    """The engine's answer, or its refusal."""
    try:
        return engine(query, variant, options)
    except EngineError as error:
        return Refusal(error.status, error.error_type, error.reason, str(error))
    except LakeproofError as error:  # a failure before the engine answered: no status or type
        return Refusal(None, None, str(error), str(error))


def _refusal_run(fmt: Format, strategy: str, outcome: EngineAnswer | Refusal, case: SpecCase) -> Run:
    """An engine run of a case expecting an error: refused as the case says, or what went wrong."""
    assert case.error is not None
    if not isinstance(outcome, Refusal):
        rows = len(outcome.table.rows)
        return Run(fmt, strategy, outcome, rows, f"answered {rows} rows; expected {case.error.type}", ())
    problems = []
    if outcome.status is None or not 400 <= outcome.status < 500:
        problems.append(f"HTTP {outcome.status}, not 4xx")
    if outcome.type != case.error.type:
        problems.append(f"type {outcome.type}, not {case.error.type}")
    if case.error.reason not in outcome.reason:
        problems.append(f"reason does not name {case.error.reason!r}")
    if "\n" in outcome.reason.strip():
        problems.append("reason is more than one line")
    if leaked := [marker for marker in INTERNAL_MARKERS if marker in outcome.reason]:
        problems.append(f"reason shows the engine's internals ({', '.join(leaked)})")
    if problems:
        return Run(fmt, strategy, None, None, f"{'; '.join(problems)}: {outcome.message}", ())
    return Run(fmt, strategy, None, None, None, (), outcome.reason)


def _oracle_answer(oracle: Oracle, query: str, case: SpecCase, fmt: Format) -> Answer:
    try:
        return answer_from_duckdb(oracle.connection.sql(query))
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0]
        raise ConfigError(
            f"the oracle (plain DuckDB) cannot run case {case.name!r} in {fmt}: {first_line}; "
            f"fix the query at {case.source}"
        ) from None


def _oracle_refusal(oracle: Oracle, query: str, case: SpecCase, fmt: Format) -> str:
    """The first line of the oracle's error for a case expecting one; ConfigError if it answers."""
    try:
        oracle.connection.sql(query).fetchall()
    except duckdb.Error as error:
        return str(error).strip().splitlines()[0]
    raise ConfigError(
        f"the oracle (plain DuckDB) answers case {case.name!r} in {fmt}, which expects an error; "
        f"fix the query or remove error at {case.source}"
    )


@dataclass(frozen=True)
class _Judge:
    """Compares answers under one case's options, with its expected table if it has one."""

    options: CompareOptions
    expected: Answer | None

    def oracle(self, fmt: Format, reference: Answer) -> Run:
        """The oracle's run: checked against the expected table only."""
        # The engine's known column types concern the engine's answers, never the oracle's.
        options = dataclasses.replace(self.options, known_types={})
        checks = (
            ()
            if self.expected is None
            else (Check("expected table", compare(self.expected, reference, options)),)
        )
        return Run(fmt, ORACLE, None, len(reference.rows), None, checks)

    def engine(
        self,
        fmt: Format,
        strategy: str,
        answer: EngineAnswer | Refusal,
        reference: Answer,
        baseline: tuple[str, Answer] | None,
    ) -> Run:
        """An engine run: checked against the oracle, the expected table and the first strategy."""
        if isinstance(answer, Refusal):
            return Run(fmt, strategy, None, None, answer.message, ())
        actual = answer.table
        if answer.is_partial:
            # No node is lost here: a partial answer is a wrong answer, whatever its rows.
            return Run(fmt, strategy, answer, len(actual.rows), "the answer is flagged partial", ())
        checks = [self._check("oracle", reference, actual)]
        if self.expected is not None:
            checks.append(self._check("expected table", self.expected, actual))
        if baseline is not None:
            checks.append(self._check(baseline[0], baseline[1], actual))
        return Run(fmt, strategy, answer, len(actual.rows), None, tuple(checks))

    def _check(self, reference: str, expected: Answer, actual: Answer) -> Check:
        return Check(reference, compare(expected, actual, self.options))
