*** Settings ***
Documentation       Storage faults, in the spirit of Elasticsearch's external-source resilience tests.
...
...                 Transient faults (503 SlowDown, 500 InternalError, a reset before the response, a
...                 reset after 100 body bytes, a body cut short, a body slower than the read timeout) are
...                 injected once, twice and three times into each kind of request the engine really
...                 makes, for every format. The answer must equal the same query's clean answer, the
...                 proxy must show every fault followed by exactly one retry, and for data reads the
...                 engine's profile must count the extra attempts. Persistent faults must end in one
...                 clear error naming the object, the status and the attempts, quickly; 403 and 404 are
...                 never retried.
...
...                 What each operation targets (measured on the reference engine):
...                 - RANGE_GET: data reads. The engine never GETs a whole object: data nodes read their
...                 splits with range GETs (the coordinator reads Parquet footers the same way). Faults go
...                 to the data node the plan gives each object to, so the profile shows the retries;
...                 the three files of a format are faulted x1, x2 and x3 in one query.
...                 - LIST: the coordinator lists each glob once. One query reads all three formats (three
...                 listings); three rounds fault them x1, x2 and x3 in rotation.
...                 - HEAD: the coordinator asks the size of an object named without a wildcard; the query
...                 reads one file of each format. HEAD answers have no body: status and reset faults only.

Resource            ../../resources/lab.resource
Library             Collections
Library             OperatingSystem

Suite Setup         Start Lab With Dataset    smoke    nodes=3
Suite Teardown      Stop Lab
Test Setup          Reset Proxy Stats
Test Teardown       Clear Faults
Test Template       Transient Fault Should Be Retried

Test Tags           fault


*** Variables ***
@{FORMATS}                  parquet    csv    ndjson
# Round robin puts the data reads on the data nodes.
${STRATEGY}                 round_robin
# Data reads of files 0, 1 and 2 of a format are faulted once, twice and three times in one query.
@{FAULTS_PER_OBJECT}        ${1}    ${2}    ${3}
${ALL_OBJECT_FAULTS}        ${6}
# LIST and HEAD: one query per round faults parquet, csv and ndjson requests by these counts.
@{ROTATED_FAULTS}           ${FAULTS_PER_OBJECT}    ${ROTATED_ONCE}    ${ROTATED_TWICE}
@{ROTATED_ONCE}             ${2}    ${3}    ${1}
@{ROTATED_TWICE}            ${3}    ${1}    ${2}
# NDJSON split size of the seeded random fault tests: about twenty splits over the three files.
${SPLIT_SIZE}               ${16000}
# The faults, as Inject Fault takes them.
&{SLOWDOWN}                 action=slowdown_503
&{INTERNAL_ERROR}           action=internal_error_500
&{RESET}                    action=reset_before_response
&{RESET_AFTER_100_BYTES}    action=reset_after_bytes    bytes=${100}
&{TRUNCATED_AT_100_BYTES}   action=truncated_body    bytes=${100}
&{ONE_BYTE_PER_SECOND}      action=slow_body    rate=${1}
&{ACCESS_DENIED}            action=forbidden_403
&{NO_SUCH_KEY}              action=not_found_404
# Backoff timing is unit-tested elsewhere; short waits keep the matrix fast.
&{FAST_RETRIES}             initial_backoff_s=${0.01}    max_backoff_s=${0.05}
&{THREE_FAST_ATTEMPTS}      max_attempts=${3}    initial_backoff_s=${0.01}    max_backoff_s=${0.05}
# A body trickling one byte per second outlasts a half-second read timeout: the reader gives up and resumes.
&{IMPATIENT_READS}          read_timeout_s=${0.5}    initial_backoff_s=${0.01}    max_backoff_s=${0.05}
&{TWO_IMPATIENT_ATTEMPTS}   max_attempts=${2}    read_timeout_s=${0.5}    initial_backoff_s=${0.01}
# The engine's own retry policy, untouched: 4 attempts, 200 ms initial backoff doubling.
&{DEFAULT_POLICY}           &{EMPTY}


