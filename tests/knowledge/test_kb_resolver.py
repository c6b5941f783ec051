"""Commune resolver: what a young person types → which Normandy commune(s) the bot understands."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def resolver(sqlite_kb):
    return sqlite_kb.resolver


@pytest.fixture(scope="module")
def communes(knowledge_data):
    return knowledge_data[0].communes


def top(resolver, text):
    found = resolver.resolve(text)
    return [m for m in found if m.score == found[0].score] if found else []


def strip_accents(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).replace("œ", "oe")


@st.composite
def written_forms(draw, names):
    """A commune name as people type it: any case, with or without accents, - or space, St…"""
    name = draw(st.sampled_from(names))
    form = name
    if draw(st.booleans()):
        form = strip_accents(form)
    form = form.replace("-", draw(st.sampled_from(["-", " ", " - "])))
    form = form.replace("'", draw(st.sampled_from(["'", "’", " "])))
    if draw(st.booleans()):
        form = form.replace("Saint-", "St-").replace("Saint ", "St ")
        form = form.replace("Sainte-", "Ste-").replace("Sainte ", "Ste ")
    form = draw(st.sampled_from([str.lower, str.upper, str.title, lambda s: s]))(form)
    return name, form


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_commune_name_resolves_to_itself_in_any_written_form(resolver, communes, data):
    by_name = {}
    for c in communes:
        by_name.setdefault(c.name, set()).add(c.insee)
    name, form = data.draw(written_forms(sorted(by_name)))
    best = {m.insee for m in top(resolver, form)}
    # Homonyms tie at the top: every one of them is a valid answer.
    assert by_name[name] <= best, (form, best)


def test_every_commune_name_exactly_resolves_to_itself(resolver, communes):
    misses = [c.name for c in communes if c.insee not in {m.insee for m in top(resolver, c.name)}]
    assert misses == []


@pytest.mark.parametrize(
    ("text", "insee"),
    [
        ("jcherche 1 formation a evreux", "27229"),
        ("jhabite st etienne du rouvray", "76575"),
        ("cherbourg", "50129"),
        ("je suis a tourlaville", "50129"),
        ("mission locale 14000", "14118"),
        ("jsuis sur le havre", "76351"),
        ("havre", "76351"),
        ("je cherche un apprentissage vers alencon", "61001"),
        ("Je vis à Lisieux depuis 2 ans", "14366"),
        ("chui a sotteville les rouen", "76681"),
        ("herouville st clair", "14327"),
        ("jhabite a Eu", "76255"),
        ("Eu", "76255"),
        ("j'habite à Vire", "14762"),
        ("evreu", "27229"),  # one typo
        ("je suis a cherbour", "50129"),
        ("saint etiene du rouvrai", "76575"),  # two typos in a long name
        ("lisieu", "14366"),
        ("pont audemer", "27467"),
        ("pontaudemer", "27467"),
        ("Bayeux!!", "14047"),
        ("je suis à st lô", "50502"),
        ("76 000", "76540"),
        ("j'habite L’Aigle", "61214"),
        ("jhabite laigle", "61214"),
        ("jhabite a falaise", "14258"),
        ("j'habite Hérouville qui peut m'aider", "14327"),
        ("je cherche un stage près de deauvile", "14220"),
        ("port en bessin", "14515"),
        ("jsuis a bagnoles", "61483"),
        ("sotteville s/ mer", "76683"),
        # written by ear (sound key) or with a typo
        ("Bernai", "27056"),
        ("Yvto", "76758"),
        ("je vis a yvto", "76758"),
        ("Houlgatte", "14338"),
        ("Pontaudemère", "27467"),
        ("je suis à Fécan", "76259"),
        ("j'habite a alanson", "61001"),
        ("Vimoutié", "61508"),
        ("jhabite grandville", "50218"),
        ("donfront", "61145"),
        # a small word of the name left out
        ("j'habite pont eveque", "14514"),
        ("saint pierre dives", "14654"),
        ("jhabite st etienne rouvray", "76575"),
    ],
)
def test_sentences_resolve_to_the_commune_meant(resolver, text, insee):
    found = resolver.resolve(text)
    assert found and found[0].insee == insee, found


@pytest.mark.parametrize(
    "text",
    [
        "j'ai eu mon bac",
        "il a eu son bac l'an dernier",
        "je vis à Paris",
        "Lyon",
        "brest",
        "je suis à Rennes",
        "bonjour",
        "je cherche une formation",
        "j'ai 19 ans",
        "j'ai vu des portes ouvertes",
        "c'est vieux",
        "je veux faire des gorges chaudes",
        "Bonjour je m'appelle Mathieu",
        "ça coûte 50000 euros",
        "mon numéro 06 12 34 56 78",
        "75001",
        "merci beaucoup",
        "merci",
        "ouais",
        "réduction pour s'inscrire au club de sport",
        "des places de cinéma moins chères pour les jeunes",
        "combien coûte un billet de train pour Paris",
        "je vais voir la falaise",
        "vous serez là demain ?",
        "on peut avoir le totem dans notre médiathèque ?",
        # a place is expected after these words, but none is named (the sound key must not
        # invent one)
        "kan tu veux",
        "je suis au lycée en terminale",
        "je vais à la fac",
        "je suis sur parcoursup",
        "je bosse au mcdo",
        "je suis à la maison",
        "j'habite chez mes parents",
        "je suis à la rue",
        "je suis vers la fin de mon contrat",
        "je suis à fond dans mes révisions",
        "je suis en cap cuisine",
        "je travaille au centre social",
        "je suis animatrice au centre de loisirs",
        "j'habite près de la mer",
        "je suis en alternance chez Renault",
        "je suis à l'arrêt",
        "j'habite à Berné",  # "berné" is a French word: never read as Bernay
        "mon patron m'a viré",  # « viré » (fired), not Vire
        "je me suis fait virer, il m'a vire hier",
    ],
)
def test_nothing_is_found_when_no_normandy_commune_is_meant(resolver, text):
    assert resolver.resolve(text) == []


def test_homonyms_return_every_candidate_then_narrow_by_departement(resolver):
    assert {m.insee for m in top(resolver, "Cuverville")} == {"14215", "27194", "76206"}
    assert [m.insee for m in top(resolver, "Cuverville dans l'Eure")] == ["27194"]
    assert [m.insee for m in top(resolver, "cuverville (76)")] == ["76206"]
    assert [m.insee for m in top(resolver, "cuverville calvados")] == ["14215"]
    assert [m.insee for m in top(resolver, "Cuverville en Seine-Maritime")] == ["76206"]


def test_postcode_narrows_homonyms(resolver):
    assert [m.insee for m in top(resolver, "Canteloup 50330")] == ["50096"]


def test_shared_postcode_gives_all_its_communes(resolver):
    found = resolver.resolve("14400", limit=50)
    assert len(found) == 32
    assert found[0].name == "Bayeux"  # the most populated first
    assert all(m.matched == "postcode:14400" for m in found)


def test_spelling_by_ear_says_how_it_matched(resolver):
    [match] = resolver.resolve("je suis à Fécan")
    assert (match.name, match.matched) == ("Fécamp", "name~sound")
    assert match.score == pytest.approx(0.92)
    [match] = resolver.resolve("j'habite pont eveque")
    assert match.matched == "name~word"


def test_a_former_commune_named_like_the_start_of_others_ties_with_them(resolver):
    """« Anctoville »: the former commune (now Aurseulles) and Anctoville-sur-Boscq."""
    found = top(resolver, "Anctoville")
    assert {m.insee for m in found} == {"14581", "50008"}
    matched = {m.insee: m.matched for m in found}
    assert matched["14581"] == "former_commune:Anctoville"  # offered under its current commune
    assert {m.insee for m in top(resolver, "Beaumesnil")} == {"14054", "27049"}


def test_a_former_commune_named_alone_still_wins(resolver):
    assert [m.insee for m in top(resolver, "Tourlaville")] == ["50129"]


def test_former_commune_says_how_it_matched(resolver):
    [match] = resolver.resolve("Tourlaville")
    assert (match.insee, match.name) == ("50129", "Cherbourg-en-Cotentin")
    assert match.matched == "former_commune:Tourlaville"
    assert "50110" in match.postcodes


def test_mentions_carry_offsets_in_the_original_text(resolver):
    text = "Salut ! J’habite à Saint-Étienne-du-Rouvray, 76800 ; et toi ?"
    mentions = resolver.find_mentions(text)
    assert [text[m.start : m.end] for m in mentions] == ["Saint-Étienne-du-Rouvray", "76800"]
    assert all(m.text == text[m.start : m.end] for m in mentions)
    assert mentions[0].candidates[0].insee == "76575"


def test_two_places_in_one_sentence(resolver):
    mentions = resolver.find_mentions("je suis a caen mais je demenage a rouen")
    assert [m.candidates[0].insee for m in mentions] == ["14118", "76540"]


def test_every_former_commune_leads_to_its_current_commune(resolver, knowledge_data):
    data = knowledge_data[0]
    current_names = {c.name for c in data.communes}
    misses = []
    for former in data.former_communes:
        found = resolver.resolve(former.name, limit=50)
        insees = {m.insee for m in found}
        if former.parent_insee not in insees:
            misses.append(former.name)
        elif former.name not in current_names and former.parent_insee not in {
            m.insee for m in found if m.score == found[0].score
        }:
            misses.append(former.name)  # only a homonym may come first, or tie with it
    assert misses == []
