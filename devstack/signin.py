"""``python -m devstack.signin EMAIL [--password P] [--refresh TOKEN]``: sign in to the
running local stack's user pool as an app does (InitiateAuth USER_PASSWORD_AUTH, or
REFRESH_TOKEN_AUTH with ``--refresh``) and print the ID token; ``--json`` prints all
three tokens. The pool and app client are the stack's (its state file)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from devstack.identity import DEMO_PASSWORD
    from devstack.mail import _client, state_file

    parser = argparse.ArgumentParser(prog="python -m devstack.signin", description=__doc__)
    parser.add_argument("email", nargs="?", default="li.nvshi@example.cn")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--refresh", metavar="REFRESH_TOKEN", help="refresh instead of signing in")
    parser.add_argument("--json", action="store_true", help="print every token as JSON")
    args = parser.parse_args(argv)
    try:
        state = json.loads(state_file(Path(__file__).resolve().parent.parent).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        print("error: the local stack is not running (start it with ./dev run)", file=sys.stderr)
        return 2
    os.environ.update(state["env"])
    client_id = state["env"]["TD_USER_POOL_CLIENT_IDS"].split(",")[0]
    cognito = _client("cognito-idp")
    try:
        if args.refresh:
            result = cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                           AuthParameters={"REFRESH_TOKEN": args.refresh})
        else:
            result = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                           AuthParameters={"USERNAME": args.email, "PASSWORD": args.password})
    except cognito.exceptions.ClientError as exc:
        print(f"error: {exc.response['Error'].get('Message') or exc}", file=sys.stderr)
        return 1
    tokens = result["AuthenticationResult"]
    print(json.dumps(tokens) if args.json else tokens["IdToken"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
