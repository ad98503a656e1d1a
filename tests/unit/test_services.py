"""The services on in-memory fakes: milliseconds a test, no Redis, no HTTP.

Tickets, Reminders, Queries, Sweeper and StaffCheck are built as ``bot.bootstrap`` builds
them, over ``tests.fakes`` (a store with versions and a queue, a directory, a clock that
moves only when told). Plus the pure rules: ``bot.domain.staff.is_staff`` and the jobs.
"""

from __future__ import annotations

import pytest

from bot.domain.jobs import (
    JOB,
    AssignedDM,
    AssignedNotice,
    AssignmentNote,
    AutoAssign,
    BreachEmail,
    ClientRelay,
    CsatComment,
    DeliverOutbox,
    EmailAck,
    EmailIntoThread,
    EmailOrigin,
    EmailOut,
    EngineeringHandoff,
    FireTimer,
    FollowUpNote,
    GroupAlert,
    Job,
    JobKind,
    PostClientThread,
    PostTriage,
    ProblemNote,
    PublishHome,
    ReactionPrompt,
    RefreshHomes,
    RelayUpdate,
    ReminderDM,
    RemoveCard,
    ReportDM,
    Role,
    SeverityNotice,
    Sink,
    StatusNotice,
    SyncCard,
    SyncTriage,
    TicketEvent,
    TriageNote,
    UnknownSender,
)
from bot.domain.sla import Step
from bot.domain.staff import SLACKBOT, Member, Organisation, is_staff
from bot.domain.tickets import AlreadyClaimed, Severity, Status, Ticket, TicketError
from bot.services.reminders import NotDue
from bot.services.staff import Actor, NotStaff
from bot.services.sweep import failed
from bot.services.tickets import NewTicket
from tests.support.fakes import T0
from tests.support.services import (
    BOT,
    CLIENT,
    CLIENT_ORG,
    CRITICAL_TARGET,
    DAY,
    DELETED,
    HOUR,
    LEAD_EMAIL,
    NOBODY,
    OTHER_CLIENT,
    VENDOR,
    WARN_AT,
    World,
    make_world,
    open_ticket,
    posted_in_client_channel,
    read,
    with_client,
)
from tests.support.workspace import AM, CLIENT_USER, EXTERNAL, GUEST, LEAD, STAFF, STAFF_2, TRIAGE


def deadline_of(created: float) -> float:
    return created + CRITICAL_TARGET


def generation(deadline: float) -> int:
    return round(deadline * 1000)


# ---------------------------------------------------------------------------------------
# The staff rule (pure)
# ---------------------------------------------------------------------------------------

GRID = Organisation("T0HQ000001", "E0ORG00001")


@pytest.mark.parametrize(("member", "staff"), [
    (Member(STAFF, "T0HQ000001"), True),
    # Enterprise Grid: another workspace of the same org, the org's enterprise id.
    (Member(STAFF_2, "T0SIBLING1", enterprise_id="E0ORG00001"), True),
    # A member of another org in a shared channel, grid or not.
    (Member(EXTERNAL, "T0OTHER001", enterprise_id="E0OTHER001"), False),
    (Member(EXTERNAL, "T0OTHER001"), False),
    (Member(GUEST, "T0HQ000001", guest=True), False),
    (Member(BOT, "T0HQ000001", is_bot=True), False),
    (Member(DELETED, "T0HQ000001", deleted=True), False),
    (Member(SLACKBOT, "T0HQ000001"), False),
    (Member(NOBODY, None), False),
], ids=["hq", "grid-sibling", "other-grid-org", "other-org", "guest", "bot", "deleted",
        "slackbot", "no-team"])
def test_is_staff_rule(member: Member, staff: bool) -> None:
    assert is_staff(member, GRID, payload_team=None, support_team=None) is staff


def test_is_staff_payload_from_another_org_is_refused() -> None:
    member = Member(STAFF, "T0HQ000001")
    assert is_staff(member, GRID, payload_team="T0HQ000001", support_team=None)
    assert is_staff(member, GRID, payload_team="E0ORG00001", support_team=None)
    assert not is_staff(member, GRID, payload_team="T0OTHER001", support_team=None)


def test_is_staff_grid_member_acting_from_their_own_workspace() -> None:
    """A support agent of the same Enterprise Grid org, whose home workspace is another
    of the org's workspaces: their button clicks name that workspace as the team."""
    member = Member(STAFF_2, "T0SIBLING1", enterprise_id="E0ORG00001")
    assert is_staff(member, GRID, payload_team="T0SIBLING1", support_team=None)


def test_is_staff_grid_member_of_the_installing_workspace_acting_from_a_sibling() -> None:
    """users.info names the installing workspace and lists the org's workspaces the member
    belongs to; a click names the workspace they act from (and the org, as Grid clicks do)."""
    member = Member(STAFF, "T0HQ000001", enterprise_id="E0ORG00001",
                    teams=frozenset({"T0HQ000001", "T0SIBLING1"}))
    assert is_staff(member, GRID, payload_team="T0SIBLING1", support_team=None)
    assert is_staff(member, GRID, payload_team="T0NEWWKSP1", payload_enterprise="E0ORG00001",
                    support_team=None)
    assert not is_staff(member, GRID, payload_team="T0NEWWKSP1", support_team=None)
    # A click naming the org does not make a member of another organisation staff.
    outsider = Member(EXTERNAL, "T0OTHER001", enterprise_id="E0OTHER001",
                      teams=frozenset({"T0OTHER001"}))
    assert not is_staff(outsider, GRID, payload_team="T0OTHER001",
                        payload_enterprise="E0ORG00001", support_team=None)


def test_is_staff_support_team_narrows() -> None:
    member = Member(STAFF, "T0HQ000001")
    assert is_staff(member, GRID, payload_team=None, support_team=frozenset({STAFF}))
    assert not is_staff(member, GRID, payload_team=None, support_team=frozenset({STAFF_2}))
    guest = Member(GUEST, "T0HQ000001", guest=True)
    assert not is_staff(guest, GRID, payload_team=None, support_team=frozenset({GUEST}))


