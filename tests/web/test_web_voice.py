"""The gateway's own sentences say « vous » to a referent's request, « tu » to a young person's.

Rasa's answers follow the conversation's ``profile`` slot; what the gateway says itself follows
the request's profile: the widget's ``data-profile``, else the partner's (bot/web/wording.py).
"""

from __future__ import annotations

import shutil

import pytest
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
