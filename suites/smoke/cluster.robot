*** Settings ***
Documentation       Smoke test of the reference cluster: a query over every format counts every row
...                 under every distribution strategy, and losing a data node mid-way loses no rows.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    smoke    nodes=3
Suite Teardown      Stop Lab

Test Tags           smoke    cluster


*** Test Cases ***
Every strategy counts every row in every format
    [Documentation]    The strategies come from the engine's own list, so none can be left out.
    ${strategies}=    Get Strategies
    ${manifest}=    Get Dataset Manifest    smoke
    FOR    ${format}    IN    parquet    csv    ndjson
        ${scan}=    Get Dataset Scan    smoke    ${format}
        FOR    ${strategy}    IN    @{strategies}
            ${result}=    Run Query    SELECT count(*) FROM ${scan}    strategy=${strategy}
            ...    target_split_size=${20000}
            ${count}=    Get Answer Value    ${result}
            Should Be Equal As Integers    ${count}    ${manifest}[total_rows]
        END
    END

Grouped aggregates equal the oracle under every strategy and format
    [Documentation]    Plain DuckDB on the same objects is the independent answer; names, types and
    ...    values must match exactly (doubles within a relative 1e-9).
    ${strategies}=    Get Strategies
    FOR    ${format}    IN    parquet    csv    ndjson
        ${scan}=    Get Dataset Scan    smoke    ${format}
        FOR    ${strategy}    IN    @{strategies}
            Query Should Match Oracle
            ...    SELECT region, count(*) AS n, sum(qty) AS q, avg(score) AS s, max(amount) AS m FROM ${scan} GROUP BY region
            ...    strategy=${strategy}    target_split_size=${20000}
        END
    END

A node killed before the query is not used and nothing is lost
    [Documentation]    The coordinator only assigns splits to nodes it sees alive.
    ${manifest}=    Get Dataset Manifest    smoke
    ${scan}=    Get Dataset Scan    smoke    parquet
    Kill Node    node-3
    ${result}=    Run Query    SELECT count(*) FROM ${scan}    strategy=round_robin
    ${count}=    Get Answer Value    ${result}
    Should Be Equal As Integers    ${count}    ${manifest}[total_rows]
    Restart Node    node-3
    ${nodes}=    Get Live Nodes
    Should Contain    ${nodes}    node-3
