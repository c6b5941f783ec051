"""What the gateway tells about its own cost (Server-Timing), and what it must not queue behind."""

from __future__ import annotations

import asyncio
import threading

import pytest
from web_support import SESSION, post_chat

from bot.stack import free_port
from bot.web import timing
from bot.web.directory import PartnerDirectory
from bot.web.fake_rasa import create_fake_rasa
from knowledge.live import LiveKnowledge


async def test_chat_answer_says_how_long_rasa_took_and_how_long_the_gateway_worked(
    aiohttp_server, make_gateway
):
    slow_rasa = await aiohttp_server(create_fake_rasa(delay=0.05))
    client = await make_gateway(slow_rasa.port)
    response = await post_chat(client, {"session_id": SESSION, "text": "bonjour"})
    assert response.status == 200
    metrics = timing.parse(response.headers["Server-Timing"])
    assert set(metrics) == {"rasa", "gw"}
    assert metrics["rasa"] >= 50  # the stand-in slept 50 ms before answering
    assert metrics["gw"] >= 0


async def test_refused_message_has_no_rasa_time(gateway):
    response = await post_chat(gateway, {"session_id": SESSION, "text": ""})
    assert response.status == 400
    assert set(timing.parse(response.headers["Server-Timing"])) == {"gw"}


async def test_time_lost_on_an_unreachable_rasa_is_reported_too(make_gateway):
    client = await make_gateway(free_port())
    response = await post_chat(client, {"session_id": SESSION, "text": "bonjour"})
    assert response.status == 503
    assert "rasa" in timing.parse(response.headers["Server-Timing"])


def test_server_timing_values_are_read_as_browsers_write_them():
    header = 'rasa;dur=412.3;desc="Rasa", gw;dur=0.84, cache, db;desc=x;dur="2.5"'
    assert timing.parse(header) == {"rasa": 412.3, "gw": 0.84, "cache": 0.0, "db": 2.5}
    assert timing.parse(None) == {}


class SlowPartners:
    """A knowledge base whose partner query takes 50 ms and counts how often it runs."""

    def __init__(self) -> None:
        self.queries = 0
        self._lock = threading.Lock()

    def partner(self, partner_id: str):
        with self._lock:
            self.queries += 1
        threading.Event().wait(0.05)
        return {"id": partner_id}


async def test_requests_arriving_while_a_partner_is_looked_up_share_that_lookup():
    knowledge = SlowPartners()
    directory = PartnerDirectory(LiveKnowledge.fixed(knowledge), ttl=0.2)
    first = await asyncio.gather(*(directory.partner("partenaire") for _ in range(20)))
    assert first == [{"id": "partenaire"}] * 20
    assert knowledge.queries == 1
    await asyncio.sleep(0.25)  # the entry expires: the next burst makes one new query
    await asyncio.gather(*(directory.partner("partenaire") for _ in range(20)))
    assert knowledge.queries == 2


async def test_a_caller_giving_up_does_not_cancel_the_others_lookup():
    directory = PartnerDirectory(LiveKnowledge.fixed(SlowPartners()))
    impatient = asyncio.ensure_future(directory.partner("partenaire"))
    patient = asyncio.ensure_future(directory.partner("partenaire"))
    await asyncio.sleep(0.01)
    impatient.cancel()
    assert await patient == {"id": "partenaire"}


async def test_a_failed_lookup_is_not_kept():
    class Flaky:
        calls = 0

        def partner(self, partner_id):
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("database restarting")
            return {"id": partner_id}

    directory = PartnerDirectory(LiveKnowledge.fixed(Flaky()))
    with pytest.raises(ConnectionError):
        await directory.partner("partenaire")
    assert await directory.partner("partenaire") == {"id": "partenaire"}
