"""``python manage.py bench_live``: API and live-update latency percentiles against a running
server (``make run`` or server mode).

It signs in through the API and measures three things. The first is ``GET`` latency of the main
list endpoints. The second is the latency of a state-changing ``POST`` (hold apply and release on
demo units). The third is the time from that ``POST`` being sent to its event arriving on a
WebSocket subscribed to the terminal (what an operator's screen sees). All requests go to the
given URL, which must be on this machine.

    python manage.py bench_live --url http://127.0.0.1:8000 --user planner --password ... -n 200
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlparse

from django.core.management.base import BaseCommand, CommandError
from websockets.sync.client import connect


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class _Api:
    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise CommandError("bench_live only talks to a server on this machine")
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.token = ""

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, float]:
        hdrs = {"Accept": "application/json", **(headers or {})}
        if self.token:
            hdrs["Authorization"] = f"Token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        raw = resp.read()
        elapsed = (time.perf_counter() - started) * 1000
        return resp.status, json.loads(raw) if raw else None, elapsed


class Command(BaseCommand):
    help = "Measure API and live-update (WebSocket) latency percentiles of a running TOS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--user", default="planner")
        parser.add_argument("--password", default="tos-demo-2026")
        parser.add_argument("-n", type=int, default=200, help="samples per measurement")

    def handle(
        self, *args: Any, url: str, user: str, password: str, n: int, **options: Any
    ) -> None:
        api = _Api(url)
        status, body, _ = api.call(
            "POST", "/api/v1/auth/token/", {"username": user, "password": password}
        )
        if status != 200:
            raise CommandError(f"sign-in failed ({status}): {body}")
        api.token = body["token"]
        _, terminals, _ = api.call("GET", "/api/v1/terminals/")
        terminal_id = terminals["results"][0]["id"]

        rows = []
        for path in (
            "/api/v1/units/?page_size=50",
            "/api/v1/units/?state=on_terminal&pod=SGSIN",
            "/api/v1/vessel-visits/",
            "/api/v1/holds/?active=true",
            f"/api/v1/terminals/{terminal_id}/summary/",
            "/api/v1/events/?after=0&limit=100",
        ):
            samples = []
            for _ in range(n):
                status, _, ms = api.call("GET", path)
                if status != 200:
                    raise CommandError(f"GET {path} answered {status}")
                samples.append(ms)
            rows.append((f"GET {path}", samples))

        _, units, _ = api.call("GET", "/api/v1/units/?state=on_terminal&page_size=500")
        unit_ids = [u["id"] for u in units["results"] if u["active_holds"] == 0][:n]
        if not unit_ids:
            raise CommandError("no on-terminal units without holds to measure with")

        ws_url = (
            url.replace("http", "ws", 1).rstrip("/")
            + f"/ws/terminal/{terminal_id}/?token={api.token}"
        )
        arrivals: dict[str, float] = {}
        stop = threading.Event()
        ready = threading.Event()

        def listen() -> None:
            with connect(ws_url, open_timeout=10) as ws:
                ready.set()
                while not stop.is_set():
                    try:
                        msg = json.loads(ws.recv(timeout=0.5))
                    except TimeoutError:
                        continue
                    if msg.get("type") == "event":
                        ref = (msg.get("payload") or {}).get("reference", "")
                        if ref.startswith("bench-"):
                            arrivals[ref] = time.perf_counter()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        if not ready.wait(10):
            raise CommandError("WebSocket did not connect")

        post_ms, live_ms = [], []
        for i, unit_id in enumerate(unit_ids):
            ref = f"bench-{uuid.uuid4().hex[:8]}-{i}"
            sent = time.perf_counter()
            status, hold, ms = api.call(
                "POST",
                "/api/v1/holds/",
                {
                    "unit": unit_id,
                    "kind": "terminal",
                    "blocks": ["loading"],
                    "reason": "latency benchmark",
                    "reference": ref,
                },
                headers={"Idempotency-Key": ref},
            )
            if status != 201:
                raise CommandError(f"hold apply answered {status}: {hold}")
            post_ms.append(ms)
            deadline = time.perf_counter() + 5
            while ref not in arrivals and time.perf_counter() < deadline:
                time.sleep(0.0005)
            if ref in arrivals:
                live_ms.append((arrivals[ref] - sent) * 1000)
            api.call("POST", f"/api/v1/holds/{hold['id']}/release/", {"note": "benchmark"})
        stop.set()
        listener.join(2)

        rows.append(("POST /api/v1/holds/ (apply, with Idempotency-Key)", post_ms))
        rows.append(("POST sent → event on WebSocket", live_ms))
        self.stdout.write("measurement,samples,p50_ms,p95_ms,p99_ms,max_ms,mean_ms")
        for name, samples in rows:
            self.stdout.write(
                f"{name},{len(samples)},{_pct(samples, 50):.1f},{_pct(samples, 95):.1f},"
                f"{_pct(samples, 99):.1f},{max(samples):.1f},{statistics.fmean(samples):.1f}"
            )
        lost = len(unit_ids) - len(live_ms)
        self.stdout.write(f"# live events not seen within 5 s: {lost} of {len(unit_ids)}")
