"""Serve the explorer on the loopback address, with every script and style from the
installed Python packages (Bokeh and Panel ship their JavaScript), so the page works
without a network.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from regionsoft_sd.common.errors import InputError

ADDRESS = "127.0.0.1"
"""Only this machine can open the page: the explorer is a local app."""
DEFAULT_PORT = 5006


def check_port(port: int) -> int:
    """A TCP port number the server can listen on (0: the system picks a free one)."""
    if isinstance(port, bool) or not 0 <= int(port) <= 65535:
        raise InputError(None, "--port", f"{port!r} is not a port number", "use 1024-65535")
    return int(port)


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
    os.environ.setdefault("BOKEH_RESOURCES", "server")  # scripts from this server, never a CDN
    import panel as pn

    from regionsoft_sd.explore.app import TITLE, make_page

    pn.extension(inline=False)
    pn.config.inline = False
    port = check_port(port)
    try:
        server = pn.serve(
            {"/": lambda: make_page(config)},
            port=port,
            address=ADDRESS,
            websocket_origin=[f"{ADDRESS}:{port}", f"localhost:{port}"] if port else "*",
            show=False,
            start=False,
            title=TITLE,
            verbose=False,
        )
    except OSError as exc:
        raise InputError(
            None,
            "--port",
            f"cannot listen on {ADDRESS}:{port} ({exc.strerror})",
            "use another port",
        ) from exc
    actual = port or _bound_port(server)
    url = f"http://{ADDRESS}:{actual}/"
    if ready is not None:
        ready(url)
    if show:
        import webbrowser

        server.io_loop.add_callback(lambda: webbrowser.open(url))
    server.io_loop.start()


def _bound_port(server) -> int:
    for sock in server._http._sockets.values():  # tornado HTTPServer's listening sockets
        return int(sock.getsockname()[1])
    return 0  # pragma: no cover


def static_root() -> Path:
    """Folder of Bokeh's JavaScript in the installed package (what the page loads)."""
    import bokeh

    return Path(bokeh.__file__).parent / "server" / "static"
