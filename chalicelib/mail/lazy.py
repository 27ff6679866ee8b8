"""Regular expressions compiled on first use.

Every module of the mail parser declares its patterns at module level for
readability; compiling them all at import would cost a Lambda cold start
several milliseconds for mail that may never come. Only ``re`` loads here."""
from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """A regular expression compiled on first use: any attribute of the
    compiled pattern (``match``, ``sub``, ...) is reached through it."""

    __slots__ = ("_pattern", "_flags", "_compiled")

    def __init__(self, pattern: Any, flags: int = 0):
        self._pattern = pattern
        self._flags = flags
        self._compiled: Any = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._pattern, self._flags)
        return getattr(compiled, name)
