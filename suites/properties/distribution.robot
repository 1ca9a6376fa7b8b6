*** Settings ***
Documentation       Distribution properties of the engine's planner, checked on thousands of generated
...                 plans and on the profiles of real queries (design: Distribution strategies, Splits).
...
...                 The generated tests send synthetic split lists to the engine's ``/plan`` dry run:
...                 Hypothesis draws split sizes (tiny, ordinary, beyond the 128 MiB coalescing target,
...                 unknown), node counts (none to more nodes than splits), query shapes and
...                 strategies. A failure is shrunk to a minimal request and names the seed that
...                 replays the run: ``robot --variable PROPERTY_SEED:<seed> suites/properties``.
...                 ``--variable PROPERTY_EXAMPLES:<n>`` checks more (or fewer) plans per property.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    distribution    nodes=3
Suite Teardown      Stop Lab

Test Tags           property


*** Variables ***
${PROPERTY_EXAMPLES}    500


*** Test Cases ***
Every split is in exactly one group under every strategy
    [Documentation]    No split lost, none read twice, every group on one node of the plan or the coordinator.
    [Template]    Property Should Hold For Generated Plans
    exactly_once

Round robin gives no node more than its share
    [Documentation]    No node above ceil(groups/nodes); group counts differ by at most one.
    [Template]    Property Should Hold For Generated Plans
    round_robin_balance

Weighted round robin keeps the largest load within its bound
    [Documentation]    Max node load <= total/nodes + largest group; any unknown size falls back to round robin.
    [Template]    Property Should Hold For Generated Plans
    weighted_bound

Coordinator only never distributes
    [Documentation]    Every group is read on the coordinator, whatever the splits, nodes or query shape.
    [Template]    Property Should Hold For Generated Plans
    coordinator_only

Adaptive follows its decision table
    [Documentation]    Adaptive, the empty value and unknown values (with the ES|QL fallback warning)
    ...    pick local, weighted or round robin exactly as the design's table says.
    [Template]    Property Should Hold For Generated Plans
    adaptive_decision

Coalescing conserves every file and byte
    [Documentation]    Nothing coalesced at or below 32 splits; at most 32 files and 128 MiB a group;
    ...    a split of 128 MiB or more alone; unknown sizes give at most 8 contiguous chunks.
    [Template]    Property Should Hold For Generated Plans
    coalescing

The same request always gives the same plan
    [Documentation]    Each generated request is planned twice; the two plans must be identical.
    [Template]    Property Should Hold For Generated Plans
    deterministic

Boundary plans satisfy every invariant under every strategy
    [Documentation]    Hand-written edge cases, each planned under every strategy and checked against
    ...    every invariant: exactly once, the strategy's rules, coalescing, determinism.
    [Template]    Boundary Plan Should Satisfy Invariants Under Every Strategy
    # splits    nodes    coalesce    shape          sizes
    0           3        ${True}     aggregation    varied
    1           3        ${False}    aggregation    varied
    40          0        ${True}     aggregation    varied
    5           64       ${False}    scan           varied
    3           3        ${False}    scan           equal
    10000       7        ${False}    topn           varied
    10000       7        ${True}     aggregation    varied
    1000        7        ${True}     scan           unknown
    1000        3        ${True}     aggregation    tiny

Profiles of real queries satisfy the invariants under every strategy and format
    [Documentation]    An aggregation over 13 files per format: every object read exactly once (byte
    ...    ranges tile CSV and NDJSON files, Parquet row groups appear once), every split read, the
    ...    rows add up, the strategy's bounds hold over the live nodes, coalesced groups follow the
    ...    rules. Small split and coalescing targets (pragmas) make several splits per file and
    ...    several coalesced groups, as large files would.
    [Template]    Aggregation Profiles Should Satisfy Invariants Under Every Strategy
    parquet    parquet_target_size=${2000}    coalesce_target_size=${8192}
    csv        split_csv=${True}    target_split_size=${2048}    coalesce_target_size=${8192}
    ndjson     target_split_size=${4096}    coalesce_target_size=${8192}

Adaptive picks by query shape on real queries
    [Documentation]    A TopN is distributed, a bare LIMIT stays on the coordinator; both profiles satisfy
    ...    the invariants, the adaptive decision table among them.
    ${scan}=    Get Dataset Scan    distribution    parquet
    ${manifest}=    Get Dataset Manifest    distribution
    ${topn}=    Run Query    SELECT id FROM ${scan} ORDER BY id DESC LIMIT 5    strategy=adaptive
    Profile Should Satisfy Distribution Invariants    ${topn}    dataset=distribution    format=parquet
    ...    rows=${manifest}[total_rows]
    Should Be Equal    ${topn}[profile][strategy][used]    weighted_round_robin
    ${limit}=    Run Query    SELECT id FROM ${scan} LIMIT 5    strategy=adaptive
    Profile Should Satisfy Distribution Invariants    ${limit}    dataset=distribution    format=parquet
    Should Be Equal    ${limit}[profile][strategy][used]    coordinator_only


*** Keywords ***
Property Should Hold For Generated Plans
    [Documentation]    Checks one property on ${PROPERTY_EXAMPLES} generated plans.
    [Arguments]    ${property}
    Plan Property Should Hold    ${property}    examples=${PROPERTY_EXAMPLES}

Boundary Plan Should Satisfy Invariants Under Every Strategy
    [Documentation]    Plans one hand-written request under each strategy of the engine's list.
    [Arguments]    ${splits}    ${nodes}    ${coalesce}    ${shape}    ${sizes}
    ${strategies}=    Get Strategies
    FOR    ${strategy}    IN    @{strategies}
        Synthetic Plan Should Satisfy Invariants    splits=${splits}    nodes=${nodes}
        ...    strategy=${strategy}    coalesce=${coalesce}    shape=${shape}    sizes=${sizes}
    END

Aggregation Profiles Should Satisfy Invariants Under Every Strategy
    [Documentation]    Runs a grouped aggregation over every ``format`` file under each strategy and
    ...    checks its profile; further arguments are pragmas (split sizes).
    [Arguments]    ${format}    &{pragma}
    ${scan}=    Get Dataset Scan    distribution    ${format}
    ${manifest}=    Get Dataset Manifest    distribution
    ${strategies}=    Get Strategies
    FOR    ${strategy}    IN    @{strategies}
        ${answer}=    Run Query    SELECT grp, count(*), sum(val) FROM ${scan} GROUP BY grp
        ...    strategy=${strategy}    &{pragma}
        Profile Should Satisfy Distribution Invariants    ${answer}    dataset=distribution
        ...    format=${format}    rows=${manifest}[total_rows]    &{pragma}
    END
