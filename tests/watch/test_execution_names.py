"""Watcher execution names Step Functions accepts, whatever the property id: a name it
refuses would fail every start, leave the outbox record forever and the case unwatched."""
from __future__ import annotations

import re

from chalicelib.adapters.stepfunctions import execution_name
from chalicelib.http.web import _PROPERTY_ID

VALID = re.compile(r"[0-9A-Za-z_.@-]{1,80}")  # no whitespace, brackets, ? * " # % \ ^ | ~ ` $ & , ; : /


def test_plain_ids_keep_the_names_running_executions_already_have():
    assert execution_name("P1", "TD-20261206-0001", 3) == "P1-TD-20261206-0001-g3"


def test_the_longest_property_id_the_api_takes_still_makes_valid_distinct_names():
    longest = "riverside-garden-" + "x" * 47
    assert _PROPERTY_ID.match(longest) and len(longest) == 64
    names = {execution_name(longest, case, gen) for case in ("TD-20261206-0001", "TD-20261206-0002")
             for gen in (1, 2, 12345)}
    assert len(names) == 6 and all(VALID.fullmatch(n) for n in names), names
    assert all(n.startswith("riverside-garden-xxx") for n in names)  # still readable in the console
    assert execution_name(longest, "TD-20261206-0001", 2) in names  # the same every time: a retry starts nothing


def test_characters_step_functions_refuses_are_replaced_and_told_apart():
    a, b = execution_name("mall:sz", "TD-20261206-0001", 1), execution_name("mall/sz", "TD-20261206-0001", 1)
    assert VALID.fullmatch(a) and VALID.fullmatch(b) and a != b
