*** Settings ***
Documentation       A query reads the objects under its glob as they are when it runs, not as an earlier
...                 query found them: under every distribution strategy, a glob is queried, an object
...                 under it is added, deleted or overwritten (in Parquet, CSV and NDJSON alike), and the
...                 next query must see the change. An overwritten Parquet object has other row groups, so
...                 a footer kept from the first query no longer describes it. Each answer must equal the
...                 oracle's and count the rows the objects hold now (from the dataset's manifest).

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    fresh_objects    nodes=2
Suite Teardown      Stop Lab
Test Template       Change Under A Queried Glob Should Be Seen Under Every Strategy

Test Tags           equivalence    freshness


*** Variables ***
${DATASET}      fresh_objects
@{FORMATS}      parquet    csv    ndjson


*** Test Cases ***                                                 CHANGE
An object added under a queried glob is read                       Add A File
A deleted object is no longer read                                 Delete The First File
An overwritten object is read with its new contents and footer    Overwrite The First File


*** Keywords ***
Change Under A Queried Glob Should Be Seen Under Every Strategy
    [Documentation]    Under each strategy of the engine's list: queries every format's glob, makes the
    ...    ``change`` (a keyword taking the round, 1, 2, ..., so each round writes other rows), and
    ...    queries again.
    [Arguments]    ${change}
    ${strategies}=    Get Strategies
    FOR    ${round}    ${strategy}    IN ENUMERATE    @{strategies}    start=1
        Every Format Should Show The Dataset As It Is    ${strategy}
        Run Keyword    ${change}    ${round}
        Every Format Should Show The Dataset As It Is    ${strategy}
    END

Add A File
    [Documentation]    Adds a file in every format: 51 rows in round 1, 52 in round 2, ... (``5`` and the
    ...    round's digit), so each round writes other rows.
    [Arguments]    ${round}
    Add Dataset File    ${DATASET}    rows=5${round}    seed=${round}

Delete The First File
    [Documentation]    Deletes the first file in every format; each ``round`` deletes another one.
    [Arguments]    ${round}
    Log    Round ${round}: deleting the first remaining file
    Delete Dataset File    ${DATASET}    0

Overwrite The First File
    [Documentation]    Overwrites the first file in every format with 151 rows in round 1, 152 in round 2,
    ...    ... (``15`` and the round's digit): more rows and row groups than the files' 100, and other
    ...    ones each round.
    [Arguments]    ${round}
    Overwrite Dataset File    ${DATASET}    0    rows=15${round}    seed=${round}

Every Format Should Show The Dataset As It Is
    [Documentation]    Queries the globs of all three formats at once under ``strategy``: the answer must
    ...    equal the oracle's, and each format must count the rows the dataset's objects hold now.
    [Arguments]    ${strategy}
    ${manifest}=    Get Dataset Manifest    ${DATASET}
    ${parquet}=    Get Dataset Scan    ${DATASET}    parquet
    ${csv}=    Get Dataset Scan    ${DATASET}    csv
    ${ndjson}=    Get Dataset Scan    ${DATASET}    ndjson
    VAR    ${query}=
    ...    SELECT count(*) FILTER (WHERE fmt = 'parquet') AS parquet_rows,
    ...    count(*) FILTER (WHERE fmt = 'csv') AS csv_rows, count(*) FILTER (WHERE fmt = 'ndjson') AS ndjson_rows,
    ...    sum(id) AS ids, sum(amount) AS total, count(DISTINCT grp) AS groups FROM (
    ...    SELECT 'parquet' AS fmt, id, grp, amount FROM ${parquet}
    ...    UNION ALL SELECT 'csv' AS fmt, id, grp, amount FROM ${csv}
    ...    UNION ALL SELECT 'ndjson' AS fmt, id, grp, amount FROM ${ndjson})
    ${answer}=    Query Should Match Oracle    ${query}    strategy=${strategy}
    # The answer's first three columns are the formats' row counts, in the order of ${FORMATS}.
    ${counts}=    Get Answer Row    ${answer}
    FOR    ${format}    ${counted}    IN ZIP    ${FORMATS}    ${counts}    mode=SHORTEST
        Should Be Equal As Integers    ${counted}    ${manifest}[total_rows]
        ...    under ${strategy}: ${format} counts ${counted} rows, its objects hold ${manifest}[total_rows]
        ...    values=False
    END
