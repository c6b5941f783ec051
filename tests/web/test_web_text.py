"""Masking what users type, and cutting bot answers into safe parts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.masking import mask_personal_data, tel_uri
from bot.web.messages import takeaway, text_parts, widget_message
from knowledge.safety import load_safety_answers
from knowledge.voice import FORMAL, YOUTH

SAFETY = load_safety_answers()


@pytest.mark.parametrize(
    "typed",
    [
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "0033 (0)6 12 34 56 78",
        "+44 20 7946 0958",
    ],
)
def test_phone_numbers_are_masked(typed):
    assert mask_personal_data(f"appelle {typed} stp").text == "appelle [numéro masqué] stp"


@pytest.mark.parametrize(
    "kept",
    ["j'ai 17 ans", "code postal 76000", "né en 2008", "SIRET 12345678901234", "3114"],
)
def test_ages_postcodes_and_codes_are_not_masked(kept):
    assert mask_personal_data(kept).text == kept


def test_emails_are_masked_before_phones():
    masked = mask_personal_data("écris à 0612345678@free.fr")
    assert masked.text == "écris à [e-mail masqué]"
    assert (masked.emails, masked.phones) == (1, 0)


@given(st.text(max_size=200))
def test_a_typed_email_never_survives_masking(text):
    masked = mask_personal_data(f"{text} lea.martin76@exemple.fr {text}")
    assert "lea.martin76@exemple.fr" not in masked.text
    assert masked.emails >= 1


@given(st.text(max_size=300))
def test_parts_always_rebuild_the_text(text):
    parts = text_parts(text)
    rebuilt = ""
    for part in parts:
        rebuilt += part["text"]
        if "href" in part:
            assert part["href"].startswith(("https://", "http://", "mailto:", "tel:"))
    # Markdown links show their label only; any other text comes back unchanged.
    if "](" not in text:
        assert rebuilt == text


def test_links_and_numbers_in_bot_text():
    parts = text_parts(
        "Appelle le 0 800 05 00 00 ou le 3114, voir [le site](https://exemple.fr/a). "
        "Ça coûte 3000 €, tu as 17 ans. Fil Santé Jeunes : 0 800 235 236."
    )
    links = [(p["text"], p["href"]) for p in parts if "href" in p]
    assert links == [
        ("0 800 05 00 00", "tel:+33800050000"),
        ("3114", "tel:3114"),
        ("le site", "https://exemple.fr/a"),
        ("0 800 235 236", "tel:+33800235236"),
    ]


def test_the_short_numbers_come_from_contacts_yml():
    assert SAFETY.short_numbers() == ("3114", "119", "3018")


def test_every_number_of_the_distress_answer_is_a_link_wherever_it_stands():
    for voice in (YOUTH, *FORMAL):
        parts = text_parts(SAFETY.text("distress", voice))
        links = [(p["text"], p["href"]) for p in parts if p.get("kind") == "phone"]
        # Each short number twice: in its line's label (« 3114 – numéro national… ») and as
        # the number to call (« : 3114 (appel gratuit) »); never inside https://3114.fr/.
        assert links == [
            ("3114", "tel:3114"),
            ("3114", "tel:3114"),
            ("119", "tel:119"),
            ("119", "tel:119"),
            ("3018", "tel:3018"),
            ("3018", "tel:3018"),
            ("0 800 235 236", "tel:+33800235236"),
        ]


@pytest.mark.parametrize(
    "text",
    [
        "le CIO est au 119 rue de la République",
        "ça coûte 3114 €, ou 119\u202f%",
        "il a 119 ans",
        "commune 76119, dossier 311400, version 3.114",
        "voir https://3114.fr/",
        "0 800 119 000",
    ],
)
def test_a_short_number_that_is_not_a_line_stays_text(text):
    assert [p for p in text_parts(text) if p.get("href", "").startswith("tel:3")] == []
    assert [p for p in text_parts(text) if p.get("href") == "tel:119"] == []


def test_unsafe_link_targets_stay_text():
    parts = text_parts("[clique](javascript:alert(1)) <b>gras</b>")
    assert all("href" not in p for p in parts)
    assert "".join(p["text"] for p in parts) == "[clique](javascript:alert(1)) <b>gras</b>"


def test_widget_message_keeps_only_renderable_fields():
    message = widget_message(
        {
            "recipient_id": "x",
            "text": "Choisis :",
            "buttons": [
                {"title": "Oui", "payload": "/affirm"},
                {"title": "Site", "url": "javascript:alert(1)"},
                {"payload": "/sans_titre"},
            ],
            "image": "data:image/png;base64,AAAA",
        }
    )
    assert message == {
        "text": "Choisis :",
        "parts": [{"text": "Choisis :"}],
        "buttons": [{"title": "Oui", "payload": "/affirm"}],
    }
    assert widget_message({"recipient_id": "x"}) is None


def test_takeaway_prefers_an_explicit_contact():
    messages = [
        {"parts": text_parts("Ou appelle le 01 99 00 12 34.")},
        {"custom": {"contact": {"label": "Mission Locale", "website": "https://ml.example"}}},
    ]
    assert takeaway(messages)["href"] == "https://ml.example"
    assert takeaway(messages[:1])["href"] == "tel:+33199001234"
    assert takeaway([{"parts": text_parts("Rien à emporter.")}]) is None


def test_tel_uri():
    assert tel_uri("0 800 05 00 00") == "tel:+33800050000"
    assert tel_uri("+33 (0)6 12 34 56 78") == "tel:+33612345678"
    assert tel_uri("0044 20 7946 0958") == "tel:+442079460958"