# ---------------------------------------------------------------------------------------
# The jobs (pure)
# ---------------------------------------------------------------------------------------

GEN = generation(deadline_of(T0))
EVERY_JOB: list[Job] = [
    PostClientThread(ticket=1001),
    PostTriage(ticket=1001),
    SyncTriage(ticket=1001),
    StatusNotice(ticket=1001, change=2),
    SeverityNotice(ticket=1001, change=1),
    RelayUpdate(ticket=1001, ref="view:77", by=STAFF, text="We rolled back the player."),
    EngineeringHandoff(ticket=1001, by=STAFF),
    ReactionPrompt(channel=CLIENT, ts="1700000000.000100", by=CLIENT_USER),
    FireTimer(ticket=1001, step=Step.WARNING, generation=GEN),
    ReminderDM(ticket=1001, step=Step.BREACH, generation=GEN, user=LEAD,
               role=Role.HEAD_OF_SUPPORT),
    TriageNote(ticket=1001, step=Step.WARNING, generation=GEN, told=(AM, STAFF)),
    BreachEmail(ticket=1001, generation=GEN, to=LEAD_EMAIL),
    ProblemNote(ticket=1001, what=f"DM to {AM} (account manager)", error="user_not_found",
                hint="Check the client's account manager.", recipient=AM),
    TicketEvent(ticket=1001, event="claimed", at=T0, sinks=(Sink.WEBHOOK, Sink.PAGER),
                data={"by": STAFF, "severity": "critical"}, seq=3),
    DeliverOutbox(ticket=1001, sink=Sink.PAGER),
    GroupAlert(ticket=1001, step=Step.BREACH, generation=GEN, target="S0ONCALL01", rung=1,
               repeat=2),
    SyncCard(ticket=1001),
    RefreshHomes(ticket=1001),
    PublishHome(user=STAFF),
    ReportDM(ref="statement:C0ACME0001:2026-11", user=None, start=T0, end=T0 + 86_400,
             label="2026-11", channel=CLIENT),
    CsatComment(ticket=1001, user=CLIENT_USER, ref="view:78"),
    EmailOrigin(ticket=1001),
    EmailAck(ticket=1001),
    EmailOut(ticket=1001, ref="1700000000.000200", by=STAFF, text="Fixed."),
    EmailIntoThread(ticket=1001, ref="0123456789abcdef", sender="dana@acme.example",
                    name="Dana", text="Still broken."),
    UnknownSender(sender="eve@else.example", subject="Hi", day=19_700),
    FollowUpNote(ticket=1001, ts="1796112000.000100", by=CLIENT_USER, text="Also on iOS"),
    ClientRelay(ticket=1001, ts="1796112000.000200", by=CLIENT_USER, text="About T-1001"),
    RemoveCard(ticket=1001, round=2),
    AssignedNotice(ticket=1001, change=0),
    AssignedDM(ticket=1001, change=0, user=STAFF),
    AutoAssign(ticket=1001),
    AssignmentNote(ticket=1001, reason="nobody on shift"),
]


def test_every_job_kind_is_covered() -> None:
    assert {job.kind for job in EVERY_JOB} == set(JobKind)
    assert len({job.id for job in EVERY_JOB}) == len(EVERY_JOB)


@pytest.mark.parametrize("job", EVERY_JOB, ids=[j.kind.value for j in EVERY_JOB])
def test_job_round_trips_through_json(job: Job) -> None:
    back = JOB.validate_json(job.model_dump_json())
    assert type(back) is type(job)
    assert back == job
    assert back.id == job.id


def test_problem_note_is_once_per_recipient_and_error() -> None:
    def note(recipient: str | None, error: str, what: str = "DM", ticket: int = 1001
             ) -> ProblemNote:
        return ProblemNote(ticket=ticket, what=what, error=error, recipient=recipient)

    same = note(AM, "user_not_found", what=f"DM to {AM} (account manager)")
    assert same.id == note(AM, "user_not_found", what=f"warning DM to {AM}").id
    assert same.id != note(STAFF, "user_not_found").id
    assert same.id != note(AM, "cannot_dm_bot").id
    assert same.id != note(AM, "user_not_found", ticket=1002).id
    # Without a recipient, what failed is the cause.
    assert note(None, "not_in_channel", what="client post").id == \
        note(None, "not_in_channel", what="client post").id
    assert note(None, "not_in_channel", what="client post").id != \
        note(None, "not_in_channel", what="triage post").id


# ---------------------------------------------------------------------------------------
# Opening
# ---------------------------------------------------------------------------------------

async def test_opening_arms_the_posts_and_the_sla_timers(w: World) -> None:
    await with_client(w)
    opened = await w.tickets.open(
        NewTicket(channel=CLIENT, reporter=CLIENT_USER, title="Login fails",
                  severity=Severity.CRITICAL, description="Nobody can log in", once="view:1"),
        Actor(CLIENT_USER))
    n = opened.ticket.number
    assert n == 1001
    assert opened.window.deadline == deadline_of(T0)
    gen = generation(deadline_of(T0))

    assert w.store.job_ids(n) == {
        "client_thread:1001", "triage:1001", "homes:1001",
        f"timer:1001:warning:{gen}", f"timer:1001:breach:{gen}"}
    assert w.store.due("client_thread:1001") == T0
    # The triage post waits a little for the client thread it links to.
    assert w.store.due("triage:1001") == T0 + 10
    assert w.store.due(f"timer:1001:warning:{gen}") == T0 + WARN_AT * CRITICAL_TARGET
    assert w.store.due(f"timer:1001:breach:{gen}") == deadline_of(T0)
    ticket = await read(w, n)
    assert (ticket.status, ticket.assignee, ticket.reporter) == (Status.OPEN, None, CLIENT_USER)


