*** Settings ***
Documentation     Smoke test of fault injection: SlowDown answers on one object are retried by
...               the reader, the data still reads back completely, and the proxy counts every fault.

Resource          ../../resources/lab.resource

Suite Setup       Start Lab With Dataset    smoke    nodes=1
Suite Teardown    Stop Lab
Test Setup        Reset Proxy Stats
Test Teardown     Clear Faults

Test Tags         smoke    fault


*** Test Cases ***
Two SlowDowns on one object are retried and counted
    [Documentation]    The object store answers 503 SlowDown twice for one Parquet file; the
    ...    reader retries, every row still arrives, and the proxy saw exactly two faults on it.
    ${key}=    Get Dataset Object Key    smoke    parquet    index=1
    Inject Fault    slowdown_503    key=${key}    times=2
    Dataset Should Read Back Completely    smoke    parquet
    Fault Should Have Been Hit    slowdown_503    times=2    key=${key}

A fault on one reader leaves the other reader untouched
    [Documentation]    Every first attempt through node-1's listener gets a 500 InternalError;
    ...    reads through the coordinator see no fault, reads through node-1 retry and succeed.
    Inject Fault    internal_error_500    reader=node-1    per_request=1
    Dataset Should Read Back Completely    smoke    csv    reader=coordinator
    Fault Should Have Been Hit    internal_error_500    times=0
    Dataset Should Read Back Completely    smoke    csv    reader=node-1
    Fault Should Have Been Hit    internal_error_500    reader=node-1
