"""The linear intent classifier: trains, persists, reloads and blends with DIET's ranking."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.linear_intent import MODEL_FILE, LinearIntentClassifier

EXAMPLES = {
    "greet": ["bonjour", "salut", "bjr", "coucou", "bonsoir", "hello", "slt", "bonjour à vous"],
    "goodbye": ["au revoir", "bye", "a+", "à bientôt", "bonne soirée", "ciao", "adieu", "a plus"],
    "ask_training": [
        "je cherche une formation",
        "jcherche 1 formation",
        "formation en cuisine",
        "je veux me former",
        "une formation qualifiante",
        "reprendre une formation",
        "formation pour adulte",
        "quelles formations à caen",
    ],
}


def training_data() -> TrainingData:
    return TrainingData(
        [Message({"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
    )


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


@pytest.fixture
def storage(tmp_path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def trained(storage, config: dict | None = None) -> tuple[LinearIntentClassifier, Resource]:
    resource = Resource("linear_intent")
    component = LinearIntentClassifier.create(config or {}, storage, resource, context())
    component.train(training_data())
    return component, resource


def classify(component, text: str, diet_ranking: list[dict] | None = None) -> Message:
    message = Message({"text": text})
    if diet_ranking is not None:
        message.set("intent_ranking", diet_ranking)
        message.set("intent", diet_ranking[0])
    component.process([message])
    return message


def test_unseen_misspellings_are_classified(storage):
    component, _ = trained(storage, {"diet_weight": 0.0})
    assert classify(component, "jcherch une formatoin").get("intent")["name"] == "ask_training"
    assert classify(component, "bonjour a toi").get("intent")["name"] == "greet"


def test_ranking_is_a_sorted_probability_distribution(storage):
    component, _ = trained(storage, {"diet_weight": 0.0, "ranking_length": 0})
    message = classify(component, "au revoir et merci")
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == "goodbye" == message.get("intent")["name"]
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert {r["name"] for r in ranking} == set(EXAMPLES)


def test_blend_is_the_weighted_average_of_both_rankings(storage):
    component, _ = trained(storage, {"diet_weight": 0.25})
    linear = {"greet": 0.6, "goodbye": 0.3, "ask_training": 0.1}
    diet = [
        {"name": "goodbye", "confidence": 0.9},
        {"name": "greet", "confidence": 0.1},
    ]  # ask_training cut from DIET's ranking: counts as 0
    blended = {r["name"]: r["confidence"] for r in component.blend(linear, diet)}
    assert blended == pytest.approx({"greet": 0.475, "goodbye": 0.45, "ask_training": 0.075})


def test_diet_can_outvote_the_linear_model(storage):
    component, _ = trained(storage, {"diet_weight": 0.9})
    diet = [{"name": "goodbye", "confidence": 0.99}, {"name": "greet", "confidence": 0.01}]
    assert classify(component, "bonjour", diet).get("intent")["name"] == "goodbye"


def test_without_diet_ranking_the_linear_model_decides_alone(storage):
    component, _ = trained(storage, {"diet_weight": 0.5, "ranking_length": 0})
    alone = LinearIntentClassifier.load(
        {"diet_weight": 0.0}, storage, Resource("linear_intent"), context()
    )
    message, reference = classify(component, "salut"), classify(alone, "salut")
    assert message.get("intent_ranking") == pytest.approx(reference.get("intent_ranking"))


def test_ranking_length_cuts_the_ranking_not_the_winner(storage):
    component, _ = trained(storage, {"diet_weight": 0.0, "ranking_length": 2})
    message = classify(component, "je veux une formation")
    assert len(message.get("intent_ranking")) == 2
    assert message.get("intent") == message.get("intent_ranking")[0]


def test_a_reloaded_model_gives_the_same_answers(storage):
    component, resource = trained(storage)
    reloaded = LinearIntentClassifier.load({}, storage, resource, context())
    diet = [{"name": "greet", "confidence": 0.7}, {"name": "goodbye", "confidence": 0.3}]
    for text in ("bonjour", "formation a evreux", "a+"):
        before = classify(component, text, diet).get("intent_ranking")
        after = classify(reloaded, text, diet).get("intent_ranking")
        assert [r["name"] for r in after] == [r["name"] for r in before]
        assert [r["confidence"] for r in after] == pytest.approx([r["confidence"] for r in before])


def test_training_is_deterministic(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, _ = trained(LocalModelStorage(tmp_path / "a"))
    second, _ = trained(LocalModelStorage(tmp_path / "b"))
    texts = ["salut a tous", "jveux me former", "bonne nuit"]
    assert first.probabilities(texts) == second.probabilities(texts)


def test_too_little_data_leaves_diet_in_charge(storage, caplog):
    resource = Resource("linear_intent")
    component = LinearIntentClassifier.create({}, storage, resource, context())
    component.train(TrainingData([Message({"text": "bonjour", "intent": "greet"})]))
    diet = [{"name": "greet", "confidence": 0.8}, {"name": "goodbye", "confidence": 0.2}]
    message = classify(component, "bonjour", diet)
    assert message.get("intent_ranking") == diet
    assert "not trained" in caplog.text
    # and a model saved without a file loads as "DIET alone", without an exception
    reloaded = LinearIntentClassifier.load({}, storage, resource, context())
    assert classify(reloaded, "bonjour", diet).get("intent_ranking") == diet


def test_messages_without_text_are_left_alone(storage):
    component, _ = trained(storage)
    message = Message({"text": "  "})
    component.process([message])
    assert message.get("intent") is None


def test_a_model_file_with_unexpected_types_is_refused(tmp_path, storage, caplog):
    import skops.io as sio

    _, resource = trained(storage)
    # overwrite the saved model with a file holding a type nobody vetted
    sio.dump({"payload": Resource("x")}, tmp_path / "storage" / resource.name / MODEL_FILE)
    reloaded = LinearIntentClassifier.load({}, storage, resource, context())
    diet = [{"name": "greet", "confidence": 1.0}]
    assert classify(reloaded, "au revoir", diet).get("intent_ranking") == diet
    assert "types inattendus" in caplog.text


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_a_weight_outside_zero_one_is_refused(storage, weight):
    with pytest.raises(ValueError, match="diet_weight"):
        LinearIntentClassifier.create({"diet_weight": weight}, storage, Resource("x"), context())
