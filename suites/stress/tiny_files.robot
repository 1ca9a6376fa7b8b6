*** Settings ***
Documentation       Stress: 504 tiny objects of uneven sizes (167 data files and an empty one, in
...                 each of Parquet, CSV and NDJSON) read under every distribution strategy with
...                 coalescing on. The ``id`` column holds 0..T-1 exactly once over all files, so the
...                 answers follow from formulas, with no oracle: COUNT = T, SUM = T(T-1)/2, MIN = 0,
...                 MAX = T-1, top ten = T-1 .. T-10. A split lost or read twice changes them. Each
...                 profile must also show every object read exactly once, in coalesced groups of at
...                 most 32 files spread within the strategy's bounds. Every query has a deadline.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    stress    nodes=3
Suite Teardown      Stop Lab
Test Template       Formulas Should Hold Under Every Strategy

Test Tags           stress
Test Timeout        2 minutes


*** Variables ***
${QUERY_TIMEOUT_S}      ${30}


*** Test Cases ***                              FORMAT
168 Parquet files add up under every strategy    parquet
168 CSV files add up under every strategy        csv
168 NDJSON files add up under every strategy     ndjson

The top ten of 168 NDJSON files are the largest ids under every strategy
    [Documentation]    A TopN merges each node's top ten: the result must be T-1 .. T-10. The merge
    ...    does not depend on the format, so one format (the quickest to read) is enough.
    [Template]    NONE
    ${manifest}=    Get Dataset Manifest    stress
    ${scan}=    Get Dataset Scan    stress    ndjson
    ${strategies}=    Get Strategies
    FOR    ${strategy}    IN    @{strategies}
        ${answer}=    Sequence Column Top Values Should Be Known    ${scan}    rows=${manifest}[total_rows]
        ...    top=10    strategy=${strategy}    query_timeout_s=${QUERY_TIMEOUT_S}
        Profile Should Satisfy Distribution Invariants    ${answer}    dataset=stress    format=ndjson
        ...    rows=${manifest}[total_rows]
    END


*** Keywords ***
Formulas Should Hold Under Every Strategy
    [Documentation]    Checks the formulas and the profile of the aggregate query under each strategy
    ...    of the engine's list, over every ``format`` object of the stress dataset.
    [Arguments]    ${format}
    ${manifest}=    Get Dataset Manifest    stress
    ${scan}=    Get Dataset Scan    stress    ${format}
    ${strategies}=    Get Strategies
    FOR    ${strategy}    IN    @{strategies}
        ${answer}=    Sequence Column Should Add Up    ${scan}    rows=${manifest}[total_rows]
        ...    strategy=${strategy}    query_timeout_s=${QUERY_TIMEOUT_S}
        Profile Should Satisfy Distribution Invariants    ${answer}    dataset=stress    format=${format}
        ...    rows=${manifest}[total_rows]
    END
