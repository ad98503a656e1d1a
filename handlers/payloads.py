"""The parts of Slack's payloads the listeners use, read as typed models.

Slack sends what its documentation says; a forged, truncated or garbled request must
still get a calm answer. So every listener reads its payload through these models: what
does not fit is a refusal to the person (or a quiet ack), never an exception.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.services.staff import Actor

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Who(_Part):
    id: str = Field(min_length=1, max_length=30)
    team_id: str | None = Field(default=None, max_length=30)


class Org(_Part):
    id: str | None = Field(default=None, max_length=30)


class _Acting(_Part):
    """A payload of someone acting: who, and the Enterprise Grid org it names, if any."""

    user: Who
    enterprise: Org | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.team_id,
                     self.enterprise.id if self.enterprise else None)


class Where(_Part):
    id: str = Field(min_length=1, max_length=30)


class Chosen(_Part):
    value: str = Field(max_length=2000)


class Action(_Part):
    action_id: str = Field(max_length=255)
    value: str | None = Field(default=None, max_length=2000)
    selected_option: Chosen | None = None
    block_id: str | None = Field(default=None, max_length=255)
    selected_user: str | None = Field(default=None, max_length=30)


class Click(_Acting):
    """A ``block_actions`` payload: someone clicked a button or chose in a menu."""

    channel: Where | None = None
    trigger_id: str | None = None
    actions: list[Action] = Field(min_length=1)

    @property
    def action(self) -> Action:
        return self.actions[0]


class ShortcutMessage(_Part):
    """The message a shortcut was run on."""

    ts: str = Field(min_length=1, max_length=30)
    user: str | None = Field(default=None, max_length=30)
    text: str | None = None


class Shortcut(_Acting):
    """A message shortcut: the message it was run on, by whom, where."""

    channel: Where
    trigger_id: str
    message: ShortcutMessage


class View(_Part):
    id: str = Field(min_length=1, max_length=30)
    private_metadata: str = Field(default="", max_length=3000)
    state: dict[str, Any] = Field(default_factory=dict)


class Submission(_Acting):
    """A ``view_submission`` payload."""

    view: View


def read(model: type[M], payload: Any, what: str) -> M | None:
    """``payload`` as ``model``, or None (logged) when it is not one."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        log.warning("a %s that is not one Slack sends was answered and ignored: %s", what,
                    exc.errors(include_url=False, include_input=False)[:3])
        return None


def value_of(model: type[M], raw: str | None) -> M | None:
    """A button's or option's typed value, or None when it is not one (forged, stale)."""
    if raw is None:
        return None
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return None