async def test_the_same_submission_twice_opens_one_ticket(w: World) -> None:
    new = NewTicket(channel=CLIENT, reporter=CLIENT_USER, title="Login fails",
                    severity=Severity.HIGH, description="", once="view:same")
    first = await w.tickets.open(new, Actor(CLIENT_USER))
    mark = len(w.store.armed)
    w.clock.advance(5)
    again = await w.tickets.open(new, Actor(CLIENT_USER))
    assert again.ticket.number == first.ticket.number
    assert await w.store.open_numbers() == [first.ticket.number]
    assert w.store.armed_since(mark) == []


async def test_opening_for_someone_else_takes_staff(w: World) -> None:
    new = NewTicket(channel=CLIENT, reporter=CLIENT_USER, title="t", severity=Severity.LOW,
                    description="", once="view:for-someone")
    with pytest.raises(NotStaff, match="Only the support team can open a ticket for someone"):
        await w.tickets.open(new, Actor(EXTERNAL))
    assert await w.store.open_numbers() == []
    assert w.store.armed == []
    opened = await w.tickets.open(new, Actor(STAFF))
    assert opened.ticket.reporter == CLIENT_USER


# ---------------------------------------------------------------------------------------
# Claiming, and who is staff
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", [
    Actor(GUEST), Actor(EXTERNAL), Actor(CLIENT_USER), Actor(BOT), Actor(DELETED),
    Actor(SLACKBOT), Actor(NOBODY),
    # A vendor profile acting through a payload of another organisation.
    Actor(STAFF, team=CLIENT_ORG),
], ids=["guest", "external", "client", "bot", "deleted", "slackbot", "unknown",
        "payload-of-other-org"])
async def test_claim_by_non_staff_is_refused_and_changes_nothing(w: World, actor: Actor
                                                                 ) -> None:
    n = await open_ticket(w)
    before = await w.store.get(n)
    mark = len(w.store.armed)
    with pytest.raises(NotStaff, match=r"^Only the support team can claim tickets\.$"):
        await w.tickets.claim(n, actor)
    assert await w.store.get(n) == before
    assert w.store.armed_since(mark) == []


async def test_claim_assigns_and_tells_triage_and_client(w: World) -> None:
    n = await open_ticket(w)
    timers = w.store.timers(n)
    w.clock.advance(60)
    await w.tickets.claim(n, Actor(STAFF, team=VENDOR))
    ticket = await read(w, n)
    assert (ticket.status, ticket.assignee, ticket.claimed_at) == (Status.CLAIMED, STAFF,
                                                                   T0 + 60)
    assert {SyncTriage(ticket=n), StatusNotice(ticket=n, change=0)} <= set(w.store.jobs(n))
    # A claim is no response: the clock runs on.
    assert ticket.first_response_at is None
    assert w.store.timers(n) == timers


async def test_claim_counts_as_response_when_configured() -> None:
    w = make_world(claim_is_response=True)
    n = await open_ticket(w)
    w.clock.advance(60)
    await w.tickets.claim(n, Actor(STAFF))
    assert (await read(w, n)).first_response_at == T0 + 60
    assert [t.step for t in w.store.timers(n)] == [Step.UPDATE]


async def test_second_claim_is_refused_naming_the_first(w: World) -> None:
    n = await open_ticket(w)
    await w.tickets.claim(n, Actor(STAFF))
    version = w.store.version(n)
    with pytest.raises(AlreadyClaimed) as refused:
        await w.tickets.claim(n, Actor(STAFF_2))
    assert refused.value.assignee == STAFF
    assert str(refused.value) == f"T-{n} is already claimed"
    assert (await read(w, n)).assignee == STAFF
    assert w.store.version(n) == version


async def test_claiming_twice_what_one_holds_changes_nothing(w: World) -> None:
    n = await open_ticket(w)
    await w.tickets.claim(n, Actor(STAFF))
    version, mark = w.store.version(n), len(w.store.armed)
    await w.tickets.claim(n, Actor(STAFF))
    assert w.store.version(n) == version
    assert w.store.armed_since(mark) == []


async def test_two_claims_at_once_one_wins_the_other_is_told_who(w: World) -> None:
    n = await open_ticket(w)

    async def rival() -> None:
        await w.tickets.claim(n, Actor(STAFF_2))

    w.store.before("save", rival)  # lands between STAFF's read and write
    with pytest.raises(AlreadyClaimed) as refused:
        await w.tickets.claim(n, Actor(STAFF))
    assert refused.value.assignee == STAFF_2
    ticket = await read(w, n)
    assert ticket.assignee == STAFF_2
    assert len(ticket.status_changes) == 1
    assert [j for j in w.store.jobs(n) if isinstance(j, StatusNotice)] == [
        StatusNotice(ticket=n, change=0)]


async def test_claiming_a_ticket_that_does_not_exist(w: World) -> None:
    with pytest.raises(TicketError, match="T-4242 does not exist"):
        await w.tickets.claim(4242, Actor(STAFF))


async def claimed_ticket(w: World, by: str) -> int:
    n = await open_ticket(w)
    await w.tickets.claim(n, Actor(by))
    return n


OPERATIONS = ["claim", "resolve", "status", "severity"]


async def attempt(w: World, operation: str, n: int, actor: Actor) -> None:
    if operation == "claim":
        await w.tickets.claim(n, actor)
    elif operation == "resolve":
        await w.tickets.resolve(n, "Rolled back the release", actor)
    elif operation == "status":
        await w.tickets.set_status(n, Status.WAITING_ON_CLIENT, actor)
    else:
        await w.tickets.change_severity(n, Severity.LOW, actor)


