*** Settings ***
Documentation       Table reads the engine cannot serve: each refused with a 400 and one line naming the
...                 table and what was asked.
...
...                 A path that holds no table (no version hint, no Delta log), a snapshot id the table
...                 never had, a Delta version past the latest, a timestamp before the first snapshot,
...                 an Iceberg format version the reader does not support, an option the table function
...                 does not take. None may crash the coordinator (500) or answer rows.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Small Tables
Suite Teardown      Stop Lab
Test Template       Table Query Should Be Refused

Test Tags           table    bad-input


*** Variables ***
${ICEBERG_OPTIONS}      snapshot_from_id, snapshot_from_timestamp
${Y2K}                  2000-01-01 00:00:00
${NO_PRICE}             Binder Error: Referenced column "price" not found in iceberg_scan


*** Test Cases ***    QUERY    REASON
Iceberg path that holds no table
    SELECT * FROM iceberg_scan('${NOWHERE}')
    ...    iceberg_scan: ${NOWHERE} is not an Iceberg table: no ${NOWHERE}/metadata/version-hint.text
Delta path that holds no table
    SELECT * FROM delta_scan('${NOWHERE}')
    ...    delta_scan: ${NOWHERE} is not a Delta table: no commits in ${NOWHERE}/_delta_log/
Snapshot id the table never had
    SELECT * FROM iceberg_scan('${ICEBERG}[root]', snapshot_from_id => 1)
    ...    iceberg_scan: table ${ICEBERG}[root] has no snapshot 1; it has 4 snapshots (nearest id ${ICEBERG}[snapshots][0])
Delta version past the latest
    SELECT * FROM delta_scan('${DELTA}[root]', version => 9)
    ...    delta_scan: table ${DELTA}[root] has no version 9; the latest is 1
Timestamp before the first snapshot
    SELECT * FROM iceberg_scan('${ICEBERG}[root]', snapshot_from_timestamp => TIMESTAMP '${Y2K}')
    ...    iceberg_scan: table ${ICEBERG}[root] has no snapshot at or before ${Y2K}; the first is at ${ICEBERG}[first_commit_at]
Iceberg format version 3
    SELECT * FROM iceberg_scan('${NEWER}[root]')
    ...    iceberg_scan: table ${NEWER}[root] has format version 3; this reader supports 1 and 2
Column the snapshot does not have
    SELECT city, price FROM iceberg_scan('${ICEBERG}[root]')
    ...    ${NO_PRICE} (snapshot ${ICEBERG}[current_snapshot]); its columns are: id, city, amount
Option the table function does not take
    SELECT * FROM iceberg_scan('${ICEBERG}[root]', version => 1)
    ...    iceberg_scan option 'version => 1' is not supported; its options are ${ICEBERG_OPTIONS}


*** Keywords ***
Start Lab With Small Tables
    [Documentation]    A lab with one data node, an Iceberg and a Delta table, an Iceberg table declaring
    ...    format version 3, and a path under the lab's prefix that holds nothing.
    Start Lab    nodes=1
    &{facts}=    Create Small Table    iceberg    facts
    &{log}=    Create Small Table    delta    facts
    &{v3}=    Create Small Table    iceberg    newer
    Set Iceberg Format Version    ${v3}    3
    # The template rows of every test read them, so they are the suite's.
    VAR    &{ICEBERG}=    &{facts}    scope=SUITE    # robocop: off=VAR05
    VAR    &{DELTA}=    &{log}    scope=SUITE    # robocop: off=VAR05
    VAR    &{NEWER}=    &{v3}    scope=SUITE    # robocop: off=VAR05
    VAR    ${NOWHERE}=    ${facts}[root]-missing    scope=SUITE    # robocop: off=VAR05

Table Query Should Be Refused
    [Documentation]    ``query`` is refused with 400, ``verification_exception`` and exactly ``reason``.
    [Arguments]    ${query}    ${reason}
    Request Should Be Refused    coordinator    POST    /query    {"query": "${query}"}
    ...    400    verification_exception    ${reason}
