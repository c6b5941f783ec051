"""The distress net as a Rasa NLU component: it decides over the intent model's ranking."""

from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.distress import DistressNetClassifier


def classify(text: str, ranking: list[tuple[str, float]]) -> Message:
    component = DistressNetClassifier.create(
        {}, None, Resource("distress_net"), ExecutionContext(GraphSchema({}), "test")
    )
    message = Message({"text": text})
    rows = [{"name": n, "confidence": c} for n, c in ranking]
    message.set("intent", rows[0])
    message.set("intent_ranking", rows)
    component.process([message])
    return message


def test_a_cue_makes_distress_whatever_the_model_said():
    message = classify("jvx mourir", [("ask_job_info", 0.7), ("distress", 0.2), ("greet", 0.1)])
    assert message.get("intent") == {"name": "distress", "confidence": 1.0}
    names = [r["name"] for r in message.get("intent_ranking")]
    assert names == ["distress", "ask_job_info", "greet"]
    assert message.get("distress_net") == {"cue": "suicide"}
    assert "distress_net" in message.as_dict(only_output_properties=True)


def test_a_school_worry_the_model_called_distress_gets_the_next_intent():
    message = classify("elle est au collège", [("distress", 0.6), ("inform", 0.3), ("greet", 0.1)])
    assert message.get("intent") == {"name": "inform", "confidence": 0.3}
    assert [r["name"] for r in message.get("intent_ranking")] == ["inform", "greet"]
    assert message.get("distress_net") == {"overruled": True}


def test_the_model_keeps_distress_it_found_without_a_school_marker():
    message = classify("j'ai le coeur lourd", [("distress", 0.8), ("greet", 0.2)])
    assert message.get("intent")["name"] == "distress"
    assert message.get("distress_net") is None


def test_other_intents_are_left_alone():
    message = classify("je cherche une alternance", [("ask_apprenticeship", 0.9), ("greet", 0.1)])
    assert message.get("intent") == {"name": "ask_apprenticeship", "confidence": 0.9}


def test_a_cue_is_never_turned_into_a_fallback_by_a_close_second_intent():
    # « je suis sur le pont là »: the model ranked `inform` at 0.96; the fallback classifier
    # (config.yml: threshold 0.4, ambiguity 0.1) used to see 1.0 against 0.96 and answer
    # nlu_fallback, so the distress answer never came.
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

    message = classify("je suis sur le pont là", [("inform", 0.96), ("greet", 0.04)])
    assert [r["name"] for r in message.get("intent_ranking")] == ["distress", "inform", "greet"]
    fallback = FallbackClassifier(
        {**FallbackClassifier.get_default_config(), "threshold": 0.4, "ambiguity_threshold": 0.1}
    )
    fallback.process([message])
    assert message.get("intent")["name"] == "distress"