def applied(operation: str, ticket: Ticket, by: str) -> bool:
    if operation == "claim":
        return ticket.assignee == by
    if operation == "resolve":
        return ticket.status is Status.RESOLVED
    if operation == "status":
        return ticket.status is Status.WAITING_ON_CLIENT
    return ticket.severity is Severity.LOW


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_support_team_list_narrows_who_may_act(operation: str) -> None:
    w = make_world(support_team=f"{STAFF},{AM}")
    n = await open_ticket(w)
    if operation != "claim":
        await w.tickets.claim(n, Actor(AM))
    before = await w.store.get(n)
    with pytest.raises(NotStaff):
        await attempt(w, operation, n, Actor(STAFF_2))  # staff, but not listed
    assert await w.store.get(n) == before
    await attempt(w, operation, n, Actor(STAFF))
    assert applied(operation, await read(w, n), STAFF)


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_support_team_user_group_narrows_who_may_act(operation: str) -> None:
    w = make_world(support_team="S0SUPPORT1", group=frozenset({STAFF_2, AM}))
    n = await open_ticket(w)
    if operation != "claim":
        await w.tickets.claim(n, Actor(AM))
    before = await w.store.get(n)
    with pytest.raises(NotStaff):
        await attempt(w, operation, n, Actor(STAFF))  # staff, but not in the group
    assert await w.store.get(n) == before
    await attempt(w, operation, n, Actor(STAFF_2))
    assert applied(operation, await read(w, n), STAFF_2)


async def test_support_group_membership_is_read_live() -> None:
    w = make_world(support_team="S0SUPPORT1", group=frozenset())
    assert not await w.staff.is_staff(Actor(STAFF))
    w.directory.group = frozenset({STAFF})
    assert await w.staff.is_staff(Actor(STAFF))


async def test_grid_staff_of_a_sibling_workspace_may_claim() -> None:
    w = make_world()
    w.directory.org = Organisation(VENDOR, "E0VENDOR01")
    w.directory.add(Member("U0GRID0001", "T0SIBLING1", enterprise_id="E0VENDOR01"))
    n = await open_ticket(w)
    await w.tickets.claim(n, Actor("U0GRID0001", team="T0SIBLING1"))
    assert (await read(w, n)).assignee == "U0GRID0001"


async def test_grid_member_of_another_org_may_not_claim() -> None:
    w = make_world()
    w.directory.org = Organisation(VENDOR, "E0VENDOR01")
    w.directory.add(Member("U0GRID0002", "T0CLIENTW1", enterprise_id="E0CLIENT01"))
    n = await open_ticket(w)
    with pytest.raises(NotStaff):
        await w.tickets.claim(n, Actor("U0GRID0002", team="T0CLIENTW1"))
    assert (await read(w, n)).assignee is None


# ---------------------------------------------------------------------------------------
# Working a ticket
# ---------------------------------------------------------------------------------------

async def test_to_engineering_hands_over(w: World) -> None:
    n = await claimed_ticket(w, STAFF)
    await w.tickets.set_status(n, Status.WITH_ENGINEERING, Actor(STAFF))
    assert (await read(w, n)).status is Status.WITH_ENGINEERING
    assert EngineeringHandoff(ticket=n, by=STAFF) in w.store.jobs(n)
    assert StatusNotice(ticket=n, change=1) in w.store.jobs(n)


async def test_status_change_needs_a_claim_first(w: World) -> None:
    n = await open_ticket(w)
    with pytest.raises(TicketError, match="must be claimed first"):
        await w.tickets.set_status(n, Status.WAITING_ON_CLIENT, Actor(STAFF))
    assert (await read(w, n)).status is Status.OPEN


async def test_severity_change_moves_the_timers_and_tells_the_client(w: World) -> None:
    n = await open_ticket(w, Severity.CRITICAL)
    w.clock.advance(600)
    await w.tickets.change_severity(n, Severity.HIGH, Actor(STAFF))
    # A downgrade counts the new target (4 h) from creation.
    gen = generation(T0 + 4 * HOUR)
    assert {t.id for t in w.store.timers(n)} == {
        f"timer:{n}:warning:{gen}", f"timer:{n}:breach:{gen}"}
    assert w.store.due(f"timer:{n}:breach:{gen}") == T0 + 4 * HOUR
    assert SeverityNotice(ticket=n, change=0) in w.store.jobs(n)


async def test_resolving_needs_a_note(w: World) -> None:
    n = await claimed_ticket(w, STAFF)
    with pytest.raises(TicketError, match="resolution note is required"):
        await w.tickets.resolve(n, "   ", Actor(STAFF))
    assert (await read(w, n)).status is Status.CLAIMED


async def test_resolving_stops_the_clock_and_closes_the_ticket(w: World) -> None:
    n = await claimed_ticket(w, STAFF)
    w.clock.advance(120)
    await w.tickets.resolve(n, "  Rolled back  ", Actor(STAFF))
    ticket = await read(w, n)
    assert (ticket.status, ticket.resolution, ticket.resolved_at) == (
        Status.RESOLVED, "Rolled back", T0 + 120)
    assert w.store.timers(n) == []
    assert await w.store.open_numbers() == []
    assert StatusNotice(ticket=n, change=1) in w.store.jobs(n)


# ---------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------

async def test_staff_reply_records_the_first_response_and_disarms_the_timers(w: World
                                                                            ) -> None:
    n = await open_ticket(w)
    thread = await posted_in_client_channel(w, n)
    warning = w.store.timer(n, Step.WARNING)
    w.clock.set(T0 + 301)  # the event arrives a moment after Slack stamped the reply
    assert await w.tickets.record_reply(channel=CLIENT, thread_ts=thread,
                                        ts="1700000300.000200", actor=Actor(STAFF))
    ticket = await read(w, n)
    assert ticket.first_response_at == 1700000300.0002
    assert w.store.timers(n) == []
    assert SyncTriage(ticket=n) in w.store.jobs(n)
    # The warning timer, had a worker held it meanwhile, fires nothing.
    mark = len(w.store.armed)
    assert await w.reminders.fire(warning, T0 + WARN_AT * CRITICAL_TARGET) is None
    assert w.store.armed_since(mark) == []


