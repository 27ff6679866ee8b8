#!/usr/bin/env python
"""The tenant app's weight and first render on a phone, against a budget.

    .venv/bin/python bench/app_weight.py [--url http://127.0.0.1:8000]   # else it starts the local stack

Prints each file of the shell (``chalicelib/http/routes_app.py`` ASSETS) in bytes
and gzipped, the totals, then the timing Chromium's performance API reports
(Debian's /usr/bin/chromium, Playwright, an Android-phone descriptor, the CPU
slowed 4x as Lighthouse's mobile profile does): first contentful paint, DOM
content loaded, and the ``app-ready`` mark (the first page drawn: the sign-in
page, then a signed-in tenant's case list, which waits on the API). Exits 1
when a number is over budget.
"""
from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The budget (stated in the README): the whole shell, what a first visit downloads.
BUDGET_BYTES = 80_000          # every file of the shell, uncompressed
BUDGET_GZIP = 25_000           # the same, gzipped (what a phone fetches when the API compresses)
BUDGET_FCP_MS = 1_500          # first contentful paint, 4x slower CPU
BUDGET_READY_MS = 2_500        # the signed-in case list drawn, 4x slower CPU
PHONE = {"viewport": {"width": 412, "height": 839}, "device_scale_factor": 2.625, "is_mobile": True,
         "has_touch": True, "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
                                          "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"}


def weights() -> list[tuple[str, int, int]]:
    from chalicelib.http.routes_app import ASSETS
    from chalicelib.http.routes_app import ROOT as APP
    rows = []
    for name in ASSETS:
        data = (APP / name).read_bytes()
        rows.append((name, len(data), len(gzip.compress(data, 9))))
    return rows


def timing(browser, url: str, token: str | None) -> dict[str, float]:
    context = browser.new_context(**PHONE, service_workers="block")  # a first visit: nothing cached
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    if token:
        page.goto(url + "/app/config.json")  # same origin, to store the session before the app starts
        page.evaluate("t => localStorage.setItem('td.session', JSON.stringify({id_token: t, kind: 'developer'}))",
                      token)
    page.goto(url + "/app/index.html" + ("#/cases" if token else ""))
    page.wait_for_selector("#case-list" if token else "body[data-ready]", timeout=20_000)
    page.wait_for_selector("body[data-ready]")
    numbers = page.evaluate("""() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const ready = performance.getEntriesByName('app-ready')[0];
      return {fcp: fcp ? fcp.startTime : -1, dcl: nav.domContentLoadedEventEnd, ready: ready ? ready.startTime : -1};
    }""")
    context.close()
    return numbers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running stack (./dev run); default: start one")
    parser.add_argument("--token", help="with --url: a tenant's token (the banner's TENANT) for the signed-in timing")
    args = parser.parse_args()
    rows = weights()
    print(f"{'file':<24}{'bytes':>10}{'gzip':>10}")
    for name, raw, packed in rows:
        print(f"{name:<24}{raw:>10}{packed:>10}")
    total, total_gz = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'total':<24}{total:>10}{total_gz:>10}   budget {BUDGET_BYTES} / {BUDGET_GZIP} gzip")
    over = total > BUDGET_BYTES or total_gz > BUDGET_GZIP

    from playwright.sync_api import sync_playwright

    from bench.screenshots import CHROMIUM, FLAGS, start_stack
    with tempfile.TemporaryDirectory() as tmp:
        proc = None
        if args.url:
            url, tokens = args.url.rstrip("/"), ({"TENANT": args.token} if args.token else {})
        else:
            proc, log, url = start_stack(Path(tmp))
            tokens = dict(re.findall(r"export (\w+)=(\S+)", log.read_text(encoding="utf-8")))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                first = timing(browser, url, None)
                signed = timing(browser, url, tokens.get("TENANT")) if tokens.get("TENANT") else None
                browser.close()
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(f"sign-in page: first contentful paint {first['fcp']:.0f} ms, DOMContentLoaded {first['dcl']:.0f} ms, "
          f"app-ready {first['ready']:.0f} ms   budget FCP {BUDGET_FCP_MS} ms")
    over |= first["fcp"] < 0 or first["fcp"] > BUDGET_FCP_MS
    if signed:
        print(f"my cases (signed in): first contentful paint {signed['fcp']:.0f} ms, "
              f"app-ready {signed['ready']:.0f} ms   budget {BUDGET_READY_MS} ms")
        over |= signed["ready"] < 0 or signed["ready"] > BUDGET_READY_MS
    else:
        print("my cases (signed in): skipped (no TENANT token; pass no --url to start a stack)")
    print("over budget" if over else "within budget")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
