"""The API process: ``chalice local --no-autoreload`` that dies with the stack.

Run by :class:`devstack.stack.Stack` as ``python -m devstack.api_process
--host H --port P --stage S``. It lives in its own session (so a Ctrl-C goes to
the stack, which stops it in order); on Linux the kernel also sends it SIGTERM
if the stack itself is killed, so no orphan keeps the port.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    parent = os.environ.get("DEVSTACK_PARENT_PID")
    if parent and os.getppid() != int(parent):  # the stack died before prctl took effect
        sys.exit(0)


def main() -> int:
    # Dispositions set to "ignore" survive fork and exec; this process must stay stoppable.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _die_with_parent()
    # chalice local logs the root logger at INFO; botocore would then announce
    # "Found credentials in environment variables" on every request.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    from chalice.cli import main as chalice_main

    sys.argv = ["chalice", "local", "--no-autoreload", *sys.argv[1:]]
    return chalice_main()


if __name__ == "__main__":
    sys.exit(main())
