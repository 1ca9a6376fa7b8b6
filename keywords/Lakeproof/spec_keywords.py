"""Keywords that run the query spec catalogue (``data/specs/``) against the cluster and the oracle."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from robot.api import logger
from robotlibcore import keyword

from lakeproof.compare import comparison_html
from Lakeproof.context import LabContext
from Lakeproof.dataset_keywords import DATASETS_DIR
from lakeproof.engines.base import Capability, QueryOptions
from Lakeproof.html_log import html_table, log_table
from lakeproof.queryspec import (
    ORACLE,
    CaseReport,
    SpecCase,
    case_named,
    load_catalogue,
    load_spec_file,
    run_case,
)

SPECS_DIR = DATASETS_DIR.parent / "specs"
# Rows of the oracle's answer shown in the log: enough to see what the query returns.
_ANSWER_ROWS_SHOWN = 10


def resolve_area_path(area: str) -> Path:
    """``aggregates`` -> ``data/specs/aggregates.yaml``; anything with a suffix or a slash is a path."""
    if area.endswith((".yaml", ".yml")) or "/" in area:
        return Path(area)
    return SPECS_DIR / f"{area}.yaml"


class SpecKeywords:
    """Run query spec cases under every format and strategy and judge each answer."""

    def __init__(self, context: LabContext):
        self.context = context
        self._cases: dict[Path, tuple[SpecCase, ...]] = {}

    def _area(self, area: str) -> tuple[SpecCase, ...]:
        path = resolve_area_path(area)
        if path not in self._cases:
            self._cases[path] = load_spec_file(path, DATASETS_DIR)
        return self._cases[path]

    @keyword
    def get_query_spec_datasets(self, specs: str = str(SPECS_DIR), exclude: str = "") -> list[str]:
        """Returns the datasets the query spec files in directory ``specs`` read, each once.

        Every spec file is validated on the way, so a broken one fails here with its file, line
        and field. With ``exclude`` (a tag, e.g. ``slow``), a dataset only cases with that tag
        read is left out: a suite that does not run them need not create it. Create the
        datasets once in the suite setup.

        Example:
        | ${datasets}=    `Get Query Spec Datasets`    exclude=slow
        | FOR    ${dataset}    IN    @{datasets}
        |     `Create Dataset`    ${dataset}
        | END
        """
        catalogue = load_catalogue(Path(specs), DATASETS_DIR)
        if not exclude:
            return list(catalogue.datasets)
        return list(dict.fromkeys(case.dataset for case in catalogue.cases if exclude not in case.tags))

    @keyword
    def query_spec_should_match_oracle(
        self, area: str, case: str, strategies: list[str] | None = None
    ) -> None:
        """Runs spec case ``case`` of ``area`` under every format and strategy and fails on any wrong answer.

        ``area`` is a spec file name from ``data/specs/`` (``aggregates``) or a path. Each format
        the case applies to is queried under each of ``strategies`` (default: every strategy the
        engine knows). Each answer must equal the oracle's (plain DuckDB on the same objects),
        the first strategy's answer for that format, and the case's ``expected`` table if it has
        one; the oracle's answer must equal the expected table too (strategies are the engine's
        distribution variants, see `Get Strategies`). The queries of all formats and
        strategies are sent at once, as independent clients would send them. The log shows the
        query, the oracle's answer, and one verdict table (format, strategy, strategy used, rows,
        splits per node, the engine's time, verdict); each difference adds a table of missing and
        extra rows and first differing cells. The failure names the first three wrong format and
        strategy pairs with what differs, and counts the rest. The case's dataset must have been
        created in this lab (`Create Dataset`). A case the engine's known-differences file lists
        as ``area/case`` is skipped with the listed reason, or, where the entry lists the
        engine's ``types`` of some columns, compared with exactly those types.

        Example:
        | ${strategies}=    `Get Strategies`
        | `Query Spec Should Match Oracle`    aggregates    Count of every row    ${strategies}
        """
        spec_case = case_named(self._area(area), case)
        driver = self.context.engine(*sorted(QueryOptions(pragma=spec_case.pragma).capabilities_needed()))
        variants = list(driver.variants())
        unknown = [name for name in strategies or () if name not in variants]
        if unknown:
            raise AssertionError(
                f"unknown strategy {unknown[0]!r} for engine '{driver.name}'; its variants are: "
                f"{', '.join(variants)}"
            )
        known_types = self.context.known_types(f"{spec_case.area}/{spec_case.name}")
        manifest = self.context.datasets.get(spec_case.dataset)
        if manifest is None:
            raise AssertionError(
                f"dataset {spec_case.dataset!r} of case {case!r} was not created in this lab; "
                f"call 'Create Dataset    {spec_case.dataset}' in the suite setup"
            )
        self._log_case(spec_case)
        if strategies is not None:
            variants = strategies
        if len(variants) > 1:
            self.context.engine(Capability.DISTRIBUTION_VARIANTS)
        report = run_case(
            spec_case,
            {fmt: spec_case.dataset_scan(manifest, fmt) for fmt in spec_case.formats},
            variants,
            driver.query,
            self.context.oracle(),
            known_types,
        )
        self._log_report(report)
        if report.failures:
            raise AssertionError(f"{spec_case.name}: {report.summary()}")
        logger.info(report.summary())

    @staticmethod
    def _log_case(case: SpecCase) -> None:
        pragma = ", ".join(f"{name}={value}" for name, value in case.pragma.items()) or "none"
        where = os.path.relpath(case.source, SPECS_DIR.parents[1])  # data/specs/x.yaml:12
        logger.info(
            f"<b>Query</b> ({escape(where)}; dataset {escape(case.dataset)}; pragmas {escape(pragma)})"
            f"<pre>{escape(case.query)}</pre>",
            html=True,
        )

    @staticmethod
    def _log_report(report: CaseReport) -> None:
        first_format, answer = next(iter(report.oracle_answers.items()))
        if isinstance(answer, str):
            logger.info(f"Oracle error ({first_format}): {answer}")
        else:
            names = [f"{column.name} ({column.type})" for column in answer.columns]
            logger.info(
                f"<b>Oracle answer ({escape(first_format)}): {len(answer.rows)} rows</b>"
                + html_table(names, answer.rows, limit=_ANSWER_ROWS_SHOWN),
                html=True,
            )
        log_table(
            f"Verdicts: {report.summary()}",
            ["format", "strategy", "used / mode", "rows", "splits per node", "engine ms", "verdict"],
            [
                [
                    run.format,
                    run.strategy,
                    run.strategy_used,
                    run.rows,
                    run.splits_per_node,
                    run.engine_ms,
                    run.verdict,
                ]
                for run in report.runs
            ],
        )
        for run in report.failures:
            for check in run.checks:
                if not check.comparison.equal:
                    source = "the oracle" if run.strategy == ORACLE else run.strategy
                    logger.info(
                        f"<b>{escape(run.format)}: {escape(source)} compared with the "
                        f"{escape(check.reference)}</b>{comparison_html(check.comparison)}",
                        html=True,
                    )
