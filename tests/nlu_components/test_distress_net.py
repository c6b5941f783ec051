"""The deterministic distress net on its development examples (tests/distress_dev/dev.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.nlu.distress_net import PATTERNS_FILE, Cue, DistressNet, distress_net

DEV = yaml.safe_load(
    (Path(__file__).parent.parent / "distress_dev" / "dev.yml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("text", DEV["distress"])
def test_distress_is_caught(text):
    assert distress_net().cue(text) is not None, text


@pytest.mark.parametrize("text", DEV["not_distress"])
def test_ordinary_worries_are_not_distress(text):
    text = str(text)  # YAML reads « 76000 » as a number
    assert distress_net().cue(text) is None, (text, distress_net().cue(text))


@pytest.mark.parametrize(
    "text",
    [
        "il ne sait pas quoi faire après la 3e",
        "elle est au collège",
        "je suis mort de rire",
        "je galère avec parcoursup",
    ],
)
def test_a_model_guess_of_distress_on_school_worries_is_overruled(text):
    assert distress_net().overrules_model(text)


@pytest.mark.parametrize(
    "text", ["je veux mourir", "on me harcèle au collège", "j'ai le coeur lourd"]
)
def test_the_model_is_not_overruled_without_a_school_or_joke_marker_or_with_a_cue(text):
    assert not distress_net().overrules_model(text)


def test_payloads_and_empty_texts_have_no_cue():
    assert distress_net().cue('/inform{"situation":"lyceen"}') is None
    assert distress_net().cue("") is None


def test_typographic_apostrophes_and_capitals_are_caught_too():
    assert distress_net().cue("J’AI  envie   d’en FINIR") is not None


def test_an_unknown_piece_is_refused():
    with pytest.raises(ValueError, match="unknown piece"):
        DistressNet({"cues": {"x": ["{nope} mourir"]}})


def test_no_pattern_holds_a_control_character():
    # In a double-quoted YAML string "\b" is a backspace, not a word boundary: write "\\b".
    spec = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    texts = [*spec["pieces"].values(), *spec["neutral"], *spec["not_distress"]]
    texts += [p for group in (*spec["cues"].values(), *spec["soft_cues"].values()) for p in group]
    texts += [pattern for pattern, _ in spec["texting_rules"]]
    assert not [t for t in texts if any(ord(c) < 32 for c in t)]


def test_no_pattern_is_written_twice():
    spec = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    patterns = [p for group in (*spec["cues"].values(), *spec["soft_cues"].values()) for p in group]
    assert len(patterns) == len(set(patterns))


@pytest.mark.parametrize(
    ("texting", "written_out"),
    [
        ("jsui tt seul", "je suis tout seul"),
        ("g pa envi de vivre", "j'ai pas envie de vivre"),
        ("jpp de ma vie", "j'en peux plus de ma vie"),
        ("jdors plus", "je dors plus"),
    ],
)
def test_texting_forms_are_read_as_the_words_they_stand_for(texting, written_out):
    net = distress_net()
    assert net.plain(texting) == written_out
    assert net.cue(texting) is not None


def test_texting_forms_leave_ordinary_words_alone():
    assert distress_net().plain("Jeudi j'ai 20 ans") == "jeudi j'ai 20 ans"


@pytest.mark.parametrize(
    ("alone", "with_school"),
    [
        ("je dors plus", "je dors plus à cause des révisions"),
        ("je vais craquer", "je vais craquer avec ces révisions"),
        ("je suis au bout du rouleau", "je suis au bout du rouleau avec mes partiels"),
        ("je suis désespéré", "je suis désespéré de trouver une alternance"),
    ],
)
def test_a_soft_cue_is_distress_alone_and_an_ordinary_worry_about_school(alone, with_school):
    assert distress_net().cue(alone) is not None
    assert distress_net().cue(with_school) is None


def test_a_hard_cue_stays_distress_whatever_the_subject():
    for text in (
        "j'ai raté mon bac et j'ai envie de mourir",
        "je suis en alternance et mon patron me touche",
    ):
        assert distress_net().cue(text) is not None, text


@pytest.mark.parametrize(
    "text",
    [
        "je me suis coupé en cuisinant",
        "j'ai frappé à toutes les portes",
        "je fais un exposé sur le suicide des jeunes",
        "je me suis fait mal au genou",
        "je veux arrêter de fumer",
    ],
)
def test_a_model_guess_of_distress_explained_by_an_idiom_or_everyday_life_is_overruled(text):
    assert distress_net().cue(text) is None
    assert distress_net().overrules_model(text)


def test_soft_cues_are_read_from_the_patterns_file():
    net = DistressNet({"soft_cues": {"x": ["je dors plus"]}, "not_distress": ["revisions"]})
    assert net.cue("je dors plus") == Cue("x", "je dors plus")
    assert net.cue("je dors plus avec les revisions") is None


def _training_examples(intent: str | None) -> list[str]:
    """The examples of ``intent`` in data/nlu (all other intents when ``intent`` is None)."""
    import re

    root = Path(__file__).parent.parent.parent / "data" / "nlu"
    texts = []
    for path in sorted(root.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            name = block.get("intent")
            if name is None or (intent is not None and name != intent):
                continue
            if intent is None and name == "distress":
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.append(re.sub(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})", r"\1", line[2:]))
    return texts


def test_every_distress_training_example_carries_a_cue():
    examples = _training_examples("distress")
    assert len(examples) > 50
    assert [t for t in examples if distress_net().cue(t) is None] == []


def test_no_other_training_example_carries_a_cue():
    examples = _training_examples(None)
    assert len(examples) > 1000
    assert [t for t in examples if distress_net().cue(t) is not None] == []


@pytest.mark.parametrize(
    "text",
    [
        "on me harcèle au collège",
        "mon chef me touche au travail",
        "des élèves me frappent tous les jours",
        "ils me menacent au lycée",
        "un surveillant me touche les fesses",
        "ils me prennent mon argent tous les jours au lycée",
        "des élèves me harcèlent sur insta depuis des mois",
        "mon employeur me touche et me dit de me taire",
        "le responsable du magasin me fait des remarques sur ma poitrine",
    ],
)
def test_someone_hurting_the_speaker_at_school_or_work_is_a_cue(text):
    assert distress_net().cue(text) is not None, text


@pytest.mark.parametrize(
    "text",
    [
        "un type du lycée m'attrape le bras",
        "le chef me crie dessus tout le temps au boulot",
        "au collège une fille me bloque dans le couloir",
        "en stage un collègue me drague, je sais pas quoi faire",
    ],
)
def test_a_model_guess_naming_someone_acting_on_the_speaker_is_kept_at_school_or_work(text):
    # No cue of its own: the model's distress guess decides, and the school or work subject
    # no longer throws it away.
    net = distress_net()
    assert net.cue(text) is None
    assert net.names_someone_acting_on_me(text)
    assert not net.overrules_model(text)


@pytest.mark.parametrize(
    "text",
    [
        "je me suis fait engueuler par le prof",
        "mon chef m'a donné trop de travail",
        "il me tape sur les nerfs",
        "le prof nous menace d'un contrôle surprise",
        "les profs me poussent à faire un bac général",
        "mon maître de stage m'a touché deux mots de mon contrat",
        "on se fait taper sur les doigts si on arrive en retard au lycée",
    ],
)
def test_hard_words_at_school_or_work_that_hurt_nobody_stay_ordinary(text):
    net = distress_net()
    assert net.cue(text) is None
    assert not net.names_someone_acting_on_me(text)
    assert net.overrules_model(text)


def test_acted_on_is_read_from_the_patterns_file():
    net = DistressNet({"acted_on": ["me bouscule"], "not_distress": ["lycee"]})
    assert not net.overrules_model("il me bouscule au lycee")
    assert net.overrules_model("il me parle du lycee")
