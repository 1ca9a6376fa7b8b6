*** Settings ***
Documentation       All 22 TPC-H queries at scale factor 0.1 give DuckDB's official answers under
...                 every distribution strategy the engine knows: the same checks as ``tpch.robot``
...                 on ten times the data. Slow: ``make acceptance`` excludes it; run it with
...                 ``robot --include slow suites/equivalence``.

Resource            tpch.resource

Suite Setup         Start Lab With TPC-H    scale_factor=0.1
Suite Teardown      Stop Lab

Test Tags           equivalence    tpch    slow


*** Test Cases ***
All 22 TPC-H queries match under every strategy
    [Documentation]    A templated loop: every query runs even after one fails, and each failure
    ...    names its query and strategy.
    [Template]    TPC-H Query Should Match Under Every Strategy
    FOR    ${number}    IN RANGE    1    23
        ${number}
    END
