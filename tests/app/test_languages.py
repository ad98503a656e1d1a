"""A client set to Italian reads Italian: the welcome, the form its members open, the
confirmation, the card, the claim, status changes, an update, the resolution, CSAT and
its comment form, the reopening; triage and the engineers' direct messages stay in
``LANGUAGE`` (English). Changing a client's language redraws its welcome and its cards."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.standin import Message
from bot.slack_ui.ids import ActionId
from tests.support.desk import RunningApp, drained, register_client
from tests.support.flows import (
    buttons,
    choose,
    click,
    client_thread,
    element,
    text_of,
    triage_post,
)
from tests.support.languages import foreign, only_english, only_italian, seen
from tests.support.slackreq import values_by_label
from tests.support.workspace import CLIENT_CHANNEL, EXTERNAL, STAFF, STAFF_2, TRIAGE

OTHER_ORG = "T0OTHER001"
TITLE = "Il pagamento non va a buon fine"
DESCRIPTION = "Da stamattina nessun cliente riesce a pagare con la carta."
UPDATE = "Abbiamo individuato la causa e stiamo distribuendo una correzione."
RESOLUTION = "Corretto nella versione 4.2: i pagamenti funzionano di nuovo."
COMMENT = "Ottimo lavoro, grazie."
NAME = "Rossi Media"
WRITTEN = (TITLE, DESCRIPTION, UPDATE, RESOLUTION, COMMENT, NAME)
"""What people wrote (in Italian): quoted wherever the ticket is shown."""


def said_in(app: RunningApp, channel: str) -> list[str]:
    """Everything the desk said in ``channel``: each post and each redraw of it, each
    message only one person saw there."""
    return [text for method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
            for call in app.slack.calls_to(method, channel=channel) for text in seen(call.args)]


def thread_of(app: RunningApp, card: Message) -> list[Message]:
    return [m for m in app.slack.posts(CLIENT_CHANNEL) if m.thread_ts == card.ts]


async def opened_view(app: RunningApp, before: int) -> dict[str, Any]:
    calls = await app.slack.wait_for(lambda: app.slack.calls_to("views.open")[before:])
    view: dict[str, Any] = calls[0].args["view"]
    return json.loads(view) if isinstance(view, str) else view


async def clicked_by_client(app: RunningApp, message: Message, label: str) -> None:
    element = buttons(message)[label]
    status, _ = await app.client.click(element["action_id"], element.get("value", ""),
                                       user=EXTERNAL, channel=CLIENT_CHANNEL,
                                       message_ts=message.ts, team=OTHER_ORG)
    assert status == 200


async def pressed(app: RunningApp, post: Message, label: str) -> None:
    updates = post.updates
    status, _ = await click(app, post, label, user=STAFF)
    assert status == 200
    await app.slack.wait_for(lambda: post.updates > updates)


async def test_an_italian_clients_ticket_from_opening_to_reopening(app: RunningApp) -> None:
    await register_client(app.runtime, name=NAME, language="it")
    welcome = next(m for m in app.slack.posts(CLIENT_CHANNEL) if m.thread_ts is None)
    assert "Benvenuti, Rossi Media!" in text_of(welcome)

    # A member of the client's organisation opens the form from the welcome message.
    before = len(app.slack.calls_to("views.open"))
    await clicked_by_client(app, welcome, "Apri un ticket")
    form = await opened_view(app, before)
    inputs = {b["label"]["text"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["Titolo", "Gravità", "Descrizione"]
    assert [o["text"]["text"] for o in inputs["Gravità"]["options"]] == [
        "Critico", "Alto", "Medio", "Basso"]
    empty = values_by_label(form, {"Titolo": "", "Gravità": None, "Descrizione": ""})
    status, refused = await app.client.submit(form, empty, user=EXTERNAL, team=OTHER_ORG)
    assert status == 200 and refused is not None
    assert sorted(refused["errors"].values()) == [
        "Descriva il problema: che cosa succede e da quando.", "Dia un titolo al ticket.",
        "Scelga una gravità."]
    filled = values_by_label(form, {"Titolo": TITLE, "Gravità": "Critico",
                                    "Descrizione": DESCRIPTION})
    status, body = await app.client.submit(form, filled, user=EXTERNAL, team=OTHER_ORG,
                                           view_id="V0ITALIAN1")
    assert status == 200 and body is not None and body["response_action"] == "update"
    confirmation = body["view"]["blocks"][0]["text"]["text"]
    assert "è aperto (Critico)" in confirmation and "entro" in confirmation
    number = int(confirmation.split("*")[1].removeprefix("T-"))

    post, card = await triage_post(app, number), await client_thread(app, number)
    assert f"T-{number}* · Critical ·" in text_of(post) and "Critico" not in text_of(post)
    assert "*Stato:* Aperto" in text_of(card) and "Critico" in text_of(card)

    await pressed(app, post, "Claim")
    await app.slack.wait_for(lambda: any("ha preso in carico" in m.text
                                         for m in thread_of(app, card)))
    # The client lowers the severity on the card, in its own words.
    _, menu = element(card, ActionId.CHANGE_SEVERITY)
    assert menu["placeholder"]["text"] == "Cambia gravità"
    status, _ = await choose(app, card, ActionId.CHANGE_SEVERITY, user=EXTERNAL, option="Alto",
                             team=OTHER_ORG)
    assert status == 200
    await app.slack.wait_for(lambda: any("Gravità cambiata: Critico → Alto" in m.text
                                         for m in thread_of(app, card)))
    # Handed to another engineer from triage: the client is told who looks after it now.
    status, _ = await choose(app, post, ActionId.ASSIGN, user=STAFF, selected_user=STAFF_2)
    assert status == 200
    await app.slack.wait_for(lambda: any(f"<@{STAFF_2}> dell'assistenza ora si occupa di"
                                         in m.text for m in thread_of(app, card)))
    await pressed(app, post, "Waiting on client")
    await app.slack.wait_for(lambda: any("ci serve una Sua risposta" in m.text
                                         for m in thread_of(app, card)))
    await pressed(app, post, "Back to support")
    before = len(app.slack.calls_to("views.open"))
    await click(app, post, "Post update to client", user=STAFF)
    view = await opened_view(app, before)
    assert [b["label"]["text"] for b in view["blocks"]] == ["Update"]  # opened in triage
    await app.client.submit(view, values_by_label(view, {"Update": UPDATE}), user=STAFF,
                            view_id="V0ITUPDATE")
    await app.slack.wait_for(lambda: any(UPDATE in m.text for m in thread_of(app, card)))

    before = len(app.slack.calls_to("views.open"))
    await click(app, post, "Resolve", user=STAFF)
    view = await opened_view(app, before)
    await app.client.submit(view, values_by_label(view, {"Resolution": RESOLUTION}),
                            user=STAFF, view_id="V0ITRESOLV")
    resolution = (await app.slack.wait_for(lambda: [
        m for m in thread_of(app, card) if "è risolto" in m.text]))[0]
    assert {"Riapri", "Aggiungi un commento", "1", "5"} <= set(buttons(resolution))
    assert "Com'è andata?" in text_of(resolution)

    await clicked_by_client(app, resolution, "5")
    await app.slack.wait_for(lambda: "CSAT 5/5 (1 rating)" in text_of(post))
    before = len(app.slack.calls_to("views.open"))
    await clicked_by_client(app, resolution, "Aggiungi un commento")
    view = await opened_view(app, before)
    assert view["title"]["text"] == "Aggiungi un commento"
    assert [b["label"]["text"] for b in view["blocks"]] == ["Il Suo commento"]
    status, _ = await app.client.submit(view, values_by_label(view, {"Il Suo commento": COMMENT}),
                                        user=EXTERNAL, team=OTHER_ORG, view_id="V0ITCOMMEN")
    assert status == 200

    await clicked_by_client(app, resolution, "Riapri")
    await app.slack.wait_for(lambda: any("è stato riaperto" in m.text
                                         for m in thread_of(app, card)))
    # A refusal is the client's language too: the stale Riapri, clicked again.
    await clicked_by_client(app, resolution, "Riapri")
    refused = await app.slack.wait_for(lambda: app.slack.calls_to(
        "chat.postEphemeral", channel=CLIENT_CHANNEL, user=EXTERNAL))
    assert refused[0].args["text"] == f"T-{number} non è risolto."
    await drained(app.runtime)

    client_side = said_in(app, CLIENT_CHANNEL) + [
        text for call in app.slack.calls_to("views.open") if CLIENT_CHANNEL in json.dumps(
            call.args) for text in seen(call.args)]
    assert foreign(client_side, only_english(), WRITTEN) == []
    assert foreign(said_in(app, TRIAGE), only_italian(), WRITTEN) == []
    # (Each side is recognised as what it is: the check would see the other language.)
    assert foreign(client_side, only_italian(), WRITTEN) != []
    assert foreign(said_in(app, TRIAGE), only_english(), WRITTEN) != []
    assert any("commented" in text for text in said_in(app, TRIAGE))


async def test_changing_a_clients_language_redraws_its_welcome_and_cards(
        app: RunningApp) -> None:
    await register_client(app.runtime, name=NAME)
    welcome = next(m for m in app.slack.posts(CLIENT_CHANNEL) if m.thread_ts is None)
    before = len(app.slack.calls_to("views.open"))
    await clicked_by_client(app, welcome, "Open a ticket")
    form = await opened_view(app, before)
    filled = values_by_label(form, {"Title": TITLE, "Severity": "High",
                                    "Description": DESCRIPTION})
    _, body = await app.client.submit(form, filled, user=EXTERNAL, team=OTHER_ORG)
    assert body is not None
    number = int(body["view"]["blocks"][0]["text"]["text"].split("*")[1].removeprefix("T-"))
    card = await client_thread(app, number)
    assert "*Status:* Open" in text_of(card)

    await register_client(app.runtime, name=NAME, language="it")
    assert "Benvenuti, Rossi Media!" in text_of(welcome)
    assert "Apri un ticket" in buttons(welcome)
    await app.slack.wait_for(lambda: "*Stato:* Aperto" in text_of(card))
    assert "Alto" in text_of(card)
    post = await triage_post(app, number)
    assert "High" in text_of(post)
