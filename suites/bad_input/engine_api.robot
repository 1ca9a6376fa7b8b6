*** Settings ***
Documentation     Bad and hostile input to the coordinator's query API and the fault proxy's control API.
...
...               Every request here is a mistake a user or a script can make: a body that is not UTF-8
...               or not a JSON object, a misspelt field, a value of the wrong type, a split size that
...               cannot make sense, SQL that reaches for the engine's settings, secrets, host or files,
...               SQL that DuckDB cannot run, an unbounded fault rule. Each must be refused with its HTTP
...               status, error type and exactly one line of reason that names what was wrong; none may
...               crash the server (500), hang, or be silently accepted.

Resource          ../../resources/lab.resource

Suite Setup       Start Lab With A Parquet Scan
Suite Teardown    Stop Lab
Test Teardown     Both APIs Should Still Answer
Test Template     Request Should Be Refused

Test Tags         bad-input


*** Variables ***
${PRAGMAS}          external_distribution, allow_partial_results, query_timeout_s, max_attempts,
...                 initial_backoff_s, backoff_multiplier, max_backoff_s, read_timeout_s, target_split_size,
...                 parquet_target_size, split_csv, coalesce, coalesce_threshold, coalesce_target_size,
...                 round_robin_offset
${ACTIONS}          slowdown_503, internal_error_500, not_found_404, forbidden_403, reset_before_response,
...                 reset_after_bytes, latency, slow_body, truncated_body, hang
${ONLY_S3}          read files with read_parquet('s3://...'), read_csv(...) or read_json(...), tables with
...                 iceberg_scan('s3://...') or delta_scan('s3://...')
${HOST}             reveals the engine's host (environment, files, memory, platform)
${AT_LEAST_1024}    input should be greater than or equal to 1024
${NOT_UTF8}         send JSON encoded as UTF-8
${ONE_HOUR}         greater than 0 and at most 3600 (one hour)


*** Test Cases ***    API    METHOD    PATH    BODY    STATUS    TYPE    REASON
Query body that is not UTF-8
    coordinator    POST    /query    {"query": "ÿ"}    400    illegal_argument_exception
    ...    request body is not UTF-8: byte 0xff at position 11; ${NOT_UTF8}    encoding=latin-1
Query body in UTF-16
    coordinator    POST    /query    {}    400    illegal_argument_exception
    ...    request body is not UTF-8: byte 0xff at position 0; ${NOT_UTF8}    encoding=utf-16
Empty query body
    coordinator    POST    /query    ${EMPTY}    400    illegal_argument_exception
    ...    request body is empty; send a JSON object
Query body that is a form, not JSON
    coordinator    POST    /query    query=SELECT 1    400    illegal_argument_exception
    ...    request body is not valid JSON: Expecting value at position 0
