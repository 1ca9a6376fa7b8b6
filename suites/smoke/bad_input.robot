*** Settings ***
Documentation       Mistakes in a suite get one clear sentence that names the wrong value and the
...                 way to fix it, never a Python traceback.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    smoke    nodes=1
Suite Teardown      Stop Lab

Test Tags           smoke    bad-input


*** Test Cases ***
An unknown fault action lists the valid ones
    [Documentation]    A misspelt action is refused before anything reaches the proxy.
    Run Keyword And Expect Error    *'slowdown' that cannot be converted to 'slowdown_503'*
    ...    Inject Fault    slowdown

A fault for an unknown reader names the readers there are
    [Documentation]    Rules can only target listeners the lab started.
    Run Keyword And Expect Error    unknown listener 'node-9'; this proxy has: coordinator, node-1
    ...    Inject Fault    slowdown_503    reader=node-9

An unknown operation lists the valid ones
    [Documentation]    Operations are S3 request kinds as the proxy classifies them.
    Run Keyword And Expect Error    unknown S3 operation 'GETT'; use one of: GET, RANGE_GET, HEAD, LIST, *
    ...    Inject Fault    slowdown_503    operation=GETT

A fault action without its parameter says what it needs
    [Documentation]    reset_after_bytes cannot guess how many bytes to let through.
    Run Keyword And Expect Error    action 'reset_after_bytes' needs rule field 'bytes'*
    ...    Inject Fault    reset_after_bytes

An unknown dataset lists the known ones
    [Documentation]    Dataset names resolve to data/datasets/NAME.yaml.
    Run Keyword And Expect Error    unknown dataset 'nosuch': there is no *nosuch.yaml; known datasets: *smoke*
    ...    Create Dataset    nosuch

A negative row count is refused
    [Documentation]    Overrides are validated like the spec itself.
    Run Keyword And Expect Error    dataset 'smoke': rows: *greater than or equal to 0 (got -5)
    ...    Create Dataset    smoke    rows=-5

Reading a dataset that was never created says what to call
    [Documentation]    Datasets belong to the lab they were created in.
    Run Keyword And Expect Error    dataset 'edge_values' was not created in this lab (created: smoke)*
    ...    Dataset Should Read Back Completely    edge_values    parquet

An unknown strategy is refused, not run as the default
    [Documentation]    The reference engine falls back to adaptive on an unknown strategy (with a
    ...    warning): the keyword checks the names against the engine's variants first.
    ${variants}=    Get Strategies
    ${listed}=    Catenate    SEPARATOR=,${SPACE}    @{variants}
    VAR    @{typos}=    ${variants}[0]    random
    Run Keyword And Expect Error
    ...    GLOB:unknown strategy 'random' for engine '*'; its variants are: ${listed}
    ...    Query Spec Should Match Oracle    aggregates    Count of every row    ${typos}
