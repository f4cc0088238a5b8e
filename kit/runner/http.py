"""Small HTTP helpers for talking to a program on loopback (stdlib http.client)."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from kit.errors import KitError


class Endpoint:
    """A keep-alive connection to one program; reconnects once if the server closed it."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, ConnectionError, TimeoutError, OSError) as exc:
                self.close()
                if attempt == 2:
                    raise KitError(
                        f"{method} {path} on {self.host}:{self.port} failed: {exc}"
                    ) from None
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
