"""The gateway's own sentences say « vous » to a referent's or a parent's request, « tu » to a
young person's.

Rasa's answers follow the conversation's ``profile`` slot; what the gateway says itself follows
the request's profile: the widget's ``data-profile``, else the partner's, and once Rasa has
answered, the conversation's, which Boussole's channel notes at the end of each turn and the
widget sends back (bot/web/wording.py).
"""

from __future__ import annotations

import shutil

import pytest
from aiohttp import web
from web_support import FALLBACK_PHONE, SESSION, post_chat

from bot.stack import free_port
from knowledge.safety import load_safety_answers
from knowledge.voice import informal_words

REFERENT = "structure_referent"  # the stand-in's referent partner (web_support.py)
YOUTH = "partenaire_test"
SAFETY = load_safety_answers()
FEEDBACK = {"session_id": SESSION, "message_id": f"{SESSION}-1-0", "rating": "up"}


async def _message(response, status: int) -> str:
    assert response.status == status
    return (await response.json())["message"]


async def test_rasa_down_apologises_to_the_demo_referent_with_vous(make_gateway, real_knowledge):
    line = real_knowledge.contact("parcours_metiers")
    assert real_knowledge.partner("demo_referent").profile == "referent"
    client = await make_gateway(free_port(), knowledge=real_knowledge)
    body = {"session_id": "session-referente-1", "text": "bonjour"}
    referent = await _message(await post_chat(client, body, "demo_referent", origin=None), 503)
    assert referent.startswith(
        "Je ne peux pas vous répondre pour le moment, désolé. Pour parler à quelqu'un, "
        f"appelez le {line.phone}"
    )
    assert informal_words(referent) == []
    youth = await _message(await post_chat(client, body, "rouen_info_jeunes", origin=None), 503)
    assert youth.startswith(
        "Je ne peux pas te répondre pour le moment, désolé. Pour parler à quelqu'un, "
        f"appelle le {line.phone}"
    )


async def test_rasa_down_says_vous_when_the_widget_says_referent(make_gateway):
    client = await make_gateway(free_port())
    body = {"session_id": SESSION, "text": "bonjour", "profile": "referent"}
    message = await _message(await post_chat(client, body), 503)
    assert message == (
        "Je ne peux pas vous répondre pour le moment, désolé. Pour parler à quelqu'un, "
        f"appelez le {FALLBACK_PHONE} (appel gratuit) : Ligne de test."
    )


@pytest.mark.parametrize(
    ("body", "status", "referent", "youth"),
    [
        (
            {"session_id": SESSION, "text": "  "},
            400,
            "Votre message est vide : écrivez votre question.",
            "Ton message est vide : écris ta question.",
        ),
        (
            {"session_id": SESSION, "text": "é" * 600},
            400,
            "Votre message est trop long (600 caractères). "
            "Écrivez-le en 500 caractères maximum, ou en plusieurs fois.",
            "Ton message est trop long (600 caractères). "
            "Écris-le en 500 caractères maximum, ou en plusieurs fois.",
        ),
        (
            {"session_id": SESSION, "text": "a\x00b"},
            400,
            "Votre message contient des caractères illisibles.",
            "Ton message contient des caractères illisibles.",
        ),
        (
            {"session_id": SESSION, "text": "a", "payload": "/greet"},
            400,
            "Envoyez soit un texte, soit le choix d'un bouton.",
            "Envoie soit un texte, soit le choix d'un bouton.",
        ),
        (
            {"session_id": SESSION, "text": "a" * 20_000},
            413,
            "Votre message est trop long : raccourcissez-le un peu.",
            "Ton message est trop long : raccourcis-le un peu.",
        ),
    ],
    ids=["empty", "too_long", "binary", "text_and_button", "too_large"],
)
async def test_a_refused_message_is_said_to_each(gateway, fake_rasa, body, status, referent, youth):
    assert await _message(await post_chat(gateway, body, REFERENT, origin=None), status) == referent
    assert await _message(await post_chat(gateway, body, YOUTH), status) == youth
    # The widget's data-profile="referent" on a young people's partner page; a body too large
    # to be read is said to the partner's profile (the widget keeps a text to 500 characters).
    said = await _message(await post_chat(gateway, {**body, "profile": "referent"}, YOUTH), status)
    assert said == (youth if status == 413 else referent)


async def test_the_rate_limit_says_vous_to_a_referent(fake_rasa, make_gateway):
    client = await make_gateway(fake_rasa.port, web_session_rate=1)
    body = {"session_id": SESSION, "text": "bonjour"}
    assert (await post_chat(client, body, REFERENT, origin=None)).status == 200
    limited = await _message(await post_chat(client, body, REFERENT, origin=None), 429)
    assert limited == (
        "Vous envoyez beaucoup de messages d'un coup ! Attendez quelques secondes puis réessayez."
    )


async def test_feedback_thanks_a_referent_with_vous(gateway):
    response = await gateway.post(f"/api/feedback?partner={REFERENT}", json=FEEDBACK)
    assert await _message(response, 200) == "Merci pour votre avis !"
    body = {**FEEDBACK, "message_id": f"{SESSION}-1-1", "profile": "referent"}
    response = await gateway.post(f"/api/feedback?partner={YOUTH}", json=body)
    assert await _message(response, 200) == "Merci pour votre avis !"
    body = {**FEEDBACK, "message_id": f"{SESSION}-1-2"}
    response = await gateway.post(f"/api/feedback?partner={YOUTH}", json=body)
    assert await _message(response, 200) == "Merci pour ton avis !"


