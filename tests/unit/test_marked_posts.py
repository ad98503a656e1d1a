"""A job run again after a crash finds what it had posted, however busy the channel or
thread has been since, and does not post it twice."""

from __future__ import annotations

import time

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import HISTORY_PAGE, Slack, marker
from bot.sandbox.standin import SlackStandIn
from tests.support.workspace import CLIENT_USER, TRIAGE

BUSY = 2 * HISTORY_PAGE + 50
"""Messages written after the post: more than two pages of Slack's history."""


def desk_slack(slack: SlackStandIn) -> Slack:
    return Slack(AsyncWebClient(token="xoxb-test-token", base_url=slack.url))


async def test_a_rerun_finds_its_post_under_pages_of_channel_messages(
        slack: SlackStandIn) -> None:
    desk, mark, oldest = desk_slack(slack), marker("T-1001", "triage"), time.time() - 1
    first = await desk.post_once(TRIAGE, "T-1001 is open", None, mark=mark, again=False,
                                 oldest=oldest)
    for i in range(BUSY):
        slack.add_message(TRIAGE, CLIENT_USER, f"chatter {i}")
    again = await desk.post_once(TRIAGE, "T-1001 is open", None, mark=mark, again=True,
                                 oldest=oldest)
    assert again == first
    assert [m.text for m in slack.posts(TRIAGE)].count("T-1001 is open") == 1
    assert len(slack.calls_to("conversations.history")) == 3


async def test_a_rerun_finds_its_reply_under_pages_of_thread_replies(
        slack: SlackStandIn) -> None:
    desk, mark, oldest = desk_slack(slack), marker("T-1001", "warning"), time.time() - 1
    thread = slack.add_message(TRIAGE, CLIENT_USER, "the ticket's thread")
    for i in range(BUSY):
        slack.add_message(TRIAGE, CLIENT_USER, f"reply {i}", thread_ts=thread)
    first = await desk.post_once(TRIAGE, "Warning for T-1001", None, mark=mark, again=False,
                                 oldest=oldest, thread_ts=thread)
    again = await desk.post_once(TRIAGE, "Warning for T-1001", None, mark=mark, again=True,
                                 oldest=oldest, thread_ts=thread)
    assert again == first
    assert [m.text for m in slack.posts(TRIAGE, thread)].count("Warning for T-1001") == 1


async def test_a_rerun_finds_its_upload_under_pages_of_thread_replies(
        slack: SlackStandIn) -> None:
    desk = desk_slack(slack)
    thread = slack.add_message(TRIAGE, CLIENT_USER, "the report's summary")
    for i in range(BUSY):
        slack.add_message(TRIAGE, CLIENT_USER, f"reply {i}", thread_ts=thread)
    await desk.upload_once(TRIAGE, "sla.csv", "a,b\n", title="SLA", thread_ts=thread,
                           again=False)
    await desk.upload_once(TRIAGE, "sla.csv", "a,b\n", title="SLA", thread_ts=thread,
                           again=True)
    assert len(slack.files) == 1
