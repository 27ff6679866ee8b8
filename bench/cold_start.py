#!/usr/bin/env python
"""Lambda cold-start import cost: ``import app`` against a bare ``import boto3``.

Each measurement is a fresh Python subprocess with the same settings (same
interpreter, ``-X frozen_modules=on``, bytecode writing allowed, cwd = repo
root) that times the import with ``time.perf_counter`` and prints the figure.
Runs are interleaved (the order rotates every round) so both targets share the
machine's noise, after one warm-up run of each so ``.pyc`` files exist: a Lambda
package ships compiled bytecode too.

Per Lambda handler (API, inbound mail, watcher tasks, stream consumer): ``import
app`` plus the set-up its first invocation does (lazy imports, AWS clients), and
that figure scaled to the function's memory in infra/functions.py (Lambda's CPU
share grows with memory; one vCPU at 1,769 MB): what infra's sizes are set from.

Also reported, for information only (no goal): ``import app`` plus the modules
the first request imports lazily through ``chalicelib.runtime.service()``
(pynamodb, botocore, the store and service), and the top modules by cumulative
import time from one ``-X importtime`` run of ``import app``.

    python bench/cold_start.py [--runs 15] [--check] [--no-pyc]

``--no-pyc`` measures the other case, for information: the standard library
keeps its bytecode (the Lambda runtime image has it) but everything else, the
repo and site-packages, is compiled from source on every run and never cached
(``PYTHONDONTWRITEBYTECODE=1`` plus a hook in the child that hides their
``.pyc``). That is what a Chalice package gets on Lambda unless the build adds
``.pyc`` files: Chalice unpacks wheels without compiling them and ``/var/task``
is read-only, so Python cannot cache what it compiles.

Exit status is 0 (this is a report) unless ``--check`` is given and the goal is
missed, then 1. A child that fails to import exits 2.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_RATIO = 1.5
# Same flags for every child. frozen_modules=on is 3.11's default for an installed
# interpreter; passing it makes the setting explicit rather than inherited.
PY_FLAGS = ["-X", "frozen_modules=on"]
# Variables that would change what an import costs or where it is found.
_DROP_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPROFILEIMPORTTIME", "PYTHONSAFEPATH",
             "PYTHONNODEBUGRANGES",
             "PYTHONVERBOSE", "PYTHONINSPECT", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONMALLOC")

TARGETS: dict[str, str] = {
    "boto3": "import boto3",
    "app": "import app",
    # What the first request adds: runtime.service() imports these lazily.
    "app+first-request": ("import app, chalicelib.adapters.models, chalicelib.adapters.dynamodb, "
                          "chalicelib.services.case_service"),
}
LABELS = {
    "boto3": "import boto3",
    "app": "import app",
    "app+first-request": "import app + first-request imports (info)",
}

# Per Lambda handler: ``import app`` plus what its first invocation builds before it can
# make its first AWS request - the lazily imported service and adapters, the schemas'
# validator, the AWS clients it creates (each ~100 ms) - without any network. The part
# of a first request this leaves out (one request's serialisation, signing and parsing)
# is bench/submit_path.py's warm CPU figure, a few ms.
_CONNECT = "runtime.service().store.m.Case._get_connection().connection.client"
HANDLERS: dict[str, str] = {
    "api_handler": ("import app; from chalicelib import runtime, schemas; runtime.service(); " + _CONNECT + "; "
                    "schemas._validator('SubmitCase')"),
    "inbound_mail": ("import app; from chalicelib import runtime; import chalicelib.mail.parse; runtime.intake(); "
                     "runtime.aws_client('s3'); runtime.aws_client('ses'); " + _CONNECT),
    "watch_tasks": ("import app; from chalicelib import runtime, schemas; runtime.watch_service(); "
                    "runtime.aws_client('stepfunctions'); runtime.aws_client('ses'); runtime.aws_client('events'); "
                    "schemas._validator('WatchTask'); " + _CONNECT),
    "watch_stream": ("import app; from chalicelib import runtime; runtime.watch_stream(); "
                     "runtime.aws_client('stepfunctions'); " + _CONNECT),
}
for _name, _stmt in HANDLERS.items():
    TARGETS[f"handler:{_name}"] = _stmt
    LABELS[f"handler:{_name}"] = f"{_name}: import + first-request set-up"
LAMBDA_FULL_VCPU_MB = 1769  # Lambda's CPU share is proportional to memory: one vCPU at 1,769 MB


def memory_sizes() -> dict[str, int]:
    """infra/functions.py MEMORY_MB, read without importing CDK."""
    import ast
    tree = ast.parse((REPO / "infra" / "functions.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(t, ast.Name) and t.id == "MEMORY_MB" for t in targets) and node.value is not None:
            return dict(ast.literal_eval(node.value))
    return {}

# --no-pyc: hide the bytecode of every module outside the standard library, so
# they are compiled from source (nothing is written: PYTHONDONTWRITEBYTECODE=1).
_NO_PYC_PRELUDE = """\
import os, _frozen_importlib_external as _bx
_std = os.path.dirname(os.__file__) + os.sep
_cache_from_source = _bx.cache_from_source
def _hide_pyc(path, debug_override=None, *, optimization=None):
    if path.startswith(_std) and "-packages" not in path[len(_std):]:
        return _cache_from_source(path, debug_override, optimization=optimization)
    return os.path.join(os.environ["TD_BENCH_NO_PYC_DIR"], "absent.pyc")
