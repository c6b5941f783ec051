"""NLU inbox: grouping, decisions, and an export Rasa accepts as training data."""

from __future__ import annotations

import pytest

from bot.console.nlu_export import build_yaml, evaluation_keys, existing_examples, write_review_file
from bot.settings import PROJECT_ROOT
from tests.console.conftest import TODAY, assert_valid_for_rasa, page_csrf, soup, texts


def groups(html: str) -> list[tuple[str, str]]:
    """(title, event ids) of each inbox group."""
    return [
        (
            article.select_one("h2").get_text(" ", strip=True),
            article.select_one("input[name=event_ids]")["value"],
        )
        for article in soup(html).select("article.group")
    ]


async def decide(client, title_start: str, **data):
    html = await (await client.get("/console/inbox")).text()
    ids = next(ids for title, ids in groups(html) if title.startswith(title_start))
    csrf = await page_csrf(client, "/console/inbox")
    return await client.post(
        "/console/inbox/annotate", data={"event_ids": ids, "csrf_token": csrf, **data}
    )


async def test_inbox_groups_misunderstood_messages_that_fold_alike(client_for):
    client = await client_for("staff@aom.fr")
    html = await (await client.get("/console/inbox")).text()
    found = groups(html)
    titles = [title for title, _ in found]
    assert len(found) == 2
    assert titles[0].startswith("« Kesako, le TRUC ? »") and titles[0].endswith("2 messages")
    assert titles[1].startswith("« <script>alert('x')</script> c koi le cej »")
    assert (
        texts(html, "article.group .nlu")[0]
        == "Compris comme : Non compris (2) · confiance min. 0,30"
    )
    # Intents are offered by their French label.
    options = texts(html, "article.group select[name=intent] option")
    assert "Se former" in options and "Question sur un dispositif" in options


async def test_decisions_leave_the_inbox_and_export_is_valid_rasa_data(client_for, project_root):
    client = await client_for("staff@aom.fr")
    missing = await decide(client, "« Kesako", decision="accept", intent="")
    assert missing.status == 400
    assert "Choisissez l'intention" in soup(await missing.text()).get_text()
    unknown = await decide(client, "« Kesako", decision="accept", intent="ask_pizza")
    assert unknown.status == 400 and "Intention inconnue du domaine" in await unknown.text()
    irrelevant = await decide(client, "« Kesako", decision="irrelevant")
    assert "2 message(s) classé(s) hors sujet." in await irrelevant.text()
    accepted = await decide(client, "« <script>", decision="accept", intent="ask_scheme_info")
    html = await accepted.text()
    assert "1 message(s) classé(s) « Question sur un dispositif »." in soup(html).get_text()
    assert groups(html) == []
    assert "Rien à revoir pour le moment." in soup(html).get_text()

    download = await client.get("/console/inbox/export.yml")
    assert download.status == 200
    assert "attachment" in download.headers["Content-Disposition"]
    yaml_text = await download.text()

    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().reads(yaml_text)
    assert [(m.get("intent"), m.get("text")) for m in data.intent_examples] == [
        ("ask_scheme_info", "<script>alert('x')</script> c koi le cej")
    ]

    csrf = await page_csrf(client, "/console/inbox")
    written = await client.post("/console/inbox/export", data={"csrf_token": csrf})
    today = TODAY.isoformat()
    notice = soup(await written.text()).select_one(".notice").get_text()
    assert f"1 exemple(s) écrit(s) dans data/nlu/review_{today}.yml" in notice
    path = project_root / "data" / "nlu" / f"review_{today}.yml"
    assert path.read_text(encoding="utf-8") == yaml_text
    assert_valid_for_rasa(project_root, path)


