*** Settings ***
Documentation       Smoke test of the embedded lab: a seeded dataset written to the object store
...                 reads back completely, in every format, through each reader's proxy listener;
...                 so do TPC-H tables made by DuckDB's dbgen.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Smoke And TPC-H Data
Suite Teardown      Stop Lab
Test Template       Dataset Should Read Back Completely

Test Tags           smoke


*** Test Cases ***                              DATASET    FORMAT     READER
Parquet reads back through the coordinator      smoke      parquet    coordinator
CSV reads back through node 1                   smoke      csv        node-1
NDJSON reads back through node 2                smoke      ndjson     node-2
TPC-H lineitem reads back through node 1        lineitem   parquet    node-1
TPC-H orders reads back through node 2          orders     csv        node-2


*** Keywords ***
Start Lab With Smoke And TPC-H Data
    [Documentation]    Starts a lab with two data-node readers, the smoke dataset and TPC-H at SF 0.01.
    Start Lab With Dataset    smoke    nodes=2
    Create TPC-H Dataset    scale_factor=0.01    formats=parquet,csv
