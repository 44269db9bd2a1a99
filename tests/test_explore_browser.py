"""The explorer in a real browser: Debian's headless Chromium, driven by Playwright.

The server runs as a user starts it (`regionsoft explore --port P --no-browser`) on the
loopback address. The browser may reach nothing else: every other request is refused
and recorded, so the test also shows that the page needs no network. It moves sliders
with the keyboard, as a person can, and reads the plotted data back from the page's
own Bokeh models. A screenshot is saved (set EXPLORE_SCREENSHOT=path to keep it).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,  # a browser and a server: `make test-slow`
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="needs playwright (the test extra)"
    ),
]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAN = "Dominant Soft Power"

SLIDERS_JS = """() => Object.fromEntries([...Bokeh.documents[0].all_models]
    .filter(m => m.title !== undefined && m.start !== undefined && m.value !== undefined)
    .map(m => [m.title, m.value]))"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`regionsoft explore` on a free loopback port; yields its URL; stopped afterwards."""
    port = _free_port()
    exe = Path(sys.executable).parent / "regionsoft"
    cmd = [str(exe), "explore", "--port", str(port), "--no-browser"]
    work = tmp_path_factory.mktemp("explore")
    proc = subprocess.Popen(
        cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()  # printed once the server listens
        assert "open http://127.0.0.1:" in line, (line, proc.poll(), proc.stderr.read())
        yield f"http://127.0.0.1:{port}/", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    url, _ = server
    outside: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p, _profile() as profile:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1500, "height": 1250},
        )
        pg = browser.new_page()

        def route(r):
            if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        pg.route("**/*", route)
        pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        pg.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        pg.goto(url)
        pg.wait_for_function(
            f"() => window.Bokeh && Bokeh.documents.length > 0 && "
            f"Bokeh.documents[0].get_model_by_name('central:{FAN}')?.data.y.length > 0",
            timeout=60_000,
        )
        yield pg, outside, problems
        browser.close()


class _profile:
    """A fresh --user-data-dir, removed afterwards."""

    def __enter__(self) -> str:
        import tempfile

        self.path = tempfile.mkdtemp(prefix="regionsoft-chromium-")
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _fan(pg) -> list[float]:
    return pg.evaluate(
        f"() => Array.from(Bokeh.documents[0].get_model_by_name('fan:{FAN}').data.q95)"
    )


def _alert(pg) -> str:
    """The text of the page's error message, if one is shown (Bokeh draws it in a shadow root)."""
    alerts = pg.locator(".alert-danger").all()
    text = "e => (e.shadowRoot || e).textContent"
    return " ".join(a.evaluate(text).strip() for a in alerts if a.is_visible()).strip()


def _press(pg, title: str, key: str, times: int = 1) -> None:
    """Focus the handle of the slider titled `title` and press `key`, as a person would."""
    group = pg.locator(".bk-input-group", has=pg.locator(".bk-slider-title", has_text=title))
    handle = group.locator(".noUi-handle").first
    handle.focus()
    for _ in range(times):
        pg.keyboard.press(key)


