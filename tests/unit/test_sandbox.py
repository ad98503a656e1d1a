"""The sandbox without its process: real-looking tokens found, the bot's settings taken from
nothing in the environment; the stand-in's Slack rules the sandbox relies on; the support
mailbox in memory, read as the desk reads a mailbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.adapters.mail_read import read_email
from bot.delivery.mailbox import SupportMailbox
from bot.domain.tickets import Severity, Ticket
from bot.sandbox.inbox import Inbox, Mail
from bot.sandbox.mailbox import Mailboxes, MemoryMailbox
from bot.sandbox.people import NotAllowed, chosen_action
from bot.sandbox.records import dm_channel
from bot.sandbox.settings import real_tokens, sandbox_settings
from bot.sandbox.standin import SlackStandIn
from bot.sandbox.workspace import CLIENT, ENGINEER, LEAD, ROSSI, SUPPORT_EMAIL
from bot.slack_ui.ids import ActionId
from bot.slack_ui.picker import assign_block
from bot.slack_ui.words import words_for


def test_tokens_in_dotenv_count_too(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_APP_TOKEN=xapp-1-A0123456789-0123456789-abcdef\nPORT=3000\n")
    assert real_tokens({}, dotenv) == [f"{dotenv}: SLACK_APP_TOKEN"]
    assert real_tokens({"SLACK_BOT_TOKEN": ""}, tmp_path / "none") == []


def test_the_bot_in_the_sandbox_takes_nothing_from_the_environment(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {"WEBHOOK_URL": "http://192.0.2.1/hooks",
                        "WEBHOOK_SECRET": "a-secret-of-sixteen-chars",
                        "PAGERDUTY_ROUTING_KEY": "R0UTINGKEY0123456789",
                        "REDIS_URL": "redis://192.0.2.1:6379/0",
                        "SLACK_API_URL": "https://slack.com/api/"}.items():
        monkeypatch.setenv(name, value)
    (tmp_path / ".env").write_text("TRIAGE_CHANNEL=C0REAL0001\n")
    monkeypatch.chdir(tmp_path)
    settings = sandbox_settings(api_url="http://127.0.0.1:1/api/", smtp_port=2,
                                data_dir=tmp_path / "data", plans={})
    assert settings.webhook_url is None and settings.pagerduty_routing_key is None
    assert settings.redis_url is None and settings.slack_api_url == "http://127.0.0.1:1/api/"
    assert settings.triage_channel == "C0TRIAGE01" and settings.support_lead == LEAD.id
    assert settings.smtp_url is not None
    assert settings.smtp_url.get_secret_value() == "smtp://127.0.0.1:2"
    assert settings.support_email == SUPPORT_EMAIL and settings.imap_url is None


# -- the stand-in's Slack rules --------------------------------------------------------

def test_a_trigger_id_works_once_and_not_after_three_seconds() -> None:
    slack = SlackStandIn(strict_triggers=True)
    slack.add_user(ENGINEER.id)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
    trigger = slack.issue_trigger(ENGINEER.id)
    opened = slack._views_open({"trigger_id": trigger, "view": view})
    assert opened["view"]["id"] in slack.modals[ENGINEER.id]
    assert slack._views_open({"trigger_id": trigger, "view": view}) == {
        "ok": False, "error": "exchanged_trigger_id"}
    assert slack._views_open({"trigger_id": "made.up", "view": view})["error"] == \
        "invalid_trigger_id"
    late = slack.issue_trigger(ENGINEER.id)
    slack.triggers[late].at -= 3.5
    assert slack._views_open({"trigger_id": late, "view": view})["error"] == \
        "expired_trigger_id"


def test_block_kit_limits_are_refused_as_slack_refuses_them() -> None:
    slack = SlackStandIn()
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    too_many = slack._chat_postMessage({"channel": "C0X", "text": "t", "blocks": [section] * 51})
    assert too_many["error"] == "invalid_blocks"
    assert "at most 50" in too_many["response_metadata"]["messages"][0]
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert slack._chat_postMessage({"channel": "C0X", "text": "t",
                                    "blocks": [long_section]})["error"] == "invalid_blocks"
    assert slack._chat_postMessage({"channel": "C0X", "text": "x" * 40_001})["error"] == \
        "msg_too_long"
    title = {"type": "plain_text", "text": "A title longer than twenty-four"}
    refused = slack._views_open({"trigger_id": "1.t", "view": {"type": "modal", "title": title,
                                                               "blocks": []}})
    assert refused["error"] == "invalid_arguments"


def test_app_home_is_kept_per_person() -> None:
    slack = SlackStandIn()
    slack.add_user(ENGINEER.id)
    slack.add_user(CLIENT.id)
    home = {"type": "home", "blocks": [{"type": "section",
                                        "text": {"type": "mrkdwn", "text": "*My tickets*"}}]}
    assert slack._views_publish({"user_id": ENGINEER.id, "view": home})["view"]["id"]
    assert slack.homes == {ENGINEER.id: home}
    assert slack._views_publish({"user_id": "U0NOBODY01", "view": home})["error"] == \
        "user_not_found"
    assert dm_channel(CLIENT.id) == "D0CLIENT01"


def test_the_triage_posts_assign_to_picker_sends_whom_a_person_chose() -> None:
    """The page's user picker, as Slack sends a choice in one: ``selected_user``, and the
    block's id (it names the ticket)."""
    blocks = assign_block(words_for("en"), Ticket(
        number=1001, channel="C0ACME0001", reporter=CLIENT.id, title="t", description="d",
        severity=Severity.HIGH, created_at=0.0))
    action = chosen_action(blocks, 0, ActionId.ASSIGN, ENGINEER.id)
    assert action["selected_user"] == ENGINEER.id and action["type"] == "users_select"
    assert action["block_id"] == '{"ticket":1001}'
    with pytest.raises(LookupError):
        chosen_action(blocks, 0, ActionId.ASSIGN, None)


