*** Settings ***
Documentation       Every surviving snapshot of every table history, in Iceberg and Delta, answers
...                 the catalogue's kinds of queries (count, sums, group by, filters, projections of
...                 every column including evolved ones, top-N) exactly as the oracle does, under
...                 every distribution strategy of the engine. The histories hold position and
...                 equality delete files, copy-on-write deletes, added, renamed, dropped and widened
...                 columns, changed partitioning, compaction and expiry. The quick tests read each
...                 snapshot under one strategy, the strategies in turn, with three queries; the
...                 ``slow`` ones read every snapshot under every strategy with all of them.

Resource            tables.resource

Suite Setup         Start Lab With Table Histories    orders    evolving    readings
Suite Teardown      Stop Lab
Test Template       Every Snapshot Should Match The Oracle, Strategies In Turn

Test Tags           table    equivalence


*** Test Cases ***
Orders with delete files reads like the oracle (Iceberg)
    orders    iceberg    @{QUICK_QUERIES}

Orders reads like the oracle (Delta)
    orders    delta    @{QUICK_QUERIES}

An evolving schema and partitioning reads like the oracle (Iceberg)
    evolving    iceberg    @{QUICK_QUERIES}

An evolving schema reads like the oracle (Delta)
    evolving    delta    @{QUICK_QUERIES}

A partitioned, compacted table reads like the oracle (Iceberg)
    readings    iceberg    @{QUICK_QUERIES}

A partitioned, compacted table reads like the oracle (Delta)
    readings    delta    @{QUICK_QUERIES}

Every catalogue query on orders (Iceberg)
    [Tags]    slow
    [Template]    Every Snapshot Should Match The Oracle
    orders    iceberg    @{CATALOGUE_QUERIES}

Every catalogue query on evolving (Iceberg)
    [Tags]    slow
    [Template]    Every Snapshot Should Match The Oracle
    evolving    iceberg    @{CATALOGUE_QUERIES}

Every catalogue query on readings (Delta)
    [Tags]    slow
    [Template]    Every Snapshot Should Match The Oracle
    readings    delta    @{CATALOGUE_QUERIES}
