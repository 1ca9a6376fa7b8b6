*** Settings ***
Documentation       Distribution properties of the engine's planner, checked on thousands of generated
...                 plans and on the profiles of real queries (docs/architecture.md: Distribution strategies, Splits).
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

Every strategy puts each group exactly where its documented rule does
    [Documentation]    Each generated request is planned under round robin, weighted round robin and
    ...    adaptive (coordinator only's one rule, all local, is checked above); every group must be on
    ...    exactly the node the rule names, computed independently: round robin from the offset (also
    ...    beyond the node count, and with more nodes than groups), LPT (largest first, equal sizes in
    ...    group order, the least-loaded node, equal loads to the lowest index), adaptive's pick. Sizes
    ...    often come from a few values, so equal sizes and equal loads are everywhere.
    [Template]    Property Should Hold For Generated Plans
    exact_assignment

Weighted round robin stays within LPT's bound of the optimum
    [Documentation]    On up to 8 groups and 4 nodes the optimum is brute-forced: the busiest node may read
    ...    at most (4/3 - 1/(3n)) times the optimum, which any assignment order but largest first can miss.
    [Template]    Property Should Hold For Generated Plans
    lpt_quality

Coalescing groups exactly by best-fit decreasing or in unknown-size chunks
    [Documentation]    The groups equal the documented grouping, computed independently: best-fit
    ...    decreasing (least room left, ties to the oldest bin; equal sizes by split id) with the
    ...    32-file cap and big splits alone; with an unknown size, chunks of ceil(n/8) in split order.
    [Template]    Property Should Hold For Generated Plans
    coalescing_exact

The same request always gives the same plan
    [Documentation]    Each generated request is planned twice; the two plans must be identical.
    [Template]    Property Should Hold For Generated Plans
    deterministic

Boundary plans satisfy every invariant under every strategy
    [Documentation]    Hand-written edge cases, each planned under every strategy and checked against
    ...    every invariant: exactly once, the strategy's rules, coalescing, exactness, determinism.
    [Template]    Boundary Plan Should Satisfy Invariants Under Every Strategy
    # splits    nodes    coalesce    shape          layout
    0           3        ${True}     aggregation    sizes=varied
    1           3        ${False}    aggregation    sizes=varied
    40          0        ${True}     aggregation    sizes=varied
    5           64       ${False}    scan           sizes=varied    offset=3
    3           3        ${False}    scan           sizes=equal
    10000       7        ${False}    topn           sizes=varied    offset=9
    10000       7        ${True}     aggregation    sizes=varied
    1000        7        ${True}     scan           sizes=unknown
    1000        3        ${True}     aggregation    sizes=tiny

Boundary plans with equal sizes, equal loads and a short last chunk are exact
    [Documentation]    Equal sizes and equal loads, where only the tie rules decide, and unknown sizes in
    ...    counts that leave a short last chunk (41 splits: chunks of 6 and a last of 5; 1001: of 126
    ...    and 119), so a last chunk lost or merged shows; 1000 above divides evenly.
    [Template]    Boundary Plan Should Satisfy Invariants Under Every Strategy
    # splits    nodes    coalesce    shape          layout
    7           3        ${False}    aggregation    sizes=equal      offset=1
    12          4        ${False}    aggregation    sizes=tied
    200         5        ${True}     aggregation    sizes=tied
    41          3        ${True}     aggregation    sizes=unknown
    1001        7        ${True}     scan           sizes=unknown    offset=2

Profiles of real queries satisfy the invariants under every strategy and format
    [Documentation]    An aggregation over 13 files per format: every object read exactly once (byte
    ...    ranges tile CSV and NDJSON files, Parquet row groups appear once), every split read, the
    ...    rows add up, the strategy's bounds hold over the live nodes, coalesced groups follow the
    ...    rules, and the groups and their nodes are exactly the documented algorithms'. Small split
    ...    and coalescing targets (pragmas) make several splits per file and several coalesced groups,
    ...    as large files would; CSV splits of one size make equal loads; offsets move round robin.
    [Template]    Aggregation Profiles Should Satisfy Invariants Under Every Strategy
    parquet    parquet_target_size=${2000}    coalesce_target_size=${8192}
    csv        split_csv=${True}    target_split_size=${2048}    coalesce_target_size=${8192}
    ...        round_robin_offset=${1}
    ndjson     target_split_size=${4096}    coalesce_target_size=${8192}    round_robin_offset=${2}

Adaptive picks by query shape on real queries
    [Documentation]    A TopN is distributed, a bare LIMIT stays on the coordinator; both profiles satisfy
    ...    the invariants, the adaptive decision table among them.
    ${scan}=    Get Dataset Scan    distribution    parquet
    ${manifest}=    Get Dataset Manifest    distribution
    ${topn}=    Run Query    SELECT id FROM ${scan} ORDER BY id DESC LIMIT 5    strategy=adaptive
    Profile Should Satisfy Distribution Invariants    ${topn}    dataset=distribution    format=parquet
    ...    rows=${manifest}[total_rows]
    ${used}=    Get Strategy Used    ${topn}
    Should Be Equal    ${used}    weighted_round_robin
    ${limit}=    Run Query    SELECT id FROM ${scan} LIMIT 5    strategy=adaptive
    Profile Should Satisfy Distribution Invariants    ${limit}    dataset=distribution    format=parquet
    ${used}=    Get Strategy Used    ${limit}
    Should Be Equal    ${used}    coordinator_only


*** Keywords ***
Property Should Hold For Generated Plans
    [Documentation]    Checks one property on ${PROPERTY_EXAMPLES} generated plans.
    [Arguments]    ${property}
    Plan Property Should Hold    ${property}    examples=${PROPERTY_EXAMPLES}

Boundary Plan Should Satisfy Invariants Under Every Strategy
    [Documentation]    Plans one hand-written request under each strategy of the engine's list;
    ...    ``layout`` is ``sizes=...`` and optionally ``offset=...`` (see `Synthetic Plan Should Satisfy Invariants`).
    [Arguments]    ${splits}    ${nodes}    ${coalesce}    ${shape}    &{layout}
    ${strategies}=    Get Strategies
    FOR    ${strategy}    IN    @{strategies}
        Synthetic Plan Should Satisfy Invariants    splits=${splits}    nodes=${nodes}
        ...    strategy=${strategy}    coalesce=${coalesce}    shape=${shape}    &{layout}
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
