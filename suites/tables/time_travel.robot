*** Settings ***
Documentation       A snapshot's answer never changes: each surviving snapshot of a table is read
...                 (by snapshot id, by commit timestamp, or by Delta version) and its answer
...                 recorded; later commits are made (two writers appending at once); then the
...                 same snapshot, read again the same way, must give the recorded answer, and the
...                 engine must agree with the oracle on it under every strategy.

Resource            tables.resource
Library             Collections

Suite Setup         Start Lab With Table Histories    readings
Suite Teardown      Stop Lab
Test Template       Snapshots Should Answer The Same After Later Commits

Test Tags           table    time_travel


*** Test Cases ***
An Iceberg snapshot read by id answers the same after later commits
    readings    iceberg    id

An Iceberg snapshot read by timestamp answers the same after later commits
    readings    iceberg    timestamp

A Delta version answers the same after later commits
    readings    delta    version


*** Keywords ***
Snapshots Should Answer The Same After Later Commits
    [Documentation]    Records every surviving snapshot's answer, commits twice more, and checks
    ...    each snapshot again, on the oracle and on the engine.
    [Arguments]    ${table}    ${format}    ${by}
    ${snapshots}=    Get Table Snapshots    ${table}    ${format}
    ${recorded}=    Record Snapshot Answers    ${table}    ${format}    ${by}    @{snapshots}
    ${append}=    Append Concurrently To Table    ${table}    ${format}    engine_reads=${False}
    Table Should Hold Every Committed Row Once    ${append}
    FOR    ${snapshot}    ${before}    IN ZIP    ${snapshots}    ${recorded}
        ${query}=    Query Of Snapshot    SELECT * FROM SCAN    ${table}    ${format}    ${snapshot}    by=${by}
        ${after}=    Get Oracle Answer    ${query}
        Results Should Be Equal    ${after}    ${before}
        Snapshot Should Match The Oracle Under Every Strategy    ${table}    ${format}    ${snapshot}
    END

Record Snapshot Answers
    [Documentation]    The oracle's answer to ``SELECT *`` at each snapshot, read ``by`` id, timestamp
    ...    or version.
    [Arguments]    ${table}    ${format}    ${by}    @{snapshots}
    VAR    @{recorded}=    @{EMPTY}
    FOR    ${snapshot}    IN    @{snapshots}
        ${query}=    Query Of Snapshot    SELECT * FROM SCAN    ${table}    ${format}    ${snapshot}    by=${by}
        ${answer}=    Get Oracle Answer    ${query}
        Append To List    ${recorded}    ${answer}
    END
    RETURN    ${recorded}