async def test_a_confidently_wrong_message_is_corrected_from_its_conversation(client_for):
    """Not in the inbox (confidence 0.88), yet wrong: the transcript offers the correction."""
    client = await client_for("staff@aom.fr")
    page = soup(await (await client.get("/console/conversations/conv-rouen")).text())
    line = next(
        li
        for li in page.select("ol.transcript li.user")
        if "je cherche une formation en cuisine" in li.get_text()
    )
    form = line.select_one("form")
    assert form["action"] == "/console/inbox/annotate"
    data = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    assert data["next"] == "/console/conversations/conv-rouen"
    corrected = await client.post(
        "/console/inbox/annotate", data={**data, "intent": "ask_job_info", "decision": "accept"}
    )
    assert corrected.status == 200
    assert corrected.url.path == "/console/conversations/conv-rouen"
    html = await corrected.text()
    assert texts(html, ".notice") == ["1 message(s) classé(s) « Découvrir un métier »."]
    line = next(
        li
        for li in soup(html).select("ol.transcript li.user")
        if "je cherche une formation en cuisine" in li.get_text()
    )
    assert line.select_one("form") is None
    assert (
        line.select_one(".decision")
        .get_text(" ", strip=True)
        .startswith("Décision : Découvrir un métier (staff@aom.fr,")
    )
    export = await (await client.get("/console/inbox/export.yml")).text()
    assert "- intent: ask_job_info\n  examples: |\n    - je cherche une formation en cuisine\n" in (
        export
    )


async def test_referents_get_no_correction_form(client_for):
    client = await client_for("ref@rouen.fr")
    page = soup(await (await client.get("/console/conversations/conv-rouen")).text())
    assert page.select("ol.transcript li.user")
    assert page.select("ol.transcript form") == []


def test_export_skips_examples_already_in_the_training_data():
    known = existing_examples(PROJECT_ROOT / "data" / "nlu")
    assert known.get("je cherche une formation") == "ask_training"
    assert known.get("je voudrais faire une formation de cariste") == "ask_training"
    text, count, conflicts, held_out = build_yaml(
        [
            ("ask_training", "Je cherche une formation"),  # same intent: already known
            ("ask_job_search", "je cherche une formation"),  # another intent: a conflict
            ("ask_training", "une formation  [urgent]\nsvp"),  # brackets are not entity markup
            ("ask_training", "une formation (urgent) svp"),  # the same once cleaned
        ],
        known,
    )
    assert count == 1
    assert conflicts == [("je cherche une formation", "ask_job_search", "ask_training")]
    assert held_out == []
    assert "    - une formation (urgent) svp\n" in text


def test_export_leaves_out_the_sentences_of_the_evaluation_sets(tmp_path):
    """Training on the held-out or development set would make `make eval` dishonest."""
    from datetime import date

    nlu = 'version: "3.1"\nnlu:\n- intent: {}\n  examples: |\n    - {}\n'
    for folder, intent, text in (
        ("data/nlu", "greet", "bonjour"),
        ("tests/nlu", "ask_training", "jveux faire 1 [formation](job)"),
        ("tests/nlu_dev", "goodbye", "bonne nuit boussole"),
    ):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "x.yml").write_text(nlu.format(intent, text), encoding="utf-8")
    assert evaluation_keys(tmp_path) == {"jveux faire 1 formation", "bonne nuit boussole"}
    path, count, conflicts, held_out = write_review_file(
        [
            ("ask_training", "Jveux faire 1 formation !"),  # held-out, despite case and "!"
            ("goodbye", "bonne nuit Boussole"),  # development set
            ("ask_training", "jveux faire une formation a caen"),
        ],
        date(2026, 11, 28),
        tmp_path,
    )
    assert (count, conflicts) == (1, [])
    assert held_out == ["Jveux faire 1 formation !", "bonne nuit Boussole"]
    written = path.read_text(encoding="utf-8")
    assert "a caen" in written and "bonne nuit" not in written and "1 formation" not in written


def test_the_real_evaluation_sets_are_reserved():
    keys = evaluation_keys()
    assert len(keys) > 500  # 360 held-out + 192 development sentences


def test_empty_export_is_still_valid_yaml():
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    text, count, _, _ = build_yaml([])
    assert count == 0
    assert RasaYAMLReader().reads(text).intent_examples == []


@pytest.mark.parametrize("email", ["ref@rouen.fr"])
async def test_referents_cannot_export(client_for, email):
    client = await client_for(email)
    assert (await client.get("/console/inbox/export.yml")).status == 403
