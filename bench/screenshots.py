#!/usr/bin/env python
"""Screenshots of the staff console: starts the local stack (``python -m
devstack`` on free ports, its own signing key in a temporary directory),
signs in in headless Chromium (Debian's /usr/bin/chromium, never a Playwright
download) and saves the queue, a case page and the dashboard as PNGs, then the
tenant app (/app) on a phone-sized screen: my cases, a case waiting for the
tenant, new case (the place chosen from the archive), notifications, and a
resolved case whose follow-up the tenant answers in the app.

    .venv/bin/python bench/screenshots.py [--out screenshots] [--lang zh-Hans|zh-Hant|en] [--readme]

Prints the path of each PNG. ``screenshots/`` is git-ignored. ``--readme`` also
writes the three console screenshots the README shows (docs/screenshots/, 1280 px
wide, first screen only, palette-compressed PNGs). Chinese needs a CJK font: as
root the script installs Debian's fonts-noto-cjk (apt-get) when none is there,
else it stops with the command to run.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


README_SHOTS = ROOT / "docs" / "screenshots"


def cjk_font_installed() -> bool:
    if shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
        return bool(found.stdout.strip())
    return bool(glob.glob("/usr/share/fonts/**/*CJK*", recursive=True))


def ensure_browser_and_fonts() -> None:
    """Debian's chromium and fonts-noto-cjk, as ./dev test installs them: without a CJK
    font every Chinese character in a screenshot is an empty box."""
    if os.access(CHROMIUM, os.X_OK) and cjk_font_installed():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("Installing chromium and fonts-noto-cjk (apt-get) ...", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"], check=False,
                       stdout=subprocess.DEVNULL)
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"{CHROMIUM} is missing: sudo apt-get install chromium fonts-noto-cjk")
    if not cjk_font_installed():
        sys.exit("no CJK font: Chinese would render as empty boxes. sudo apt-get install fonts-noto-cjk")


def compress(source: Path, target: Path) -> Path:
    """A small PNG for the README: 256-colour palette (UI screenshots lose nothing visible)."""
    from PIL import Image
    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_stack(tmp: Path) -> tuple[subprocess.Popen, Path, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TD_")}
    env.update(TD_DEV_KEY_FILE=str(tmp / "dev-key"), PYTHONUNBUFFERED="1")
    log = tmp / "stack.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "devstack", "--port", str(free_port()), "--moto-port", "0"],
                                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 40
    while "Ctrl-C stops everything" not in log.read_text(encoding="utf-8", errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit(f"the local stack did not start:\n{log.read_text(encoding='utf-8', errors='replace')[-3000:]}")
        time.sleep(0.2)
    url = re.search(r"API\s+(http://\S+)", log.read_text(encoding="utf-8")).group(1)
    return proc, log, url


# A phone (iPhone 13-sized, touch): the tenant app is mobile-first.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def call(url: str, method: str, path: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(url + path, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        data=None if body is None else json.dumps(body, ensure_ascii=False).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def app_shots(browser, url: str, tenant_token: str, lang: str, out: Path, desk_token: str | None = None) -> list[Path]:
    cases = call(url, "GET", "/v1/me/cases?limit=30", tenant_token)["items"]
    waiting = next((c for c in cases if c["status"] == "awaiting_tenant"), cases[0])
    pages = [("cases", "#/cases", "#case-list"),
             ("case", f"#/case/{waiting['property_id']}/{waiting['case_id']}", "#timeline"),
             ("new", "#/new", "#case-form"), ("notifications", "#/notifications", "#feed")]
    if desk_token:
        # A case the desk resolved: the tenant answers the follow-up callback in the app.
        fixed = call(url, "POST", "/v1/properties/P1/cases", tenant_token,
                     {"content": "走廊灯不亮 / Corridor light is off", "category": "public_facility", "unit": "3栋1201"})
        call(url, "POST", f"/v1/properties/P1/cases/{fixed['case_id']}/resolve", desk_token,
             {"resolution": "已更换灯管 / The tube was replaced."})
        pages.append(("confirm", f"#/case/P1/{fixed['case_id']}", "#confirm-form"))
    context = browser.new_context(**PHONE, service_workers="block")
    page = context.new_page()
    page.goto(url + "/app")
    page.wait_for_selector("body[data-ready]")
    page.select_option("#lang", lang)
    page.fill("#token", tenant_token)
    page.click("#use-token")
    page.wait_for_selector("#case-list")
    shots = []
    for name, hash_, ready in pages:
        page.goto(f"{url}/app/index.html{hash_}")
        page.wait_for_selector(ready)
        page.wait_for_timeout(300)
        path = out / f"app-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
    context.close()
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--lang", default="zh-Hans", choices=("zh-Hans", "zh-Hant", "en"))
    parser.add_argument("--readme", action="store_true", help="also write the README's screenshots (docs/screenshots)")
    args = parser.parse_args()
    ensure_browser_and_fonts()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        proc, log, url = start_stack(Path(tmp))
        try:
            text = log.read_text(encoding="utf-8")
            tokens = dict(re.findall(r"export (\w+)=(\S+)", text))
            # A case page worth looking at: one well on its way (a long timeline), else the most overdue.
            request = urllib.request.Request(url + "/v1/properties/P1/queue?limit=50",
                                             headers={"Authorization": f"Bearer {tokens['MANAGER']}"})
            with urllib.request.urlopen(request, timeout=10) as response:
                items = json.load(response)["items"]
            rank = {"awaiting_tenant": 0, "responded": 1, "in_progress": 2}
            case_id = min(items, key=lambda c: (rank.get(c["status"], 9), items.index(c)))["case_id"]
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                page = browser.new_page(viewport={"width": 1360, "height": 900}, device_scale_factor=1)
                page.goto(url + "/console")
                page.select_option("#lang", args.lang)
                page.fill("#token", tokens["MANAGER"])
                page.click("#signin")
                page.wait_for_selector("#queue-rows tr")
                shots = []
                for name, hash_, ready in (("queue", "#/queue", "#queue-rows tr"),
                                           ("case", f"#/case/{case_id}", "#timeline"),
                                           ("dashboard", "#/dashboard", "#monthly svg")):
                    page.goto(f"{url}/console{hash_}")
                    page.wait_for_selector(ready)
                    page.wait_for_timeout(300)
                    path = out / f"console-{name}.png"
                    page.screenshot(path=str(path), full_page=True)
                    shots.append(path)
                    if args.readme:
                        # What a visitor sees first: the first screen at 1280 px, as staff at a desk do.
                        page.set_viewport_size({"width": 1280, "height": 1100 if name == "case" else 800})
                        page.wait_for_timeout(200)
                        raw = out / f"readme-{name}.png"
                        page.screenshot(path=str(raw))
                        README_SHOTS.mkdir(parents=True, exist_ok=True)
                        shots.append(compress(raw, README_SHOTS / f"console-{name}.png"))
                        page.set_viewport_size({"width": 1360, "height": 900})
                shots += app_shots(browser, url, tokens["TENANT"], args.lang, out, tokens["DESK"])
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
