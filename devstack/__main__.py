"""``python -m devstack [--port 8000] [--moto-port 0] [--no-seed]``: start the
local stack, print how to use it, run until Ctrl-C or SIGTERM."""
from __future__ import annotations

import argparse
import gc
import signal
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TextIO

# Only the standard library at import time: the signal handlers go in before
# the slow imports (moto, chalicelib), so an early Ctrl-C is handled too.
from devstack.stack import Stack, StackError

TOKEN_TTL_SECONDS = 12 * 3600


def _port(lowest: int):
    def parse(value: str) -> int:
        if not value.isdigit() or not lowest <= int(value) <= 65535:
            raise argparse.ArgumentTypeError(f"must be a port number {lowest}..65535")
        return int(value)
    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="Run Tenantdesk locally.")
    parser.add_argument("--port", type=_port(1), default=8000, help="HTTP API port (default 8000)")
    parser.add_argument("--moto-port", type=_port(0), default=0, help="mocked AWS port (default 0: a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address the API listens on (default 127.0.0.1; 0.0.0.0: reachable from the local "
                             "network, e.g. to open the tenant app on a phone; anyone there can then reach it)")
    parser.add_argument("--no-seed", dest="seed", action="store_false", help="start with empty tables")
    parser.add_argument("--fast", action="store_true",
                        help="P1's response windows in minutes (hand-off 1 min), to watch escalations happen")
    return parser.parse_args(argv)


def _lan_address() -> str:
    """This machine's address on the local network (a UDP socket's source; nothing is sent)."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "<this machine's address>"


def print_banner(stack: Stack, out: TextIO) -> None:
    from chalicelib import config
    from chalicelib.http.identity import mint_token
    from devstack.seed import PEOPLE, PROPERTIES

    now = datetime.now(timezone.utc)
    url = stack.api_url
    if stack.seeded is not None:
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(stack.seeded.items()))
        data = f"{sum(stack.seeded.values())} cases ({statuses})"
    else:
        data = "not seeded" if not stack.should_seed else "already seeded"
    lines = [
        "",
        "Tenantdesk local stack is up.",
        "",
        f"  Console     {url}/console   (paste one of the tokens below to sign in)",
        f"  Tenant app  {url}/app   (sign in as a demo tenant below, or paste the TENANT token)",
        f"  API         {url}   (OpenAPI: {url}/v1/openapi.json)",
        f"  AWS (moto)  {stack.aws_url}   tables {config.table_prefix()}-*",
        "  Properties  " + "  ·  ".join(f"{pid} {p['name']}" for pid, p in PROPERTIES.items()),
        f"  Demo data   {data}",
        f"  Signing key {stack.key_source}",
        "",
        "Tokens (valid 12 h; more: .venv/bin/python -m chalicelib.cli token --role manager --property P1):",
    ]
    for var, person in PEOPLE.items():
        token = mint_token(stack.secret, subject=person.subject, role=person.role, properties=person.properties,
                           now=now, ttl_seconds=TOKEN_TTL_SECONDS, name=person.name, lang=person.lang,
                           department=person.department)
        dept = f" · {person.department}" if person.department else ""
        lines.append(f"  # {person.name} · {person.role}{dept} · {person.subject} · {','.join(person.properties)}")
        lines.append(f"  export {var}={token}")
    if stack.host != "127.0.0.1":
        lines += ["", f"  Listening on {stack.host}:{stack.api_port}: anyone on this network can reach the API "
                      "(demo data, developer tokens). On a phone: "
                      f"http://{_lan_address()}:{stack.api_port}/app (paste a token: the phone cannot reach moto)"]
    if stack.signin_users:
        from devstack.identity import DEMO_PASSWORD
        lines += ["", f"Sign in like an app (Cognito on moto; every demo password is {DEMO_PASSWORD}):"]
        lines += [f"  {email:<28} {role:<10} {name}" for email, role, name in stack.signin_users]
        lines += [
            f"  ID=$(.venv/bin/python -m devstack.signin {stack.signin_users[0][0]})   # InitiateAuth",
            f"  curl -s {url}/v1/me/cases -H \"Authorization: Bearer $ID\"   (README: Sign in like an app)",
        ]
    lines += [
        "",
        "Try it (a tenant submits a case):",
        f"  curl -s -X POST {url}/v1/properties/P1/cases \\",
        "    -H \"Authorization: Bearer $TENANT\" -H 'Content-Type: application/json' \\",
        "    -d '{\"unit\":\"3栋1201\",\"category\":\"public_facility\",\"content\":\"楼道灯坏了，晚上很黑，请尽快维修。\"}'",
        f"  curl -s {url}/v1/properties/P1/queue -H \"Authorization: Bearer $DESK\"",
        "",
        "Ctrl-C stops everything.",
        "",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # This process holds every emulated table, execution and queue. Python's
    # full collections walk all of it and stalled requests for up to ~300 ms
    # under load (bench/load.py: p99 438 ms -> 239 ms at 8 concurrent). Young
    # collections still run; the start-up objects are frozen out of them.
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    out = sys.stdout
    stack = Stack(api_port=args.port, moto_port=args.moto_port, seed=args.seed, fast=args.fast, out=out,
                  host=args.host)
    # A signal only asks the stack to stop; raising from the handler instead could
    # land inside a library's broad `except Exception` and be swallowed.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stack.request_stop())
    try:
        out.reconfigure(encoding="utf-8", errors="backslashreplace")  # Chinese prints whatever the locale
    except (AttributeError, ValueError):
        pass
    code = 0
    try:
        out.write("Starting the Tenantdesk local stack...\n")
        out.flush()
        stack.start()
        if not stack.stop_requested:
            print_banner(stack, out)
            stack.echo_api_output()
        code = stack.wait()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    finally:
        stack.stop()
    if stack.failure:
        print(f"error: {stack.failure}", file=sys.stderr)
        code = 1
    out.write("Stopped.\n")
    out.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
