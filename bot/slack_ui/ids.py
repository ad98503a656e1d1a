"""Action, callback and block ids, and the typed payloads buttons and modals carry.

Every button ``value``, option value and ``private_metadata`` is one of the pydantic
models here, read back with ``model_validate_json``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, Field

from bot.domain.home import Section
from bot.domain.tickets import Severity, Status

# How Slack counts its limits' "characters". Slack's Block Kit reference gives every limit
# in characters without saying which (https://docs.slack.dev/reference/block-kit/blocks/
# section-block: "maximum length is 3000 characters"; its refusal reads "must be less than
# 3001 characters [json-pointer:/blocks/0/text/text]"), and slack-sdk's models check them
# with Python's len(), in code points. Slack's note on message size (https://api.slack.com/
# rtm, "Limits") counts a character beyond U+FFFF as one character of 4 bytes, while its
# clients are JavaScript, where such a character (an emoji) is a string of length 2: UTF-16
# code units. So the desk counts each limit the way that is safe whichever Slack uses:
# - what it sends (a section's 3,000, a header's 150, a text input's initial_value within its
#   max_length...) in UTF-16 code units (``bot.slack_ui.text.slack_len``), never fewer than
#   code points: what fits this count fits Slack's;
# - what a person typed, against a form's max_length (TITLE_MAX, DESCRIPTION_MAX, the CSAT
#   comment's COMMENT_MAX), in code points, as people count characters: Slack's form has
#   already held the text to max_length its own way, so the desk never refuses what the
#   form let through; what it then shows is split to fit as above.
TITLE_MAX: Final = 150
DESCRIPTION_MAX: Final = 3000
SECTION_MAX: Final = 3000
"""A section's or a text object's text, counted in UTF-16 code units (above)."""


class ActionId(StrEnum):
    OPEN_TICKET = "open_ticket"
    CLAIM = "claim_ticket"
    CHANGE_SEVERITY = "change_severity"
    WAITING_ON_CLIENT = "status_waiting"
    BACK_TO_SUPPORT = "status_claimed"
    SEND_TO_ENGINEERING = "send_to_engineering"
    POST_UPDATE = "post_update"
    RESOLVE = "resolve_ticket"
    REOPEN = "reopen_ticket"
    RESOLUTION = "resolution_input"
    UPDATE = "update_input"
    TITLE = "title_input"
    SEVERITY = "severity_input"
    DESCRIPTION = "description_input"
    CSAT_COMMENT = "csat_comment"
    CSAT_COMMENT_INPUT = "csat_comment_input"
    HOME_PAGE_BACK = "home_page_back"
    HOME_PAGE_ON = "home_page_on"
    NOT_A_REQUEST = "not_a_request"
    ASSIGN = "assign_ticket"
    UNASSIGN = "unassign_ticket"


class CallbackId(StrEnum):
    TICKET_MODAL = "ticket_modal"
    RESOLVE_MODAL = "resolve_modal"
    UPDATE_MODAL = "update_modal"
    OPEN_SUPPORT_TICKET = "open_support_ticket"
    """The message shortcut."""
    CSAT_COMMENT_MODAL = "csat_comment_modal"


class BlockId(StrEnum):
    TITLE = "title"
    SEVERITY = "severity"
    DESCRIPTION = "description"
    RESOLUTION = "resolution"
    UPDATE = "update"
    CSAT_COMMENT = "csat_comment"


STATUS_BUTTONS: dict[ActionId, Status] = {
    ActionId.WAITING_ON_CLIENT: Status.WAITING_ON_CLIENT,
    ActionId.BACK_TO_SUPPORT: Status.CLAIMED,
    ActionId.SEND_TO_ENGINEERING: Status.WITH_ENGINEERING,
}


class ModalMetadata(BaseModel):
    """``private_metadata`` of the ticket modal: where the ticket is opened, and for whom."""

    channel: str
    reporter: str | None = None
    """Whose ticket it is when staff open it on their behalf (the shortcut); None: the
    person who submits the modal."""
    source_link: str | None = None
    """The message the ticket is opened from (shortcut, reaction), kept on the ticket."""
    ticket: int | None = Field(default=None, ge=1, le=999_999_999_999)
    """The ticket the form edits (the shortcut on a message that opened one); None: the
    form opens a ticket."""


class OpenTicketValue(BaseModel):
    """What the ticket modal is pre-filled with, and the message it is from."""

    title: str = ""
    description: str = ""
    source_link: str | None = None


class OpenTicketButton(BaseModel):
    """Value of an **Open a ticket** button. A pre-fill is kept in Redis and named here by
    its key: a button value holds 2,000 characters, a pasted message may hold far more."""

    prefill: str | None = None


TicketNumber = Annotated[int, Field(ge=1, le=999_999_999_999)]


class TicketRef(BaseModel):
    """Value of a button that acts on one ticket."""

    ticket: TicketNumber


class SeverityChoice(BaseModel):
    """Value of an option of the triage post's severity menu."""

    ticket: TicketNumber
    severity: Severity


class HomePage(BaseModel):
    """Value of an App Home section's page buttons: the section (its title) and the page."""

    section: Section
    page: int = Field(ge=0, le=100_000)


class RateId(StrEnum):
    """The CSAT buttons, 1 (poor) to 5 (great): a block's action ids must differ."""

    ONE = "csat_rate_1"
    TWO = "csat_rate_2"
    THREE = "csat_rate_3"
    FOUR = "csat_rate_4"
    FIVE = "csat_rate_5"


class RatingChoice(BaseModel):
    """Value of a CSAT button."""

    ticket: TicketNumber
    score: Annotated[int, Field(ge=1, le=5)]


class CommentRef(BaseModel):
    """``private_metadata`` of the CSAT comment modal: the ticket, and the client channel
    the button was clicked in."""

    ticket: TicketNumber
    channel: str


class TicketForm(BaseModel):
    title: str
    severity: Severity
    description: str


class EditForm(BaseModel):
    """The form editing a ticket: a title or description it left out is None (kept)."""

    title: str | None
    severity: Severity
    description: str | None
