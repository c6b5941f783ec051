"""Distress and « parler à quelqu'un » through the gateway when Rasa fails, is late or is silent."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from web_support import FALLBACK_PHONE, SESSION, StandInKnowledge, post_chat

from bot.stack import free_port
from knowledge.safety import load_safety_answers

SAFETY = load_safety_answers()
DISTRESS_PHONES = SAFETY.phones("distress")
HUMAN_PHONE = SAFETY.phones("request_human")[0]


async def rasa_answering(aiohttp_server, answer, delay: float = 0.0):
    """A stand-in Rasa that answers ``answer`` (a list of messages) after ``delay`` seconds."""
    received: list = []

    async def webhook(request):
        received.append(await request.json())
        await asyncio.sleep(delay)
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/webhooks/boussole/webhook", webhook)
    server = await aiohttp_server(app)
    server.received = received
    return server


def texts(body) -> str:
    return "\n".join(m.get("text", "") for m in body["messages"])


@pytest.mark.parametrize("typed", ["je veux mourir", "jpeux plus, personne me regretterait"])
async def test_distress_with_rasa_down_gets_the_numbers_from_the_gateway(make_gateway, typed):
    client = await make_gateway(free_port())
    response = await post_chat(client, {"session_id": SESSION, "text": typed})
    assert response.status == 200
    body = await response.json()
    for phone in DISTRESS_PHONES:
        assert phone in texts(body)
    assert body["messages"][0]["id"].startswith(SESSION)


async def test_distress_does_not_wait_for_a_late_rasa(aiohttp_server, make_gateway):
    late = await rasa_answering(aiohttp_server, [{"text": "trop tard"}], delay=30)
    client = await make_gateway(late.port, distress_deadline=1)
    response = await asyncio.wait_for(
        post_chat(client, {"session_id": SESSION, "text": "j'ai envie d'en finir"}), 20
    )
    assert response.status == 200
    assert "3114" in texts(await response.json())


async def test_a_silent_rasa_gets_the_apology_with_the_line(aiohttp_server, make_gateway):
    silent = await rasa_answering(aiohttp_server, [])
    client = await make_gateway(silent.port)
    response = await post_chat(client, {"session_id": SESSION, "text": "je cherche un stage"})
    assert response.status == 503
    body = await response.json()
    assert body["error"] == "rasa_unavailable"
    assert body["message"].startswith("Je ne peux pas te répondre pour le moment")
    assert FALLBACK_PHONE in texts(body)


async def test_a_silent_rasa_on_distress_still_gives_the_numbers(aiohttp_server, make_gateway):
    silent = await rasa_answering(aiohttp_server, [])
    client = await make_gateway(silent.port)
    response = await post_chat(client, {"session_id": SESSION, "text": "on me harcèle au lycée"})
    assert response.status == 200
    said = texts(await response.json())
    assert all(phone in said for phone in DISTRESS_PHONES)


async def test_an_answer_without_the_numbers_gets_them_first(aiohttp_server, make_gateway):
    wrong = await rasa_answering(aiohttp_server, [{"text": "Tu cherches une formation ?"}])
    client = await make_gateway(wrong.port)
    response = await post_chat(client, {"session_id": SESSION, "text": "mon père me frappe"})
    body = await response.json()
    assert "3114" in body["messages"][0]["text"]
    assert body["messages"][1]["text"] == "Tu cherches une formation ?"


async def test_rasas_own_distress_answer_is_not_repeated(aiohttp_server, make_gateway):
    own = SAFETY.message("distress")
    good = await rasa_answering(aiohttp_server, [own])
    client = await make_gateway(good.port)
    response = await post_chat(client, {"session_id": SESSION, "text": "je veux mourir"})
    body = await response.json()
    assert [m["text"] for m in body["messages"]] == [own["text"]]


async def test_talk_to_someone_with_rasa_down_gets_the_free_line(make_gateway):
    client = await make_gateway(free_port())
    response = await post_chat(client, {"session_id": SESSION, "payload": "/request_human"})
    assert response.status == 200
    (message,) = (await response.json())["messages"]
    assert HUMAN_PHONE in message["text"]
    assert message["buttons"] == [
        {"title": "Trouver un lieu près de chez moi", "payload": "/find_local_contact"}
    ]


async def test_ordinary_school_worries_wait_for_rasa_as_usual(aiohttp_server, make_gateway):
    slowish = await rasa_answering(aiohttp_server, [{"text": "Le CIO peut t'aider."}], delay=1.5)
    client = await make_gateway(slowish.port, distress_deadline=1)
    response = await post_chat(
        client, {"session_id": SESSION, "text": "il ne sait pas quoi faire après la 3e"}
    )
    assert [m["text"] for m in (await response.json())["messages"]] == ["Le CIO peut t'aider."]


class ContactsDown(StandInKnowledge):
    """Partners still known (cached in production), but every contact lookup fails."""

    def contact(self, contact_id):
        raise ConnectionError("database unreachable")


async def test_the_apology_keeps_its_line_when_the_knowledge_base_is_down(make_gateway):
    client = await make_gateway(free_port(), knowledge=ContactsDown())
    response = await post_chat(client, {"session_id": SESSION, "text": "je cherche un stage"})
    assert response.status == 503
    assert HUMAN_PHONE in (await response.json())["message"]  # read from contacts.yml at start
