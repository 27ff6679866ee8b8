"""Developer command line.

    python -m chalicelib.cli token --role manager --property P1 [--property P2] \\
        [--subject mgr-1] [--name 王经理] [--email a@b.c] [--lang zh-Hans] [--ttl 43200] \\
        [--department engineering]

prints one local-mode bearer token on stdout (and nothing else there), so
``TOKEN=$(python -m chalicelib.cli token ...)`` works. A one-line summary goes to
stderr. Add further commands as subparsers in :func:`build_parser`.

This is an edge, not domain code: reading the wall clock here is fine.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone

from chalicelib import config
from chalicelib.domain import auth
from chalicelib.http import identity

EXIT_OK = 0
EXIT_USAGE = 2  # argparse uses 2 for usage errors too


def _ensure_utf8(stream) -> None:
    """Make Chinese names print correctly whatever the console's locale is."""
    try:
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if encoding not in ("utf-8", "utf8"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    except (AttributeError, ValueError, OSError):
        pass


def _text_arg(value: str) -> str:
    """Undo a mis-decoded command-line argument (non-UTF-8 locale: bytes arrive
    as surrogate escapes) so names like 王经理 reach the token intact."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        try:
            return os.fsencode(value).decode("utf-8")
        except (UnicodeError, ValueError):
            return value
    return value


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return number


def _non_empty(value: str) -> str:
    value = _text_arg(value).strip()
    if not value:
        raise argparse.ArgumentTypeError("must not be empty")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="Tenantdesk developer tools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    token = commands.add_parser(
        "token",
        help="print a local-mode bearer token",
        description="Sign a local-mode (HS256) bearer token with the dev key and print it on stdout.",
    )
    token.add_argument("--role", required=True, choices=auth.ROLES)
    token.add_argument(
        "--property", dest="properties", action="append", required=True, type=_non_empty,
        metavar="PROPERTY_ID", help="property the principal is scoped to (repeatable)",
    )
    token.add_argument("--subject", type=_non_empty, help="token sub (default: <role>-1)")
    token.add_argument("--name", default="", type=_text_arg, help="display name, e.g. 王经理")
    token.add_argument("--email", default="", type=_text_arg)
    token.add_argument("--lang", default=auth.DEFAULT_LANG, choices=auth.LANGS)
    token.add_argument("--department", type=_non_empty, metavar="DEPARTMENT",
                       help="the staff member's department, e.g. engineering (dept_staff act only on its cases "
                            "and on cases assigned to them)")
    token.add_argument(
        "--ttl", type=_positive_int, default=identity.DEFAULT_TTL_SECONDS, metavar="SECONDS",
        help=f"lifetime in seconds (default {identity.DEFAULT_TTL_SECONDS})",
    )
    token.set_defaults(handler=_cmd_token)
    return parser


def _cmd_token(args: argparse.Namespace) -> int:
    secret = config.auth_secret()
    if not secret:
        print(
            "error: no signing key. Start the local stack first (it writes the key file "
            f"{config.dev_key_file()}) or set TD_AUTH_SECRET.",
            file=sys.stderr,
        )
        return EXIT_USAGE

    properties = list(dict.fromkeys(args.properties))
    if len(properties) > identity.MAX_PROPERTIES:
        print(f"error: at most {identity.MAX_PROPERTIES} --property values", file=sys.stderr)
        return EXIT_USAGE

    subject = args.subject or f"{args.role}-1"
    now = datetime.now(timezone.utc)
    token = identity.mint_token(
        secret,
        subject=subject,
        role=args.role,
        properties=properties,
        now=now,
        ttl_seconds=args.ttl,
        name=args.name,
        email=args.email,
        lang=args.lang,
        department=args.department,
    )
    print(token)
    who = f"{args.name} " if args.name else ""
    print(
        f"token for {who}[{subject}] role={args.role} properties={','.join(properties)} "
        f"lang={args.lang}{f' department={args.department}' if args.department else ''} expires in {args.ttl}s",
        file=sys.stderr,
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the exit code (argparse usage errors raise ``SystemExit(2)``)."""
    _ensure_utf8(sys.stdout)
    _ensure_utf8(sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
