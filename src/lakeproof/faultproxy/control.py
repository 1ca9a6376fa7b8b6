"""The control API: JSON over HTTP to add, list and remove fault rules and to read statistics.

Endpoints::

    GET    /health          {"status": "ok", "upstream": url, "listeners": {name: port}}
    GET    /listeners       {name: port}
    POST   /rules           a rule's fields -> 201 and the rule with its "id"
    GET    /rules           {"rules": [rule, ...]} with "matched" and "hits" counters
    GET    /rules/{id}      one rule, or 404
    DELETE /rules/{id}      the removed rule, or 404
    DELETE /rules           {"removed": count}
    GET    /stats[?prefix=] totals and breakdowns by operation, key, listener and rule
    DELETE /stats           {"reset": true}

Errors are ``{"error": {"type": ..., "reason": ...}}`` with a 4xx status; a rule used up by
``times`` is removed from the rules, while its hits stay visible in the statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import web

from lakeproof.errors import ConfigError
from lakeproof.faultproxy.rulebook import RuleBook
from lakeproof.faultproxy.stats import ProxyStats
from lakeproof.jsonbody import decode_json


def _json_error(status: int, error_type: str, reason: str) -> web.Response:
    """The control API's error response."""
    return web.json_response({"error": {"type": error_type, "reason": reason}}, status=status)


class ControlApi:
    """Handlers of the control API over one proxy's rules and statistics."""

    def __init__(
        self,
        rulebook: RuleBook,
        stats: ProxyStats,
        upstream: str,
        listener_ports: Callable[[], Mapping[str, int]],
    ):
        self._rulebook = rulebook
        self._stats = stats
        self._upstream = upstream
        self._listener_ports = listener_ports

    def app(self) -> web.Application:
        """The aiohttp application serving the endpoints."""
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/listeners", self._listeners)
        app.router.add_post("/rules", self._add_rule)
        app.router.add_get("/rules", self._list_rules)
        app.router.add_delete("/rules", self._clear_rules)
        app.router.add_get("/rules/{id}", self._get_rule)
        app.router.add_delete("/rules/{id}", self._remove_rule)
        app.router.add_get("/stats", self._get_stats)
        app.router.add_delete("/stats", self._reset_stats)
        return app

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "upstream": self._upstream, "listeners": dict(self._listener_ports())}
        )

    async def _listeners(self, _: web.Request) -> web.Response:
        return web.json_response(dict(self._listener_ports()))

    async def _add_rule(self, request: web.Request) -> web.Response:
        try:
            active = self._rulebook.add(decode_json(await request.read(), "the rule"))
        except ConfigError as exc:  # InvalidRuleError too
            return _json_error(400, "invalid_rule", str(exc))
        return web.json_response(active.describe(), status=201)

    async def _list_rules(self, _: web.Request) -> web.Response:
        return web.json_response({"rules": [active.describe() for active in self._rulebook.rules()]})

    async def _clear_rules(self, _: web.Request) -> web.Response:
        return web.json_response({"removed": self._rulebook.clear()})

    async def _get_rule(self, request: web.Request) -> web.Response:
        active = self._rulebook.get(request.match_info["id"])
        return web.json_response(active.describe()) if active else self._unknown_rule(request)

    async def _remove_rule(self, request: web.Request) -> web.Response:
        active = self._rulebook.remove(request.match_info["id"])
        return web.json_response(active.describe()) if active else self._unknown_rule(request)

    async def _get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self._stats.snapshot(request.query.get("prefix")))

    async def _reset_stats(self, _: web.Request) -> web.Response:
        self._stats.reset()
        return web.json_response({"reset": True})

    def _unknown_rule(self, request: web.Request) -> web.Response:
        active = ", ".join(active.id for active in self._rulebook.rules()) or "none"
        return _json_error(
            404,
            "rule_not_found",
            f"no fault rule with id {request.match_info['id']!r} (it may have been used up by 'times'); "
            f"active rules: {active}",
        )
