"""`python -m bot nlu sync` turns knowledge/ aliases into NLU data that Rasa reads as meant."""

from __future__ import annotations

from rasa.shared.nlu.training_data.loading import load_data

from bot.training import GENERATED_DIR, sync_nlu


def test_scheme_aliases_become_synonyms_and_lookups_without_quotes():
    sync_nlu()
    data = load_data(str(GENERATED_DIR / "schemes.yml"))
    assert data.entity_synonyms["contrat d'engagement jeune"] == "cej"
    (lookup,) = [t for t in data.lookup_tables if t["name"] == "scheme"]
    assert "service civique" in lookup["elements"]
    assert not any(e.startswith('"') for e in lookup["elements"])


def test_job_names_become_a_lookup_table():
    sync_nlu()
    data = load_data(str(GENERATED_DIR / "jobs.yml"))
    (lookup,) = data.lookup_tables
    assert lookup["name"] == "job"
    assert "boulanger" in lookup["elements"]