def test_moving_a_slider_reruns_the_futures_and_redraws_with_no_error(page, tmp_path):
    pg, outside, problems = page
    before = _fan(pg)
    sliders = pg.evaluate(SLIDERS_JS)
    budget = next(t for t in sliders if t.startswith("Programme budget"))
    assert sliders[budget] == 0

    t = time.perf_counter()
    _press(pg, "Programme budget", "PageUp", 4)
    pg.wait_for_function(
        f"() => Array.from(Bokeh.documents[0].get_model_by_name('fan:{FAN}').data.q95)"
        f".some((v, i) => v !== {before}[i])",
        timeout=30_000,
    )
    elapsed = time.perf_counter() - t
    after = _fan(pg)
    assert len(after) == len(before) == 71
    assert after[:19] == before[:19]  # history (2005-2023) is the same in every setting
    assert after[-1] != before[-1]  # the projection moved
    assert pg.evaluate(SLIDERS_JS)[budget] > 0

    # a share of a split: the others move with it and the four still sum to 1
    _press(pg, "Programme culture share", "PageUp", 3)
    # the four sliders are updated one by one: wait until the last has arrived (the
    # shares sum to 1 again); a sum that stays off times out and fails the test
    pg.wait_for_function(
        """() => { const s = Object.entries(Object.fromEntries([...Bokeh.documents[0].all_models]
            .filter(m => m.title !== undefined && m.start !== undefined)
            .map(m => [m.title, m.value]))).filter(([t]) => t.startsWith('Programme')
            && t.includes('share'));
            const pub = s.filter(([t]) => t.startsWith('Programme public'));
            const sum = s.reduce((a, [, v]) => a + v, 0);
            return s.length === 4 && pub.length && pub[0][1] < 0.70
                && Math.abs(sum - 1) < 1e-6; }""",
        timeout=30_000,
    )
    now = pg.evaluate(SLIDERS_JS)
    shares = [v for t, v in now.items() if t.startswith("Programme") and "share" in t]
    assert len(shares) == 4 and abs(sum(shares) - 1) < 1e-6

    pg.wait_for_timeout(300)  # let any error the change caused reach the page
    assert _alert(pg) == ""
    assert problems == []
    assert outside == []  # nothing was fetched from outside this machine
    shot = Path(os.environ.get("EXPLORE_SCREENSHOT") or tmp_path / "explore.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 50_000
    print(f"\nslider -> redrawn: {elapsed:.2f} s; screenshot {shot}")


def test_a_bad_file_shows_a_message_and_the_server_keeps_working(page, server):
    pg, outside, problems = page
    _, proc = server
    pg.locator("input[type=file]").set_input_files(
        files=[{"name": "hand_edited.toml", "mimeType": "text/plain", "buffer": b"name = [oops\n"}]
    )
    pg.locator(".alert-danger", has_text="hand_edited.toml").wait_for(timeout=30_000)
    assert "hand_edited.toml" in _alert(pg) and "malformed TOML" in _alert(pg)
    # out of range: the tax share is at most 0.3 in the model
    bad = b'name = "too_high"\ndescription = "x"\n[policy.tax_share]\nvalue = 0.9\n'
    pg.locator("input[type=file]").set_input_files(
        files=[{"name": "too_high.toml", "mimeType": "text/plain", "buffer": bad}]
    )
    pg.locator(".alert-danger", has_text="too_high.toml").wait_for(timeout=30_000)
    assert "outside the model's range" in _alert(pg)
    # still alive: a change reruns and clears the message
    before = _fan(pg)
    _press(pg, "Programme budget", "PageUp", 2)
    pg.wait_for_function(
        f"() => Array.from(Bokeh.documents[0].get_model_by_name('fan:{FAN}').data.q95)"
        f".some((v, i) => v !== {before}[i])",
        timeout=30_000,
    )
    pg.wait_for_timeout(300)
    assert _alert(pg) == ""
    assert proc.poll() is None and problems == [] and outside == []


def test_an_uploaded_key_with_markdown_is_shown_as_text_and_fetches_nothing(page):
    """The key `![x](http://...)` once became an image the browser fetched."""
    pg, outside, problems = page
    bad = (
        b'name = "x"\ndescription = "y"\n[policy]\n'
        b'"![x](http://evil.example/x.png) <img src=http://evil.example/y.png>" = 1\n'
    )
    pg.locator("input[type=file]").set_input_files(
        files=[{"name": "evil.toml", "mimeType": "text/plain", "buffer": bad}]
    )
    pg.locator(".alert-danger", has_text="evil.toml").wait_for(timeout=30_000)
    pg.wait_for_timeout(500)  # time for any image to be requested
    text = _alert(pg)
    assert "![x](http://evil.example/x.png)" in text and "<img src=" in text
    assert (
        pg.evaluate(
            "() => [...document.querySelectorAll('*')].filter(e => e.shadowRoot)"
            ".flatMap(e => [...e.shadowRoot.querySelectorAll('img')]).length"
        )
        == 0
    )
    assert outside == [] and problems == []


def test_a_page_under_a_foreign_name_is_refused(server):
    """DNS rebinding: a name the attacker controls resolves to 127.0.0.1 (here by
    Chromium's resolver rule). The browser sends that name as Host: refused, so no
    page, no scripts and no websocket, while 127.0.0.1 itself still works."""
    from playwright.sync_api import sync_playwright

    url, proc = server
    port = url.rsplit(":", 1)[1].strip("/")
    rules = "--host-resolver-rules=MAP evil.example 127.0.0.1"
    with sync_playwright() as p, _profile() as profile:
        browser = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=[*ARGS, rules]
        )
        pg = browser.new_page()
        seen: list[tuple[str, int]] = []
        pg.on("response", lambda r: seen.append((r.url, r.status)))
        response = pg.goto(f"http://evil.example:{port}/")
        assert response is not None and response.status == 403
        assert pg.evaluate("() => typeof window.Bokeh") == "undefined"
        assert "loopback" in pg.content()
        for path in ("static/js/bokeh.min.js", "ws"):
            assert pg.goto(f"http://evil.example:{port}/{path}").status == 403
        ok = pg.request.get(url)  # the same browser, under the loopback name
        assert ok.status == 200 and "Bokeh" in ok.text()
        browser.close()
    assert all(status == 403 for u, status in seen if "evil.example" in u), seen
    assert proc.poll() is None
