"""A small synchronous client of the fault proxy's control API, for keywords, tests and benchmarks."""

from __future__ import annotations

from typing import Any

import requests

from lakeproof.errors import ConfigError, LakeproofError

JSONObject = dict[str, Any]


class ProxyControl:
    """Adds and removes fault rules and reads statistics of the proxy at ``control_url``.

    A rule or argument the proxy rejects (4xx) raises ``ConfigError`` with the proxy's reason;
    a proxy that cannot be reached raises ``LakeproofError`` naming the URL.
    """

    def __init__(self, control_url: str, timeout: float = 10.0):
        self.control_url = control_url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()

    def health(self) -> JSONObject:
        """``{"status": "ok", "upstream": ..., "listeners": {...}}``."""
        return self._call("GET", "/health")

    def listeners(self) -> dict[str, int]:
        """Port of each listener, by reader name."""
        return {name: int(port) for name, port in self._call("GET", "/listeners").items()}

    def add_rule(self, **fields: Any) -> JSONObject:
        """Add a fault rule (fields as in ``FaultRule``); returns it with its ``id``.

        Example: ``add_rule(action="slowdown_503", key="*/part-0002.parquet", per_request=2)``.
        """
        return self._call("POST", "/rules", json=fields)

    def rules(self) -> list[JSONObject]:
        """The active rules, in the order they are tried, with ``matched`` and ``hits``."""
        rules: list[JSONObject] = self._call("GET", "/rules")["rules"]
        return rules

    def rule(self, rule_id: str) -> JSONObject:
        """One active rule."""
        return self._call("GET", f"/rules/{rule_id}")

    def remove_rule(self, rule_id: str) -> JSONObject:
        """Remove one rule; returns it as it was."""
        return self._call("DELETE", f"/rules/{rule_id}")

    def clear_rules(self) -> int:
        """Remove every rule; returns how many there were."""
        removed: int = self._call("DELETE", "/rules")["removed"]
        return removed

    def stats(self, prefix: str | None = None) -> JSONObject:
        """Totals and breakdowns (by operation, key, listener, rule), optionally under ``prefix``."""
        return self._call("GET", "/stats", params={"prefix": prefix} if prefix is not None else None)

    def reset_stats(self) -> None:
        """Forget every count."""
        self._call("DELETE", "/stats")

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> JSONObject:
        url = self.control_url + path
        try:
            response = self._session.request(method, url, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            raise LakeproofError(
                f"the fault proxy control API at {self.control_url} did not answer {method} {path} "
                f"({type(exc).__name__}); is the proxy running?"
            ) from None
        if response.ok:
            body: JSONObject = response.json()
            return body
        reason = _reason(response)
        if 400 <= response.status_code < 500:
            raise ConfigError(reason)
        raise LakeproofError(f"the fault proxy control API failed on {method} {path}: {reason}")


def _reason(response: requests.Response) -> str:
    """The ``reason`` of a control API error, or the raw status line if the body is not one."""
    try:
        reason = response.json()["error"]["reason"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code} {response.reason}: {response.text[:200]}"
    return str(reason)
