"""How knowledge-base records are put into words for the person.

Facts (names, addresses, numbers, hours, links) come from the knowledge base; this module only
lays them out, in one place, so that every action shows a place or a phone line the same way.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from actions.addresses import display_address
from actions.knowledge_access import knowledge_base

# One line per contact, written the same way in the safety answers Rasa and the gateway hold.
from knowledge.safety import contact_line as contact_entry_text
from knowledge.voice import YOUTH, Words

logger = logging.getLogger(__name__)

PARCOURS_METIERS = "parcours_metiers"
# What to say when even the knowledge base cannot tell the number (it is content, never code).
_PARCOURS_METIERS_UNKNOWN = "la ligne gratuite Parcours Métiers de la Région Normandie"
# Last entries read from contacts.yml, so that an apology or a safeguarding answer can still give
# the numbers while the knowledge base is down.
_known_contacts: dict[str, Any] = {}

# The words that introduce each detail of an answer ("Téléphone : 02 35 …"). Words, not
# pictograms: Debian's Chromium and the totems have no colour-emoji font and drew them as boxes.
ADDRESS = "Adresse"
PHONE = "Téléphone"
WEBSITE = "Site"
HOURS = "Horaires"
WHY = "Pourquoi"
WHERE = "Où"
HOW_TO_APPLY = "Comment faire"
MORE = "En savoir plus"

DIRECTORY = "annuaire_service_public"
# The kinds of structure a person may ask for by name (the ``operator_type`` entity, issue 11:
# « quelle Mission Locale couvre Bolbec ? »): operator types of knowledge/data/operators, with
# how the answer names them and the official directory (contacts.yml) given when the data has
# no office of that kind for the commune.
KINDS = {
    "mission_locale": ("La Mission Locale", "de la Mission Locale", "annuaire_missions_locales"),
    "cio": ("Le CIO", "du CIO", DIRECTORY),
    "info_jeunes": (
        "Le Point Information Jeunesse",
        "du Point Information Jeunesse",
        "annuaire_info_jeunes",
    ),
}

OPERATOR_TYPE_LABELS = {
    "mission_locale": "la Mission Locale",
    "info_jeunes": "le Point Information Jeunesse",
    "cio": "le CIO (centre d'information et d'orientation)",
    "france_travail": "France Travail",
    "cap_emploi": "Cap emploi",
    "e2c": "l'École de la 2e Chance",
    "epide": "l'EPIDE",
    "aom": "l'Agence de l'Orientation et des Métiers",
    "partner": "une structure du réseau de proximité",
    "region": "la Région Normandie",
    "mdph": "la MDPH (maison départementale des personnes handicapées)",
    "suio": "le service d'orientation de l'université (SUIO)",
    "cep": "le conseil en évolution professionnelle (CEP)",
}


def value(record: Any, key: str, default: Any = None) -> Any:
    """``record.key`` for dataclasses, ``record[key]`` for mappings (nested YAML blocks)."""
    if record is None:
        return default
    if isinstance(record, dict):
        return record.get(key, default)
    return getattr(record, key, default)


def detail(label: str, text: str) -> str:
    """One detail of an answer, introduced by its label: ``"Téléphone : 02 35 …"``."""
    return f"{label} : {text}"


def contact_entry(contact_id: str, safe: bool = False) -> Any:
    """The contacts.yml entry ``contact_id`` (``None`` if absent).

    With ``safe=True`` a failing knowledge base gives the entry last read by this process
    (``None`` if never read) instead of raising: used where silence is not an option.
    """
    try:
        entry = knowledge_base().contact(contact_id)
    except Exception:
        if not safe:
            raise
        logger.warning("knowledge base unavailable for contact %s", contact_id, exc_info=True)
        return _known_contacts.get(contact_id)
    if entry is None:
        logger.error("contacts.yml has no %r entry", contact_id)
    else:
        _known_contacts[contact_id] = entry
    return entry


def parcours_metiers_text(safe: bool = False) -> str:
    """The free Parcours Métiers line as a sentence fragment, from the knowledge base."""
    entry = contact_entry(PARCOURS_METIERS, safe=safe)
    return contact_entry_text(entry) if entry else _PARCOURS_METIERS_UNKNOWN


def operator_types_text(types: Any) -> str:
    """ "la Mission Locale ou France Travail" for a list of operator types."""
    labels = [OPERATOR_TYPE_LABELS.get(t, t) for t in types or ()]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " ou " + labels[-1]


# Under a place whose address, phone and website are all unknown yet.
DETAILS_BEING_CHECKED = Words(
    "Coordonnées en cours de vérification : cherche son nom sur l'annuaire service-public.fr ou "
    "appelle la ligne Parcours Métiers ci-dessous.",
    "Coordonnées en cours de vérification : cherchez son nom sur l'annuaire service-public.fr ou "
    "appelez la ligne Parcours Métiers ci-dessous.",
    "Coordonnées en cours de vérification : cherchez son nom sur l'annuaire service-public.fr ou "
    "appelez la ligne Parcours Métiers ci-dessous.",
)


def operator_card(
    operator: Any,
    reason: str | None = None,
    town: str | None = None,
    where: str | None = None,
    voice: str = YOUTH,
) -> str:
    """A place to go: name, address, phone, website, opening hours when known, and why it fits.

    ``where`` says how the place was chosen when it is not simply the one serving the commune
    (the nearest one, a head office, or no office known yet): it replaces the generic note,
    said in ``voice`` (knowledge/voice.py).
    """
    address = value(operator, "address")
    place = " ".join(filter(None, [value(operator, "postcode"), town]))
    details = {
        ADDRESS: ", ".join(filter(None, [display_address(address), place])) if address else None,
        PHONE: value(operator, "phone"),
        WEBSITE: value(operator, "website"),
        HOURS: value(operator, "opening_hours"),
    }
    lines = [value(operator, "name")]
    lines += [detail(label, text) for label, text in details.items() if text]
    if where:
        lines.append(detail(WHERE, where))
    elif not (details[ADDRESS] or details[PHONE] or details[WEBSITE]):
        lines.append(DETAILS_BEING_CHECKED.to(voice))
    if reason:
        lines.append(detail(WHY, reason))
    return "\n".join(lines)


def button(title: str, payload: str) -> dict[str, str]:
    """A quick-reply button."""
    return {"title": title, "payload": payload}


def intent_payload(intent: str, **entities: Any) -> str:
    """A button payload that triggers ``intent`` with ``entities`` (Rasa's ``/intent{...}``)."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}"
