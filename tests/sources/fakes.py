"""Local fakes of the tools' APIs: a threaded HTTP server on 127.0.0.1.

Each fake keeps its data in memory, answers with payloads shaped like the
vendor's documented examples, paginates the vendor's way, checks the
credentials, and can be told to misbehave: `fault(...)` makes the next
matching requests answer with a given status, headers and body (429, 502,
401, garbage), `hang_on(...)` blocks a request until released (to kill a sync
mid-run).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]


@dataclass
class Fault:
    path_contains: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    times: int = 1


class Reply:
    def __init__(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = {"Content-Type": "application/json", **(headers or {})}


class FakeTool:
    """Base: a server plus request log and faults; subclasses implement `handle`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self._hang: tuple[str, threading.Event, threading.Event] | None = None
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake._serve(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake._serve(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        if self._hang:
            self._hang[2].set()
        self.server.shutdown()
        self.server.server_close()

    # -- misbehaviour ------------------------------------------------------------------------------
    def fault(
        self,
        path_contains: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | dict | None = None,
        times: int = 1,
    ) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body or {"message": "fault"}).encode()
        self.faults.append(Fault(path_contains, status, headers or {}, raw, times))

    def hang_on(self, path_contains: str, query_contains: str = "") -> threading.Event:
        """Block the first matching request until `release()`; returns an event set when it arrives."""
        arrived, release = threading.Event(), threading.Event()
        self._hang = (path_contains + "?" + query_contains, arrived, release)
        return arrived

    def release(self) -> None:
        if self._hang:
            self._hang[2].set()
            self._hang = None

    def paths(self, contains: str = "") -> list[str]:
        return [r.path for r in self.requests if contains in r.path]

    # -- serving -----------------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Request(
            method,
            parts.path,
            parse_qs(parts.query),
            {k.lower(): v for k, v in handler.headers.items()},
            handler.rfile.read(length) if length else b"",
        )
        with self._lock:
            self.requests.append(request)
            reply = self._fault_for(request.path)
            hang = self._hang
        if hang is not None:
            want_path, want_query = hang[0].split("?", 1)
            if want_path in request.path and want_query in parts.query:
                hang[1].set()
                hang[2].wait(30)
        if reply is None:
            try:
                reply = self.handle(request)
            except Exception as exc:  # a bug in the fake: answer 599 so the test sees it
                reply = Reply(599, {"fake_error": repr(exc)})
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _fault_for(self, path: str) -> Reply | None:
        for fault in self.faults:
            if fault.times > 0 and fault.path_contains in path:
                fault.times -= 1
                return Reply(fault.status, fault.body, {"Content-Type": "application/json", **fault.headers})
        return None

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError
