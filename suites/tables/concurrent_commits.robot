*** Settings ***
Documentation       Optimistic concurrency: two writers read a table and commit an append at the
...                 same moment. Iceberg's catalog accepts one commit and refuses the other, whose
...                 writer reads the table again and retries, or gives up cleanly; delta-rs puts
...                 the second append on top of the first. No row may be lost or doubled; the engine,
...                 counting the table's rows all the while, must see one snapshot each time; and
...                 it must then read the table as the oracle does under every strategy.

Resource            tables.resource

Suite Setup         Start Lab With Table Histories    readings
Suite Teardown      Stop Lab

Test Tags           table    concurrency


*** Test Cases ***
The refused Iceberg writer retries and both appends land once
    [Documentation]    Both writers read the same snapshot, so exactly one commit is refused once.
    ${append}=    Append Concurrently To Table    readings    iceberg    retries=3
    Writers Should Have Committed    ${append}    committed=2    refused=1
    Table Should Hold Every Committed Row Once    ${append}
    Every Read During The Commits Should See One Snapshot    ${append}
    Current Snapshot Should Match The Oracle    readings    iceberg

An Iceberg writer that may not retry fails cleanly and loses nothing
    [Documentation]    The refused writer's rows are not in the table; the winner's are, once.
    ${append}=    Append Concurrently To Table    readings    iceberg    retries=0
    Writers Should Have Committed    ${append}    committed=1    refused=1
    Table Should Hold Every Committed Row Once    ${append}
    Every Read During The Commits Should See One Snapshot    ${append}
    Current Snapshot Should Match The Oracle    readings    iceberg

Two Delta appends at once both land once
    [Documentation]    delta-rs resolves two appends itself: neither writer sees a refusal.
    ${append}=    Append Concurrently To Table    readings    delta
    Writers Should Have Committed    ${append}    committed=2    refused=0
    Table Should Hold Every Committed Row Once    ${append}
    Every Read During The Commits Should See One Snapshot    ${append}
    Current Snapshot Should Match The Oracle    readings    delta


*** Keywords ***
Current Snapshot Should Match The Oracle
    [Documentation]    The table as it is now answers the quick queries like the oracle under
    ...    every strategy.
    [Arguments]    ${table}    ${format}
    Snapshot Should Match The Oracle Under Every Strategy    ${table}    ${format}    ${None}    @{QUICK_QUERIES}
