"""Enterprise Grid and Slack Connect identities: every id Slack uses for a member of the
installing organisation is staff; members of any other organisation are not."""

from __future__ import annotations

import time

import pytest

from bot.domain.tickets import Status
from bot.sandbox.standin import TEAM_ID, SlackStandIn
from tests.support.desk import RunningApp, register_client, ticket
from tests.support.flows import buttons, find_post, open_ticket, triage_post
from tests.support.workspace import CLIENT_CHANNEL, STAFF_2

ORG = "E0ORG00001"
SIBLING = "T0SIBLING1"
"""Another workspace of the same Enterprise Grid org."""
GRID_ENGINEER = "W0GRIDENG1"
HOME_ENGINEER = "W0HOMEENG1"
"""An engineer whose home workspace is the installing one, a member of the sibling too."""
NEW_WORKSPACE = "T0NEWWKSP1"
"""A workspace of the org that the engineer's profile does not list."""
OTHER_ORG_USER = "W0OTHERORG"


@pytest.fixture(autouse=True)
def grid(slack: SlackStandIn) -> None:
    slack.enterprise_id = ORG
    slack.add_user(GRID_ENGINEER, team_id=SIBLING,
                   enterprise_user={"enterprise_id": ORG, "teams": [TEAM_ID, SIBLING]})
    slack.add_user(HOME_ENGINEER, team_id=TEAM_ID,
                   enterprise_user={"enterprise_id": ORG, "teams": [TEAM_ID, SIBLING]})
    slack.add_user(OTHER_ORG_USER, team_id="T0ELSEWHER",
                   enterprise_user={"enterprise_id": "E0ELSEWHER", "teams": ["T0ELSEWHER"]})


async def claim_as(app: RunningApp, user: str, user_team: str,
                   enterprise: str | None = ORG) -> None:
    post = await triage_post(app, 1001)
    claim = buttons(post)["Claim"]
    status, _ = await app.client.interaction({
        "type": "block_actions", "team": {"id": TEAM_ID},
        "enterprise": {"id": enterprise, "name": "Org"} if enterprise else None,
        "user": {"id": user, "team_id": user_team}, "trigger_id": "1.grid",
        "channel": {"id": post.channel}, "container": {"message_ts": post.ts},
        "actions": [{"action_id": claim["action_id"], "value": claim["value"],
                     "type": "button", "block_id": "b"}]})
    assert status == 200


@pytest.mark.parametrize("user_team", [SIBLING, ORG, TEAM_ID])
async def test_a_grid_engineer_may_claim_whichever_team_id_the_click_names(
        app: RunningApp, user_team: str) -> None:
    await open_ticket(app, user=STAFF_2)
    await claim_as(app, GRID_ENGINEER, user_team)
    claimed = await ticket(app.runtime, 1001)
    assert claimed.status is Status.CLAIMED and claimed.assignee == GRID_ENGINEER
    assert app.slack.calls_to("chat.postEphemeral") == []


@pytest.mark.parametrize("user_team", [SIBLING, NEW_WORKSPACE])
async def test_an_engineer_of_the_installing_workspace_may_claim_from_a_sibling(
        app: RunningApp, user_team: str) -> None:
    """users.info names the installing workspace; the click names the workspace the
    engineer acts from: one the profile lists, or any whose click names the org."""
    await open_ticket(app, user=STAFF_2)
    await claim_as(app, HOME_ENGINEER, user_team)
    claimed = await ticket(app.runtime, 1001)
    assert claimed.status is Status.CLAIMED and claimed.assignee == HOME_ENGINEER
    assert app.slack.calls_to("chat.postEphemeral") == []


async def test_a_click_naming_a_workspace_of_no_known_org_is_refused(app: RunningApp) -> None:
    await open_ticket(app, user=STAFF_2)
    await claim_as(app, HOME_ENGINEER, NEW_WORKSPACE, enterprise=None)
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert "Only the support team" in refusal[0].args["text"]
    assert (await ticket(app.runtime, 1001)).status is Status.OPEN


async def test_a_member_of_another_grid_org_may_not_claim(app: RunningApp) -> None:
    await open_ticket(app, user=STAFF_2)
    await claim_as(app, OTHER_ORG_USER, "T0ELSEWHER")
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert "Only the support team" in refusal[0].args["text"]
    assert (await ticket(app.runtime, 1001)).status is Status.OPEN


@pytest.mark.parametrize(("user", "user_team"), [(GRID_ENGINEER, ORG), (GRID_ENGINEER, SIBLING),
                                               (HOME_ENGINEER, SIBLING)])
async def test_a_grid_engineers_reply_stops_the_clock(app: RunningApp, user: str,
                                                      user_team: str) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "CMS down", "Critical", "Nothing saves.", user=STAFF_2)
    client_post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, "T-1001"))
    response = await app.client.event({
        "type": "message", "channel": CLIENT_CHANNEL, "user": user, "text": "On it",
        "ts": f"{time.time():.6f}", "thread_ts": client_post.ts, "user_team": user_team,
        "source_team": user_team, "user_profile": {"team": user_team}}, event_id="EvGrid01")
    assert response.status == 200
    assert (await ticket(app.runtime, number)).first_response_at is not None
