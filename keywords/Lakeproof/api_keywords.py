"""Keywords that send raw requests to the lab's HTTP APIs and check how bad input is refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

import requests
from robot.api import logger
from robotlibcore import keyword

from Lakeproof.context import LabContext
from Lakeproof.html_log import log_mapping

Method = Literal["GET", "POST", "DELETE"]
BodyEncoding = Literal["utf-8", "latin-1", "utf-16"]
_TIMEOUT_S = 30


class Api(Enum):
    """The lab's HTTP APIs a raw request can go to."""

    COORDINATOR = "coordinator"
    PROXY_CONTROL = "proxy_control"


@dataclass(frozen=True)
class ApiAnswer:
    """What an API answered to a raw request: the status, the JSON error (if any) and the text."""

    status: int
    error_type: str | None
    reason: str | None
    text: str


class ApiKeywords:
    """Send the coordinator and the fault proxy's control API exactly the bytes a test wants."""

    def __init__(self, context: LabContext):
        self.context = context

    def _url(self, api: Api) -> str:
        lab = self.context.require_lab()
        if api is Api.COORDINATOR:
            self.context.reference("the coordinator's HTTP API")
            return lab.coordinator_url
        return lab.proxy.control_url

    @keyword
    def send_raw_request(
        self, api: Api, method: Method, path: str, body: str = "", encoding: BodyEncoding = "utf-8"
    ) -> ApiAnswer:
        """Sends ``body`` to ``path`` of ``api`` (``coordinator`` or ``proxy_control``) as it is.

        No JSON is built: the text goes out encoded with ``encoding``, so a test can send what no
        well-behaved client would (``latin-1`` turns ``ÿ`` into the byte 0xff, which is not UTF-8;
        ``utf-16`` sends a byte-order mark). Returns the status, the error's type and reason when
        the answer is a JSON error, and the answer's text. The log shows request and answer.
        The ``coordinator`` API is the reference engine's: on another engine the test is skipped.

        Example:
        | ${answer}=    `Send Raw Request`    coordinator    POST    /query    {"query": 42}
        | Should Be Equal As Integers    ${answer.status}    400
        """
        response = requests.request(
            method, f"{self._url(api)}{path}", data=body.encode(encoding), timeout=_TIMEOUT_S
        )
        error = _json_error(response)
        answer = ApiAnswer(
            response.status_code,
            error.get("type") if error else None,
            error.get("reason") if error else None,
            response.text,
        )
        log_mapping(
            f"{method} {path} on the {api.value} API",
            {"body sent": body, "encoding": encoding, "status": answer.status, "answer": answer.text[:2000]},
        )
        return answer

    @keyword
    def request_should_be_refused(
        self,
        api: Api,
        method: Method,
        path: str,
        body: str,
        status: int,
        error_type: str,
        reason: str,
        encoding: BodyEncoding = "utf-8",
    ) -> ApiAnswer:
        """Sends ``body`` as `Send Raw Request` does and fails unless it is refused exactly as expected.

        The answer must have HTTP ``status``, a JSON error of type ``error_type``, and a reason that
        is one line and equals ``reason``. Returns the answer.

        Example:
        | `Request Should Be Refused`    coordinator    POST    /query    {"query": "SELECT 1", "pragm": {}}
        | ...    400    verification_exception
        | ...    unknown request field [pragm]; known fields: query, pragma, profile
        """
        answer: ApiAnswer = self.send_raw_request(api, method, path, body, encoding)
        problems = []
        if answer.status != status:
            problems.append(f"HTTP status {answer.status}, expected {status}")
        if answer.error_type != error_type:
            problems.append(f"error type {answer.error_type!r}, expected {error_type!r}")
        if answer.reason is None or "\n" in answer.reason:
            problems.append("no one-line reason")
        elif answer.reason != reason:
            problems.append(f"reason {answer.reason!r}, expected {reason!r}")
        if problems:
            raise AssertionError(f"{method} {path} was not refused as expected: {'; '.join(problems)}")
        logger.info(f"refused as expected: {answer.status} {answer.error_type}: {answer.reason}")
        return answer


def _json_error(response: requests.Response) -> dict[str, Any] | None:
    """The ``{"type", "reason"}`` of a JSON error answer, else None."""
    try:
        payload = json.loads(response.text)
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else None
