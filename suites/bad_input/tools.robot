*** Settings ***
Documentation    Mistakes with the lab's tools get one line that says what is wrong and where,
...              never a traceback and never silence: the ``lakeproof`` command, dataset spec
...              files, query spec files, table history files (``data/bad/``) and the keywords'
...              arguments. No case needs a running lab, so the suite starts none and takes seconds.

Library          OperatingSystem
Library          Process
Resource         ../../resources/lab.resource

Test Tags        bad-input    tools


*** Variables ***
${BAD}                ${CURDIR}${/}..${/}..${/}data${/}bad
${SMOKE_SPEC}         ${CURDIR}${/}..${/}..${/}data${/}datasets${/}smoke.yaml
${DATASETS}           ${BAD}${/}datasets
${SPECS}              ${BAD}${/}specs
${GEN}                ${OUTPUT DIR}${/}gen
${BINARY}             ${OUTPUT DIR}${/}binary.yaml
${NOT_A_DIRECTORY}    ${OUTPUT DIR}${/}not-a-directory
${DATAGEN_HELP}       see 'lakeproof datagen --help'
${LAB_UP_HELP}        see 'lakeproof lab up --help'
${NOT_TEXT}           is not UTF-8); a dataset spec is a YAML file
${URL_ERROR}          SEPARATOR=
...                   lakeproof datagen: error: argument --s3-endpoint: expected an S3 endpoint URL
...                   ${SPACE}such as http://127.0.0.1:PORT (the object_store 'lab up' printed),
...                   ${SPACE}got 'localhost:9000'; ${DATAGEN_HELP}
${TYPE_HINT}          SEPARATOR=
...                   use one of int, bigint, double, decimal(p,s), string, bool, date, timestamp,
...                   ${SPACE}list<T>, struct<name:T,...>
${NO_BIGNUM}          SEPARATOR=
...                   no answer over the lab's datasets has type BIGNUM; use one of BOOLEAN, INTEGER,
...                   ${SPACE}BIGINT, HUGEINT, DOUBLE, DECIMAL(p,s), VARCHAR, DATE,
...                   ${SPACE}TIMESTAMP, T[] or STRUCT(...) of those (DuckDB's names: what the oracle reports)
${SCAN_HINT}          SEPARATOR=
...                   the query never reads the dataset; write {scan} where the table goes,
...                   ${SPACE}e.g. SELECT count(*) FROM {scan}
${MISSPELT_PRAGMA}    SEPARATOR=
...                   cases[0].pragma.target_split_sise: unknown pragma 'target_split_sise'
...                   ${SPACE}(did you mean 'target_split_size'?); allowed pragmas: allow_partial_results,
${MATRIX_PRAGMA}      every case runs under every strategy; remove external_distribution
${DELTA_RENAME}       SEPARATOR=
...                   step 1 (rename_column) cannot run on delta: delta-rs 1.6.6 writes no column
...                   ${SPACE}mapping, which a Delta rename needs; add formats: [iceberg] to the step
${YAML_HINT}          fix the YAML at this line (indentation, quoting, brackets, repeated keys)
${BUCKET_RULES}       SEPARATOR=
...                   use 3-63 lowercase letters, digits, '.' or '-', starting and ending with
...                   ${SPACE}a letter or digit (for example 'lake')


*** Test Cases ***
Datagen on a binary file says it is not a spec
    [Documentation]    A Parquet file passed where the YAML spec goes.
    Write A Binary File
    Lakeproof Should Fail With
    ...    lakeproof: error: ${BINARY}: not a text file (byte 0xff at offset 4 ${NOT_TEXT}
    ...    datagen    ${BINARY}    --out    ${GEN}

Datagen on a missing file names the path
    [Documentation]    A typo in the spec's path.
    Lakeproof Should Fail With
    ...    lakeproof: error: cannot read dataset spec ${BAD}${/}nope.yaml: No such file or directory; check the path
    ...    datagen    ${BAD}${/}nope.yaml    --out    ${GEN}

Datagen on a directory names the path
    [Documentation]    The folder of the specs instead of one spec.
    Lakeproof Should Fail With
    ...    lakeproof: error: cannot read dataset spec ${BAD}: Is a directory; check the path
    ...    datagen    ${BAD}    --out    ${GEN}

Datagen into a file instead of a directory names the path
    [Documentation]    ``--out`` must be a directory (or not exist yet).
    Create File    ${NOT_A_DIRECTORY}    x
    Lakeproof Should Fail With
    ...    lakeproof: error: cannot use ${NOT_A_DIRECTORY}${/}smoke${/}parquet: Not a directory; check the path and its permissions
    ...    datagen
    ...    ${SMOKE_SPEC}
    ...    --out
    ...    ${NOT_A_DIRECTORY}

Datagen to an endpoint that is not a URL says what a URL looks like
    [Documentation]    boto3 would fail with a traceback on ``localhost:9000``: the scheme is missing.
    Lakeproof Should Fail With    ${URL_ERROR}
    ...    datagen    ${SMOKE_SPEC}    --s3-endpoint    localhost:9000

Datagen of TPC-H at an infinite scale factor is refused
    [Documentation]    dbgen would try to build it in memory.
    Lakeproof Should Fail With
    ...    lakeproof: error: TPC-H scale factor inf must be from 0 to 100 (0.01 is about 10 MB, 1 about 1 GB)
    ...    datagen    --tpch    inf    --out    ${GEN}

Datagen of TPC-H with a row count says how TPC-H is sized
    [Documentation]    ``--rows`` would be silently ignored otherwise.
    Lakeproof Should Fail With
    ...    lakeproof: error: --rows and --seed apply to a spec; size TPC-H by its scale factor (--tpch SF)
    ...    datagen    --tpch    0.01    --rows    5    --out    ${GEN}

Datagen without a spec says one is needed
    [Documentation]    An option error is one line too, not argparse's usage block.
    Lakeproof Should Fail With
    ...    lakeproof datagen: error: one of the arguments SPEC --tpch --table is required; ${DATAGEN_HELP}
    ...    datagen    --out    ${GEN}

Datagen of a table history with a step Delta cannot do names the step and the format
    [Documentation]    A rename needs Delta column mapping, which delta-rs does not write; refused at load.
    Lakeproof Should Fail With
    ...    lakeproof: error: ${BAD}${/}tables${/}rename_on_delta.yaml:7: steps[1].step: ${DELTA_RENAME}
    ...    datagen    --table    ${BAD}${/}tables${/}rename_on_delta.yaml    --s3-endpoint    http://127.0.0.1:9
    ...    --catalog    ${OUTPUT DIR}${/}catalog.db

Lab up with a word for the node count is one line
    [Documentation]    argparse's own message, with the help to read instead of a usage block.
    Lakeproof Should Fail With
    ...    lakeproof lab up: error: argument --nodes: invalid int value: 'two'; ${LAB_UP_HELP}
    ...    lab    up    --nodes    two

Lab up with a negative node count is refused before anything starts
    [Documentation]    Nothing is started for a lab that cannot exist.
    Lakeproof Should Fail With
    ...    lakeproof: error: --nodes must be 0 or more, got -1
    ...    lab    up    --nodes    -1    --output-dir    ${OUTPUT DIR}

Lab up with a zero start timeout is refused
    [Documentation]    No component can be ready in no time.
    Lakeproof Should Fail With
    ...    lakeproof lab up: error: argument --start-timeout: expected a number of seconds above 0, got '0'; ${LAB_UP_HELP}
    ...    lab
    ...    up
    ...    --start-timeout
    ...    0

Lab up with an unknown engine defect lists the known ones
    [Documentation]    The list grows as defects are added, so only its start is fixed here.
    ${result}=    Run Lakeproof    lab    up    --engine-defects    drop_splits    --output-dir    ${OUTPUT DIR}
    Should Be Equal As Integers    ${result.rc}    2
    Should Match    ${result.stderr}
    ...    lakeproof: error: unknown engine defect 'drop_splits'; known defects: drop_split, *

Lab up attached to a scheduler address that is not one says what one looks like
    [Documentation]    Refused before anything starts, instead of a coordinator dying on it.
    Lakeproof Should Fail With
    ...    lakeproof: error: dask scheduler address 'localhost' must be tcp://HOST:PORT (the address a running scheduler prints)
    ...    lab    up    --dask-scheduler    localhost    --output-dir    ${OUTPUT DIR}

The lakeproof command without a command names the help
    [Documentation]    The first thing a newcomer types.
    Lakeproof Should Fail With
    ...    lakeproof: error: the following arguments are required: COMMAND; see 'lakeproof --help'

A dataset spec with an unknown column type lists the types
    [Documentation]    File, line and field, then the valid choices.
    Run Keyword And Expect Error
    ...    EQUALS:${DATASETS}${/}unknown_type.yaml:6: columns[1].type: unknown type 'strng'; ${TYPE_HINT}
    ...    Create Dataset    ${DATASETS}${/}unknown_type.yaml

A dataset spec with a repeated column name points at the second
    [Documentation]    The line of the repeat, naming the first.
    Run Keyword And Expect Error
    ...    EQUALS:${DATASETS}${/}duplicate_column.yaml:7: columns[2].name: duplicate column name 'id' (also columns[0]); rename one
    ...    Create Dataset
    ...    ${DATASETS}${/}duplicate_column.yaml

A dataset spec with min above max says to swap them
    [Documentation]    One problem is one problem: no "+1 more" echo of the failed column.
    Run Keyword And Expect Error
    ...    EQUALS:${DATASETS}${/}min_above_max.yaml:7: columns[0].min: min 100 is greater than max 10; swap them
    ...    Create Dataset    ${DATASETS}${/}min_above_max.yaml

A dataset spec with a misspelt field suggests the right one
    [Documentation]    ``colums`` is the problem, not the ``columns`` it leaves missing.
    Run Keyword And Expect Error
    ...    STARTS:${DATASETS}${/}misspelt_field.yaml:4: colums: unknown field 'colums' (did you mean 'columns'?); allowed fields: name,
    ...    Create Dataset
    ...    ${DATASETS}${/}misspelt_field.yaml

A dataset spec with broken YAML names the line
    [Documentation]    A flow mapping left open.
    Run Keyword And Expect Error
    ...    EQUALS:${DATASETS}${/}broken_yaml.yaml:6: YAML error: expected ',' or '}', but got '{'; ${YAML_HINT}
    ...    Create Dataset    ${DATASETS}${/}broken_yaml.yaml

A dataset spec with a NULL ratio above one names the bound
    [Documentation]    A ratio, not a percentage.
    Run Keyword And Expect Error
    ...    EQUALS:${DATASETS}${/}null_ratio.yaml:5: columns[0].nulls: Input should be less than or equal to 1 (got 1.5)
    ...    Create Dataset    ${DATASETS}${/}null_ratio.yaml

A dataset spec with an unknown CSV quote character lists the quote characters
    [Documentation]    A dialect field: the value, then the characters a quote may be.
    Run Keyword And Expect Error
    ...    EQUALS:${DATASETS}${/}unknown_quote.yaml:5: csv.quote: quote '|' is not a quote character; use one of '"', "'", '`'
    ...    Create Dataset    ${DATASETS}${/}unknown_quote.yaml

A binary file given as a dataset spec says it is not one
    [Documentation]    The keyword says what the command says.
    Write A Binary File
    Run Keyword And Expect Error
    ...    EQUALS:${BINARY}: not a text file (byte 0xff at offset 4 ${NOT_TEXT}
    ...    Create Dataset    ${BINARY}

A negative row count is refused before the lab is asked
    [Documentation]    Overrides are validated like the spec itself, with or without a lab.
    Run Keyword And Expect Error
    ...    EQUALS:dataset 'smoke': rows: Input should be greater than or equal to 0 (got -5)
    ...    Create Dataset    smoke    rows=-5

A query spec with a negative split size names the engine's bound
    [Documentation]    The bound is the engine's own (its Pragma model), so only its shape is fixed here.
    Run Keyword And Expect Error
    ...    ${SPECS}${/}negative_split_size.yaml:3: pragma.target_split_size: Input should be greater than or equal to * (got -5)
    ...    Query Spec Should Match Oracle
    ...    ${SPECS}${/}negative_split_size.yaml
    ...    Count of rows

A query spec with a misspelt pragma suggests the right one
    [Documentation]    The pragma names are the engine's, listed after the suggestion.
    Run Keyword And Expect Error
    ...    STARTS:${SPECS}${/}misspelt_pragma.yaml:8: ${MISSPELT_PRAGMA}
    ...    Query Spec Should Match Oracle    ${SPECS}${/}misspelt_pragma.yaml    Count of rows

A query spec with a pragma of the wrong type names the type
    [Documentation]    ``"yes"`` in quotes is text, not a boolean.
    Run Keyword And Expect Error
    ...    EQUALS:${SPECS}${/}pragma_type.yaml:6: cases[0].pragma.split_csv: Input should be a valid boolean (got 'yes')
    ...    Query Spec Should Match Oracle
    ...    ${SPECS}${/}pragma_type.yaml
    ...    Count of rows

A query spec with a retry pragma out of bounds names the bound
    [Documentation]    Zero attempts would never read anything.
    Run Keyword And Expect Error
    ...    EQUALS:${SPECS}${/}retry_bound.yaml:4: pragma.max_attempts: Input should be greater than or equal to 1 (got 0)
    ...    Query Spec Should Match Oracle
    ...    ${SPECS}${/}retry_bound.yaml
    ...    Count of rows

A query spec expecting a type no answer has lists the types
    [Documentation]    BIGNUM is a DuckDB type, but no answer over the datasets has it.
    Run Keyword And Expect Error
    ...    EQUALS:${SPECS}${/}bignum_type.yaml:7: cases[0].expected.columns: column 'n:BIGNUM': ${NO_BIGNUM}
    ...    Query Spec Should Match Oracle    ${SPECS}${/}bignum_type.yaml    Count of rows

A query spec that never reads the dataset says where the scan goes
    [Documentation]    A table name instead of ``{scan}``.
    Run Keyword And Expect Error
    ...    EQUALS:${SPECS}${/}no_scan.yaml:5: cases[0].query: ${SCAN_HINT}
    ...    Query Spec Should Match Oracle    ${SPECS}${/}no_scan.yaml    Count of rows

A query spec of an unknown dataset lists the datasets
    [Documentation]    The list grows with the datasets, so only its start is fixed here.
    Run Keyword And Expect Error
    ...    STARTS:${SPECS}${/}unknown_dataset.yaml:2: dataset: unknown dataset 'smokey'; known datasets:
    ...    Query Spec Should Match Oracle    ${SPECS}${/}unknown_dataset.yaml    Count of rows

A query spec that pins the strategy is refused
    [Documentation]    The equivalence matrix varies the strategy.
    Run Keyword And Expect Error
    ...    EQUALS:${SPECS}${/}strategy_pragma.yaml:6: cases[0].pragma.external_distribution: ${MATRIX_PRAGMA}
    ...    Query Spec Should Match Oracle    ${SPECS}${/}strategy_pragma.yaml    Count of rows

Start Lab with a cluster that is neither true nor false is refused
    [Documentation]    Robot Framework hands a word it cannot read as a boolean over as it is.
    Run Keyword And Expect Error    EQUALS:cluster must be true or false, got 'maybe'
    ...    Start Lab    cluster=maybe

Start Lab with a negative node count is refused
    [Documentation]    Checked before anything starts.
    Run Keyword And Expect Error    EQUALS:nodes must be 0 or more, got -1
    ...    Start Lab    nodes=-1

Start Lab with more nodes than a lab runs names the limit
    [Documentation]    Checked before anything starts.
    Run Keyword And Expect Error    EQUALS:17 data nodes asked for; the lab runs 0 to 16
    ...    Start Lab    nodes=17

Start Lab with a zero start timeout says what the timeout is for
    [Documentation]    A timedelta of zero converts fine, so the lab checks it.
    Run Keyword And Expect Error
    ...    EQUALS:start timeout 0.0 s must be above 0, e.g. 30 s (how long each component may take to become ready)
    ...    Start Lab    start_timeout=0 s

Start Lab with a duration that is not one names the argument
    [Documentation]    Robot Framework's own conversion error.
    Run Keyword And Expect Error
    ...    EQUALS:ValueError: Argument 'start_timeout' got value 'soon' that cannot be converted to timedelta: Invalid time string 'soon'.
    ...    Start Lab
    ...    start_timeout=soon

Start Lab with an invalid bucket name gives the naming rules
    [Documentation]    S3's naming rules, before the object store would refuse it.
    Run Keyword And Expect Error    EQUALS:invalid bucket name 'Lake_1': ${BUCKET_RULES}
    ...    Start Lab    bucket=Lake_1

Engine defects without a cluster are refused
    [Documentation]    Defects live in the reference engine.
    Run Keyword And Expect Error
    ...    EQUALS:engine defects need the reference cluster: start the lab with a cluster
    ...    Start Lab    cluster=False    defects=drop_split

An unknown dataset name lists the known ones
    [Documentation]    Names resolve to data/datasets/NAME.yaml.
    Run Keyword And Expect Error
    ...    unknown dataset 'smokey': there is no *smokey.yaml; known datasets: *smoke*
    ...    Create Dataset    smokey

TPC-H in an unknown format lists the formats
    [Documentation]    Checked before the lab is asked.
    Run Keyword And Expect Error
    ...    EQUALS:formats 'parquet,orc': use a comma-separated list of parquet, csv, ndjson
    ...    Create TPC-H Dataset    formats=parquet,orc

A scan in an unknown format lists the formats
    [Documentation]    Robot Framework's own conversion error, from the keyword's typed argument.
    Run Keyword And Expect Error
    ...    EQUALS:ValueError: Argument 'format' got value 'orc' that cannot be converted to 'parquet', 'csv' or 'ndjson'.
    ...    Get Dataset Scan
    ...    smoke
    ...    orc

A wait with a negative timeout is refused
    [Documentation]    Converts fine as a duration, but no wait can end before it starts.
    Run Keyword And Expect Error    EQUALS:timeout -5 s must be above 0, e.g. 30 s
    ...    Wait Until No Node Work Is Running    timeout=-5 s

A wait for an async query with no time is refused
    [Documentation]    Checked before the lab is asked.
    Run Keyword And Expect Error    EQUALS:timeout 0 s must be above 0, e.g. 30 s
    ...    Wait For Async Query    some-id    timeout=0 s

A fault without a lab says to start one
    [Documentation]    The most common ordering mistake in a new suite.
    Run Keyword And Expect Error
    ...    EQUALS:no lab is running: call 'Start Lab' in the suite setup first
    ...    Inject Fault    slowdown_503


*** Keywords ***
Run Lakeproof
    [Documentation]    Runs ``lakeproof`` with ``args`` and returns the process result.
    [Arguments]    @{args}
    @{lakeproof}=    Get Lakeproof Command
    ${result}=    Run Process    @{lakeproof}    @{args}    timeout=60 s    on_timeout=kill
    RETURN    ${result}

Lakeproof Should Fail With
    [Documentation]    Runs ``lakeproof`` with ``args``: it must fail with exit code 2 and print
    ...    exactly ``error`` on stderr (one line: no usage block, no traceback).
    [Arguments]    ${error}    @{args}
    ${result}=    Run Lakeproof    @{args}
    Should Be Equal As Integers    ${result.rc}    2    exit code (stderr: ${result.stderr})
    Should Be Equal    ${result.stderr}    ${error}

Write A Binary File
    [Documentation]    Writes a few bytes of a Parquet file (not UTF-8) to ``${BINARY}``.
    Create Binary File    ${BINARY}    PAR1\xff\x15\x04\x00
