"""A vendor's traffic, seeded: tickets arriving on a daily curve, every way in (the modal,
a watched message, a :ticket: reaction, an email), and each ticket's life as people live
it: engineers claim, answer, wait on the client, send to engineering, resolve;
clients write back, reopen and rate. Times are fractions of the plan's targets, so the
same seed plays the same month at any compression.

Requests go the way Slack sends them (``bench.soak.slack_way``). Every action is written
down (``actions.jsonl``) with when it was sent and when it was answered."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench.soak.record import Action, ActionKind, write_line
from bench.soak.slack_way import AGAIN, RETRIES, NotTaken, SlackWay
from bench.soak.world import CLIENTS, STAFF, TRIAGE, SoakClient
from bot.sandbox.records import TEAM_ID
from tests.support.dovecot import email
from tests.support.flows import buttons

SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_WEIGHTS = (0.25, 0.35, 0.25, 0.15)


@dataclass
class Life:
    """What will happen to one ticket, drawn at its birth (times: fractions of targets)."""

    key: str
    client: SoakClient
    via: str
    severity: str
    claim: float | None
    respond: float | None
    follow_up: float | None
    """When the client writes again after the answer (a fraction of the initial target)."""
    answer_again: float | None
    """When staff answer that (a fraction of the next-response target)."""
    wait_client: bool
    engineering: bool
    resolve: float | None
    reopen: bool
    rate: bool
    tagged: bool = True
    """An email's subject names its severity (else it is the plan's, as for a message)."""


def draw(rng: random.Random, n: int, email_on: bool) -> Life:
    client = rng.choice(CLIENTS)
    ways = ["message", "email"] if client.watch == "messages" else ["modal", "reaction", "email"]
    if client.language == "en" and client.watch == "messages":
        ways.append("modal")
    if not email_on:
        ways.remove("email")
    via = rng.choice(ways)
    tagged = via != "message" and (via != "email" or rng.random() < 0.7)
    severity = (rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0] if tagged
                else {"standard": "high", "premium": "critical"}[client.plan])
    respond = rng.choice([0.3, 0.6, 0.9, 1.3, None])
    respond = None if respond is None else respond + rng.uniform(-0.1, 0.1)
    follow = rng.uniform(0.1, 0.4) if respond is not None and rng.random() < 0.5 else None
    return Life(
        key=f"k{n}", client=client, via=via, severity=severity,
        claim=rng.uniform(0.05, 1.5) if rng.random() < 0.7 else None,
        respond=respond, follow_up=follow,
        answer_again=rng.choice([0.4, 0.9, 1.3, None]) if follow is not None else None,
        wait_client=rng.random() < 0.15, engineering=rng.random() < 0.1,
        resolve=rng.uniform(1.0, 2.5) if rng.random() < 0.6 else None,
        reopen=rng.random() < 0.1, rate=rng.random() < 0.5, tagged=tagged)


@dataclass
class Traffic(SlackWay):
    email_on: bool = True
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    tickets: int = 0
    last_wrote: dict[str, float] = field(default_factory=dict)
    closing: bool = False
    acting: int = 0
    """Actions under way (``close`` lets them finish)."""

    def person(self, client: SoakClient) -> str:
        """One of the client's people who has written nothing for a while: a message
        within ``GROUP_MINUTES`` of the same person's last joins that ticket (on purpose),
        and each life here is a ticket of its own."""
        quiet = time.time() - 3 * 600 / self.world.compression
        people = [p for p in client.people if self.last_wrote.get(p, 0.0) < quiet]
        chosen = self.rng.choice(people or list(client.people))
        self.last_wrote[chosen] = time.time()
        return chosen

    # -- what people do ----------------------------------------------------------------

    async def act(self, kind: ActionKind, life: Life, doing: Awaitable[Any],
                  **detail: Any) -> bool:
        sent = time.time()
        ok = True
        self.acting += 1
        try:
            await doing
        except NotTaken:
            ok = False
        finally:
            self.acting -= 1
        write_line(self.world.folder / "actions.jsonl",
                   Action(kind, life.key, sent, time.time(), ok, detail))
        return ok

    def title(self, life: Life) -> str:
        return f"Exports fail for some editors [{life.key}]"

    async def _by_modal(self, life: Life) -> None:
        user = self.rng.choice(STAFF)
        trigger = await self.command(user, life.client.channel, "")
        view = await self.modal(trigger)
        await self.submit(view, {"Title": self.title(life), "Severity": life.severity.title(),
                                 "Description": "Since this morning the export stops."},
                          user)

    async def _by_reaction(self, life: Life) -> None:
        person = self.person(life.client)
        slack = self.world.slack
        ts = slack.add_message(life.client.channel, person, self.title(life))
        await self.event({"type": "reaction_added", "user": person, "reaction": "ticket",
                          "item": {"type": "message", "channel": life.client.channel,
                                   "ts": ts}})
        prompt = await self.found(lambda: next(
            (m for m in slack.posts(life.client.channel, ts) if "Open a ticket" in
             buttons(m)), None))
        trigger, payload = self.click_payload(person, life.client.team, life.client.channel,
                                              prompt.ts, buttons(prompt)["Open a ticket"])
        await self.interact(payload)
        view = await self.modal(trigger)
        await self.submit(view, {"Title": self.title(life), "Severity": life.severity.title(),
                                 "Description": "Since this morning the export stops."},
                          person, life.client.team)

    async def found(self, look: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = look()
            if result:
                return result
            if time.monotonic() > deadline:
                raise NotTaken
            await asyncio.sleep(0.1)

    async def open(self, life: Life) -> bool:
        detail: dict[str, Any] = {"via": life.via, "client": life.client.channel,
                                  "severity": life.severity, "title": self.title(life)}
        if life.via == "modal":
            doing: Awaitable[Any] = self._by_modal(life)
        elif life.via == "reaction":
            doing = self._by_reaction(life)
        elif life.via == "message":
            person = self.person(life.client)
            ts = self.world.slack.add_message(life.client.channel, person, self.title(life))
            detail["ts"] = float(ts)
            doing = self.event({"type": "message", "channel": life.client.channel,
                                "user": person, "text": self.title(life), "ts": ts,
                                "user_team": life.client.team, "channel_type": "channel"})
        else:
            detail["arrived"] = math.floor(time.time())
            doing = self._by_email(life)
        return await self.act("open", life, doing, **detail)

    async def _by_email(self, life: Life) -> None:
        dovecot = self.world.dovecot
        assert dovecot is not None
        sender = f"{self.person(life.client).lower()}@{life.client.domain}"
        tag = f"[{life.severity.title()}] " if life.tagged else ""
        message = email(sender, f"{tag}{self.title(life)}", "The export stops at 40 %.",
                        to="support@desk.example")
        for pause in (0.0, *RETRIES, 2.0, 4.0):  # the client's mail server retries too
            await asyncio.sleep(pause)
            try:
                await asyncio.to_thread(dovecot.deliver, message)
                return
            except OSError:
                continue
        raise NotTaken

    # -- a ticket's life -----------------------------------------------------------------

    def target(self, life: Life, table: str = "targets") -> float:
        plans = self.world.plans
        value = plans[life.client.plan][table][life.severity]
        return float(value or 0.0)

    def button(self, number: int, text: str) -> tuple[str, dict[str, Any]] | None:
        ts = self.world.slack.triage.get(number)
        message = self.world.slack.messages.get((TRIAGE, ts or ""))
        if message is None or text not in buttons(message):
            return None
        return message.ts, buttons(message)[text]

    async def click(self, life: Life, kind: ActionKind, number: int, text: str, user: str,
                    then: Callable[[str], Awaitable[Any]] | None = None) -> None:
        """``user`` clicks ``text`` on the triage post (if it shows it)."""
        if self.button(number, text) is None:
            return

        async def doing() -> None:
            # Again, as a person would, while the button is still there: the desk could
            # not do it (Redis out of reach, say) and said so.
            for pause in (0.0, *AGAIN):
                await asyncio.sleep(pause)
                found = self.button(number, text)
                if found is None:
                    return
                trigger, payload = self.click_payload(user, TEAM_ID, TRIAGE, *found)
                await self.interact(payload)
                if then is not None:
                    with contextlib.suppress(NotTaken):  # its form did not open: again
                        await then(trigger)
                with contextlib.suppress(NotTaken):
                    await self.found(lambda: self.button(number, text) is None, 4.0)
                    return
            raise NotTaken
        await self.act(kind, life, doing(), user=user)

    async def write(self, life: Life, kind: ActionKind, number: int, user: str) -> None:
        """``user`` writes in the ticket's client thread, and Slack tells the desk."""
        channel, thread = await self.found(lambda: self.world.slack.threads.get(number))
        staff = kind == "staff_reply"
        text = "Looking into it now." if staff else "Any news? It still fails."
        ts = self.world.slack.add_message(channel, user, text, thread)
        event: dict[str, Any] = {"type": "message", "channel": channel, "user": user,
                                 "text": text, "ts": ts, "thread_ts": thread,
                                 "channel_type": "channel"}
        if not staff:
            event["user_team"] = life.client.team
        await self.act(kind, life, self.event(event), user=user, ts=float(ts))

    async def client_clicks(self, life: Life, kind: ActionKind, number: int,
                            action_id: str | None, text: str | None = None) -> None:
        """A client clicks a button of the desk's in the ticket's client thread."""
        found = self.world.slack.threads.get(number)
        if found is None:
            return
        channel, thread = found
        for message in reversed(self.world.slack.posts(channel, thread)):
            for element in buttons(message).values():
                if element.get("action_id") == action_id or (
                        text is not None and element["text"]["text"] == text):
                    person = self.rng.choice(life.client.people)
                    _, payload = self.click_payload(person, life.client.team, channel,
                                                    message.ts, element)
                    await self.act(kind, life, self.interact(payload), user=person)
                    return

    async def resolve(self, life: Life, number: int, user: str) -> None:
        async def described(trigger: str) -> None:
            view = await self.modal(trigger)
            await self.submit(view, {"Resolution": "Fixed in the exporter."}, user)
        await self.click(life, "resolve", number, "Resolve", user, described)

    async def live(self, life: Life) -> None:
        start = time.time()
        if not await self.open(life):
            return
        try:
            number = await self.found(lambda: self.world.slack.numbers.get(life.key), 30.0)
        except NotTaken:
            self.errors.append(f"{life.key} ({life.via}): no triage post within 30 s")
            return
        write_line(self.world.folder / "actions.jsonl",
                   Action("numbered", life.key, time.time(), time.time(), True,
                          {"number": number}))
        target, again = self.target(life), self.target(life, "next_response")
        staff = self.rng.choice(STAFF)
        steps: list[tuple[float, Callable[[], Awaitable[None]]]] = []
        if life.claim is not None:
            steps.append((life.claim * target, lambda: self.click(
                life, "claim", number, "Claim", staff)))
        answered = None
        if life.respond is not None:
            answered = life.respond * target
            steps.append((answered, lambda: self.write(life, "staff_reply", number, staff)))
            if life.wait_client:
                steps.append((answered + 0.02 * target, lambda: self.click(
                    life, "wait_client", number, "Waiting on client", staff)))
            if life.engineering:
                steps.append((answered + 0.03 * target, lambda: self.click(
                    life, "engineering", number, "Send to engineering", staff)))
            if life.follow_up is not None:
                follow = answered + life.follow_up * target
                client = self.person(life.client)
                steps.append((follow, lambda: self.write(life, "client_reply", number, client)))
                if life.answer_again is not None:
                    steps.append((follow + life.answer_again * again, lambda: self.write(
                        life, "staff_reply", number, staff)))
        if life.resolve is not None:
            last = max([at for at, _ in steps] + [life.resolve * target]) + 0.05 * target
            steps.append((last, lambda: self.resolve(life, number, staff)))
            if life.rate:
                steps.append((last + 0.05 * target, lambda: self.client_clicks(
                    life, "rate", number, None, "5")))
            if life.reopen:
                steps.append((last + 0.1 * target, lambda: self.client_clicks(
                    life, "reopen", number, "reopen_ticket")))
        for at, step in sorted(steps, key=lambda s: s[0]):
            await asyncio.sleep(max(0.0, start + at - time.time()))
            if self.closing:
                return
            try:
                await step()
            except NotTaken:
                self.errors.append(f"{life.key} T-{number}: a step found nothing to act on")

    async def close(self, patience: float = 30.0) -> None:
        """The run ends: nobody starts anything more, what people are in the middle of is
        finished (and written down), then the lives still waiting for their next step end."""
        self.closing = True
        deadline = time.monotonic() + patience
        while self.acting and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def run(self, seconds: float, per_day: float) -> None:
        """Tickets for ``seconds``, ``per_day`` a compressed day on average, more by day
        than by night; then wait for the lives begun to end (the caller cancels them)."""
        day = 86_400 / self.world.compression
        began = time.time()
        while (now := time.time()) - began < seconds:
            phase = math.sin(math.pi * ((now - began) / day + 0.25)) ** 2
            rate = per_day / day * (0.4 + 1.2 * phase)
            await asyncio.sleep(self.rng.expovariate(rate))
            self.tickets += 1
            life = draw(self.rng, self.tickets, self.email_on)
            task = asyncio.create_task(self.live(life))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
