*** Settings ***
Documentation       A table read spread over the data nodes answers as plain DuckDB does.
...
...                 The Iceberg table has files of four row groups, read one split per row group or two,
...                 a position delete file and an equality delete file. Under every strategy the node
...                 that reads a split must apply its data file's deletes, and every node must read the
...                 snapshot the query planned: the current one, or the one asked for by id.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With A Small Table
Suite Teardown      Stop Lab

Test Tags           table


*** Variables ***
# A split per row group or two: a file's deletes concern splits on several nodes.
&{SMALL_SPLITS}     parquet_target_size=${1024}


*** Test Cases ***
Deletes are applied by whichever node reads a split
    [Documentation]    The current snapshot, with both delete files, under every strategy.
    ${strategies}=    Get Strategies
    ${query}=    Query Over    ${TABLE}[scan]
    FOR    ${strategy}    IN    @{strategies}
        Query Should Match Oracle    ${query}    strategy=${strategy}    &{SMALL_SPLITS}
    END

Every node reads the snapshot the query asked for
    [Documentation]    Each snapshot of the table by id (before and after the deletes), under every strategy.
    ${strategies}=    Get Strategies
    FOR    ${snapshot}    IN    @{TABLE}[snapshots]
        ${query}=    Query Over    iceberg_scan('${TABLE}[root]', snapshot_from_id => ${snapshot})
        FOR    ${strategy}    IN    @{strategies}
            Query Should Match Oracle    ${query}    strategy=${strategy}    &{SMALL_SPLITS}
        END
    END


*** Keywords ***
Start Lab With A Small Table
    [Documentation]    A lab with three data nodes and the suite's Iceberg table.
    Start Lab    nodes=3
    &{facts}=    Create Small Table    iceberg    facts
    VAR    &{TABLE}=    &{facts}    scope=SUITE    # robocop: off=VAR05

Query Over
    [Documentation]    The suite's grouped aggregate over ``scan``.
    [Arguments]    ${scan}
    RETURN    SELECT city, count(*) AS n, sum(amount) AS total, max(id) AS top FROM ${scan} GROUP BY city