@pytest.mark.parametrize("user", [CLIENT_USER, GUEST, BOT])
async def test_a_reply_not_from_staff_is_no_response(w: World, user: str) -> None:
    n = await open_ticket(w)
    thread = await posted_in_client_channel(w, n)
    before = await w.store.get(n)
    timers = w.store.timers(n)
    assert not await w.tickets.record_reply(channel=CLIENT, thread_ts=thread,
                                            ts="1700000300.000200", actor=Actor(user))
    assert await w.store.get(n) == before
    assert w.store.timers(n) == timers


async def test_a_staff_message_outside_a_ticket_thread_is_no_response(w: World) -> None:
    n = await open_ticket(w)
    thread = await posted_in_client_channel(w, n)
    assert not await w.tickets.record_reply(channel=CLIENT, thread_ts="1699999999.000001",
                                            ts="1700000300.000200", actor=Actor(STAFF))
    # The same ts in another channel is another thread.
    assert not await w.tickets.record_reply(channel=OTHER_CLIENT, thread_ts=thread,
                                            ts="1700000300.000200", actor=Actor(STAFF))
    assert (await read(w, n)).first_response_at is None
    assert len(w.store.timers(n)) == 2


async def test_post_update_counts_as_the_initial_response(w: World) -> None:
    n = await claimed_ticket(w, STAFF)
    w.clock.advance(600)
    await w.tickets.post_update(n, "We found the cause.", Actor(STAFF), once="view:u1")
    ticket = await read(w, n)
    assert ticket.first_response_at == T0 + 600
    assert ticket.last_update_at == T0 + 600
    assert RelayUpdate(ticket=n, ref="view:u1", by=STAFF, text="We found the cause.") in \
        w.store.jobs(n)
    # The initial-response timers are gone; the update cadence (hourly on Critical) starts.
    update = w.store.timer(n, Step.UPDATE)
    assert [t.step for t in w.store.timers(n)] == [Step.UPDATE]
    assert w.store.due(update.id) == T0 + 600 + HOUR


async def test_post_update_by_non_staff_is_refused(w: World) -> None:
    n = await open_ticket(w)
    with pytest.raises(NotStaff, match="post updates to the client"):
        await w.tickets.post_update(n, "hi", Actor(GUEST), once="view:u2")
    assert not any(isinstance(j, RelayUpdate) for j in w.store.jobs(n))
    assert (await read(w, n)).first_response_at is None


async def test_post_update_is_relayed_when_slacks_clock_is_ahead(w: World) -> None:
    """Slack stamps replies by its clock, the desk runs on Redis's: half a second apart.

    Two staff replies were recorded (the latest stamped just after the desk's now); the
    update written next must still reach the client.
    """
    n = await claimed_ticket(w, STAFF)
    thread = await posted_in_client_channel(w, n)
    w.clock.set(T0 + 100)
    for ts in ("1700000030.000000", "1700000100.500000"):
        assert await w.tickets.record_reply(channel=CLIENT, thread_ts=thread, ts=ts,
                                            actor=Actor(STAFF))
    await w.tickets.post_update(n, "A fix is rolling out.", Actor(STAFF), once="view:u3")
    assert RelayUpdate(ticket=n, ref="view:u3", by=STAFF, text="A fix is rolling out.") in \
        w.store.jobs(n)


# ---------------------------------------------------------------------------------------
# SLA timers firing
# ---------------------------------------------------------------------------------------

async def fire_warning(w: World, n: int) -> tuple[FireTimer, list[Job]]:
    timer = w.store.timer(n, Step.WARNING)
    due = w.store.due(timer.id)
    assert due is not None
    w.clock.set(due)
    mark = len(w.store.armed)
    fired = await w.reminders.fire(timer, due)
    assert fired is not None
    assert w.store.armed_since(mark) == [*fired.jobs, *fired.follow]
    return timer, fired.jobs


async def test_warning_dms_the_account_manager_and_the_assignee(w: World) -> None:
    await with_client(w, manager=AM)
    n = await claimed_ticket(w, STAFF)
    timer, jobs = await fire_warning(w, n)
    gen = timer.generation
    assert jobs == [
        ReminderDM(ticket=n, step=Step.WARNING, generation=gen, user=AM,
                   role=Role.ACCOUNT_MANAGER),
        ReminderDM(ticket=n, step=Step.WARNING, generation=gen, user=STAFF,
                   role=Role.ASSIGNEE),
        TriageNote(ticket=n, step=Step.WARNING, generation=gen, told=(AM, STAFF)),
    ]
    assert all(w.store.due(j.id) == w.clock() for j in jobs)  # due at once
    ticket = await read(w, n)
    assert f"warning:{gen}" in ticket.sent
    # What fired is on the ticket's record: a change read before it is made again.
    assert w.store.version(n) == 3

    mark = len(w.store.armed)
    assert await w.reminders.fire(timer, w.clock()) is None
    assert w.store.armed_since(mark) == []
    # Nor does a later change bring the warning back.
    await w.tickets.set_status(n, Status.WAITING_ON_CLIENT, Actor(STAFF))
    assert [t.step for t in w.store.timers(n)] == [Step.BREACH]


async def test_warning_dms_once_when_the_account_manager_is_the_assignee(w: World) -> None:
    await with_client(w, manager=AM)
    n = await claimed_ticket(w, AM)
    timer, jobs = await fire_warning(w, n)
    assert jobs == [
        ReminderDM(ticket=n, step=Step.WARNING, generation=timer.generation, user=AM,
                   role=Role.ACCOUNT_MANAGER),
        TriageNote(ticket=n, step=Step.WARNING, generation=timer.generation, told=(AM,)),
    ]


