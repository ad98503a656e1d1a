"""The Slack stand-in takes files as Slack does (the reports' CSVs go out so)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.standin import SlackStandIn
from tests.support.workspace import TRIAGE


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
