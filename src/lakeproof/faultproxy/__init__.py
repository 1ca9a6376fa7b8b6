"""S3-aware fault-injecting reverse proxy with a JSON control API.

One loopback listener per reader (``coordinator``, ``node-1``, ...) forwards S3 requests to the
object store transparently, unless a fault rule selects the request: then it answers an S3
error, resets or truncates the connection, slows or delays the body, or hangs. Statistics count
requests, body bytes and faults by operation, key, listener and rule.

- ``FaultProxy`` / ``BackgroundFaultProxy``: run the proxy in-process (tests, benchmarks).
- ``python -m lakeproof.faultproxy``: run it as a process (the lab).
- ``ProxyControl``: synchronous client of the control API.
- ``ACTIONS`` / ``OPERATIONS``: the names rules use, from one place.
"""

from lakeproof.faultproxy.client import ProxyControl
from lakeproof.faultproxy.names import ACTIONS, OPERATIONS, Action, Operation
from lakeproof.faultproxy.rules import FaultRule, InvalidRuleError, parse_rule
from lakeproof.faultproxy.server import BackgroundFaultProxy, FaultProxy

__all__ = [
    "ACTIONS",
    "OPERATIONS",
    "Action",
    "BackgroundFaultProxy",
    "FaultProxy",
    "FaultRule",
    "InvalidRuleError",
    "Operation",
    "ProxyControl",
    "parse_rule",
]
