"""A small HTTP client for the tools' REST APIs, with one behaviour for all four.

Why httpx rather than each vendor's client (PyGithub, python-gitlab, the Jira
and PagerDuty packages): those clients each retry, sleep and raise in their own
way (some sleep for up to an hour on a rate limit, some hide a 401 behind a
generic error), while a source must behave the same whatever the tool:

* 401/403 → `ToolAuthError`: the source is marked failing with the reason.
* 429, or a rate-limit header at zero → wait as `Retry-After` /
  `X-RateLimit-Reset` (or GitLab's `RateLimit-Reset`) say, at most
  `SOURCES_HTTP_MAX_WAIT` seconds per wait, then go on.
* 5xx or a timeout → retry with exponential backoff, then `ToolUnavailable`
  (the run fails; the cursor stays where the last committed page left it).
* a body that is not JSON, or larger than `max_body` (50 MB) → `ToolResponseError`.

Links to further pages are followed only on the configured host, so a token is
never sent anywhere else.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

#: Tests replace this to observe waits without sleeping.
sleep = time.sleep
now = time.time


class ToolError(Exception):
    """The tool did not give us what we need; the message says why (no secrets in it)."""


class ToolAuthError(ToolError):
    """401/403: the credentials are wrong or lack a permission."""


class ToolUnavailable(ToolError):
    """5xx, timeouts or rate limits beyond what we wait for, after the retries."""


class ToolResponseError(ToolError):
    """An answer we cannot use: another 4xx, or a body that is not JSON."""


@dataclass
class HttpOptions:
    timeout: float = 10.0
    retries: int = 3  # extra attempts after a 5xx/timeout
    backoff: float = 1.0  # seconds; doubled per attempt
    max_wait: float = 120.0  # the longest single rate-limit wait
    rate_limit_waits: int = 5  # rate-limit waits per request before giving up
    max_body: int = 50_000_000  # bytes of one answer

    @classmethod
    def from_settings(cls) -> HttpOptions:
        return cls(**getattr(settings, "SOURCES_HTTP", {}))


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ToolClient:
    """GETs JSON from one tool's API under `base_url`; counts the requests it makes."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        options: HttpOptions | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.options = options or HttpOptions.from_settings()
        self.requests = 0
        self._origin = urlsplit(self.base_url)[:2]
        self._client = httpx.Client(
            headers={"Accept": "application/json", "User-Agent": "productops-sources", **(headers or {})},
            auth=auth,
            timeout=self.options.timeout,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ToolClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        """`path` under the base URL (an absolute link is checked to be on the same host)."""
        if path.startswith(("http://", "https://")):
            if urlsplit(path)[:2] != self._origin:
                raise ToolResponseError(f"refusing to follow a link to another host: {urlsplit(path).netloc}")
            return path
        return urljoin(self.base_url, path.lstrip("/"))

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """One GET with the retry and rate-limit rules above; returns a 2xx response."""
        url = self.url(path)
        failures = 0
        waits = 0
        while True:
            try:
                self.requests += 1
                response = self._fetch(url, params)
            except httpx.TimeoutException:
                failures += 1
                if failures > self.options.retries:
                    raise ToolUnavailable(f"timed out {failures} times: GET {_path(url)}") from None
                self._backoff(failures)
                continue
            except httpx.TransportError as exc:
                failures += 1
                if failures > self.options.retries:
                    raise ToolUnavailable(f"cannot reach the tool ({type(exc).__name__}): GET {_path(url)}") from None
                self._backoff(failures)
                continue
            status = response.status_code
            wait = self._rate_limit_wait(response)
            if wait is not None and (status == 429 or status == 403):
                waits += 1
                if waits > self.options.rate_limit_waits:
                    raise ToolUnavailable(f"still rate limited after {waits - 1} waits: GET {_path(url)}")
                self._wait(wait, url)
                continue
            if status in (401, 403):
                raise ToolAuthError(f"{status} {response.reason_phrase} from GET {_path(url)}: {_reason(response)}")
            if status >= 500:
                failures += 1
                if failures > self.options.retries:
                    raise ToolUnavailable(f"{status} {response.reason_phrase} {failures} times: GET {_path(url)}")
                self._backoff(failures)
                continue
            if status >= 400:
                raise ToolResponseError(f"{status} {response.reason_phrase} from GET {_path(url)}: {_reason(response)}")
            if wait is not None:  # a 2xx with the budget at zero: wait before the next call
                self._wait(wait, url)
            return response

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.get(path, params)
        try:
            return response.json()
        except ValueError:
            raise ToolResponseError(
                f"the answer to GET {_path(str(response.url))} is not JSON: {_short(response.text, 80)!r}"
            ) from None

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, httpx.Response]]:
        """Follow `Link: rel="next"` (GitHub, GitLab) to the end: (json, response) per page."""
        next_url: str | None = path
        next_params = params
        while next_url:
            response = self.get(next_url, next_params)
            try:
                body = response.json()
            except ValueError:
                raise ToolResponseError(
                    f"the answer to GET {_path(str(response.url))} is not JSON: {_short(response.text, 80)!r}"
                ) from None
            yield body, response
            link = response.links.get("next", {}).get("url")
            next_url, next_params = (link, None) if link else (None, None)

    def _fetch(self, url: str, params: Mapping[str, Any] | None) -> httpx.Response:
        """GET, reading at most `max_body` bytes: a tool cannot make us hold an unbounded answer."""
        with self._client.stream("GET", url, params=params) as streamed:
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if len(body) > self.options.max_body:
                    raise ToolResponseError(
                        f"the answer to GET {_path(url)} is larger than {self.options.max_body:,} bytes"
                    )
            return httpx.Response(
                streamed.status_code, headers=streamed.headers, content=bytes(body), request=streamed.request
            )

    # -- waiting ---------------------------------------------------------------------------------
    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait when the answer says so (429/Retry-After or a budget at zero), else None."""
        headers = response.headers
        retry_after = headers.get("Retry-After")
        if retry_after is not None and response.status_code in (429, 403, 503):
            return _seconds_from_retry_after(retry_after)
        remaining = headers.get("X-RateLimit-Remaining", headers.get("RateLimit-Remaining"))
        reset = headers.get("X-RateLimit-Reset", headers.get("RateLimit-Reset"))
        if remaining is not None and remaining.strip() == "0" and reset is not None:
            try:
                return max(0.0, float(reset) - now())
            except ValueError:
                return 1.0
        if response.status_code == 429:
            return 1.0  # no hint: a short pause, bounded by rate_limit_waits
        return None

    def _wait(self, seconds: float, url: str) -> None:
        if seconds > self.options.max_wait:
            raise ToolUnavailable(
                f"rate limited for {seconds:.0f} s (we wait at most {self.options.max_wait:.0f} s): GET {_path(url)}"
            )
        logger.info("rate limited by %s; waiting %.1f s", urlsplit(url).netloc, seconds)
        sleep(seconds)

    def _backoff(self, failures: int) -> None:
        sleep(self.options.backoff * 2 ** (failures - 1))


def _seconds_from_retry_after(value: str) -> float:
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, moment.timestamp() - now())


def _path(url: str) -> str:
    """The URL without its query (which may carry filters, never secrets, but is long)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return _short(response.text) or "no details"
    if isinstance(body, dict):
        for key in ("message", "error", "errorMessages", "errors"):
            if body.get(key):
                value = body[key]
                if isinstance(value, dict):
                    value = value.get("message") or value
                return _short(str(value))
    return _short(str(body))
