*** Settings ***
Documentation       Smoke test of the embedded lab: a seeded dataset written to the object store
...                 reads back completely, in every format, through each reader's proxy listener.

Resource            ../../resources/lab.resource

Suite Setup         Start Lab With Dataset    smoke    nodes=2
Suite Teardown      Stop Lab
Test Template       Dataset Should Read Back Completely

Test Tags           smoke


*** Test Cases ***                              DATASET    FORMAT     READER
Parquet reads back through the coordinator      smoke      parquet    coordinator
CSV reads back through node 1                   smoke      csv        node-1
NDJSON reads back through node 2                smoke      ndjson     node-2
