*** Settings ***
Documentation       Projection and filter pushdown, shown by the bytes the engine reads from object
...                 storage (counted by the fault proxy) against a full scan of the same objects.
...
...                 The ``pushdown`` dataset is 4 Parquet files of twenty 2,500-row groups, six
...                 equally wide uncompressed columns, ``id`` sorted. Small split and coalescing
...                 targets make every row group a split (80 splits, more than the coalescing
...                 threshold of 32) and coalesce them into groups, as large files would be: the
...                 bug class "pushdown silently skipped after coalescing" shows here as bytes.
...                 Reading one column needs about a sixth of the column bytes; a filter on ``id``
...                 that only the first row group can satisfy needs one row group in eighty.
...                 Footers are read either way, so the expected savings are set below those
...                 shares. Every answer must also equal plain DuckDB's. CSV and NDJSON have no
...                 column chunks or row-group statistics to skip: pushdown saves them no bytes.
...
...                 The ``messy_hive`` dataset lays its files out under Hive-style keys
...                 (``year=YYYY/month=MM/``, two of eight files per year 2023 and 2025, four in
...                 2024) in every format. A filter on the partition column ``year`` rules out whole
...                 objects: compared object by object with a full scan, each object it rules out
...                 must be read at least its size (from the dataset's manifest) less.

Library             String
Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Datasets    pushdown    messy_hive
Suite Teardown      Stop Lab

Test Tags           pushdown


*** Variables ***
${FULL_SCAN}        SELECT count(*), sum(id), sum(a), sum(b), sum(c), sum(d), sum(e) FROM {scan}
${ONE_COLUMN}       SELECT sum(a) FROM {scan}
${FIRST_IDS}        SELECT count(*), sum(id), sum(a), sum(b), sum(c), sum(d), sum(e) FROM {scan} WHERE id < 1000
${BOTH}             SELECT sum(a) FROM {scan} WHERE id < 1000
${HIVE_FULL}        SELECT grp, count(*) AS n, sum(amount) AS total FROM {scan} GROUP BY grp
${HIVE_2024}        SELECT grp, count(*) AS n, sum(amount) AS total FROM {scan} WHERE year = 2024 GROUP BY grp
&{ROW_GROUP_SPLITS}     parquet_target_size=${100000}    coalesce_target_size=${1048576}


*** Test Cases ***
Projection and filter pushdown save bytes under every strategy
    [Documentation]    Against the full scan: one column of six reads at least 75 % fewer bytes, a
    ...    filter that statistics rule out in 79 of 80 row groups at least 90 % fewer, both
    ...    together at least 95 % fewer.
    Pushdown Should Save Bytes Under Every Strategy    ${True}
    ...    one column    ${ONE_COLUMN}    0.75
    ...    filtered    ${FIRST_IDS}    0.9
    ...    one column filtered    ${BOTH}    0.95

Pushdown saves as much without coalescing
    [Documentation]    With coalescing off every row group is its own group; projection and pruning
    ...    together must save as much as they do on coalesced groups.
    Pushdown Should Save Bytes Under Every Strategy    ${False}
    ...    one column filtered    ${BOTH}    0.95

A filter on a partition column skips whole files under every strategy
    [Documentation]    ``year = 2024`` keeps the four objects under ``year=2024/`` and rules out
    ...    the other four, in Parquet, CSV and NDJSON; the answer equals plain DuckDB's.
    [Tags]    messy
    FOR    ${format}    IN    parquet    csv    ndjson
        Partition Filter Should Skip Files Under Every Strategy    ${format}
    END


*** Keywords ***
Start Lab With Datasets
    [Documentation]    Starts a lab with three data nodes and creates each of ``datasets`` in it.
    [Arguments]    @{datasets}
    Start Lab    nodes=3
    FOR    ${dataset}    IN    @{datasets}
        Create Dataset    ${dataset}
    END

Partition Filter Should Skip Files Under Every Strategy
    [Documentation]    Under each strategy of the engine's list, measures a full scan of the
    ...    ``format`` objects of ``messy_hive`` and the same query filtered on ``year = 2024``,
    ...    and fails unless the filtered query skipped every object outside ``year=2024/``.
    [Arguments]    ${format}
    ${scan}=    Get Dataset Scan    messy_hive    ${format}
    ${full_query}=    Format String    ${HIVE_FULL}    scan=${scan}
    ${filtered_query}=    Format String    ${HIVE_2024}    scan=${scan}
    ${strategies}=    Get Strategies
    FOR    ${strategy}    IN    @{strategies}
        ${full}=    Measure Bytes Read    ${full_query}    strategy=${strategy}
        ...    label=full scan (${format}, ${strategy})    oracle=${False}
        ${filtered}=    Measure Bytes Read    ${filtered_query}    strategy=${strategy}
        ...    label=year = 2024 (${format}, ${strategy})
        Partition Filter Should Skip Objects    ${filtered}    ${full}    messy_hive    ${format}    year=2024
    END

Pushdown Should Save Bytes Under Every Strategy
    [Documentation]    Under each strategy of the engine's list, measures the full scan and each
    ...    ``label    query    share`` triple, and fails unless the query read at least that share
    ...    fewer bytes. ``{scan}`` in a query stands for the dataset's Parquet scan; ``coalesce``
    ...    is passed on as a pragma, on top of the row-group splits.
    [Arguments]    ${coalesce}    @{labels_queries_shares}
    ${scan}=    Get Dataset Scan    pushdown    parquet
    ${full_query}=    Format String    ${FULL_SCAN}    scan=${scan}
    ${strategies}=    Get Strategies
    FOR    ${strategy}    IN    @{strategies}
        ${full}=    Measure Bytes Read    ${full_query}    strategy=${strategy}    label=full scan
        ...    oracle=${False}    coalesce=${coalesce}    &{ROW_GROUP_SPLITS}
        FOR    ${label}    ${query}    ${at_least}    IN    @{labels_queries_shares}
            ${pushed_query}=    Format String    ${query}    scan=${scan}
            ${pushed}=    Measure Bytes Read    ${pushed_query}    strategy=${strategy}
            ...    label=${label} (${strategy})    coalesce=${coalesce}    &{ROW_GROUP_SPLITS}
            Bytes Read Should Be Fewer    ${pushed}    ${full}    at_least=${at_least}
        END
    END