*** Test Cases ***                                              FAULT                        OPERATION    PRAGMA
SlowDown on data reads is retried                               ${SLOWDOWN}                  RANGE_GET    ${FAST_RETRIES}
InternalError on data reads is retried                          ${INTERNAL_ERROR}            RANGE_GET    ${FAST_RETRIES}
Reset before the response on data reads is retried              ${RESET}                     RANGE_GET    ${FAST_RETRIES}
Reset after 100 bytes of a data read resumes the read           ${RESET_AFTER_100_BYTES}     RANGE_GET    ${FAST_RETRIES}
Truncated data read resumes the read                            ${TRUNCATED_AT_100_BYTES}    RANGE_GET    ${FAST_RETRIES}
Data read slower than the read timeout is resumed               ${ONE_BYTE_PER_SECOND}       RANGE_GET    ${IMPATIENT_READS}
SlowDown on the listing is retried                              ${SLOWDOWN}                  LIST         ${FAST_RETRIES}
InternalError on the listing is retried                         ${INTERNAL_ERROR}            LIST         ${FAST_RETRIES}
Reset before the response on the listing is retried             ${RESET}                     LIST         ${FAST_RETRIES}
Reset after 100 bytes of the listing is retried                 ${RESET_AFTER_100_BYTES}     LIST         ${FAST_RETRIES}
Truncated listing is retried                                    ${TRUNCATED_AT_100_BYTES}    LIST         ${FAST_RETRIES}
Listing slower than the read timeout is retried                 ${ONE_BYTE_PER_SECOND}       LIST         ${IMPATIENT_READS}
SlowDown on HEAD is retried                                     ${SLOWDOWN}                  HEAD         ${FAST_RETRIES}
InternalError on HEAD is retried                                ${INTERNAL_ERROR}            HEAD         ${FAST_RETRIES}
Reset before the response on HEAD is retried                    ${RESET}                     HEAD         ${FAST_RETRIES}

Persistent SlowDown on data reads fails after the default four attempts
    [Documentation]    The engine's own retry policy, untouched: four attempts, then one error naming it all.
    [Template]    Persistent Fault Should Fail Clearly
    ${SLOWDOWN}    RANGE_GET    503 SlowDown    4    ${DEFAULT_POLICY}

Persistent faults fail with the object, the status and the attempts
    [Documentation]    Each row faults every attempt of one kind of request; ``max_attempts`` sets the count.
    [Template]    Persistent Fault Should Fail Clearly
    ${INTERNAL_ERROR}            LIST         500 InternalError    3    ${THREE_FAST_ATTEMPTS}
    ${RESET}                     HEAD         connection reset     3    ${THREE_FAST_ATTEMPTS}
    ${TRUNCATED_AT_100_BYTES}    RANGE_GET    truncated body       3    ${THREE_FAST_ATTEMPTS}
    ${ONE_BYTE_PER_SECOND}       RANGE_GET    read timeout         2    ${TWO_IMPATIENT_ATTEMPTS}

Access denied and missing objects are not retried
    [Documentation]    403 and 404 will not change on a second try: one attempt although four are allowed.
    [Template]    Persistent Fault Should Fail Clearly
    ${ACCESS_DENIED}    RANGE_GET    403 AccessDenied    1    ${FAST_RETRIES}
    ${NO_SUCH_KEY}      RANGE_GET    404 NoSuchKey       1    ${FAST_RETRIES}
    ${ACCESS_DENIED}    LIST         403 AccessDenied    1    ${FAST_RETRIES}
    ${NO_SUCH_KEY}      HEAD         404 Not Found       1    ${FAST_RETRIES}

Transient faults are recovered under the engine's own retry policy
    [Documentation]    The first two data reads of one object answer the fault, with no retry pragma (so
    ...    any engine, whatever it exposes, runs it): the answer equals the clean one and both faults were hit.
    [Template]    Fault Should Be Recovered Under The Default Policy
    ${SLOWDOWN}
    ${INTERNAL_ERROR}
    ${RESET}
    ${TRUNCATED_AT_100_BYTES}

A persistent fault under the engine's own retry policy names the object
    [Documentation]    Every data read of one object answers 500 InternalError, with no retry pragma:
    ...    the query fails with one error naming that object, within two minutes.
    [Template]    NONE
    ${query}=    Query Issuing    RANGE_GET    parquet
    ${key}=    Get Dataset Object Key    smoke    parquet    index=1
    ${uri}=    Get Dataset Uri    smoke    parquet    index=1
    Inject Fault    internal_error_500    key=${key}
    Query Should Fail With    ${query}    strategy=${STRATEGY}    object=${uri}    within=120 s
    Fault Should Have Been Hit    internal_error_500    key=${key}