async def test_a_moved_deadline_warns_again(w: World) -> None:
    await with_client(w, manager=AM)
    n = await claimed_ticket(w, STAFF)
    first, delivered = await fire_warning(w, n)
    for job in delivered:  # as the delivery records each message it sent
        assert await w.store.mark_done(n, job.id)
        w.store.ack(job.id)
    await w.tickets.change_severity(n, Severity.HIGH, Actor(STAFF))  # deadline: T0 + 4 h
    second, jobs = await fire_warning(w, n)
    assert second.generation == generation(T0 + 4 * HOUR) != first.generation
    assert w.clock() == T0 + 3 * HOUR
    assert [type(j) for j in jobs] == [ReminderDM, ReminderDM, TriageNote]
    # None of the new warning's messages counts as sent already: each goes out again.
    assert not {j.id for j in jobs} & (await read(w, n)).sent


async def test_warning_for_an_unclaimed_ticket_of_an_unregistered_channel(w: World) -> None:
    n = await open_ticket(w)
    timer, jobs = await fire_warning(w, n)
    assert jobs == [TriageNote(ticket=n, step=Step.WARNING, generation=timer.generation,
                               told=())]


async def fire_breach(w: World, n: int) -> tuple[FireTimer, list[Job]]:
    timer = w.store.timer(n, Step.BREACH)
    due = w.store.due(timer.id)
    assert due is not None
    w.clock.set(due)
    mark = len(w.store.armed)
    fired = await w.reminders.fire(timer, due)
    assert fired is not None
    assert w.store.armed_since(mark) == [*fired.jobs, *fired.follow]
    return timer, fired.jobs


async def test_breach_tells_the_lead_by_dm_and_email_and_the_triage_post(w: World) -> None:
    await with_client(w, manager=AM)
    n = await claimed_ticket(w, STAFF)
    timer, jobs = await fire_breach(w, n)
    gen = timer.generation
    assert gen == generation(deadline_of(T0))
    assert jobs == [
        ReminderDM(ticket=n, step=Step.BREACH, generation=gen, user=LEAD,
                   role=Role.HEAD_OF_SUPPORT),
        TriageNote(ticket=n, step=Step.BREACH, generation=gen, told=(LEAD,), emailed=LEAD_EMAIL),
        BreachEmail(ticket=n, generation=gen, to=LEAD_EMAIL),
        SyncTriage(ticket=n),
    ]
    assert f"breach:{gen}" in (await read(w, n)).sent
    mark = len(w.store.armed)
    assert await w.reminders.fire(timer, w.clock() + 5) is None
    assert w.store.armed_since(mark) == []


async def test_a_fired_step_arms_what_it_changes_in_the_commit_that_fires_it(w: World
                                                                        ) -> None:
    """A warning or a breach changes the App Homes that show the ticket, and a breach its
    card: their redraws are armed with its messages, in the one write that marks it fired,
    so that a worker stopped right after cannot lose them."""
    await with_client(w, manager=AM)
    n = await claimed_ticket(w, STAFF)
    for step, redraws in ((Step.WARNING, [RefreshHomes(ticket=n)]),
                          (Step.BREACH, [SyncCard(ticket=n), RefreshHomes(ticket=n)])):
        timer = w.store.timer(n, step)
        due = w.store.due(timer.id)
        assert due is not None
        w.clock.set(due)
        mark, commits = len(w.store.armed), w.store.calls["commit_effects"]
        assert await w.reminders.fire(timer, due) is not None
        assert w.store.calls["commit_effects"] == commits + 1
        armed = w.store.armed_since(mark)
        assert armed[-len(redraws):] == redraws
        assert len(armed) == len(set(j.id for j in armed))


@pytest.mark.parametrize("unset", ["smtp_url", "support_lead_email"])
async def test_breach_email_only_when_smtp_and_lead_email_are_set(unset: str) -> None:
    w = make_world(**{unset: None})
    n = await open_ticket(w)
    timer, jobs = await fire_breach(w, n)
    assert not any(isinstance(j, BreachEmail) for j in jobs)
    assert jobs == [
        ReminderDM(ticket=n, step=Step.BREACH, generation=timer.generation, user=LEAD,
                   role=Role.HEAD_OF_SUPPORT),
        TriageNote(ticket=n, step=Step.BREACH, generation=timer.generation, told=(LEAD,)),
        SyncTriage(ticket=n),
    ]


async def test_a_timer_that_comes_up_1_ms_early_is_not_due(w: World) -> None:
    await with_client(w)
    n = await open_ticket(w)
    timer = w.store.timer(n, Step.WARNING)
    due = T0 + WARN_AT * CRITICAL_TARGET
    mark = len(w.store.armed)
    with pytest.raises(NotDue) as early:
        await w.reminders.fire(timer, due - 0.001)
    assert early.value.seconds == pytest.approx(0.001, abs=1e-6)
    assert w.store.armed_since(mark) == []
    assert (await read(w, n)).sent == frozenset()
    # Within its due millisecond, it fires.
    fired = await w.reminders.fire(timer, due)
    assert fired is not None
    assert any(isinstance(j, ReminderDM) and j.user == AM for j in fired.jobs)


async def test_a_timer_of_a_stale_generation_arms_nothing(w: World) -> None:
    await with_client(w)
    n = await open_ticket(w, Severity.CRITICAL)
    old = w.store.timer(n, Step.WARNING)
    w.clock.advance(60)
    await w.tickets.change_severity(n, Severity.LOW, Actor(STAFF))
    assert old.id not in w.store.queue
    mark = len(w.store.armed)
    assert await w.reminders.fire(old, T0 + WARN_AT * CRITICAL_TARGET) is None
    assert w.store.armed_since(mark) == []
    assert (await read(w, n)).sent == frozenset()
    # The new deadline's warning is armed instead.
    new = w.store.timer(n, Step.WARNING)
    assert new.generation == generation(T0 + DAY)


