"""Benchmark of the live yard map in Chromium against a running server (``make run``)::

    python -m yard.bench_map --base http://127.0.0.1:8000 --user operator \\
        --password tos-demo-2026 --moves 50 [--synthetic-slots 50000]

It signs in, opens ``/yard/map/``, then moves one box back and forth ``--moves`` times through
the REST API (plan, then confirm with an ``Idempotency-Key``; the server commits and broadcasts)
and reports, as CSV on standard output:

* ``event_ts_to_paint``: from the event's timestamp (written inside the confirming transaction)
  to the frame in which the page had applied and drawn it;
* ``confirm_to_paint``: from sending the confirmation to that frame;
* ``draw_overview`` / ``draw_block``: one canvas frame of the overview and of a block view.

With ``--synthetic-slots N`` the page is served a generated snapshot of an N-slot yard instead
of the server's (blocks of 40 × 10 × 5, about 60 % full), to time drawing on a large yard; no
moves are made then. Playwright drives Debian's ``/usr/bin/chromium`` (never
``playwright install``). Needs no Django.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import urllib.request
import uuid
from typing import Any

from yard.snapshot import RESERVATION_COLUMNS, SNAPSHOT_COLUMNS

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _row(name: str, values: list[float]) -> str:
    return (
        f"{name},{len(values)},{_pct(values, 50):.1f},{_pct(values, 95):.1f},"
        f"{max(values):.1f},{statistics.mean(values):.1f}"
    )


def _api(base: str, token: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(  # noqa: S310  (main() accepts http(s) bases only)
        base + path,
        method=method,
        data=json.dumps(body if body is not None else {}).encode() if method == "POST" else None,
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (http only)
        return json.loads(response.read())


def _token(base: str, user: str, password: str) -> str:
    request = urllib.request.Request(  # noqa: S310  (main() accepts http(s) bases only)
        base + "/api/v1/auth/token/",
        method="POST",
        data=json.dumps({"username": user, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (http only)
        return json.loads(response.read())["token"]


def synthetic_snapshot(slots: int, seed: int = 7) -> dict[str, Any]:
    """A snapshot of a yard of ``slots`` slots in 40 × 10 × 5 blocks, stacks about 60 % high."""
    rng = random.Random(seed)
    per_block = 40 * 10 * 5
    count = (slots + per_block - 1) // per_block
    blocks = [
        {
            "id": i + 1,
            "name": f"B{i:02d}",
            "kind": "reefer" if i % 8 == 3 else "dry",
            "equipment": "rtg",
            "bays": 40,
            "rows": 10,
            "max_tier": 5,
            "x_m": 40 + (i % 5) * 290,
            "y_m": 90 + (i // 5) * 60,
            "orientation_deg": 0,
            "reefer_plugs_per_row": 0,
            "plugged_rows": [],
            "allow_20_on_40": False,
            "zones": [],
        }
        for i in range(count)
    ]
    lines = ["MSC", "MAEU", "CMA", "HLC", "ONE", "COS", "EMC", "ZIM"]
    pods = ["SGSIN", "CNSHA", "USNYC", "DEHAM", "BRSSZ", "AEJEA", "KRPUS", "GBFXT"]
    boxes = []
    n = 0
    for b in range(count):
        for pair in range(20):
            for row in range(1, 11):
                if rng.random() < 0.6:
                    spots = [(4 * pair + 2, 40)]
                else:
                    spots = [(4 * pair + 1, 20), (4 * pair + 3, 20)]
                for bay, size in spots:
                    height = min(5, max(0, round(rng.gauss(3, 1))))
                    for tier in range(1, height + 1):
                        n += 1
                        boxes.append(
                            [n, f"BNCU{n:07d}", b, bay, row, tier, size, n % 8, (n // 3) % 8,
                             0, 1 + n % 4, 0, None, n % 12, 1 if n % 97 == 0 else 0,
                             int(time.time()) - rng.randrange(30 * 86400)]
                        )  # fmt: skip
    return {
        "terminal": 1,
        "seq": 0,
        "generated_at": "2026-01-01T00:00:00+00:00",
        "blocks": blocks,
        "dicts": {
            "block": [b["name"] for b in blocks],
            "line": lines,
            "pod": pods,
            "category": ["export"],
            "imdg": [],
            "visit": [f"V-{i:02d}" for i in range(12)],
        },
        "columns": list(SNAPSHOT_COLUMNS),
        "boxes": boxes,
        "reservation_columns": list(RESERVATION_COLUMNS),
        "reservations": [],
    }


def _movable(snapshot: dict[str, Any]) -> tuple[dict, dict, dict]:
    """A dry 20' box on top of its stack and an empty ground stack of the same block."""
    c = {name: i for i, name in enumerate(snapshot["columns"])}
    blocks = snapshot["blocks"]
    tops: dict[tuple[int, int, int], list] = {}
    taken: set[tuple[int, int, int]] = set()
    for box in snapshot["boxes"]:
        grounds = (
            [box[c["bay"]]] if box[c["size"]] == 20 else [box[c["bay"]] - 1, box[c["bay"]] + 1]
        )
        for g in grounds:
            key = (box[c["block_i"]], g, box[c["row"]])
            taken.add(key)
            if key not in tops or tops[key][c["tier"]] < box[c["tier"]]:
                tops[key] = box
    for (b, bay, row), box in sorted(tops.items()):
        block = blocks[b]
        if (
            block["kind"] != "dry"
            or box[c["size"]] != 20
            or box[c["reefer"]]
            or box[c["imdg_i"]] is not None
        ):
            continue
        if box[c["tier"]] < 2:
            continue
        for g in range(1, 2 * block["bays"], 2):
            for r in range(1, block["rows"] + 1):
                if (b, g, r) not in taken:
                    home = {"block": block["name"], "bay": bay, "row": row, "tier": box[c["tier"]]}
                    away = {"block": block["name"], "bay": g, "row": r, "tier": 1}
                    return {"unit": box[c["unit"]], "container": box[c["container"]]}, home, away
    raise SystemExit("no movable box found")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="operator")
    parser.add_argument("--password", default="tos-demo-2026")
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--synthetic-slots", type=int, default=0)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    if not args.base.startswith(("http://", "https://")):
        parser.error("--base is an http:// or https:// address")
    from playwright.sync_api import sync_playwright

    out = sys.stdout
    out.write("measurement,samples,p50_ms,p95_ms,max_ms,mean_ms\n")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_context(
            viewport={"width": 1280, "height": 900}, device_scale_factor=1
        ).new_page()
        page.goto(f"{args.base}/login/")
        page.fill("input[name=username]", args.user)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{args.base}/")
        if args.synthetic_slots:
            body = json.dumps(synthetic_snapshot(args.synthetic_slots), separators=(",", ":"))
            page.route(
                "**/api/v1/yard/snapshot/",
                lambda route: route.fulfill(status=200, content_type="application/json", body=body),
            )
        started = time.perf_counter()
        page.goto(f"{args.base}/yard/map/")
        page.wait_for_function(
            "window.yardMap && window.yardMap.ready && window.yardMap.paints > 0"
        )
        first_paint = (time.perf_counter() - started) * 1000
        boxes = page.evaluate("window.yardMap.boxCount")
        out.write(f"# {boxes} boxes; page open to first paint {first_paint:.0f} ms\n")
        overview = page.evaluate("window.yardMap.benchDraw(30)")
        first = page.evaluate("window.yardMap.legend().length && window.yardMap.positions()[0]")
        block = first.split("@")[1].split(".")[0]
        page.evaluate(f"window.yardMap.openBlock('{block}')")
        page.wait_for_timeout(100)
        block_draw = page.evaluate("window.yardMap.benchDraw(30)")
        out.write(f"draw_overview,30,,,{overview['max']:.1f},{overview['mean']:.1f}\n")
        out.write(f"draw_block,30,,,{block_draw['max']:.1f},{block_draw['mean']:.1f}\n")
        if args.synthetic_slots or not args.moves:
            browser.close()
            return 0
        page.wait_for_function("window.yardMap.status === 'live'", timeout=15_000)
        token = _token(args.base, args.user, args.password)
        snapshot = _api(args.base, token, "GET", "/api/v1/yard/snapshot/")
        unit, home, away = _movable(snapshot)
        sent: dict[int, float] = {}
        for i in range(args.moves):
            target = away if i % 2 == 0 else home
            move = _api(
                args.base, token, "POST", "/api/v1/yard/moves/", {"unit": unit["unit"], **target}
            )
            before = time.time() * 1000
            _api(args.base, token, "POST", f"/api/v1/yard/moves/{move['id']}/confirm/")
            sent[move["id"]] = before
            where = f"'{target['block']}', {target['bay']}, {target['row']}, {target['tier']}"
            page.wait_for_function(f"window.yardMap.boxAt({where}) === '{unit['container']}'")
        events = page.evaluate("window.yardMap.latency()")
        moved = [e for e in events if e["type"] == "yard.unit_moved"]
        confirmed = {e["seq"] - 1 for e in events if e["type"] == "yard.move_confirmed"}
        from_ts = [e["paintedAt"] - _iso_ms(e["ts"]) for e in moved]
        order = sorted(sent)
        from_send = [
            e["paintedAt"] - sent[order[i]]
            for i, e in enumerate(sorted(moved, key=lambda e: e["seq"]))
        ]
        out.write(_row("event_ts_to_paint", from_ts) + "\n")
        out.write(_row("confirm_to_paint", from_send) + "\n")
        out.write(_row("paint_of_event_frame", [e["paintMs"] for e in moved]) + "\n")
        out.write(f"# {len(moved)} moves of {unit['container']}; {len(confirmed)} confirmed\n")
        browser.close()
    return 0


def _iso_ms(iso: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(iso).timestamp() * 1000


if __name__ == "__main__":
    raise SystemExit(main())
