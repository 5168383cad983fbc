"""Helpers the browser tests share."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.db import connections


def on_server(fn, /, **kwargs):
    """Run a service as a web or worker thread would: in a thread with no event loop (Playwright
    keeps one running in the test's thread, where the after-commit broadcast cannot run)."""

    def call():
        try:
            return fn(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=30)