async def test_a_reply_landing_while_the_timer_fires_makes_it_look_again(w: World) -> None:
    await with_client(w)
    n = await claimed_ticket(w, STAFF)
    thread = await posted_in_client_channel(w, n)
    timer = w.store.timer(n, Step.WARNING)
    due = T0 + WARN_AT * CRITICAL_TARGET
    w.clock.set(due)

    async def reply() -> None:
        assert await w.tickets.record_reply(channel=CLIENT, thread_ts=thread,
                                            ts=f"{due - 1:.6f}", actor=Actor(STAFF))

    w.store.before("commit_effects", reply)
    mark = len(w.store.armed)
    assert await w.reminders.fire(timer, due) is None
    assert w.store.calls["commit_effects"] == 1  # refused, then no longer wanted
    assert not any(isinstance(j, ReminderDM | TriageNote) for j in w.store.armed_since(mark))
    assert f"warning:{timer.generation}" not in (await read(w, n)).sent


async def test_a_claim_landing_while_the_timer_fires_is_in_its_messages(w: World) -> None:
    await with_client(w, manager=AM)
    n = await open_ticket(w)
    timer = w.store.timer(n, Step.WARNING)
    due = T0 + WARN_AT * CRITICAL_TARGET
    w.clock.set(due)

    async def claim() -> None:
        await w.tickets.claim(n, Actor(STAFF_2))

    w.store.before("commit_effects", claim)
    fired = await w.reminders.fire(timer, due)
    assert w.store.calls["commit_effects"] == 2  # refused once, decided again
    assert fired is not None
    assert [j.user for j in fired.jobs if isinstance(j, ReminderDM)] == [AM, STAFF_2]
    assert TriageNote(ticket=n, step=Step.WARNING, generation=timer.generation,
                      told=(AM, STAFF_2)) in w.store.jobs(n)


# ---------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------

async def test_sweep_rearms_lost_posts_and_timers_without_bumping_versions(w: World) -> None:
    await with_client(w)
    first = await open_ticket(w)
    second = await open_ticket(w, Severity.LOW)
    await w.tickets.claim(second, Actor(STAFF))
    # What a claim armed is not the sweep's to bring back, nor Home's refresh; posts and
    # timers are.
    claimed = {SyncTriage(ticket=second).id, StatusNotice(ticket=second, change=0).id,
               SyncCard(ticket=second).id}
    wanted = {n: w.store.job_ids(n) - claimed - {RefreshHomes(ticket=n).id}
              for n in (first, second)}
    assert len(wanted[first]) == len(wanted[second]) == 4
    versions = {n: w.store.version(n) for n in (first, second)}
    w.store.lose_queue()

    result = await w.sweeper.sweep()
    assert (result.tickets, result.repaired, result.skipped) == (2, 2, 0)
    for n in (first, second):
        assert w.store.job_ids(n) == wanted[n]
        assert w.store.version(n) == versions[n]


async def test_sweep_leaves_queued_jobs_where_they_are(w: World) -> None:
    n = await open_ticket(w)
    await w.sweeper.sweep()
    # The triage post still waits for the client thread; it is not pulled forward.
    assert w.store.due(f"triage:{n}") == T0 + 10


async def test_sweep_rearms_no_post_that_went_out_or_failed_for_good(w: World) -> None:
    n = await open_ticket(w)
    await posted_in_client_channel(w, n)
    assert await w.store.mark_done(n, failed(PostTriage(ticket=n).id))
    assert (await read(w, n)).sent == {f"failed:triage:{n}"}
    w.store.lose_queue()
    result = await w.sweeper.sweep()
    assert result.repaired == 0
    assert w.store.job_ids(n) == {t.id for t in w.store.timers(n)}
    assert [t.step for t in w.store.timers(n)] == [Step.WARNING, Step.BREACH]


async def test_sweep_makes_a_missed_breach_due_at_once(w: World) -> None:
    n = await open_ticket(w)
    w.store.lose_queue()
    w.clock.set(deadline_of(T0) + 600)  # the desk was down through the deadline
    await w.sweeper.sweep()
    breach = w.store.timer(n, Step.BREACH)
    assert [t.step for t in w.store.timers(n)] == [Step.BREACH]  # no stale warning
    due = w.store.due(breach.id)
    assert due is not None
    assert due <= w.clock()
    fired = await w.reminders.fire(breach, w.clock())
    assert fired is not None
    assert BreachEmail(ticket=n, generation=breach.generation, to=LEAD_EMAIL) in fired.jobs


async def test_sweep_skips_a_ticket_that_changed_meanwhile(w: World) -> None:
    n = await open_ticket(w)
    w.store.lose_queue()

    async def claim() -> None:
        await w.tickets.claim(n, Actor(STAFF))

    w.store.before("rebuild_many", claim)
    result = await w.sweeper.sweep()
    assert (result.tickets, result.skipped) == (1, 1)
    # The claim rebuilt the timers itself; the posts come back with the next sweep.
    assert [t.step for t in w.store.timers(n)] == [Step.WARNING, Step.BREACH]
    assert f"client_thread:{n}" not in w.store.queue
    assert (await w.sweeper.sweep()).skipped == 0
    assert {f"client_thread:{n}", f"triage:{n}"} <= w.store.job_ids(n)


async def test_sweep_ignores_resolved_tickets(w: World) -> None:
    n = await claimed_ticket(w, STAFF)
    await w.tickets.resolve(n, "Done", Actor(STAFF))
    w.store.lose_queue()
    result = await w.sweeper.sweep()
    assert result.tickets == 0
    assert w.store.jobs(n) == []


async def test_a_plan_change_moves_the_timers_of_the_clients_open_tickets() -> None:
    w = make_world(plans='{"premium": {"critical": 1800}}')
    await with_client(w, plan="standard")
    n = await open_ticket(w)
    elsewhere = await open_ticket(w, channel=OTHER_CLIENT)
    other_timers = w.store.timers(elsewhere)
    version = w.store.version(n)
    await with_client(w, plan="premium")
    assert await w.sweeper.follow_plan(CLIENT) == 1
    gen = generation(T0 + 1800)
    assert {t.id for t in w.store.timers(n)} == {
        f"timer:{n}:warning:{gen}", f"timer:{n}:breach:{gen}"}
    assert w.store.version(n) == version
    assert w.store.timers(elsewhere) == other_timers


