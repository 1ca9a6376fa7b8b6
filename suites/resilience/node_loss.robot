*** Settings ***
Documentation       Losing data nodes, cancelling and timing out: the engine never silently loses work.
...
...                 A node killed before a query is not used; a node killed while it reads has its splits
...                 reassigned and the answer is unchanged, or, when partial results are allowed, the
...                 answer is flagged partial with the missing splits listed; losing every node is one
...                 clear error; a restarted node is used again. A cancelled query leaves no node work
...                 running, and a query's deadline bounds hanging reads and retry backoff alike.
...                 Nodes are killed with SIGKILL (a crash); reads are slowed through the fault proxy so
...                 the kill lands while the node is reading, found by watching its listener's requests.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    smoke    nodes=3
Suite Teardown      Stop Lab
Test Setup          Reset Proxy Stats
Test Teardown       Bring The Cluster Back

Test Tags           resilience


*** Variables ***
# Reads through a slowed listener take this long, so a node is still reading when it is killed.
${SLOW_READS}           400 ms
# round_robin spreads the three Parquet files over the three nodes, one each.
${STRATEGY}             round_robin
# NDJSON in 4 kB splits, not coalesced: about seventy splits, so a cancel lands with most still unread.
&{MANY_SPLITS}          target_split_size=${4000}    coalesce=${False}


*** Test Cases ***
A node killed before the query is not used and nothing is lost
    [Documentation]    Under every strategy, with node-3 dead, the answer equals plain DuckDB's and no split
    ...    is given to node-3.
    ${strategies}=    Get Strategies
    ${query}=    Aggregate Query Over    parquet
    Kill Node    node-3
    FOR    ${strategy}    IN    @{strategies}
        ${result}=    Query Should Match Oracle    ${query}    strategy=${strategy}
        Node Should Not Have Read Splits    ${result}    node-3
        Answer Should Be Complete    ${result}
    END

A restarted node is used again
    [Documentation]    node-2 crashes and comes back; the coordinator sees it and gives it splits again.
    ${query}=    Aggregate Query Over    parquet
    Kill Node    node-2
    ${without}=    Run Query    ${query}    strategy=${STRATEGY}
    Node Should Not Have Read Splits    ${without}    node-2
    Restart Node    node-2
    ${nodes}=    Get Live Nodes
    Should Contain    ${nodes}    node-2
    ${again}=    Run Query    ${query}    strategy=${STRATEGY}
    Node Should Have Read Splits    ${again}    node-2
    Results Should Be Equal    ${again}    ${without}

A node killed while reading has its splits reassigned
    [Documentation]    node-2 is killed in the middle of its read; its splits go to the live nodes and the
    ...    answer equals the one read with every node alive, not flagged partial.
    ${query}=    Aggregate Query Over    parquet
    ${clean}=    Run Query    ${query}    strategy=${STRATEGY}
    ${result}=    Kill Node While It Reads    node-2    ${query}
    Results Should Be Equal    ${result}    ${clean}
    Splits Should Have Been Reassigned    ${result}    from_node=node-2

With partial results allowed a node lost mid-query gives a flagged partial answer
    [Documentation]    Asked for partial results, the engine does not reassign node-1's splits: it answers
    ...    with the rest, flags the answer partial and lists the splits not read.
    ${manifest}=    Get Dataset Manifest    smoke
    ${query}=    Count Query Over    parquet
    ${result}=    Kill Node While It Reads    node-1    ${query}    allow_partial_results=${True}
    Answer Should Be Partial    ${result}
    ${count}=    Get Answer Value    ${result}
    Should Not Be Equal As Integers    ${count}    ${manifest}[total_rows]
    ...    msg=The partial answer counted all ${manifest}[total_rows] rows, as if nothing were missing

Losing every node mid-query is one clear error
    [Documentation]    All three nodes are killed once the query's node work runs: no node is left to take
    ...    over and partial results were not allowed, so the query fails and says why.
    Losing Every Node Mid-Query Should Fail Clearly

Losing every node is an error even when partial results are allowed
    [Documentation]    Partial results need some node to have read something: with every node lost there is
    ...    nothing to serve, and the engine says so rather than failing some other way.
    Losing Every Node Mid-Query Should Fail Clearly    allow_partial_results=${True}

