"""One workaround for moto 5.2.1 (pinned in requirements-dev.txt), used by the
local stack and the tests.

moto deep-copies a state machine, with its running executions, on every
StartExecution. An execution waiting on a task token holds a lock that cannot
be copied, so starting a case's second watcher generation fails while the
first one waits (AWS has no such limit). A shallow copy is enough for what
moto uses the clone for.
"""
from __future__ import annotations

import copy
import types


def allow_concurrent_executions(setattr_=setattr) -> None:
    import moto.stepfunctions.parser.models as moto_sfn
    setattr_(moto_sfn, "copy", types.SimpleNamespace(deepcopy=copy.copy))