# -- the support mailbox in memory -----------------------------------------------------

async def test_a_clients_reply_is_threaded_on_the_desks_email_and_wakes_the_reader_at_once(
        ) -> None:
    desk_ack = Mail(SUPPORT_EMAIL, (CLIENT.email,), "[T-1003] Re: Export fails", "We have it.",
                    1.0, "<T-1003.ack@desk-demo.example>", "<first@acme-media.example>",
                    ("<first@acme-media.example>",))
    mail = Mailboxes(Inbox(mails=[desk_ack]), MemoryMailbox())
    box: SupportMailbox = mail.mailbox
    waiting = asyncio.create_task(box.wait(30))
    await asyncio.sleep(0)
    mail.write(CLIENT, {"subject": "Re: [T-1003] Re: Export fails", "text": "Every time.",
                        "in_reply_to": desk_ack.message_id})
    await asyncio.wait_for(waiting, 1)  # woken at once, not after the poll's 30 s
    [uid] = await box.unseen()
    fetched = await box.fetch(uid)
    assert fetched is not None
    read = read_email(fetched.raw, fetched.received_at)  # as the desk's reader reads it
    assert (read.sender, read.sender_name) == (CLIENT.email, CLIENT.name)
    assert read.in_reply_to == desk_ack.message_id
    assert read.references == ("<first@acme-media.example>", desk_ack.message_id)
    assert read.text.strip() == "Every time."
    await box.mark_seen(uid)
    assert await box.unseen() == []
    shown = mail.of(CLIENT)
    assert shown is not None and [m.thread for m in shown] == ["<first@acme-media.example>"] * 2


def test_only_a_client_writes_from_her_own_address_and_nothing_half_checked_is_kept() -> None:
    mail = Mailboxes(Inbox(), MemoryMailbox())
    good = {"subject": "[High] Export fails", "text": "Since noon."}
    for who, body, refused in (
            (ENGINEER, good, NotAllowed), (CLIENT, {**good, "from": ROSSI.email}, NotAllowed),
            (CLIENT, {**good, "to": "sales@desk-demo.example"}, ValueError),
            (CLIENT, {**good, "subject": " "}, ValueError),
            (CLIENT, {**good, "subject": "Export\nBcc: all@acme-media.example"}, ValueError),
            (CLIENT, {**good, "subject": "x" * 301}, ValueError),
            (CLIENT, {"subject": "Export fails"}, ValueError),
            (CLIENT, {**good, "text": ["Since noon."]}, ValueError),
            (CLIENT, {**good, "in_reply_to": 5}, ValueError),
            (CLIENT, {**good, "in_reply_to": "<T-1.ack@desk-demo.example>"}, LookupError)):
        with pytest.raises(refused):
            mail.write(who, body)
    assert mail.mailbox.emails == {}
    assert mail.of(ENGINEER) is None and mail.of(LEAD) == []
