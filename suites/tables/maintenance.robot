*** Settings ***
Documentation       Maintenance keeps every surviving snapshot's answer: a compaction rewrites the
...                 live rows into fewer files (delete files applied and gone) and must answer as
...                 the snapshot before it; expiry (Iceberg) and vacuum (Delta) remove old snapshots
...                 and their files, and every snapshot that survives must still read as the oracle
...                 reads it, under every strategy.

Resource            tables.resource

Suite Setup         Start Lab With Table Histories    orders    readings
Suite Teardown      Stop Lab

Test Tags           table    maintenance


*** Test Cases ***
Compaction keeps the rows of the snapshot before it (Iceberg)
    [Documentation]    Orders had position and equality delete files; readings is partitioned.
    [Template]    Compaction Should Keep The Rows
    orders    iceberg
    readings    iceberg

Compaction keeps the rows of the version before it (Delta)
    [Documentation]    OPTIMIZE rewrote readings' small files.
    [Template]    Compaction Should Keep The Rows
    readings    delta

Every snapshot surviving expiry reads like the oracle (Iceberg)
    [Documentation]    Orders keeps its last three snapshots.
    [Template]    Every Snapshot Should Match The Oracle, Strategies In Turn
    orders    iceberg    @{QUICK_QUERIES}

Every version surviving vacuum reads like the oracle (Delta)
    [Documentation]    Readings' vacuum kept the files of its last two versions (and of any
    ...    older version that needs only those).
    [Template]    Every Snapshot Should Match The Oracle, Strategies In Turn
    readings    delta    @{QUICK_QUERIES}


*** Keywords ***
Compaction Should Keep The Rows
    [Documentation]    The compaction's snapshot holds the rows of the one before it in fewer data
    ...    files, with no delete files, on the oracle and on the engine.
    [Arguments]    ${table}    ${format}
    ${compacted}=    Get Snapshot Made By    ${table}    ${format}    compact
    ${before}=    Get Snapshot Before    ${table}    ${format}    ${compacted}
    Snapshot Should Hold Fewer Files    ${compacted}    than=${before}
    ${expected}=    Oracle Answer At Snapshot    ${table}    ${format}    ${before}
    ${actual}=    Oracle Answer At Snapshot    ${table}    ${format}    ${compacted}
    Results Should Be Equal    ${actual}    ${expected}
    Snapshot Should Match The Oracle Under Every Strategy    ${table}    ${format}    ${compacted}    @{QUICK_QUERIES}

Snapshot Should Hold Fewer Files
    [Documentation]    ``snapshot`` has fewer data files than ``than`` and no delete files.
    [Arguments]    ${snapshot}    ${than}
    ${files}=    Get Length    ${snapshot}[data_files]
    ${files_before}=    Get Length    ${than}[data_files]
    Should Be True    ${files} < ${files_before}
    Should Be Empty    ${snapshot}[delete_files]

Oracle Answer At Snapshot
    [Documentation]    The oracle's answer to ``SELECT *`` of ``table`` at ``snapshot``.
    [Arguments]    ${table}    ${format}    ${snapshot}
    ${query}=    Query Of Snapshot    SELECT * FROM SCAN    ${table}    ${format}    ${snapshot}
    ${answer}=    Get Oracle Answer    ${query}
    RETURN    ${answer}