Query body cut short
    coordinator    POST    /query    {"query": "SELECT 1"    400    illegal_argument_exception
    ...    request body is not valid JSON: Expecting ',' delimiter at position 20
Query body that is an array
    coordinator    POST    /query    ["SELECT 1"]    400    illegal_argument_exception
    ...    request body must be a JSON object, got an array
Query body that is a bare string
    coordinator    POST    /query    "SELECT 1"    400    illegal_argument_exception
    ...    request body must be a JSON object, got a string
NaN is not JSON
    coordinator    POST    /query    {"query": "SELECT 1", "pragma": {"query_timeout_s": NaN}}    400
    ...    illegal_argument_exception    request body holds NaN, which is not a JSON number; send a finite number
Misspelt pragma field
    coordinator    POST    /query    {"query": "SELECT 1", "pragm": {}}    400    verification_exception
    ...    unknown request field [pragm]; known fields: query, pragma, profile
No query at all
    coordinator    POST    /query    {"pragma": {}}    400    verification_exception
    ...    request needs a non-empty "query" string
Query that is a number
    coordinator    POST    /query    {"query": 42}    400    verification_exception
    ...    request field [query] must be a string of SQL, got 42
NUL byte in the query
    coordinator    POST    /query    {"query": "SELECT 1\\u0000"}    400    verification_exception
    ...    request field [query] holds a NUL byte at position 8; remove it
Profile given as text
    coordinator    POST    /query    {"query": "SELECT 1", "profile": "yes"}    400    verification_exception
    ...    request field [profile] must be true or false, got "yes"
Pragma that is not an object
    coordinator    POST    /query    {"query": "SELECT 1", "pragma": [1]}    400    verification_exception
    ...    pragma must be a JSON object, got list
Unknown pragma
    coordinator    POST    /query    {"query": "SELECT 1", "pragma": {"retries": 2}}    400
    ...    verification_exception    unknown pragma [retries]; known pragmas: ${PRAGMAS}
Split size of one byte
    coordinator    POST    /query    {"query": "SELECT 1", "pragma": {"target_split_size": 1}}    400
    ...    verification_exception    invalid pragma [target_split_size] = 1: ${AT_LEAST_1024}
Parquet target size just under a kilobyte
    coordinator    POST    /query    {"query": "SELECT 1", "pragma": {"parquet_target_size": 1023}}    400
    ...    verification_exception    invalid pragma [parquet_target_size] = 1023: ${AT_LEAST_1024}
Negative coalescing target
    coordinator    POST    /query    {"query": "SELECT 1", "pragma": {"coalesce_target_size": -5}}    400
    ...    verification_exception    invalid pragma [coalesce_target_size] = -5: ${AT_LEAST_1024}
Deadline of zero seconds
    coordinator    POST    /query    {"query": "SELECT 1", "pragma": {"query_timeout_s": 0}}    400
    ...    verification_exception    invalid pragma [query_timeout_s] = 0: input should be greater than 0
Attempts given as text
    coordinator    POST    /query    {"query": "SELECT 1", "pragma": {"max_attempts": "3"}}    400
    ...    verification_exception    invalid pragma [max_attempts] = '3': input should be a valid integer
A number plus text
    coordinator    POST    /query    {"query": "SELECT id + 'abc' FROM ${SCAN}"}    400    verification_exception
    ...    Conversion Error: Could not convert string 'abc' to INT64
A column the files do not have
    coordinator    POST    /query    {"query": "SELECT nope FROM ${SCAN}"}    400    verification_exception
    ...    Binder Error: Referenced column "nope" not found in FROM clause!
The host's environment
    coordinator    POST    /query    {"query": "SELECT getenv('HOME') FROM ${SCAN}"}    400
    ...    verification_exception    function 'getenv' is refused: it ${HOST}; ${ONLY_S3}
The S3 secret through a setting
    coordinator    POST    /query    {"query": "SELECT current_setting('s3_secret_access_key') FROM ${SCAN}"}
    ...    400    verification_exception
    ...    function 'current_setting' is refused: it reads the engine's settings; ${ONLY_S3}
Stored secrets
    coordinator    POST    /query    {"query": "SELECT * FROM duckdb_secrets()"}    400    verification_exception
    ...    function 'duckdb_secrets' is refused: it reads the engine's stored credentials; ${ONLY_S3}
Installed extensions
    coordinator    POST    /query    {"query": "SELECT * FROM duckdb_extensions()"}    400
    ...    verification_exception
    ...    function 'duckdb_extensions' is refused: it lists or loads DuckDB extensions; ${ONLY_S3}
A local file
    coordinator    POST    /query    {"query": "SELECT * FROM read_text('/etc/passwd')"}    400
    ...    verification_exception
    ...    function 'read_text' is refused: it reads files on the engine's host, not s3:// data; ${ONLY_S3}
Installing an extension
    coordinator    POST    /query    {"query": "INSTALL spatial"}    400    verification_exception
    ...    only SELECT queries are allowed; got a LOAD statement
A pragma statement
    coordinator    POST    /query    {"query": "PRAGMA version"}    400    verification_exception
    ...    only SELECT queries are allowed; got PRAGMA
Changing a setting
    coordinator    POST    /query    {"query": "SET s3_endpoint = 'example.com'"}    400    verification_exception
    ...    only SELECT queries are allowed; got a SET statement
Writing a file
    coordinator    POST    /query    {"query": "COPY (SELECT 1) TO '/tmp/out.csv'"}    400    verification_exception
    ...    only SELECT queries are allowed; got a COPY statement
Async query with a misspelt field
    coordinator    POST    /query/async    {"query": "SELECT 1", "pragmas": {}}    400    verification_exception
    ...    unknown request field [pragmas]; known fields: query, pragma, profile
Async query body that is not UTF-8
    coordinator    POST    /query/async    {"query": "é"}    400    illegal_argument_exception
    ...    request body is not UTF-8: byte 0xe9 at position 11; ${NOT_UTF8}    encoding=latin-1
A plan does not take a profile
    coordinator    POST    /plan    {"query": "SELECT 1", "profile": true}    400    verification_exception
    ...    unknown request field [profile]; known fields: query, pragma
A synthetic plan for minus one node
    coordinator    POST    /plan    {"split_sizes": [1], "nodes": -1}    400    illegal_argument_exception
    ...    nodes must be >= 0, got -1
An async query that does not exist
    coordinator    GET    /query/async/no-such-id    ${EMPTY}    404    resource_not_found_exception
    ...    no async query with id [no-such-id]
A hang of thirty thousand years
    proxy_control    POST    /rules    {"action": "hang", "hang_seconds": 1e12}    400    invalid_rule
    ...    invalid value 1000000000000.0 for rule field 'hang_seconds'; use a number of seconds ${ONE_HOUR}
A hang given as text
    proxy_control    POST    /rules    {"action": "hang", "hang_seconds": "30"}    400    invalid_rule
    ...    invalid value '30' for rule field 'hang_seconds'; use a number of seconds ${ONE_HOUR}
A latency longer than an hour
    proxy_control    POST    /rules    {"action": "latency", "latency_ms": 3600001}    400    invalid_rule
    ...    invalid value 3600001 for rule field 'latency_ms'; use a whole number of milliseconds from 0 to 3600000 (one hour)
A rule that is not UTF-8
    proxy_control    POST    /rules    {"action": "ÿ"}    400    invalid_rule
    ...    the rule is not UTF-8: byte 0xff at position 12; ${NOT_UTF8}    encoding=latin-1
A rule that is not JSON
    proxy_control    POST    /rules    action=hang    400    invalid_rule
    ...    the rule is not valid JSON: Expecting value at position 0
A rule that is a list
    proxy_control    POST    /rules    [{"action": "hang"}]    400    invalid_rule
    ...    a fault rule must be a JSON object of rule fields, got [{'action': 'hang'}]
An action that does not exist
    proxy_control    POST    /rules    {"action": "explode"}    400    invalid_rule
    ...    unknown fault action 'explode'; use one of: ${ACTIONS}
A probability above one
    proxy_control    POST    /rules    {"action": "slowdown_503", "probability": 2}    400    invalid_rule
    ...    invalid value 2 for rule field 'probability'; use a number between 0 and 1
Removing a rule that does not exist
    proxy_control    DELETE    /rules/no-such-rule    ${EMPTY}    404    rule_not_found
    ...    no fault rule with id 'no-such-rule' (it may have been used up by 'times'); active rules: none


*** Keywords ***
Start Lab With A Parquet Scan
    [Documentation]    Starts a lab with one data node and the smoke dataset; ``${SCAN}`` reads its Parquet files.
    Start Lab With Dataset    smoke    nodes=1
    ${scan}=    Get Dataset Scan    smoke    parquet
    # The template rows of every test read it, so it is the suite's.
    VAR    ${SCAN}=    ${scan}    scope=SUITE    # robocop: off=VAR05

Both APIs Should Still Answer
    [Documentation]    The coordinator and the fault proxy survived the bad request and hold no rule from it.
    ${health}=    Send Raw Request    coordinator    GET    /health
    Should Be Equal As Integers    ${health.status}    200
    ${rules}=    Send Raw Request    proxy_control    GET    /rules
    Should Be Equal    ${rules.text}    {"rules": []}
