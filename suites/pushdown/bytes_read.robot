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

Library             String
Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    pushdown    nodes=3
Suite Teardown      Stop Lab

Test Tags           pushdown


*** Variables ***
${FULL_SCAN}        SELECT count(*), sum(id), sum(a), sum(b), sum(c), sum(d), sum(e) FROM {scan}
${ONE_COLUMN}       SELECT sum(a) FROM {scan}
${FIRST_IDS}        SELECT count(*), sum(id), sum(a), sum(b), sum(c), sum(d), sum(e) FROM {scan} WHERE id < 1000
${BOTH}             SELECT sum(a) FROM {scan} WHERE id < 1000
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


*** Keywords ***
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