A fault on one node's listener touches only that node's reads
    [Documentation]    Every first attempt of node-2's reads gets a 500; the coordinator and the other
    ...    nodes read through their own listeners and see nothing. The profile shows, per object,
    ...    exactly as many extra attempts as the proxy injected faults on it.
    [Template]    NONE
    ${query}=    Query Issuing    RANGE_GET    parquet
    ${clean}    ${clean_stats}=    Run Clean Query    ${query}
    Inject Fault    internal_error_500    reader=node-2    per_request=1
    ${faulted}=    Run Faulted Query    ${query}    ${FAST_RETRIES}
    Results Should Be Equal    ${faulted}    ${clean}
    ${hits}=    Fault Should Have Been Hit    internal_error_500    reader=node-2
    Proxy Should Show Retries    ${clean_stats}    internal_error_500    RANGE_GET    faults=${hits}
    FOR    ${reader}    IN    coordinator    node-1    node-3
        Fault Should Have Been Hit    internal_error_500    times=0    reader=${reader}
    END
    FOR    ${index}    IN RANGE    3
        Extra Attempts Should Equal Faults On Object    ${faulted}    ${clean}    parquet    ${index}
    END

Seeded random faults give the same answer under every strategy
    [Documentation]    A quarter of all requests of a many-split NDJSON query answer 503, picked by a fixed
    ...    seed; under every strategy the retries absorb them and the answer equals the clean one.
    [Template]    NONE
    ${strategies}=    Get Strategies
    ${query}=    Query Issuing    RANGE_GET    ndjson
    FOR    ${strategy}    IN    @{strategies}
        ${clean}=    Run Query    ${query}    strategy=${strategy}    target_split_size=${SPLIT_SIZE}
        ${faulted}=    Run Query With Seeded Faults    ${query}    ${strategy}
        Fault Should Have Been Hit    slowdown_503
        Results Should Be Equal    ${faulted}    ${clean}
    END

The same seed faults the same requests
    [Documentation]    Two runs of one query with the same seeded rule see exactly as many faults on each
    ...    object: a failure found with random faults can be replayed.
    [Template]    NONE
    ${query}=    Query Issuing    RANGE_GET    ndjson
    Run Query With Seeded Faults    ${query}    ${STRATEGY}
    ${first}=    Get Proxy Stats
    Run Query With Seeded Faults    ${query}    ${STRATEGY}
    Faults Per Object Should Be As In    ${first}    slowdown_503


*** Keywords ***
Query Issuing
    [Documentation]    A grouped aggregate over the smoke dataset in ``format`` that makes the engine issue
    ...    ``operation``: over one file named exactly for HEAD, over the glob of all files otherwise.
    [Arguments]    ${operation}    ${format}
    ${scan}=    Scan Issuing    ${operation}    ${format}
    RETURN    SELECT region, count(*) AS n, sum(qty) AS q, max(day) AS last_day FROM ${scan} GROUP BY region

Scan Issuing
    [Documentation]    The scan of the smoke dataset in ``format`` that makes the engine issue ``operation``:
    ...    of file 1 named exactly for HEAD (its size is asked), of the glob of all files otherwise.
    [Arguments]    ${operation}    ${format}
    IF    $operation == 'HEAD'
        ${scan}=    Get Dataset Scan    smoke    ${format}    index=1
    ELSE
        ${scan}=    Get Dataset Scan    smoke    ${format}
    END
    RETURN    ${scan}

Run Clean Query
    [Documentation]    Runs ``query`` without faults; returns its answer and the proxy statistics it caused.
    [Arguments]    ${query}
    Reset Proxy Stats
    ${answer}=    Run Query    ${query}    strategy=${STRATEGY}
    ${stats}=    Get Proxy Stats
    RETURN    ${answer}    ${stats}

Run Faulted Query
    [Documentation]    Runs ``query`` with the faults injected and the ``pragma`` given, statistics reset first.
    [Arguments]    ${query}    ${pragma}
    Reset Proxy Stats
    ${answer}=    Run Query    ${query}    strategy=${STRATEGY}    &{pragma}
    RETURN    ${answer}

