*** Settings ***
Documentation     An engine started from its container image: every node of its definition comes up
...               healthy, labelled with the run and wired to the lab's fault proxy, and a node can be
...               killed, stopped, paused and restarted while the lab runs. Give the definition with
...               ``--variable ENGINE_DEFINITION:path/to/engine.yaml`` (an example:
...               ``data/engines/examples/acme-engine.yaml``); it needs a Docker engine (``DOCKER_HOST``
...               or the local socket). Without either, every test is skipped with the reason.

Resource          ../../resources/lab.resource

Suite Setup       Start Engine From Its Definition
Suite Teardown    Stop Lab

Test Tags         containers


*** Variables ***
${ENGINE_DEFINITION}    ${EMPTY}


*** Test Cases ***
Every node of the definition is running
    [Documentation]    Ready means healthy: the start waited for every node's health check.
    @{nodes}=    Get Engine Nodes
    FOR    ${node}    IN    @{nodes}
        Engine Node State Should Be    ${node}    running
    END

A killed node is down until it is restarted, then healthy again
    [Documentation]    SIGKILL, as a crash: the container exits; a restart waits for its health again.
    @{nodes}=    Get Engine Nodes
    VAR    ${node}=    ${nodes}[-1]
    Kill Engine Node    ${node}
    Engine Node State Should Be    ${node}    exited
    Restart Engine Node    ${node}
    Engine Node State Should Be    ${node}    running

A paused node hangs until it is unpaused
    [Documentation]    A hung node: its processes frozen, its connections open.
    @{nodes}=    Get Engine Nodes
    VAR    ${node}=    ${nodes}[-1]
    Pause Engine Node    ${node}
    Engine Node State Should Be    ${node}    paused
    Unpause Engine Node    ${node}
    Engine Node State Should Be    ${node}    running

A stopped node is down until it is restarted
    [Documentation]    SIGTERM, then SIGKILL after the definition's stop timeout.
    @{nodes}=    Get Engine Nodes
    VAR    ${node}=    ${nodes}[0]
    Stop Engine Node    ${node}
    Engine Node State Should Be    ${node}    exited
    Restart Engine Node    ${node}
    Engine Node State Should Be    ${node}    running


*** Keywords ***
Start Engine From Its Definition
    [Documentation]    Skips without a definition or a Docker engine; otherwise starts a lab whose
    ...    listeners containers can reach (no reference cluster: the engine is the containers) and
    ...    the engine's nodes, one proxy listener per node.
    Skip If    not $ENGINE_DEFINITION
    ...    no engine definition given: run with --variable ENGINE_DEFINITION:path/to/engine.yaml
    Require Docker Engine
    Start Lab    nodes=3    cluster=False    proxy_host=0.0.0.0
    Start Engine Containers    ${ENGINE_DEFINITION}
