"""Serve the explorer on the loopback address, with every script and style from the
installed Python packages (Bokeh and Panel ship their JavaScript), so the page works
without a network.

Only this machine may use it, and only under a loopback name:

- every request (the page, its scripts and styles, the websocket) whose `Host` is
  not `localhost` or an address in 127.0.0.0/8, with the port the server
  listens on, is refused (403) before any handler runs. A web page elsewhere cannot
  reach the server by pointing its own name at 127.0.0.1 (DNS rebinding);
- the websocket accepts only the origins `http://127.0.0.1:PORT` and
  `http://localhost:PORT`, with the port it really listens on (also with `--port 0`);
- each closed page's session is freed: Bokeh's periodic cleanup runs, and discards
  a session a few seconds after its last tab closed (also a tab closed while it
  was still opening, which Bokeh itself loses track of).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from regionsoft_sd.common.errors import InputError

ADDRESS = "127.0.0.1"
"""Only this machine can open the page: the explorer is a local app."""
DEFAULT_PORT = 5006
SESSION_CHECK_MS = 5_000
"""How often closed pages' sessions are looked for (Bokeh's default: 17 s)."""
SESSION_LIFETIME_MS = 10_000
"""A session with no open tab is freed this long after its last tab closed."""


def check_port(port: int) -> int:
    """A TCP port number the server can listen on (0: the system picks a free one)."""
    if isinstance(port, bool) or not 0 <= int(port) <= 65535:
        raise InputError(None, "--port", f"{port!r} is not a port number", "use 1024-65535")
    return int(port)


def loopback_host(host: str | None, port: int) -> bool:
    """Whether a request's `Host` header names this server by a loopback name.

    True for `localhost` or a dotted IPv4 address in 127.0.0.0/8, followed by
    `:port` (no port means 80, as in HTTP). Anything else, a missing or repeated
    header included, is False: a browser that reached 127.0.0.1 under another name
    (`evil.example` resolved to 127.0.0.1) sends that name. `[::1]` is refused too:
    the server listens on IPv4 only, so no browser reaches it under that name.
    """
    if not host or any(c in host for c in ", \t\r\n/\\@"):
        return False
    name, sep, rest = host.rpartition(":")
    if not sep:
        name, rest = host, "80"
    if not rest.isascii() or not rest.isdigit() or len(rest) > 5 or int(rest) != port:
        return False
    name = name.lower()
    if name == "localhost":
        return True
    if not all(part.isascii() and part.isdigit() for part in name.split(".")):
        return False
    try:
        address = ipaddress.IPv4Address(name)  # refuses short forms and leading zeros
    except ValueError:
        return False
    return address in ipaddress.IPv4Network("127.0.0.0/8")


def websocket_origins(port: int) -> list[str]:
    """The origins (host:port) whose pages may open the websocket: this server's own."""
    return [f"{ADDRESS}:{port}", f"localhost:{port}"]


def make_server(
    page: Callable[[], Any],
    *,
    port: int = DEFAULT_PORT,
    session_check_ms: int = SESSION_CHECK_MS,
    session_lifetime_ms: int = SESSION_LIFETIME_MS,
):
    """A started Bokeh server of `page` (one per browser tab) on the loopback address.

    Started means its periodic jobs run (the session cleanup among them) once the
    IO loop runs; `server.port` is the port it listens on. The host guard and the
    websocket origins are in place before any request can be read. InputError if
    the port is taken.
    """
    os.environ.setdefault("BOKEH_RESOURCES", "server")  # scripts from this server, never a CDN
    os.environ.pop("BOKEH_ALLOW_WS_ORIGIN", None)  # it would replace the origins below
    import panel as pn

    from regionsoft_sd.explore.app import TITLE

    pn.extension(inline=False)
    pn.config.inline = False
    port = check_port(port)
    try:
        server = pn.serve(
            {"/": page},
            port=port,
            address=ADDRESS,
            websocket_origin=websocket_origins(port),
            show=False,
            start=False,
            title=TITLE,
            verbose=False,
            check_unused_sessions_milliseconds=session_check_ms,
            unused_session_lifetime_milliseconds=session_lifetime_ms,
        )
    except OSError as exc:
        raise InputError(
            None,
            "--port",
            f"cannot listen on {ADDRESS}:{port} ({exc.strerror})",
            "use another port",
        ) from exc
    actual = int(server.port)
    origins = server._tornado.websocket_origins  # the set Bokeh's websocket checks
    origins.clear()
    origins.update(websocket_origins(actual))
    _guard_host(server, actual)
    server.start()  # the periodic jobs, session cleanup among them
    from tornado.ioloop import PeriodicCallback

    sweep = PeriodicCallback(lambda: _forget_closed_sockets(server._tornado), session_check_ms)
    sweep.start()
    server.regionsoft_sweep = sweep  # kept with the server it serves
    return server


def _forget_closed_sockets(app) -> None:
    """Let go of connections whose websocket is closed.

    Bokeh subscribes a connection to its session only after the websocket opened;
    if the page closes it in between (a quick reload, a hostile client), Bokeh's
    `on_close` finds no connection to drop, the session counts it as open forever
    and is never freed. This drops such connections, so cleanup can free the session.
    """
    for conn in list(app._clients):
        sock = getattr(conn, "_socket", None)
        if sock is not None and sock.ws_connection is None:
            app.client_lost(conn)


def _guard_host(server, port: int) -> None:
    """Put the Host check in front of every handler of the server's application."""
    from tornado.routing import Router
    from tornado.web import RequestHandler

    app = server._tornado

    class Refused(RequestHandler):
        def prepare(self) -> None:
            self.set_status(403)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(
                "regionsoft explore answers only on this machine's loopback names: "
                f"open http://{ADDRESS}:{port}/\n"
            )

    class HostGuard(Router):
        def find_handler(self, request, **kwargs):
            hosts = request.headers.get_list("Host")
            if len(hosts) != 1 or not loopback_host(hosts[0], port):
                return app.get_handler_delegate(request, Refused)
            return app.find_handler(request, **kwargs)

    server._http.request_callback = HostGuard()


def serve(
    config,
    *,
    port: int = DEFAULT_PORT,
    show: bool = True,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the explorer until interrupted; call `ready(url)` once it listens.

    InputError if the port is taken.
    """
    from regionsoft_sd.explore.app import make_page

    server = make_server(lambda: make_page(config), port=port)
    url = f"http://{ADDRESS}:{server.port}/"
    if ready is not None:
        ready(url)
    if show:
        import webbrowser

        server.io_loop.add_callback(lambda: webbrowser.open(url))
    server.io_loop.start()


def static_root() -> Path:
    """Folder of Bokeh's JavaScript in the installed package (what the page loads)."""
    import bokeh

    return Path(bokeh.__file__).parent / "server" / "static"
