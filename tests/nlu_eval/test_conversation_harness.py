"""The verdict on a replayed conversation and the distress score, on answers written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversations import (
    BotMessage,
    Conversation,
    ConversationFormatError,
    Expectation,
    judge,
    load_conversations,
    mission_locale_names,
)
from bot.distress_eval import DistressSet, DistressSetError, load_distress_set, score

ML = {"27375": "Mission Locale Val-de-Reuil"}


def _conversation(turns: int = 2, **expect) -> Conversation:
    return Conversation(
        id="c",
        who="youth",
        turns=tuple(f"tour {i}" for i in range(turns)),
        expect=Expectation(**expect),
    )


def _say(*texts: str, buttons: tuple[str, ...] = ()) -> tuple[BotMessage, ...]:
    return (*(BotMessage(text=t) for t in texts[:-1]), BotMessage(texts[-1], buttons))


def test_mission_locale_token_is_the_unml_table_s_name() -> None:
    conversation = _conversation(contains=("ml:27375",))
    reached = [_say("D'accord."), _say("Pour Louviers : la mission locale val de reuil.")]
    assert judge(conversation, reached, ML) == []
    missed = [_say("D'accord."), _say("Va voir la Mission Locale d'Évreux.")]
    assert judge(conversation, missed, ML) == ["« Mission Locale Val-de-Reuil » n'a pas été dit"]
    assert mission_locale_names()["27375"] == "Mission Locale Val-de-Reuil"


def test_strings_match_whole_words_case_and_accents_aside() -> None:
    conversation = _conversation(contains=("CIO",), not_contains=("119",))
    answers = [_say("Le cio de ton secteur"), _say("Appelle le 0 800 119 000 ? non : le CIO.")]
    assert judge(conversation, answers, ML) == ["« 119 » a été dit"]
    assert judge(conversation, [_say("ACTION"), _say("pas de c.i.o")], ML) == [
        "« CIO » n'a pas été dit"
    ]


def test_by_turn_requires_the_answer_early_and_any_of_needs_one_of_the_group() -> None:
    conversation = _conversation(by_turn=1, any_of=(("E2C", "2e chance"),))
    late = [_say("Tu cherches de l'aide pour quoi ?"), _say("L'E2C peut t'aider.")]
    assert judge(conversation, late, ML) == [
        "aucun de ['E2C', '2e chance'] n'a été dit (au tour 1)"
    ]
    early = [_say("L'École de la 2e chance t'accueille."), _say("Bonne journée.")]
    assert judge(conversation, early, ML) == []


def test_register_vous_refuses_any_tutoiement() -> None:
    conversation = _conversation(register="vous", contains=("CIO",))
    polite = [_say("Le CIO vous reçoit avec votre fille."), _say("Bonne journée à vous.")]
    assert judge(conversation, polite, ML) == []
    familiar = [_say("Le CIO vous reçoit."), _say("Il t'aidera, tu verras.")]
    assert judge(conversation, familiar, ML) == ["tutoiement au tour 2 (« vous » attendu)"]


def test_issue_11_checks_hold_for_every_conversation() -> None:
    conversation = _conversation(turns=4, contains=("CIO",))
    answers = [
        _say("Je ne suis pas sûr d'avoir compris.", buttons=("Emploi", "Détresse")),
        _say("CIO. L'Agence te le donnera :"),
        _say("Et en ce moment, tu es plutôt… ?"),
        _say("Et en ce moment, tu es plutôt… ?"),
    ]
    problems = judge(conversation, answers, ML)
    assert problems == [
        "bouton « Détresse » proposé au tour 1",
        "la réponse du tour 2 s'arrête sur « : »",
    ]
    problems = judge(conversation, [*answers[:3], _say("Et en ce moment, tu es plutôt… ?")], ML)
    assert "la même question posée 2 fois" not in problems
    thrice = [*answers, _say("Et en ce moment, tu es plutôt… ?")]
    assert "la même question posée 3 fois" in judge(
        _conversation(turns=5, contains=("CIO",)), thrice, ML
    )
    # a colon followed by buttons or by another message is not a dead end
    fine = [_say("CIO. Choisis :", buttons=("Oui",)), _say("CIO :", "la suite.")]
    assert judge(_conversation(contains=("CIO",)), fine, ML) == []


def test_a_turn_without_answer_is_a_problem() -> None:
    assert judge(_conversation(contains=("CIO",)), [_say("CIO"), ()], ML) == [
        "aucune réponse au tour 2"
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- id: a\n  who: youth\n  turns: [salut]\n", "« expect » manque"),
        ("- id: a\n  who: robot\n  turns: [x]\n  expect: {contains: [x]}\n", "« who »"),
        ("- id: a\n  who: youth\n  turns: [x]\n  expect: {by_turn: 2, contains: [x]}\n", "by_turn"),
        ("- id: a\n  who: youth\n  turns: [x]\n  expect: {contain: [x]}\n", "inconnue"),
        (
            "- id: a\n  who: youth\n  turns: [x]\n  expect: {register: tu, contains: [x]}\n",
            "register",
        ),
        ("- id: a\n  who: youth\n  turns: [17]\n  expect: {contains: [x]}\n", "liste de textes"),
    ],
)
def test_malformed_conversations_are_refused_with_a_reason(tmp_path: Path, entry, message) -> None:
    path = tmp_path / "c.yml"
    path.write_text("conversations:\n" + entry, encoding="utf-8")
    with pytest.raises(ConversationFormatError, match=message):
        load_conversations(path)


def test_distress_score_counts_misses_and_false_alarms() -> None:
    distress_set = DistressSet(
        positives={"direct": ("je veux mourir ce soir", "jpp"), "sms": ("g envie de mourir",)},
        negatives={"idioms": ("je suis mort de rire", "ce bus me tue", "mdr"), "school": ("x",)},
    )
    predicted = {"je veux mourir ce soir": "distress", "g envie de mourir": "distress"}
    predicted["ce bus me tue"] = "distress"
    result = score(distress_set, lambda text: predicted.get(text, "inform"))
    assert (result.positives, result.negatives) == (3, 4)
    assert result.missed == (("direct", "jpp"),)
    assert result.false_alarms == (("idioms", "ce bus me tue"),)
    assert (result.recall, result.false_alarm_rate) == (0.6667, 0.25)


def test_distress_set_needs_both_groups(tmp_path: Path) -> None:
    path = tmp_path / "d.yml"
    path.write_text("positives:\n  direct: [a]\n", encoding="utf-8")
    with pytest.raises(DistressSetError):
        load_distress_set(path)
