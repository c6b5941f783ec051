"""The age component gives the dialogue ages in digits, however they were typed."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.ages import AgeEntityReader


def ages(text: str, entities: list[dict] | None = None) -> list[tuple[str, str]]:
    message = Message({"text": text, "entities": entities or []})
    AgeEntityReader().process([message])
    found = [e for e in message.get("entities") if e["entity"] == "age"]
    return [(text[e["start"] : e["end"]], e["value"]) for e in found]


def diet(text: str, span: str, entity: str = "age") -> dict:
    start = text.index(span)
    return {"entity": entity, "start": start, "end": start + len(span), "value": span}


def test_an_age_in_words_that_diet_missed_is_added():
    assert ages("bonjour, j'ai dix-neuf ans et j'habite à Caen") == [("dix-neuf", "19")]


def test_a_young_persons_age_said_by_a_parent_is_added():
    assert ages("bonjour, j'ai une fille de dix-sept ans") == [("dix-sept", "17")]
    assert ages("mon fils de 16 ans ne sait pas quoi faire") == [("16", "16")]
    assert ages("il a seize ans") == [("seize", "16")]


def test_diets_span_gets_the_value_in_digits():
    text = "g 20an jcherche un taf"
    assert ages(text, [diet(text, "20an")]) == [("20", "20")]
    text = "j'ai dix-neuf ans"
    assert ages(text, [diet(text, "dix")]) == [("dix-neuf", "19")]


def test_an_age_entity_that_holds_no_age_is_dropped():
    text = "je suis en 3e à Évreux"
    assert ages(text, [diet(text, "3")]) == []


def test_other_entities_are_left_alone():
    text = "j'ai 17 ans à Louviers"
    commune = diet(text, "Louviers", "commune")
    message = Message({"text": text, "entities": [commune]})
    AgeEntityReader().process([message])
    assert [e["entity"] for e in message.get("entities")] == ["age", "commune"]
    assert message.get("entities")[1] == commune
