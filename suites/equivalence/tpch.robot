*** Settings ***
Documentation       All 22 TPC-H queries at scale factor 0.01 give DuckDB's official answers under
...                 every distribution strategy the engine knows. Each table is split into three
...                 Parquet objects so the scans really spread over the three data nodes. Scale
...                 factor 0.1 runs in ``tpch_slow.robot`` (tag ``slow``).

Resource            tpch.resource

Suite Setup         Start Lab With TPC-H    scale_factor=0.01
Suite Teardown      Stop Lab
Test Template       TPC-H Query Should Match Under Every Strategy

Test Tags           equivalence    tpch


*** Test Cases ***                    QUERY
TPC-H Q1 pricing summary              1
TPC-H Q2 minimum cost supplier        2
TPC-H Q3 shipping priority            3
TPC-H Q4 order priority checking      4
TPC-H Q5 local supplier volume        5
TPC-H Q6 forecasting revenue change   6
TPC-H Q7 volume shipping              7
TPC-H Q8 national market share        8
TPC-H Q9 product type profit          9
TPC-H Q10 returned items              10
TPC-H Q11 important stock             11
TPC-H Q12 shipping modes              12
TPC-H Q13 customer distribution       13
TPC-H Q14 promotion effect            14
TPC-H Q15 top supplier                15
TPC-H Q16 parts and suppliers         16
TPC-H Q17 small quantity revenue      17
TPC-H Q18 large volume customer       18
TPC-H Q19 discounted revenue          19
TPC-H Q20 potential part promotion    20
TPC-H Q21 suppliers who kept orders   21
TPC-H Q22 global sales opportunity    22
