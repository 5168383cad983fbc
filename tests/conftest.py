"""Fixtures for browser tests: the full ASGI app (HTTP and WebSockets) served by daphne against the
test database, and headless Debian Chromium driven by Playwright (never ``playwright install``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ASGI_APP = "tos.asgi:application"
CHROMIUM = os.environ.get("TOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(db: dict[str, Any]) -> str:
    """A DATABASE_URL for the test database this session created."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}{'@' if auth else ''}{host}:{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def asgi_live_server(django_db_setup) -> Iterator[str]:
    """``http://127.0.0.1:<port>``: ``daphne tos.asgi:application`` (HTTP, WebSockets, static
    files through WhiteNoise) in a subprocess on this session's test database and the configured
    Redis, so events written by the tests reach the server's sockets through the channel layer.

    A subprocess rather than a fork (as ChannelsLiveServerTestCase does): a fork inherits the
    test process's thread pools (asgiref's executor) without their threads and the server then
    hangs on its first ORM call; and it does not rename the test database (django/channels#2176).
    Tests that use it must commit their data: ``@pytest.mark.django_db(transaction=True)``."""
    from django.conf import settings
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "tos.settings.test",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "PYTHONUNBUFFERED": "1",
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "daphne.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", *("-b", "127.0.0.1", "-p", str(port)), ASGI_APP],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"daphne exited with {server.returncode}:\n{log_path.read_text()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne did not listen:\n{log_path.read_text()}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium; the test is skipped when the browser or Playwright is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (CI installs it; set TOS_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (the Python package) is not installed")
    # Playwright's sync API keeps an event loop running in this thread, so Django would refuse
    # the test's own ORM calls; they are plain sync code (the server runs in another process).
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


class PageLog:
    """What went wrong in a page: console errors, uncaught exceptions, failed or 4xx/5xx
    responses."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.bad_responses: list[str] = []
        self.responses: dict[str, int] = {}

    def attach(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("requestfailed", lambda r: self.bad_responses.append(f"failed {r.url}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            where = (message.location or {}).get("url", "")
            self.console_errors.append(f"{message.text} [{where}]" if where else message.text)

    def _response(self, response: Any) -> None:
        self.responses[response.url] = response.status
        if response.status >= 400:
            self.bad_responses.append(f"{response.status} {response.url}")

    @property
    def problems(self) -> list[str]:
        """Everything that went wrong, except the browser's own icon fetch: Chromium loads the
        linked favicon (or probes /favicon.ico) on its own schedule, so it can 404 on pages
        without the link or fail while a test has taken the page offline."""
        found = self.console_errors + self.page_errors + self.bad_responses
        return [
            p
            for p in found
            if not p.rstrip("]").endswith(("/favicon.ico", "/static/img/favicon.svg"))
        ]


@pytest.fixture
def browser_page(chromium) -> Iterator[tuple[Any, PageLog]]:
    """A fresh page (1280×900, scale 1) with its problems log."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, device_scale_factor=1, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    log = PageLog()
    log.attach(page)
    try:
        yield page, log
    finally:
        context.close()
