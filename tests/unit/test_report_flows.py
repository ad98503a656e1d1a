"""The Slack stand-in takes files as Slack does (the reports' CSVs go out so); the names
of the app's channels, which reports name clients by, are read from Slack."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.channel_names import SlackChannelNames as ChannelNames
from bot.adapters.slack import Slack
from bot.sandbox.standin import SlackStandIn
from tests.support.workspace import CLIENT_CHANNEL, TRIAGE

GLOBEX = "C0GLOBEX01"


async def test_the_standin_uploads_files_as_slack_does(slack: SlackStandIn) -> None:
    client = AsyncWebClient(token="xoxb-test-token", base_url=slack.url)
    done = await client.files_upload_v2(channel=TRIAGE, filename="a.csv", title="A",
                                        content=b"x,y\n1,2\n")
    [shared] = [m for m in slack.posts(TRIAGE) if m.files]
    assert shared.files[0]["name"] == "a.csv" and done["file"]["id"] == shared.files[0]["id"]
    assert slack.files[shared.files[0]["id"]].content == b"x,y\n1,2\n"
    with pytest.raises(SlackApiError, match="file_not_found"):
        await client.files_completeUploadExternal(files=[{"id": "F0NOPE", "title": "x"}],
                                                  channel_id=TRIAGE)
    url = await client.files_getUploadURLExternal(filename="b.csv", length=10)
    with pytest.raises(SlackApiError, match="file_upload_failed"):  # its bytes never came
        await client.files_completeUploadExternal(files=[{"id": url["file_id"]}],
                                                  channel_id=TRIAGE)


async def test_channel_names_come_from_slack_and_outlast_its_failures(
        slack: SlackStandIn, caplog: pytest.LogCaptureFixture) -> None:
    client = AsyncWebClient(token="xoxb-test-token", base_url=slack.url)
    names = ChannelNames(Slack(client), ttl=0)
    slack.add_channel(GLOBEX, "globex-support")
    slack.add_channel("C0NOTIN001", "elsewhere", is_member=False)
    assert await names.channel_names() == {
        TRIAGE: "support-triage", CLIENT_CHANNEL: "acme-support", GLOBEX: "globex-support"}
    slack.fail("users.conversations", error="missing_scope", times=2)
    assert (await names.channel_names())[GLOBEX] == "globex-support"  # as last read
    assert await ChannelNames(Slack(client)).channel_names() == {}  # never read: none
    assert "could not read the names of the app's channels" in caplog.text
