"""The explorer's server: only loopback names, only its own origins, closed pages freed.

A real server (the one `regionsoft explore` runs, `server.make_server`) listens on a
free loopback port in a thread, serving a one-line page so that each session costs
nothing; the requests are raw HTTP (http.client and a socket), so the `Host` and
`Origin` headers are exactly what a hostile page's browser would send.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import os
import queue
import re
import socket
import threading
import time

import pytest

pytest.importorskip("panel")

from regionsoft_sd.explore import server as explore_server  # noqa: E402


@pytest.fixture(scope="module")
def served():
    """A started explorer server (port 0: the system picks) with fast session cleanup."""
    found: queue.Queue = queue.Queue()

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        import panel as pn

        try:
            srv = explore_server.make_server(
                lambda: pn.pane.Markdown("a page"),
                port=0,
                session_check_ms=100,
                session_lifetime_ms=300,
            )
        except Exception as exc:  # pragma: no cover - shown by the test
            found.put(exc)
            return
        found.put(srv)
        srv.io_loop.start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    srv = found.get(timeout=60)
    if isinstance(srv, Exception):  # pragma: no cover
        raise srv
    yield srv
    srv.io_loop.add_callback(srv.stop)
    srv.io_loop.add_callback(srv.io_loop.stop)
    thread.join(timeout=10)


def _get(port: int, host: str | None, path: str = "/") -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    if host is not None:
        c.putheader("Host", host)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def _token(body: bytes) -> str:
    """The session token the page embeds (its websocket presents it)."""
    m = re.search(rb'token[\\"]*:\s*[\\"]*([A-Za-z0-9_.-]+)', body)
    assert m, body[:500]
    return m.group(1).decode()


def _websocket(port: int, host: str, origin: str | None, token: str) -> tuple[int, socket.socket]:
    """Open the page's websocket by hand; the status of the answer and the socket."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /ws HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Protocol: bokeh, {token}",
        *([f"Origin: {origin}"] if origin else []),
    ]
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1]), s


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{p}",
        "EVIL.example:{p}",
        "localhost.evil.example:{p}",
        "127.0.0.1.evil.example:{p}",
        "evil.example",
        "127.0.0.1",  # wrong port (80)
        "127.0.0.1:{q}",
        "localhost:{q}",
        "127.0.0.1.:{p}",
        "127.1:{p}",
        "0x7f.0.0.1:{p}",
        "2130706433:{p}",
        "0.0.0.0:{p}",
        "10.0.0.1:{p}",
        "[::1]:{p}",
        "localhost:{p}@evil.example",
        "127.0.0.1:{p}, evil.example:{p}",
        "",
    ],
)
@pytest.mark.parametrize("path", ["/", "/static/js/bokeh.min.js", "/ws", "/nowhere"])
def test_a_foreign_host_is_refused_everywhere(served, host, path):
    p = served.port
    status, body = _get(p, host.format(p=p, q=p + 1), path)
    assert status in (400, 403), (host, path, status, body[:200])
    assert b"Bokeh" not in body and b"token" not in body


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{p}", "localhost:{p}", "LOCALHOST:{p}", "127.9.8.7:{p}"]
)
def test_loopback_names_get_the_page_and_its_scripts(served, host):
    p = served.port
    status, body = _get(p, host.format(p=p))
    assert status == 200 and b"Bokeh" in body
    status, body = _get(p, host.format(p=p), "/static/js/bokeh.min.js")
    assert status == 200 and len(body) > 100_000


def test_the_websocket_opens_only_for_a_loopback_host_and_an_own_origin(served):
    """With port 0 the origins are the bound port's (the old server allowed '*')."""
    p = served.port
    assert served._tornado.websocket_origins == {f"127.0.0.1:{p}", f"localhost:{p}"}
    _, body = _get(p, f"127.0.0.1:{p}")
    token = _token(body)
    cases = [
        (f"evil.example:{p}", f"http://evil.example:{p}", 403),  # DNS rebinding: Origin = Host
        (f"evil.example:{p}", None, 403),
        (f"127.0.0.1:{p}", f"http://evil.example:{p}", 403),  # a foreign page's script
        (f"127.0.0.1:{p}", f"http://127.0.0.1:{p + 1}", 403),
        (f"127.0.0.1:{p}", "null", 403),
        (f"127.0.0.1:{p}", f"http://127.0.0.1:{p}", 101),  # the page itself
        (f"localhost:{p}", f"http://localhost:{p}", 101),
    ]
    for host, origin, expected in cases:
        status, s = _websocket(p, host, origin, token)
        s.close()
        assert status == expected, (host, origin, status)


def test_loopback_host_rule():
    ok = explore_server.loopback_host
    assert (
        ok("127.0.0.1:5006", 5006) and ok("localhost:5006", 5006) and ok("127.255.0.1:5006", 5006)
    )
    assert ok("localhost", 80) and not ok("localhost", 5006)
    for bad in [
        "evil:5006",
        "127.0.0.1:5007",
        "127.0.0.01:5006",
        "localhost:",
        "",
        None,
        "localhost:5006:5006",
        "127.0.0.1:+5006",
        "127.0.0.1:５００６",
        "[::1]:5006",
    ]:
        assert not ok(bad, 5006), bad


def test_closed_pages_are_freed(served):
    """Sessions of closed pages go (the audit saw 88 closed pages stay, 339 -> 869 MiB)."""
    p = served.port
    assert _count_settles(served, 0)
    for _ in range(6):
        _, body = _get(p, f"127.0.0.1:{p}")
        status, s = _websocket(p, f"127.0.0.1:{p}", f"http://127.0.0.1:{p}", _token(body))
        assert status == 101
        s.close()
    assert len(served.get_sessions("/")) >= 1  # they were there
    assert _count_settles(served, 0), len(served.get_sessions("/"))


def _count_settles(served, n: int, within: float = 10.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if len(served.get_sessions("/")) == n:
            return True
        time.sleep(0.05)
    return False