async def test_feedback_unavailable_says_vous_to_a_referent(fake_rasa, make_gateway, tmp_path):
    folder = tmp_path / "appdb"
    client = await make_gateway(fake_rasa.port, app_db_url=f"sqlite:///{folder / 'app.sqlite3'}")
    shutil.rmtree(folder)  # the database disappears while the gateway runs
    response = await client.post(f"/api/feedback?partner={REFERENT}", json=FEEDBACK)
    assert await _message(response, 503) == (
        "Votre avis n'a pas pu être enregistré. Réessayez plus tard."
    )


async def test_distress_with_rasa_down_gives_a_referent_the_referents_words(make_gateway):
    client = await make_gateway(free_port())
    body = {"session_id": SESSION, "text": "je veux mourir"}
    response = await post_chat(client, body, REFERENT, origin=None)
    assert response.status == 200
    said = (await response.json())["messages"][0]["text"]
    assert said == SAFETY.text("distress", "referent")
    assert said.startswith("Si une personne que vous accompagnez est en détresse")
    assert informal_words(said) == []


PARENT_QUESTION = "Et en ce moment, votre enfant est plutôt… ?"


async def rasa_channel(aiohttp_server):
    """A stand-in for Boussole's channel: « ma fille a 16 ans » makes the conversation a
    parent's, and its answers end with the profile note (bot/channels.py); ``down`` makes it
    answer 500 like a Rasa that fails."""
    state = {"down": False, "received": []}

    async def webhook(request):
        body = await request.json()
        state["received"].append(body)
        if state["down"]:
            return web.Response(status=500)
        sender = body["sender"]
        if "je veux mourir" in body["message"]:  # an answer without its numbers
            return web.json_response([{"recipient_id": sender, "custom": {"profile": "parent"}}])
        parent = "ma fille" in body["message"]
        answer = PARENT_QUESTION if parent else "Tu cherches quoi ?"
        note = {"profile": "parent" if parent else "youth"}
        return web.json_response(
            [{"recipient_id": sender, "text": answer}, {"recipient_id": sender, "custom": note}]
        )

    app = web.Application()
    app.router.add_post("/webhooks/boussole/webhook", webhook)
    server = await aiohttp_server(app)
    server.state = state
    return server


async def test_a_parent_known_only_from_the_conversation_gets_vous_from_the_gateway(
    aiohttp_server, make_gateway
):
    rasa = await rasa_channel(aiohttp_server)
    client = await make_gateway(rasa.port, web_session_rate=2)
    first = await post_chat(client, {"session_id": SESSION, "text": "ma fille a 16 ans"}, YOUTH)
    assert first.status == 200
    body = await first.json()
    assert body["profile"] == "parent"
    # the note is for the gateway, not a message to show
    assert [m["text"] for m in body["messages"]] == [PARENT_QUESTION]
    assert body["messages"][0].get("custom") is None

    # The widget sends the profile back: what the gateway says itself is now said with « vous ».
    again = {"session_id": SESSION, "text": "elle est au collège", "profile": body["profile"]}
    assert (await post_chat(client, again, YOUTH)).status == 200
    limited = await _message(await post_chat(client, again, YOUTH), 429)
    assert limited.startswith("Vous envoyez beaucoup de messages d'un coup !")

    rasa.state["down"] = True
    other = {**again, "session_id": "session-parent-2"}
    apology = await post_chat(client, other, YOUTH)
    said = await _message(apology, 503)
    assert said.startswith("Je ne peux pas vous répondre pour le moment, désolé.")
    assert informal_words(said) == []
    assert (await apology.json())["profile"] == "parent"

    thanks = {**FEEDBACK, "profile": "parent"}
    response = await client.post(f"/api/feedback?partner={YOUTH}", json=thanks)
    assert await _message(response, 200) == "Merci pour votre avis !"


async def test_the_conversations_profile_wins_over_the_requests(aiohttp_server, make_gateway):
    rasa = await rasa_channel(aiohttp_server)
    client = await make_gateway(rasa.port)
    # A referent's widget, but the conversation says the person is a young one: Rasa said « tu ».
    body = {"session_id": SESSION, "text": "bonjour", "profile": "referent"}
    response = await post_chat(client, body, YOUTH)
    assert (await response.json())["profile"] == "youth"
    # Distress that Rasa answered without its numbers: the gateway's are the parent's.
    body = {"session_id": SESSION, "text": "je veux mourir"}
    answer = await (await post_chat(client, body, YOUTH)).json()
    assert answer["profile"] == "parent"
    assert answer["messages"][0]["text"] == SAFETY.text("distress", "parent")
    assert rasa.state["received"][-1]["metadata"]["profile"] == "youth"  # the partner's


async def test_an_unknown_profile_note_is_dropped(aiohttp_server, make_gateway):
    async def webhook(request):
        sender = (await request.json())["sender"]
        return web.json_response(
            [
                {"recipient_id": sender, "text": "Bonjour !"},
                {"recipient_id": sender, "custom": {"profile": "admin"}},
            ]
        )

    app = web.Application()
    app.router.add_post("/webhooks/boussole/webhook", webhook)
    server = await aiohttp_server(app)
    client = await make_gateway(server.port)
    body = {"session_id": SESSION, "text": "bonjour"}
    answer = await (await post_chat(client, body, REFERENT, origin=None)).json()
    assert answer["profile"] == "referent"  # the partner's, not the note's
    assert [m.get("text") for m in answer["messages"]] == ["Bonjour !"]
