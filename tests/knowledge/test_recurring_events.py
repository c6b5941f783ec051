"""A recurring event never carries a date; a dated event its source does not confirm is flagged."""

from __future__ import annotations

import re

from knowledge.sources import errors, read_knowledge


def test_a_recurring_event_with_a_date_is_refused(data_copy):
    path = data_copy / "events.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "    when: chaque année en février\n",
        "    when: chaque année en février\n    start: 2027-02-04\n",
    )
    path.write_text(text, encoding="utf-8")
    _data, problems = read_knowledge(data_copy)
    [problem] = errors(problems)
    assert (problem.entry, problem.field) == ("salon_orientation", "start")
    assert "inventer" in problem.message


def test_an_unconfirmed_dated_event_is_flagged(data_copy):
    path = data_copy / "events.yml"
    text = path.read_text(encoding="utf-8")
    dated = text.index("\n  - id: ", text.index("events:"))
    rest = text[dated:].replace("to_verify: false", "to_verify: true", 1)
    rest = re.sub(r"last_verified: \S+", "last_verified: null", rest, count=1)
    path.write_text(text[:dated] + rest, encoding="utf-8")
    _data, problems = read_knowledge(data_copy)
    flagged = [p for p in problems if p.file == "events.yml" and p.field == "to_verify"]
    assert flagged and all(p.severity == "warning" for p in flagged)
    assert all("ne sera pas annoncé" in p.message for p in flagged)
