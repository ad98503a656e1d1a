"""What every typed job has: its kind, its ticket, its id (see ``bot.domain.jobs``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class JobKind(StrEnum):
    POST_CLIENT_THREAD = "post_client_thread"
    POST_TRIAGE = "post_triage"
    SYNC_TRIAGE = "sync_triage"
    STATUS_NOTICE = "status_notice"
    SEVERITY_NOTICE = "severity_notice"
    RELAY_UPDATE = "relay_update"
    ENGINEERING_HANDOFF = "engineering_handoff"
    REACTION_PROMPT = "reaction_prompt"
    FIRE_TIMER = "fire_timer"
    REMINDER_DM = "reminder_dm"
    TRIAGE_NOTE = "triage_note"
    BREACH_EMAIL = "breach_email"
    PROBLEM_NOTE = "problem_note"
    GROUP_ALERT = "group_alert"
    TICKET_EVENT = "ticket_event"
    DELIVER_OUTBOX = "deliver_outbox"
    REPORT_DM = "report_dm"
    CSAT_COMMENT = "csat_comment"
    SYNC_CARD = "sync_card"
    REFRESH_HOMES = "refresh_homes"
    PUBLISH_HOME = "publish_home"
    EMAIL_ORIGIN = "email_origin"
    EMAIL_ACK = "email_ack"
    EMAIL_OUT = "email_out"
    EMAIL_INTO_THREAD = "email_into_thread"
    UNKNOWN_SENDER = "unknown_sender"
    FOLLOW_UP_NOTE = "follow_up_note"
    CLIENT_RELAY = "client_relay"
    REMOVE_CARD = "remove_card"
    ASSIGNED_NOTICE = "assigned_notice"
    ASSIGNED_DM = "assigned_dm"
    AUTO_ASSIGN = "auto_assign"
    ASSIGNMENT_NOTE = "assignment_note"


class Role(StrEnum):
    """Why a person is told about a ticket: names them in notes about delivery problems."""

    ACCOUNT_MANAGER = "account manager"
    ASSIGNEE = "assignee"
    HEAD_OF_SUPPORT = "head of support"


class JobBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ticket: int
    """The ticket's number; 0 for a job that is not about a ticket yet."""

    @property
    def id(self) -> str:
        raise NotImplementedError
