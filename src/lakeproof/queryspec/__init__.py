"""The query spec catalogue: queries, and how their answers are judged, in readable YAML files.

Each file in ``data/specs/`` is one *area* (its file name: ``aggregates``, ``globs``, ...) and
reads one dataset from ``data/datasets/``. The equivalence suite runs every case under every
distribution strategy and every format it applies to, and compares each answer with the oracle
(plain DuckDB on the same objects), with the other strategies, and with ``expected`` if given.
Unknown fields are errors; every problem is one line naming file, line and field.

Format (modelled on Elasticsearch's csv-spec files: the query, then its answer)::

    description: Aggregates over the sales dataset.   # what the area covers, for people
    dataset: sales                 # a spec name in data/datasets/
    formats: [parquet, ndjson]     # optional: default every format the dataset has
    tags: [aggregate]              # optional: tags of every case (the area is always one)
    pragma: {target_split_size: 65536, split_csv: true}  # optional engine pragmas for every case
    cases:
      - name: Count of every row   # the test's name: unique over the whole catalogue
        description: why the case exists (optional)
        query: SELECT count(*) AS n FROM {scan}   # {scan} reads the dataset in the format under test
        expected:                  # optional hand-computed answer, checked besides the oracle
          columns: [n:BIGINT]      # name:TYPE, DuckDB type names (as engines report them)
          rows:
            - [6000]               # one list per row; null for NULL; dates as 2024-01-01
        ordered: false             # compare rows in order (needs ORDER BY); default false: multiset
        tolerance: 1e-9            # relative tolerance for doubles (default 1e-9)
        formats: [parquet]         # optional: this case only in these formats
        tags: [count]              # optional: more tags
        pragma: {coalesce: false}  # optional: pragmas over the file's (never the strategy: the
                                   # matrix sets external_distribution)
        scan: {columns: sniffed, options: union_by_name = true}  # optional (also for the whole
                                   # file): how {scan} reads the dataset; columns declared (default:
                                   # every column with its type) or sniffed (the glob alone, as a
                                   # user reads a lake); options end the call
      - name: A missing column is refused
        query: SELECT region FROM {scan}
        error:                     # instead of an answer: the oracle refuses too, and the engine
          type: verification_exception   # answers 4xx with this type under every strategy,
          reason: '"region"'       # a one-line reason containing this, no engine internals

Decimals compare exactly (write them as text, ``"12.30"``, or as numbers), doubles within the
tolerance, NaN equals NaN; column names and types must match.
"""

from lakeproof.queryspec.catalogue import (
    Catalogue,
    SpecCase,
    case_named,
    dataset_formats,
    load_catalogue,
    load_spec_file,
)
from lakeproof.queryspec.model import SCAN, ExpectedTable, QueryCase, QuerySpecFile
from lakeproof.queryspec.run import ORACLE, CaseReport, Check, Run, run_case

__all__ = [
    "ORACLE",
    "SCAN",
    "CaseReport",
    "Catalogue",
    "Check",
    "ExpectedTable",
    "QueryCase",
    "QuerySpecFile",
    "Run",
    "SpecCase",
    "case_named",
    "dataset_formats",
    "load_catalogue",
    "load_spec_file",
    "run_case",
]