Transient Fault Should Be Retried
    [Documentation]    For every format: ``fault`` injected x1, x2 and x3 into ``operation`` requests is
    ...    retried, the answer is unchanged and the proxy (and for data reads the profile) shows the retries.
    [Arguments]    ${fault}    ${operation}    ${pragma}
    IF    $operation == 'RANGE_GET'
        FOR    ${format}    IN    @{FORMATS}
            Data Read Faults Should Be Retried    ${fault}    ${format}    ${pragma}
        END
    ELSE
        Planning Faults Should Be Retried    ${fault}    ${operation}    ${pragma}
    END

Fault Should Be Recovered Under The Default Policy
    [Documentation]    Faults the first two data reads of CSV file 1 and checks the answer under the
    ...    engine's untouched retry policy equals the clean one, with both faults hit.
    [Arguments]    ${fault}
    ${query}=    Query Issuing    RANGE_GET    csv
    ${clean}    ${_}=    Run Clean Query    ${query}
    ${key}=    Get Dataset Object Key    smoke    csv    index=1
    Inject Fault    &{fault}    key=${key}    operation=RANGE_GET    times=${2}
    ${faulted}=    Run Faulted Query    ${query}    ${DEFAULT_POLICY}
    Results Should Be Equal    ${faulted}    ${clean}
    Fault Should Have Been Hit    ${fault}[action]    times=2    key=${key}
    [Teardown]    Clear Faults

Data Read Faults Should Be Retried
    [Documentation]    Faults the data reads of file 0 once, file 1 twice and file 2 three times, each on
    ...    the node the plan gives it to, all in one query.
    [Arguments]    ${fault}    ${format}    ${pragma}
    ${query}=    Query Issuing    RANGE_GET    ${format}
    ${plan}=    Plan Query    ${query}    strategy=${STRATEGY}
    ${clean}    ${clean_stats}=    Run Clean Query    ${query}
    FOR    ${index}    ${times}    IN ENUMERATE    @{FAULTS_PER_OBJECT}
        Fault Data Reads Of Object    ${fault}    ${plan}    ${format}    ${index}    times=${times}
    END
    ${faulted}=    Run Faulted Query    ${query}    ${pragma}
    Results Should Be Equal    ${faulted}    ${clean}
    Proxy Should Show Retries    ${clean_stats}    ${fault}[action]    RANGE_GET    faults=${ALL_OBJECT_FAULTS}
    FOR    ${index}    ${times}    IN ENUMERATE    @{FAULTS_PER_OBJECT}
        ${key}=    Get Dataset Object Key    smoke    ${format}    index=${index}
        Split Attempts Should Be    ${faulted}    ${key}    ${times}    baseline=${clean}
    END
    [Teardown]    Clear Faults

Fault Data Reads Of Object
    [Documentation]    Injects ``fault`` into the range GETs of file ``index`` through the listener of the
    ...    node that ``plan`` gives it to; ``times`` limits the faults (no limit: every attempt).
    [Arguments]    ${fault}    ${plan}    ${format}    ${index}    ${times}=${None}
    ${key}=    Get Dataset Object Key    smoke    ${format}    index=${index}
    ${node}=    Get Split Node    ${plan}    ${key}
    Inject Fault    &{fault}    key=${key}    reader=${node}    operation=RANGE_GET    times=${times}

Planning Faults Should Be Retried
    [Documentation]    One query reads every format, so the coordinator makes one LIST (or HEAD) per format.
    ...    In three rounds the formats' requests are faulted x1, x2 and x3, the counts rotating, so
    ...    every format sees each count.
    [Arguments]    ${fault}    ${operation}    ${pragma}
    ${query}=    Query Over Every Format    ${operation}
    ${clean}    ${clean_stats}=    Run Clean Query    ${query}
    FOR    ${counts}    IN    @{ROTATED_FAULTS}
        FOR    ${format}    ${times}    IN ZIP    ${FORMATS}    ${counts}
            Fault Planning Request Of Format    ${fault}    ${operation}    ${format}    ${times}
        END
        ${faulted}=    Run Faulted Query    ${query}    ${pragma}
        Results Should Be Equal    ${faulted}    ${clean}
        Proxy Should Show Retries    ${clean_stats}    ${fault}[action]    ${operation}    faults=${ALL_OBJECT_FAULTS}
        Clear Faults
    END
    [Teardown]    Clear Faults

