*** Settings ***
Documentation       A query's deadline, and its client going away, stop every path of the engine.
...
...                 Each test slows one path through the fault proxy (a trickling body, a request that
...                 never answers, a store that keeps failing) and gives the query a two-second deadline:
...                 the query must end within the deadline plus three seconds (room for a busy machine),
...                 with a timeout error naming what it was doing, and no node work may be left running
...                 after it. The paths: splits the coordinator reads itself, splits data nodes read,
...                 listing, Parquet footer reads and retries. A synchronous query whose client disconnects is cancelled the same way.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    smoke    nodes=3
Suite Teardown      Stop Lab
Test Setup          Reset Proxy Stats
Test Teardown       Clear Faults

Test Tags           resilience


*** Variables ***
${DEADLINE}             ${2}
# The deadline plus three seconds: a loaded 2-core machine answered 1.3 s late with the deadline honoured.
${WITHIN}               5 s
# Node threads stop at their next body chunk or request; on a loaded 2-core machine that can take a second.
${SETTLE}               2 s
# Bytes per second: a 4 kB split's body takes two seconds to arrive.
${TRICKLE}              ${2000}
# NDJSON in 4 kB splits, not coalesced: about seventy splits, far more work than the deadline allows.
&{MANY_SPLITS}          target_split_size=${4000}    coalesce=${False}
# Retries that would go on for minutes: many attempts, short backoff.
&{ENDLESS_RETRIES}      max_attempts=${20}    initial_backoff_s=${0.2}    max_backoff_s=${0.2}


*** Test Cases ***
Splits the coordinator reads itself stop at the deadline
    [Documentation]    Under coordinator_only the coordinator reads every split; its trickling reads end at the
    ...    deadline with the object it was reading named.
    Inject Fault    slow_body    rate=${TRICKLE}    operation=RANGE_GET    reader=coordinator
    ${query}=    Aggregate Query Over    ndjson
    Query Should Time Out While    reading splits on coordinator (s3://    ${query}
    ...    strategy=coordinator_only    &{MANY_SPLITS}

Splits data nodes read stop at the deadline
    [Documentation]    Every node's reads trickle; the query ends at the deadline and no node goes on reading.
    Inject Fault    slow_body    rate=${TRICKLE}    operation=RANGE_GET
    ${query}=    Aggregate Query Over    ndjson
    Query Should Time Out While    reading splits on node-    ${query}    strategy=round_robin    &{MANY_SPLITS}

Listing that never answers stops at the deadline
    [Documentation]    The object store never answers the listing of the query's glob.
    Inject Fault    hang    hang=30 s    operation=LIST
    ${query}=    Aggregate Query Over    parquet
    Query Should Time Out While    listing objects on the coordinator    ${query}    strategy=round_robin

Parquet footer reads that never answer stop at the deadline
    [Documentation]    The coordinator plans from the files' footers; reads of them hang.
    Inject Fault    hang    hang=30 s    operation=RANGE_GET    reader=coordinator
    ${query}=    Aggregate Query Over    parquet
    Query Should Time Out While    reading file footers and headers on the coordinator    ${query}
    ...    strategy=round_robin

Retries stop at the deadline
    [Documentation]    Every footer read fails with 503 SlowDown; twenty attempts with short backoff would take
    ...    longer than the deadline, so the retries stop at it, after several attempts.
    Inject Fault    slowdown_503    operation=RANGE_GET    reader=coordinator
    ${query}=    Aggregate Query Over    parquet
    Query Should Time Out While    reading file footers and headers on the coordinator    ${query}
    ...    strategy=round_robin    &{ENDLESS_RETRIES}
    ${faults}=    Fault Should Have Been Hit    slowdown_503
    Should Be True    ${faults} >= 3    msg=only ${faults} attempts: the query did not retry until its deadline

A client that disconnects cancels its query
    [Documentation]    A synchronous query's client goes away while the nodes read; the coordinator cancels
    ...    the query and every node stops, long before the query could have finished.
    Inject Fault    latency    latency=200 ms    operation=RANGE_GET
    ${query}=    Aggregate Query Over    ndjson
    Abandon Query While Nodes Work    ${query}    strategy=round_robin    &{MANY_SPLITS}
    Wait Until No Node Work Is Running    timeout=${WITHIN}


*** Keywords ***
Aggregate Query Over
    [Documentation]    A grouped aggregate over all smoke files of ``format``, so nodes read column data.
    [Arguments]    ${format}
    ${scan}=    Get Dataset Scan    smoke    ${format}
    RETURN    SELECT region, count(*) AS n, sum(qty) AS q FROM ${scan} GROUP BY region

Query Should Time Out While
    [Documentation]    Runs ``query`` with the suite's deadline and expects a timeout naming ``doing`` within the
    ...    deadline plus three seconds, and no node work after it. Further ``name=value`` arguments are
    ...    pragmas. Returns the reason.
    [Arguments]    ${doing}    ${query}    &{pragma}
    ${reason}=    Query Should Fail With    ${query}    error_type=timeout_exception
    ...    contains=deadline of ${DEADLINE} s (pragma query_timeout_s) while ${doing}    within=${WITHIN}
    ...    query_timeout_s=${DEADLINE}    &{pragma}
    Wait Until No Node Work Is Running    timeout=${SETTLE}
    RETURN    ${reason}
