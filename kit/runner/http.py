"""Small HTTP helpers for talking to a program on loopback (stdlib http.client)."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

from kit.errors import KitError


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (how the kit reaches a program in a container with no network)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Endpoint:
    """A keep-alive connection to one program; reconnects once if the server closed it.

    `base_url` is http://host:port or unix:/path/to.sock.
    """

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.socket_path = base_url[len("unix:") :] if base_url.startswith("unix:") else ""
        parts = urlsplit("http://localhost" if self.socket_path else base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    @property
    def where(self) -> str:
        return self.socket_path or f"{self.host}:{self.port}"

    def _connect(self) -> http.client.HTTPConnection:
        if self.socket_path:
            return UnixHTTPConnection(self.socket_path, self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, ConnectionError, TimeoutError, OSError) as exc:
                self.close()
                if attempt == 2:
                    raise KitError(f"{method} {path} on {self.where} failed: {exc}") from None
        raise AssertionError("unreachable")

    def get(self, path: str) -> bytes:
        status, body = self.request("GET", path)
        if status != 200:
            raise KitError(f"GET {path} returned HTTP {status}: {body[:200]!r}")
        return body

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
