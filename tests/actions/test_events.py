"""Events: a dated event is announced only before its end and when its source confirms it.

Recurring events are said without a date. Every day is built from one chosen day, not the clock.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml
from action_helpers import all_text, make_tracker

from actions.events import ActionEvents
from actions.knowledge_access import use_knowledge_base
from knowledge.api import KnowledgeBase
from knowledge.loader import load
from knowledge.sources import DATA_DIR

DAY = dt.date(2031, 3, 2)  # any day: every date below is built from it
ROUEN, CAEN = "76540", "14118"


def _event(eid, start, commune, to_verify=False):
    return {
        "id": eid,
        "title": f"Forum de test {eid}",
        "start": start,
        "end": start + dt.timedelta(days=1),
        "commune": commune,
        "organiser": "Organisateur de test",
        "audience": "Tout public",
        "link": "https://forum.example.test/",
        "source": "https://forum.example.test/programme (date et lieu)",
        "last_verified": DAY - dt.timedelta(days=3),
        "review_by": DAY + dt.timedelta(days=30),
        "to_verify": to_verify,
    }


@pytest.fixture(scope="module")
def events_kb(tmp_path_factory, kb):
    """The real data plus test events around DAY; the actions use it, then the shared base again."""
    folder = tmp_path_factory.mktemp("events")
    data = folder / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "events.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["events"] += [
        _event("forum_passe", DAY - dt.timedelta(days=10), ROUEN),
        _event("forum_rouen", DAY + dt.timedelta(days=5), ROUEN),
        _event("forum_caen", DAY + dt.timedelta(days=5), CAEN),
        _event("forum_non_confirme", DAY + dt.timedelta(days=1), ROUEN, to_verify=True),
    ]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    url = f"sqlite:///{folder / 'kb.sqlite3'}"
    load(url, data)
    base = KnowledgeBase.from_url(url)
    use_knowledge_base(base)
    yield base
    use_knowledge_base(kb)
    base.close()


def test_past_and_unconfirmed_events_are_never_announced(events_kb):
    ids = [e.id for e in events_kb.upcoming_events(ROUEN, on=DAY)]
    assert ids == ["forum_rouen", "forum_caen"]  # same day: the nearest first
    assert [e.id for e in events_kb.upcoming_events(on=DAY + dt.timedelta(days=7))] == []


def test_recurring_events_have_no_date(events_kb):
    recurring = events_kb.recurring_events(CAEN)
    assert recurring[0].id == "salon_orientation"  # held in Caen or Rouen: nearest to Caen
    assert all(not hasattr(e, "start") for e in recurring)
    assert "pas encore publiés" in recurring[0].next_edition


async def test_events_near_rouen_with_the_recurring_ones(events_kb, domain, dispatcher):
    tracker = make_tracker(slots={"commune": ROUEN}, intent="ask_events")
    await ActionEvents(today=lambda: DAY).run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    assert text.startswith("Les prochains événements près de Rouen :")
    assert (
        f"{(DAY + dt.timedelta(days=5)):%d/%m/%Y}" in text and "Forum de test forum_rouen" in text
    )
    assert "forum_passe" not in text and "forum_non_confirme" not in text
    assert "Salon régional de l'orientation et des métiers : chaque année en février" in text
    assert "2027" not in text
    assert not text.rstrip().endswith(":")


async def test_without_dated_event_the_recurring_ones_are_said_without_date(
    events_kb, domain, dispatcher
):
    tracker = make_tracker(slots={"commune": ROUEN}, intent="ask_events")
    await ActionEvents(today=lambda: DAY + dt.timedelta(days=30)).run(dispatcher, tracker, domain)
    text = all_text(dispatcher, domain)
    assert text.startswith("Je n'ai pas d'événement daté à t'annoncer pour le moment.")
    assert "les dates et le lieu de la prochaine édition ne sont pas encore publiés" in text
    assert "0 800 05 00 00" in text
    assert not text.rstrip().endswith(":")
