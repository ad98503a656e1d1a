"""Tickets worked through the running app as people work them (claimed, answered through
the update modal, resolved), and the reports' DMs and CSVs read back from the stand-in."""

from __future__ import annotations

import csv
import io

from bot.sandbox.standin import Message, SlackStandIn
from tests.support.desk import RunningApp, advance, drained, ticket
from tests.support.flows import buttons, click, find_post, open_ticket, triage_post
from tests.support.slackreq import values_by_label
from tests.support.workspace import CLIENT_USER, EXTERNAL, STAFF

OTHER_ORG = "T0OTHER001"
"""The client's Slack organisation (the desk's is ``T0DESK0001``)."""


async def modal_text(app: RunningApp, message: Message, button: str, label: str, text: str,
                     *, user: str = STAFF, channel: str | None = None) -> None:
    before = len(app.slack.calls_to("views.open"))
    element = buttons(message)[button]
    team = OTHER_ORG if user in (EXTERNAL, CLIENT_USER) else "T0DESK0001"
    await app.client.click(element["action_id"], element.get("value", ""), user=user,
                           channel=channel or message.channel, message_ts=message.ts, team=team)
    call = (await app.slack.wait_for(lambda: app.slack.calls_to("views.open")[before:]))[0]
    view = call.args["view"]
    status, body = await app.client.submit(view, values_by_label(view, {label: text}),
                                           user=user, view_id=f"V0M{len(app.slack.calls):07d}")
    assert status == 200 and not (body and body.get("errors")), body


async def answered(app: RunningApp, channel: str, severity: str, *, after: float) -> int:
    """A ticket opened, claimed, and answered ``after`` s after it opened."""
    number = await open_ticket(app, f"Trouble in {channel}", severity, "It broke.",
                               channel=channel)
    post = await triage_post(app, number)
    await click(app, post, "Claim", user=STAFF)
    await app.slack.wait_for(lambda: "Post update to client" in buttons(post))
    await advance(app.runtime, after)
    await modal_text(app, post, "Post update to client", "Update", "Looking into it.")
    await drained(app.runtime)
    return number


async def resolved_now(app: RunningApp, number: int) -> Message:
    """The ticket resolved from its triage post; its resolution message in the client
    thread."""
    post = await triage_post(app, number)
    await modal_text(app, post, "Resolve", "Resolution", "Fixed.")
    channel = (await ticket(app.runtime, number)).channel
    thread = find_post(app, channel, f"T-{number}")
    assert thread is not None
    resolved: list[Message] = await app.slack.wait_for(lambda: [
        m for m in app.slack.posts(channel, thread.ts) if "is resolved" in m.text])
    await drained(app.runtime)
    return resolved[0]


async def work(app: RunningApp, channel: str, severity: str, *, respond_after: float,
               resolve_after: float) -> tuple[int, Message]:
    """A ticket opened, answered after ``respond_after`` s and resolved ``resolve_after``
    s after it opened; its resolution message in the client thread."""
    number = await answered(app, channel, severity, after=respond_after)
    await advance(app.runtime, resolve_after - respond_after)
    return number, await resolved_now(app, number)


def dm_of(slack: SlackStandIn, user: str, marked: str) -> list[Message]:
    return [m for m in slack.posts("D" + user[1:]) if m.thread_ts is None
            and ((m.metadata or {}).get("event_payload") or {}).get("ticket", "")
            .startswith(marked)]


async def csv_in_thread(slack: SlackStandIn, message: Message, *, by_assignee: bool = False
                        ) -> list[dict[str, str]]:
    """The CSV in the report's thread (it follows the summary); ``by_assignee``: the second
    one, per assignee (``/ticket report`` only)."""
    def mine(name: str) -> bool:
        return ("-by-assignee-" in name) is by_assignee

    shared = await slack.wait_for(lambda: [f for m in slack.posts(message.channel, message.ts)
                                           for f in m.files if mine(slack.files[f["id"]].name)])
    assert len(shared) == 1, shared
    content = slack.files[shared[0]["id"]].content
    return list(csv.DictReader(io.StringIO(content.decode())))


def row(table: list[dict[str, str]], client: str, severity: str) -> dict[str, str]:
    return next(r for r in table if (r["client"], r["severity"]) == (client, severity))