# ---------------------------------------------------------------------------------------
# Reopening
# ---------------------------------------------------------------------------------------

async def resolved_ticket(w: World) -> tuple[int, float]:
    n = await claimed_ticket(w, STAFF)
    w.clock.advance(300)
    await w.tickets.resolve(n, "Rolled back the release", Actor(STAFF))
    resolved_at = (await read(w, n)).resolved_at
    assert resolved_at == T0 + 300
    return n, resolved_at


async def test_reopen_one_second_inside_the_window() -> None:
    w = make_world(reopen_days=3)
    n, resolved_at = await resolved_ticket(w)
    w.clock.set(resolved_at + 3 * DAY - 1)
    await w.tickets.reopen(n, Actor(CLIENT_USER), channel=CLIENT)
    ticket = await read(w, n)
    assert (ticket.status, ticket.assignee, ticket.reopened_at) == (
        Status.CLAIMED, STAFF, resolved_at + 3 * DAY - 1)
    assert ticket.resolved_at is None and ticket.resolution is None
    assert await w.store.open_numbers() == [n]
    assert StatusNotice(ticket=n, change=2) in w.store.jobs(n)
    # The initial-response clock is one-shot: no warning or breach again.
    assert w.store.timers(n) == []


async def test_reopen_one_second_outside_the_window_is_refused() -> None:
    w = make_world(reopen_days=3)
    n, resolved_at = await resolved_ticket(w)
    w.clock.set(resolved_at + 3 * DAY + 1)
    before = await w.store.get(n)
    mark = len(w.store.armed)
    with pytest.raises(TicketError, match="resolved too long ago to reopen"):
        await w.tickets.reopen(n, Actor(CLIENT_USER), channel=CLIENT)
    assert await w.store.get(n) == before
    assert w.store.armed_since(mark) == []


async def test_reopen_from_the_triage_post_takes_staff(w: World) -> None:
    n, _ = await resolved_ticket(w)
    with pytest.raises(TicketError, match="Only the client or the support team can reopen"):
        await w.tickets.reopen(n, Actor(CLIENT_USER), channel=TRIAGE)
    assert (await read(w, n)).status is Status.RESOLVED
    await w.tickets.reopen(n, Actor(STAFF_2), channel=TRIAGE)
    assert (await read(w, n)).status is Status.CLAIMED


async def test_reopening_an_open_ticket_is_refused(w: World) -> None:
    n = await open_ticket(w)
    with pytest.raises(TicketError, match="is not resolved"):
        await w.tickets.reopen(n, Actor(CLIENT_USER), channel=CLIENT)


# ---------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------

async def test_a_client_channel_lists_its_own_tickets_most_urgent_first(w: World) -> None:
    low = await open_ticket(w, Severity.LOW)
    w.clock.advance(1)
    critical = await open_ticket(w, Severity.CRITICAL)
    w.clock.advance(1)
    await open_ticket(w, Severity.CRITICAL, channel=OTHER_CLIENT)
    rows = (await w.queries.tickets_for(CLIENT, Actor(CLIENT_USER))).rows
    assert [r.ticket.number for r in rows] == [critical, low]
    assert rows[0].window.deadline == T0 + 1 + HOUR
    assert not any(r.breached for r in rows)


async def test_a_client_channel_cannot_see_another_clients_ticket(w: World) -> None:
    theirs = await open_ticket(w, channel=OTHER_CLIENT)
    with pytest.raises(TicketError, match=f"T-{theirs} is not a ticket of this channel"):
        await w.queries.tickets_for(CLIENT, Actor(CLIENT_USER), only=theirs)
    assert [r.ticket.number for r in
            (await w.queries.tickets_for(OTHER_CLIENT, Actor(CLIENT_USER), only=theirs)).rows
            ] == [
        theirs]


async def test_the_triage_channel_lists_every_open_ticket_for_staff_only(w: World) -> None:
    low = await open_ticket(w, Severity.LOW)
    w.clock.advance(1)
    critical = await open_ticket(w, Severity.CRITICAL)
    w.clock.advance(1)
    other = await open_ticket(w, Severity.CRITICAL, channel=OTHER_CLIENT)
    done = await claimed_ticket(w, STAFF)
    await w.tickets.resolve(done, "Done", Actor(STAFF))
    with pytest.raises(NotStaff, match="list tickets here"):
        await w.queries.tickets_for(TRIAGE, Actor(EXTERNAL))
    w.clock.set(T0 + 1 + HOUR)  # the first critical one breaches now
    rows = (await w.queries.tickets_for(TRIAGE, Actor(STAFF))).rows
    assert [r.ticket.number for r in rows] == [critical, other, low]
    assert [r.breached for r in rows] == [True, False, False]


# ---------------------------------------------------------------------------------------
# The :ticket: reaction
# ---------------------------------------------------------------------------------------

async def test_a_ticket_reaction_is_answered_once_in_a_client_channel(w: World) -> None:
    await with_client(w)
    for _ in range(2):
        await w.tickets.prompt_from_reaction(channel=CLIENT, ts="1700000000.000100",
                                             user=CLIENT_USER)
    await w.tickets.prompt_from_reaction(channel=OTHER_CLIENT, ts="1700000000.000100",
                                         user=CLIENT_USER)
    assert w.store.armed_since(0) == [
        ReactionPrompt(channel=CLIENT, ts="1700000000.000100", by=CLIENT_USER)]


async def test_a_reply_stamped_ahead_of_the_desks_clock_counts_when_it_is_seen(
        w: World) -> None:
    n = await open_ticket(w)
    thread = await posted_in_client_channel(w, n)
    w.clock.set(T0 + 100)
    assert await w.tickets.record_reply(channel=CLIENT, thread_ts=thread,
                                        ts=f"{T0 + 130:.6f}", actor=Actor(STAFF))
    assert (await read(w, n)).first_response_at == T0 + 100
