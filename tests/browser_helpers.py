"""What the browser tests share: Chromium's arguments, where screenshots go, a folder served
over HTTP, and a watch on a page's console errors, failed requests and requests to other hosts."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
import time
from urllib.parse import urlparse

from .conftest import ROOT

SHOTS = ROOT / "build" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder):
    """The folder over HTTP on a free local port, for as long as the block runs."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Watch:
    """Collects console errors, failed requests and requests to other hosts, and keeps the
    requests still under way: ``settle`` waits for them, so every request the page made has
    its outcome seen before ``clean`` judges (or before a navigation would abort it)."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        self.pending: set = set()
        self.handlers = {
            "console": lambda m: self.errors.append(m.text) if m.type == "error" else None,
            "pageerror": lambda e: self.errors.append(str(e)),
            "requestfailed": self._failed,
            "requestfinished": lambda r: self.pending.discard(r),
            "response": (
                lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
            ),
            "request": self._request,
        }
        for event, handler in self.handlers.items():
            page.on(event, handler)

    def detach(self) -> None:
        """Stop watching (the page goes on to another test, with a watch of its own)."""
        for event, handler in self.handlers.items():
            self.page.remove_listener(event, handler)

    def _request(self, req):
        self.pending.add(req)
        host = urlparse(req.url).hostname
        if req.url.startswith(("data:", "blob:", "about:")):
            return
        if host != "127.0.0.1":
            self.foreign.append(req.url)

    def _failed(self, req):
        self.pending.discard(req)
        self.failed.append(req.url)

    def settle(self, seconds: float = 20.0) -> None:
        """Wait until no request of the page is under way (a request still open after
        ``seconds`` is a failure)."""
        deadline = time.monotonic() + seconds
        while self.pending and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
        assert not self.pending, [r.url for r in self.pending]

    def clean(self):
        self.settle()
        assert not self.errors, self.errors
        assert not self.failed, self.failed
        assert not self.foreign, self.foreign


_STORED = "() => [Object.keys(localStorage), Object.keys(sessionStorage), document.cookie]"


def assert_nothing_stored(page) -> None:
    """The page's site left nothing in the browser: no cookie, nothing in local or session
    storage (what lets the tests share one page between visits)."""
    assert page.evaluate(_STORED) == [[], [], ""]
