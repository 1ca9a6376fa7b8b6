*** Settings ***
Documentation       The query spec catalogue's cases tagged ``slow``, checked as ``query_specs.robot``
...                 checks the others: every format, every strategy, against the oracle. They add
...                 breadth (every messy-data case beyond the one per class the default tier runs)
...                 where the default run's wall time cannot pay for it. ``make acceptance`` excludes
...                 this suite; run it with ``robot --include slow suites/equivalence``.
...
...                 Select cases with ``--variable "SPEC_TAGS:slowANDmessy"`` (a tag pattern that
...                 keeps ``slow``).

Library             DataDriver    reader_class=${CURDIR}/../../keywords/QuerySpecReader.py
...                     file_search_strategy=None    include=${SPEC_TAGS}
Resource            query_specs.resource

Suite Setup         Start Lab With Query Spec Datasets
Suite Teardown      Stop Lab
Test Template       Spec Case Should Match Oracle Under Every Strategy

Test Tags           equivalence    slow


*** Variables ***
${SPEC_TAGS}        slow


*** Test Cases ***
Slow spec case ${case} of ${area}    Default    Default


*** Keywords ***
Spec Case Should Match Oracle Under Every Strategy
    [Documentation]    The template of the generated tests (DataDriver looks for it in the suite file itself).
    [Arguments]    ${area}    ${case}
    Spec Case Should Match Oracle In Every Run    ${area}    ${case}
