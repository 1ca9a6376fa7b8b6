*** Settings ***
Documentation       Storage faults on table metadata: the reads that plan a table and find its deletes.
...
...                 An Iceberg table (two appends, a position delete file, an equality delete file) and a
...                 Delta table (two commits) are read under round robin, so the coordinator plans and the
...                 data nodes read the data and delete files. A transient fault (503 SlowDown, 500
...                 InternalError, a reset before the response, a body cut short) on the metadata JSON,
...                 the manifest list, a manifest, a delete file or a Delta commit is injected twice:
...                 the answer must equal the clean one, which equals the oracle's, and the proxy must
...                 show each fault followed by exactly one retry. A persistent fault on one of them must
...                 end in one error naming the object, the status and the attempts.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Small Tables
Suite Teardown      Stop Lab
Test Setup          Reset Proxy Stats
Test Teardown       Clear Faults
Test Template       Transient Fault On Table Metadata Should Be Retried

Test Tags           table    fault


*** Variables ***
# Round robin: the coordinator reads the metadata, the data nodes the data and delete files.
${STRATEGY}                 round_robin
${FAULTS}                   ${2}
&{SLOWDOWN}                 action=slowdown_503
&{INTERNAL_ERROR}           action=internal_error_500
&{RESET}                    action=reset_before_response
&{TRUNCATED_AT_100_BYTES}   action=truncated_body    bytes=${100}
# Backoff timing is unit-tested elsewhere; short waits keep the suite fast.
&{FAST_RETRIES}             initial_backoff_s=${0.01}    max_backoff_s=${0.05}
&{THREE_FAST_ATTEMPTS}      max_attempts=${3}    initial_backoff_s=${0.01}    max_backoff_s=${0.05}


*** Test Cases ***                                          FAULT                        TABLE      OBJECT
SlowDown on the metadata JSON is retried                    ${SLOWDOWN}                  iceberg    metadata_json
Truncated metadata JSON is retried                          ${TRUNCATED_AT_100_BYTES}    iceberg    metadata_json
InternalError on the manifest list is retried               ${INTERNAL_ERROR}            iceberg    manifest_list
Reset before the response on a manifest is retried          ${RESET}                     iceberg    manifest
Truncated manifest is retried                               ${TRUNCATED_AT_100_BYTES}    iceberg    manifest
SlowDown on a position delete file is retried               ${SLOWDOWN}                  iceberg    position_deletes
Truncated equality delete file is retried                   ${TRUNCATED_AT_100_BYTES}    iceberg    equality_deletes
InternalError on a Delta commit is retried                  ${INTERNAL_ERROR}            delta      commit
Truncated Delta commit is retried                           ${TRUNCATED_AT_100_BYTES}    delta      commit

Persistent faults on table metadata name the object, the status and the attempts
    [Documentation]    Every read of one object answers the fault; ``max_attempts`` is 3.
    [Template]    Persistent Fault On Table Metadata Should Fail Clearly
    ${INTERNAL_ERROR}    iceberg    metadata_json       500 InternalError
    ${SLOWDOWN}          iceberg    manifest_list       503 SlowDown
    ${RESET}             iceberg    manifest            connection reset
    ${INTERNAL_ERROR}    iceberg    position_deletes    500 InternalError
    ${SLOWDOWN}          delta      commit              503 SlowDown


*** Keywords ***
Start Lab With Small Tables
    [Documentation]    A lab with three data nodes and the suite's two tables, kept as suite variables.
    Start Lab    nodes=3
    &{iceberg}=    Create Small Table    iceberg    facts
    &{delta}=    Create Small Table    delta    facts
    VAR    &{TABLES}=    iceberg=${iceberg}    delta=${delta}    scope=SUITE    # robocop: off=VAR05

Query Over
    [Documentation]    The suite's grouped aggregate over ``table``.
    [Arguments]    ${table}
    RETURN    SELECT city, count(*) AS n, sum(amount) AS total FROM ${TABLES}[${table}][scan] GROUP BY city

Transient Fault On Table Metadata Should Be Retried
    [Documentation]    ``fault`` on the first two reads of ``object`` of ``table``: the answer is the clean
    ...    one (itself the oracle's), and the proxy shows each fault retried exactly once.
    [Arguments]    ${fault}    ${table}    ${object}
    ${query}=    Query Over    ${table}
    VAR    ${key}=    ${TABLES}[${table}][${object}]
    ${clean}=    Query Should Match Oracle    ${query}    strategy=${STRATEGY}
    ${clean_stats}=    Get Proxy Stats
    Reset Proxy Stats
    Inject Fault    key=${key}    times=${FAULTS}    &{fault}
    ${faulted}=    Run Query    ${query}    strategy=${STRATEGY}    &{FAST_RETRIES}
    Results Should Be Equal    ${faulted}    ${clean}
    Fault Should Have Been Hit    ${fault}[action]    times=${FAULTS}    key=${key}
    Proxy Should Show Retries    ${clean_stats}    ${fault}[action]    RANGE_GET    faults=${FAULTS}

Persistent Fault On Table Metadata Should Fail Clearly
    [Documentation]    ``fault`` on every read of ``object`` of ``table``: one error naming the object,
    ...    ``status`` and three attempts.
    [Arguments]    ${fault}    ${table}    ${object}    ${status}
    ${query}=    Query Over    ${table}
    VAR    ${key}=    ${TABLES}[${table}][${object}]
    Inject Fault    key=${key}    &{fault}
    Query Should Fail With    ${query}    strategy=${STRATEGY}    object=s3://${TABLES}[${table}][bucket]/${key}
    ...    status=${status}    attempts=3    &{THREE_FAST_ATTEMPTS}
    Clear Faults
