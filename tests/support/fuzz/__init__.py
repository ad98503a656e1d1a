"""The fuzz harness: the strategies of ``tests.support.strategies`` sent to a running desk.

``prepare_world`` registers two clients on the desk and opens their tickets, and returns
the ``World`` the strategies draw from; ``deliver`` signs and sends a payload as Slack does;
``settle`` waits until what it set off is done; ``victim_state`` and ``leaks`` check that
nothing reached the other client's ticket (``desk``). ``problems`` picks out the log records
the desk must never write, and the rest of ``findings`` says where they came from and
shows a payload in a line.

This package re-exports what ``tests/app/test_fuzz.py`` and ``bench/fuzz.py`` use.
"""

from tests.support.fuzz.desk import (
    Answer,
    Desk,
    VictimState,
    deliver,
    leaks,
    prepare_world,
    settle,
    victim_state,
)
from tests.support.fuzz.findings import (
    describe,
    essence,
    essentials,
    exception_lines,
    first_line,
    from_standin,
    is_problem,
    origin,
    problems,
)

__all__ = [
    "Answer",
    "Desk",
    "VictimState",
    "deliver",
    "describe",
    "essence",
    "essentials",
    "exception_lines",
    "first_line",
    "from_standin",
    "is_problem",
    "leaks",
    "origin",
    "prepare_world",
    "problems",
    "settle",
    "victim_state",
]
