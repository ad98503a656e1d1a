"""A payload: one request to ``/slack/events``, and how it is encoded with fresh ids."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from tests.support.strategies.world import FRESH, MISSING

Kind = Literal["form", "interaction", "event"]


@dataclass(frozen=True)
class Payload:
    """One request to ``/slack/events``: form fields (a slash command, ``ssl_check``), an
    interaction (``payload=`` JSON in a form) or an Events API JSON body."""

    family: str
    kind: Kind
    body: Mapping[str, Any]
    retry_num: int | None = None
    """``X-Slack-Retry-Num``: Slack redelivering an event."""

    def encoded(self, serial: int) -> tuple[str, str]:
        """The body with its fresh ids, and its content type."""
        body = fresh(self.body, serial)
        if self.kind == "form":
            return (urlencode({k: str(v) for k, v in body.items()}),
                    "application/x-www-form-urlencoded")
        if self.kind == "interaction":
            return urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
        return json.dumps(body), "application/json"


def fresh(value: Any, serial: int) -> Any:
    """``value`` with every ``FRESH`` replaced by an id of ``serial``'s own (and any MISSING
    left out)."""
    if value == FRESH:
        return f"{serial}.fuzz{serial:06d}"
    if isinstance(value, Mapping):
        return {k: fresh(v, serial) for k, v in value.items() if v is not MISSING}
    if isinstance(value, list):
        return [fresh(v, serial) for v in value if v is not MISSING]
    return value
