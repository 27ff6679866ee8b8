"""The local stack: AWS mocked by an in-process moto server, the tables, demo
data, the HTTP API under ``chalice local``, and background workers.

``chalice local`` serves HTTP routes only. Whatever AWS would deliver to the
app's other handlers (SQS messages, schedules, Step Functions task tokens) is
delivered here by workers: a worker is a loop that runs in a thread until the
stack's ``stopping`` event is set. Register one with :meth:`Stack.add_worker`
before :meth:`Stack.start`.
"""
from __future__ import annotations

import collections
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO

REPO_ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"
REGION = "ap-southeast-1"
HEALTH_PATH = "/v1/health"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 5

# Variables that would send boto3 somewhere other than moto, or sign with real credentials.
_ESCAPE_HATCHES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
                   "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")

Worker = Callable[[threading.Event], None]


class StackError(RuntimeError):
    """The stack could not start, or a part of it died."""


def stage_environment(root: Path = REPO_ROOT, stage: str = STAGE) -> dict[str, str]:
    """The environment variables ``.chalice/config.json`` gives ``stage``: the
    stack uses the very same values as the API process (table prefix, auth mode)."""
    config = json.loads((root / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = dict(config.get("environment_variables") or {})
    env.update((config.get("stages", {}).get(stage) or {}).get("environment_variables") or {})
    return {name: str(value) for name, value in env.items()}


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def load_or_create_key(path: Path) -> str:
    """The local signing key: made once, then kept, so tokens survive restarts."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another stack wrote it first: use theirs
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise StackError(f"the key file {path} is empty: delete it and start again")
    return key


class Stack:
    def __init__(self, *, api_port: int = 8000, moto_port: int = 0, seed: bool = True, fast: bool = False,
                 root: Path = REPO_ROOT, out: TextIO | None = None, host: str = "127.0.0.1"):
        self.api_port = api_port
        # Where the API listens: 127.0.0.1, or 0.0.0.0 to open the app from a phone on the same network.
        self.host = host
        self.moto_port = moto_port
        self.root = root
        self.out = out or sys.stdout
        self.should_seed = seed
        self.fast = fast
        self.stopping = threading.Event()
        self.env: dict[str, str] = {}
        self.key_source = ""
        self.seeded: collections.Counter | None = None
        self.signin_users: list[tuple[str, str, str]] = []  # (email, role, name) who sign in through Cognito
        self._workers: list[threading.Thread] = []
        self._failure: str | None = None
        self._moto = None
        self._api: subprocess.Popen | None = None
        self._api_output: collections.deque[str] = collections.deque(maxlen=40)
        self._echo_api = threading.Event()
        self._pump: threading.Thread | None = None
        self._started = False
        self._stop_requested = False
        self._stopped = False
        from devstack import mail
        self.add_worker("mail-intake", mail.intake_worker(self.out))
        self.add_worker("outbox", mail.outbox_worker(self.out))
        self.add_worker("sent-mail", mail.sent_mail_printer(self.out))
        self.add_worker("sent-sms", mail.sent_sms_printer(self.out))  # the web form's codes by SMS
        from devstack import engine
        for name, loop in engine.workers(self.out):
            self.add_worker(name, loop)

    # --- addresses ------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def secret(self) -> str:
        return self.env["TD_AUTH_SECRET"]

    # --- workers --------------------------------------------------------------

    def add_worker(self, name: str, loop: Worker) -> None:
        """Run ``loop(stopping)`` in a thread from start() to stop(). The loop
        returns soon after ``stopping`` is set (wait on it instead of sleeping).
        A loop that raises stops the whole stack: a half-working stack hides bugs."""
        if self._started:
            raise StackError("add workers before start()")

        def run() -> None:
            try:
                loop(self.stopping)
            except Exception:  # noqa: BLE001 - reported, then the stack stops
                self._fail(f"worker {name!r} crashed:\n{traceback.format_exc()}")

        self._workers.append(threading.Thread(target=run, name=f"worker-{name}", daemon=True))

    # --- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Start everything and return once the API answers its health check,
        or early once a stop is requested (a signal during start-up)."""
        self._started = True
        if not port_is_free(self.api_port, self.host):
            raise StackError(f"port {self.api_port} is in use: stop what runs there or pass --port")
        if self.moto_port and not port_is_free(self.moto_port):
            raise StackError(f"port {self.moto_port} is in use: pass --moto-port 0 to pick a free one")
        for step in (self._start_moto, self._configure_environment, self._prepare_data, self._start_workers,
                     self._start_api, self._wait_until_healthy):
            if self.stop_requested:
                return
            step()

    def request_stop(self) -> None:
        """Ask start() and wait() to return. Safe in a signal handler: it sets a
        plain flag (Event.set takes a non-reentrant lock the interrupted main
        thread may be holding)."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested or self.stopping.is_set()

    def wait(self) -> int:
        """Block until stop is asked for or a part dies; returns the exit code."""
        while not self.stop_requested:
            if self._api is not None and self._api.poll() is not None:
                self._fail(f"the API process exited with code {self._api.returncode}")
            time.sleep(0.2)
        return 1 if self._failure else 0

    def stop(self) -> None:
        """Stop the API, then the workers, then moto. Safe to call twice or after a failed start."""
        if self._stopped:
            return
        self._stopped = True
        self.stopping.set()
        if self._api is not None and self._api.poll() is None:
            self._api.terminate()
            try:
                self._api.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._api.kill()
                self._api.wait()
        if self._pump is not None:
            self._pump.join(STOP_TIMEOUT_SECONDS)
        for worker in self._workers:
            if worker.is_alive():
                worker.join(STOP_TIMEOUT_SECONDS)
        if self._moto is not None:
            self._moto.stop()
        from devstack.mail import state_file
        state_file(self.root).unlink(missing_ok=True)

    def echo_api_output(self) -> None:
        """From now on, pass the API's output through to ``out`` (call it after
        printing whatever should come first)."""
        self._echo_api.set()

    @property
    def failure(self) -> str | None:
        return self._failure

    def _fail(self, message: str) -> None:
        if self._failure is None:
            self._failure = message
        self.stopping.set()

    # --- parts ----------------------------------------------------------------

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        # moto's server logs every request through werkzeug at INFO: far too chatty here.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        self.moto_port = self._moto.get_host_and_port()[1]
        # Step Functions executions run for real (off by default in moto). Set before
        # anything exists: moto keeps state machines of the two modes in separate
        # backends. Its reply echoes only the batch and lambda settings, not this one.
        self._moto_api("/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})
        from devstack.moto_compat import allow_concurrent_executions, make_dynamodb_thread_safe, speed_up_server
        allow_concurrent_executions()  # the server runs in this process
        make_dynamodb_thread_safe()
        speed_up_server()

    def _moto_api(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(self.aws_url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def _configure_environment(self) -> None:
        """One environment for this process (tables, seeding, workers) and the
        API process it starts, so both see the same tables and key."""
        from chalicelib import config

        env = stage_environment(self.root)
        env.update({
            "AWS_ENDPOINT_URL": self.aws_url,
            "MOTO_PORT": str(self.moto_port),  # moto's Step Functions tasks call back here
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TD_PUBLIC_SMS": "1",  # the web form's codes go by SMS too (SNS; printed as `sms |` lines)
            # Pinned to the checkout, not the working directory, so that
            # `python -m chalicelib.cli token` run from the repo root finds it.
            "TD_DEV_KEY_FILE": os.environ.get("TD_DEV_KEY_FILE") or str(self.root / ".tenantdesk" / "dev-key"),
        })
        for name in list(os.environ):
            if name in _ESCAPE_HATCHES or name.startswith("AWS_ENDPOINT_URL_"):
                del os.environ[name]
        os.environ.update(env)
        # The precedence config.auth_secret() applies: an exported TD_AUTH_SECRET, else the key file.
        secret = os.environ.get("TD_AUTH_SECRET")
        if secret:
            self.key_source = "$TD_AUTH_SECRET"
        else:
            secret = load_or_create_key(config.dev_key_file())
            self.key_source = str(config.dev_key_file())
        env["TD_AUTH_SECRET"] = os.environ["TD_AUTH_SECRET"] = secret
        self.env = env
        self._write_state()

    def _write_state(self) -> None:
        """Where `python -m devstack.mail` and `python -m devstack.signin` find this stack's mocked AWS."""
        from devstack.mail import state_file
        path = state_file(self.root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"api_url": self.api_url, "env": {
            k: v for k, v in self.env.items() if k.startswith(("AWS_", "TD_TABLE", "MOTO", "TD_USER_POOL"))}}),
            encoding="utf-8")

    def _prepare_data(self) -> None:
        from chalicelib.adapters.dynamodb import DynamoStore
        from chalicelib.adapters.models import bind, create_tables

        models = bind()
        create_tables(models)
        from devstack import engine, mail
        mail.setup()
        settings = engine.setup()  # the state machine, its queues, the schedule group
        from devstack import identity
        settings.update(identity.create_pool())  # the user pool the API verifies tokens of
        from devstack import notify
        settings.update(notify.setup())  # push platform applications, the local VAPID key
        os.environ.update(settings)
        self.env.update(settings)
        self._write_state()
        if self.should_seed:
            from devstack.seed import seed
            self.seeded = seed(DynamoStore(models), datetime.now(timezone.utc), fast=self.fast)
            notify.forget_seeded_deliveries(DynamoStore(models), datetime.now(timezone.utc))
            # Seeding wrote each case's watcher into the outbox; start them now, whatever their age:
            # the stream worker starts after seeding (from LATEST), so these are nobody else's.
            from chalicelib import runtime
            runtime.watch_service().sweep_outbox(limit=1000, min_age=timedelta(0))
            self.signin_users = identity.create_demo_users(settings["TD_USER_POOL_ID"])

    def _start_workers(self) -> None:
        for worker in self._workers:
            worker.start()

    def _start_api(self) -> None:
        self._api = subprocess.Popen(
            [sys.executable, "-m", "devstack.api_process", "--host", self.host, "--port", str(self.api_port),
             "--stage", STAGE],
            cwd=self.root, env={**os.environ, "PYTHONUNBUFFERED": "1", "DEVSTACK_PARENT_PID": str(os.getpid())},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            # Its own session: a Ctrl-C in the terminal reaches only us, and we stop it in order.
            start_new_session=True,
        )
        self._pump = threading.Thread(target=self._pump_api_output, name="api-output", daemon=True)
        self._pump.start()

    def _pump_api_output(self) -> None:
        """The API's log lines: kept quietly (and shown if it fails to start)
        until echo_api_output() is called, then passed through with a prefix."""
        assert self._api is not None and self._api.stdout is not None
        for raw in self._api.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            self._api_output.append(line)
            if self._echo_api.is_set():
                self.out.write(f"api | {line}\n")
                self.out.flush()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self.stop_requested:
            assert self._api is not None
            if self._api.poll() is not None:
                if self._pump is not None:
                    self._pump.join(2)
                raise StackError(f"the API process exited with code {self._api.returncode} while starting:\n"
                                 + "\n".join(self._api_output))
            try:
                with urllib.request.urlopen(self.api_url + HEALTH_PATH, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        if self.stop_requested:
            return
        raise StackError(f"the API did not answer {HEALTH_PATH} within {START_TIMEOUT_SECONDS} s:\n"
                         + "\n".join(self._api_output))