A cancelled query leaves no node work running
    [Documentation]    A many-split NDJSON query with slowed reads is cancelled as soon as node-1 reads; every
    ...    node stops at its next split, well before reading what a complete run reads.
    ${query}=    Aggregate Query Over    ndjson
    Run Query    ${query}    strategy=${STRATEGY}    &{MANY_SPLITS}
    ${complete_stats}=    Get Proxy Stats
    Reset Proxy Stats
    Inject Fault    latency    latency=100 ms    operation=RANGE_GET
    ${id}=    Start Async Query    ${query}    strategy=${STRATEGY}    &{MANY_SPLITS}
    Wait Until Reader Has Requested    node-1    requests=2
    Cancel Async Query    ${id}
    Wait Until No Node Work Is Running    timeout=30 s
    Requests Should Be Fewer Than In    ${complete_stats}

A hanging read ends at the query deadline
    [Documentation]    Data reads that never answer cannot keep a query past its two-second deadline.
    ${query}=    Aggregate Query Over    parquet
    Inject Fault    hang    hang=30 s    operation=RANGE_GET    reader=node-1
    Query Should Fail With    ${query}    strategy=${STRATEGY}    error_type=timeout_exception
    ...    contains=deadline of 2 s    within=5 s    query_timeout_s=${2}    read_timeout_s=${3}

Retry backoff never outlives the query deadline
    [Documentation]    A 30-second backoff would end after the two-second deadline, so no retry is even
    ...    started: the query fails at once, naming the object, the status and the single attempt.
    ${query}=    Aggregate Query Over    parquet
    ${key}=    Get Dataset Object Key    smoke    parquet    index=0
    ${uri}=    Get Dataset Uri    smoke    parquet    index=0
    Inject Fault    slowdown_503    key=${key}    operation=RANGE_GET
    Query Should Fail With    ${query}    strategy=${STRATEGY}    object=${uri}    status=503 SlowDown
    ...    attempts=1    error_type=timeout_exception    contains=deadline reached    within=5 s
    ...    query_timeout_s=${2}    initial_backoff_s=${30}


*** Keywords ***
Aggregate Query Over
    [Documentation]    A grouped aggregate over all smoke files of ``format``; it reads column data, so
    ...    nodes really read (a bare count could be answered from Parquet footers).
    [Arguments]    ${format}
    ${scan}=    Get Dataset Scan    smoke    ${format}
    RETURN    SELECT region, count(*) AS n, sum(qty) AS q FROM ${scan} GROUP BY region

Count Query Over
    [Documentation]    Counts the rows of all smoke files of ``format``; the sum makes nodes read column data.
    [Arguments]    ${format}
    ${scan}=    Get Dataset Scan    smoke    ${format}
    RETURN    SELECT count(*) AS n, sum(qty) AS q FROM ${scan}

Kill Node While It Reads
    [Documentation]    Slows ``node``'s reads, starts ``query``, kills ``node`` once it has sent a read and
    ...    returns the answer. Further ``name=value`` arguments are pragmas.
    [Arguments]    ${node}    ${query}    &{pragma}
    Inject Fault    latency    latency=${SLOW_READS}    reader=${node}
    Reset Proxy Stats
    ${id}=    Start Async Query    ${query}    strategy=${STRATEGY}    &{pragma}
    Wait Until Reader Has Requested    ${node}
    Kill Node    ${node}
    ${result}=    Wait For Async Query    ${id}    timeout=60 s
    RETURN    ${result}

Losing Every Node Mid-Query Should Fail Clearly
    [Documentation]    Slows every data read, starts a query, kills the three nodes once a node works on it,
    ...    and expects the engine's clear error. Further ``name=value`` arguments are pragmas.
    [Arguments]    &{pragma}
    ${query}=    Aggregate Query Over    parquet
    Inject Fault    latency    latency=${SLOW_READS}    operation=RANGE_GET
    ${id}=    Start Async Query    ${query}    strategy=${STRATEGY}    &{pragma}
    Wait Until Data Nodes Are Working
    FOR    ${node}    IN    node-1    node-2    node-3
        Kill Node    ${node}
    END
    Async Query Should Fail With    ${id}    error_type=node_failure_exception
    ...    contains=all [3] nodes assigned external splits failed; cannot serve partial results

Bring The Cluster Back
    [Documentation]    Removes the faults and restarts the nodes a test killed, so each test starts whole.
    Clear Faults
    Restart Lost Nodes