Query Over Every Format
    [Documentation]    The grouped aggregate over the smoke dataset in all three formats at once: over one file
    ...    of each, named exactly, for HEAD; over each format's glob otherwise.
    [Arguments]    ${operation}
    VAR    @{selects}=    @{EMPTY}
    FOR    ${format}    IN    @{FORMATS}
        ${scan}=    Scan Issuing    ${operation}    ${format}
        Append To List    ${selects}    SELECT region, qty, day FROM ${scan}
    END
    ${union}=    Catenate    SEPARATOR=${SPACE}UNION ALL${SPACE}    @{selects}
    RETURN    SELECT region, count(*) AS n, sum(qty) AS q, max(day) AS last_day FROM (${union}) GROUP BY region

Fault Planning Request Of Format
    [Documentation]    Injects ``fault`` into the first ``times`` LIST or HEAD requests of ``format``'s files: a
    ...    listing is keyed by its prefix (the files' folder), a HEAD by the object's key.
    [Arguments]    ${fault}    ${operation}    ${format}    ${times}
    ${key}=    Get Dataset Object Key    smoke    ${format}    index=1
    IF    $operation == 'LIST'
        @{folder_and_file}=    Split Path    ${key}
        ${key}=    Catenate    SEPARATOR=${EMPTY}    ${folder_and_file}[0]    /
    END
    Inject Fault    &{fault}    key=${key}    operation=${operation}    times=${times}

Persistent Fault Should Fail Clearly
    [Documentation]    For every format: ``fault`` on every ``operation`` request (data reads: of file 1, on the
    ...    node reading it) ends the query with one error naming the object, ``status`` and ``attempts``
    ...    within 15 s, and the proxy saw exactly ``attempts`` faults.
    [Arguments]    ${fault}    ${operation}    ${status}    ${attempts}    ${pragma}
    FOR    ${format}    IN    @{FORMATS}
        ${query}=    Query Issuing    ${operation}    ${format}
        ${object}=    Inject Persistent Fault    ${fault}    ${operation}    ${format}    ${query}
        Reset Proxy Stats
        Query Should Fail With    ${query}    strategy=${STRATEGY}    object=${object}    status=${status}
        ...    attempts=${attempts}    error_type=storage_exception    within=15 s    &{pragma}
        Fault Should Have Been Hit    ${fault}[action]    times=${attempts}
        Clear Faults
    END
    [Teardown]    Clear Faults

Inject Persistent Fault
    [Documentation]    Injects ``fault`` into every ``operation`` request ``query`` makes (data reads: only
    ...    those of file 1, on its node); returns the URI the engine's error must name.
    [Arguments]    ${fault}    ${operation}    ${format}    ${query}
    IF    $operation == 'RANGE_GET'
        ${plan}=    Plan Query    ${query}    strategy=${STRATEGY}
        Fault Data Reads Of Object    ${fault}    ${plan}    ${format}    1
    ELSE
        Inject Fault    &{fault}    operation=${operation}
    END
    IF    $operation == 'LIST'
        ${object}=    Get Dataset Uri    smoke    ${format}
    ELSE
        ${object}=    Get Dataset Uri    smoke    ${format}    index=1
    END
    RETURN    ${object}

Extra Attempts Should Equal Faults On Object
    [Documentation]    The profile's extra read attempts on file ``index`` equal the faults the proxy injected on it.
    [Arguments]    ${faulted}    ${clean}    ${format}    ${index}
    ${key}=    Get Dataset Object Key    smoke    ${format}    index=${index}
    ${hits}=    Get Fault Count    internal_error_500    key=${key}
    Split Attempts Should Be    ${faulted}    ${key}    ${hits}    baseline=${clean}

Run Query With Seeded Faults
    [Documentation]    Runs ``query`` with 503 SlowDown on a quarter of all requests, picked by seed 20261123,
    ...    statistics reset first. Ten fast attempts make exhausting the retries practically impossible.
    [Arguments]    ${query}    ${strategy}
    Reset Proxy Stats
    Inject Fault    slowdown_503    probability=0.25    seed=20261123
    ${answer}=    Run Query    ${query}    strategy=${strategy}    target_split_size=${SPLIT_SIZE}
    ...    max_attempts=${10}    &{FAST_RETRIES}
    Clear Faults
    RETURN    ${answer}