_bx.cache_from_source = _hide_pyc
"""

_CHILD = """\
import time
_t0 = time.perf_counter()
{stmt}
_t1 = time.perf_counter()
import sys
_app = sys.modules.get("app")
print("IMPORT_SECONDS=" + repr(_t1 - _t0))
print("APP_FILE=" + (getattr(_app, "__file__", "") or ""))
"""


# Set by main() for --no-pyc.
_EXTRA_ENV: dict[str, str] = {}


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env.update(_EXTRA_ENV)
    return env


def run_child(target: str, extra_flags: list[str] | None = None) -> subprocess.CompletedProcess:
    code = (_NO_PYC_PRELUDE if _EXTRA_ENV else "") + _CHILD.format(stmt=TARGETS[target])
    proc = subprocess.run([sys.executable, *PY_FLAGS, *(extra_flags or []), "-c", code], cwd=REPO,
                          env=child_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"child for {target!r} failed (exit {proc.returncode}):\n{proc.stderr}\n")
        sys.exit(2)
    return proc


def parse_seconds(target: str, stdout: str) -> float:
    seconds = app_file = None
    for line in stdout.splitlines():
        if line.startswith("IMPORT_SECONDS="):
            seconds = float(line.split("=", 1)[1])
        elif line.startswith("APP_FILE="):
            app_file = line.split("=", 1)[1]
    if seconds is None:
        sys.stderr.write(f"child for {target!r} printed no timing:\n{stdout}\n")
        sys.exit(2)
    if target.startswith("app") and Path(app_file or "/").resolve().parent != REPO:
        sys.stderr.write(f"child imported app from {app_file!r}, not from {REPO}\n")
        sys.exit(2)
    return seconds


def measure_once(target: str) -> float:
    return parse_seconds(target, run_child(target).stdout)


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile (with 15 runs: the 14th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def parse_importtime(stderr: str, root: str = "app") -> list[tuple[str, int, int, int]]:
    """Rows (name, depth, self_us, cumulative_us) of the modules imported under
    ``root``: the lines printed between the previous top-level import and
    ``root``'s own line (``-X importtime`` prints children before parents)."""
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3:
            continue
        try:
            self_us, cum_us = int(parts[0]), int(parts[1])
        except ValueError:
            continue  # the header line
        raw = parts[2][1:] if parts[2].startswith(" ") else parts[2]
        name = raw.lstrip(" ")
        rows.append((name, (len(raw) - len(name)) // 2, self_us, cum_us))
    end = next((i for i in range(len(rows) - 1, -1, -1) if rows[i][0] == root and rows[i][1] == 0), None)
    if end is None:
        return []
    start = end
    while start > 0 and rows[start - 1][1] > 0:
        start -= 1
    return rows[start:end + 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per target (default 15)")
    parser.add_argument("--top", type=int, default=10, help="modules to list from -X importtime (default 10)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the ratio goal is missed")
    parser.add_argument("--no-pyc", action="store_true",
                        help="no bytecode at all: every module compiled from source on every run (info)")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a non-UTF-8 terminal gets '?' rather than a crash
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.no_pyc:
        with tempfile.TemporaryDirectory(prefix="td-no-pyc-") as empty:
            _EXTRA_ENV.update(PYTHONDONTWRITEBYTECODE="1", TD_BENCH_NO_PYC_DIR=empty)
            try:
                return report(args)
            finally:
                _EXTRA_ENV.clear()
    return report(args)


def report(args: argparse.Namespace) -> int:

    targets = list(TARGETS)
    for target in targets:  # warm-up: writes any missing .pyc, fills the OS file cache
        measure_once(target)
    samples: dict[str, list[float]] = {t: [] for t in targets}
    for i in range(args.runs):
        shift = i % len(targets)
        for target in targets[shift:] + targets[:shift]:
            samples[target].append(measure_once(target))

    frozen = subprocess.run([sys.executable, *PY_FLAGS, "-c", "import sys; print(sys.flags.dont_write_bytecode, "
                             "sys._xoptions.get('frozen_modules'))"], cwd=REPO, env=child_env(),
                            capture_output=True, text=True).stdout.split()
    print(f"Cold-start import cost — Python {sys.version.split()[0]} ({sys.executable}), cwd={REPO}")
    if args.no_pyc:
        print(f"flags: {' '.join(PY_FLAGS)}, --no-pyc: PYTHONDONTWRITEBYTECODE=1 (child dont_write_bytecode="
              f"{frozen[0]}), .pyc hidden outside the stdlib")
    else:
        print(f"flags: {' '.join(PY_FLAGS)}, PYTHONDONTWRITEBYTECODE unset (child dont_write_bytecode={frozen[0]})")
    print(f"{args.runs} interleaved runs per target after 1 warm-up run each; timed with perf_counter inside a fresh "
          f"subprocess.")
    if args.no_pyc:
        print("Note: NO bytecode outside the stdlib: the repo and site-packages are compiled from source on every "
              "run,\n      as on Lambda when the package ships no .pyc (/var/task is read-only, nothing compiled is "
              "cached).")
    else:
        print("Note: .pyc files exist for every module (warm-up), as in a Lambda package that ships compiled "
              "bytecode\n      (Chalice's packager does not add it by itself: see --no-pyc); interpreter start-up "
              "is not counted,\n      only the import statement.")
    print()
    print(f"{'target':44} {'median':>11} {'p90':>11} {'min':>11}")
    for target in targets:
        values = samples[target]
        print(f"{LABELS[target]:44} {ms(statistics.median(values))} {ms(p90(values))} {ms(min(values))}")
    ratio = statistics.median(samples["app"]) / statistics.median(samples["boto3"])
    passed = ratio <= GOAL_RATIO
    print()
    print(f"ratio median(app)/median(boto3) = {ratio:.2f}   goal ≤ {GOAL_RATIO}   {'PASS' if passed else 'MISS'}")
    extra = statistics.median(samples["app+first-request"]) / statistics.median(samples["boto3"])
    print(f"(info) median(app + first-request imports)/median(boto3) = {extra:.2f}")
    memory = memory_sizes()
    print()
    print("Per handler, import + first-request set-up (AWS clients built, no network), and what it comes to on")
    print(f"Lambda at the function's memory (infra/functions.py MEMORY_MB): local × {LAMBDA_FULL_VCPU_MB}/MB, "
          "this machine's core taken as one vCPU:")
    print(f"  {'handler':16} {'median here':>11} {'memory':>8} {'on Lambda (est.)':>17}")
    for name in HANDLERS:
        here = statistics.median(samples[f"handler:{name}"])
        mb = memory.get(name)
        lam = ms(here * max(1.0, LAMBDA_FULL_VCPU_MB / mb)) if mb else "-"
        print(f"  {name:16} {ms(here)} {str(mb or '-') + ' MB':>8} {lam:>17}")

    proc = run_child("app", ["-X", "importtime"])
    rows = parse_importtime(proc.stderr)
    if rows:
        total = rows[-1][3]
        print()
        print(f"Top {args.top} modules by cumulative import time under `import app` (one -X importtime run; "
              f"app total {total / 1000:.1f} ms;")
        print("cumulative includes nested imports, so rows overlap; importtime adds its own overhead):")
        print(f"  {'cumulative':>10} {'self':>9}  module")
        for name, depth, self_us, cum_us in sorted(rows[:-1], key=lambda r: -r[3])[:args.top]:
            print(f"  {cum_us / 1000:7.1f} ms {self_us / 1000:6.1f} ms  {'  ' * (depth - 1)}{name}")
    else:
        print("\n(could not find `app` in the -X importtime output)")

    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
