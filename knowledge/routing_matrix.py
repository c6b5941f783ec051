"""The routing grid for staff: who each need × age × situation is sent to, for one commune.

``python -m bot kb routing-matrix`` prints it; a cell is empty when the only answer would be the
Parcours Métiers line, and a test fails on any empty cell (every young person of 11 to 30 must
be given a structure, and so must their parents).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from knowledge.api import KnowledgeBase
from knowledge.sources import NEEDS
from knowledge.voice import PARENT, YOUTH

AGES = range(11, 31)
# The situations of young people the routing must cover (parents are routed on their child's).
SITUATIONS = (
    "collegien",
    "lyceen",
    "etudiant",
    "apprenti",
    "demandeur_emploi",
    "salarie",
    "sans_activite",
    "decrocheur",
    "handicap",
)
LINE_RULE = "parcours_metiers"  # the regional phone line, given to everyone


@dataclass(frozen=True)
class Cell:
    """One line of the grid: a need and situation over a run of ages with the same answer."""

    need: str
    situation: str
    age_min: int
    age_max: int
    parent: bool
    structures: tuple[str, ...]  # "rule → operator (match)" of each structure, priority order

    @property
    def empty(self) -> bool:
        return not self.structures


def cells(kb: KnowledgeBase, commune: str, parent: bool = False) -> Iterator[Cell]:
    """Every need × situation, ages grouped into runs that get the same structures."""
    for need in NEEDS:
        for situation in SITUATIONS:
            run: list[int] = []
            current: tuple[str, ...] | None = None
            for age in AGES:
                contacts = kb.find_contacts(
                    commune, need, age, situation, voice=PARENT if parent else YOUTH
                )
                found = tuple(
                    f"{c.rule_id} → {c.operator.id} ({c.match})"
                    for c in contacts
                    if c.rule_id != LINE_RULE
                )
                if current is not None and found != current:
                    yield Cell(need, situation, run[0], run[-1], parent, current)
                    run = []
                run.append(age)
                current = found
            if current is not None:
                yield Cell(need, situation, run[0], run[-1], parent, current)


def render(grid: list[Cell]) -> str:
    """Plain-text table for a terminal."""
    lines = []
    for cell in grid:
        who = "parent de " if cell.parent else ""
        ages = f"{cell.age_min}–{cell.age_max} ans"
        answer = (
            " ; ".join(cell.structures) if cell.structures else "CASE VIDE (ligne régionale seule)"
        )
        lines.append(f"{cell.need:<12} {who}{cell.situation:<17} {ages:<10} {answer}")
    return "\n".join(lines)


# Types whose offices the official directory lists, in the order the figures are printed.
OFFICE_TYPES = (
    "mission_locale",
    "france_travail",
    "cap_emploi",
    "info_jeunes",
    "cio",
    "mdph",
    "suio",
)


def office_figures(kb: KnowledgeBase) -> str:
    """Offices per type and département, and the share of communes each type serves locally.

    "Local" is an office that serves the commune (stated coverage, or located in it); "near"
    adds the nearest one within reach. A head office elsewhere or the directory do not count.
    """
    communes = kb.communes()
    deps = sorted({c.departement for c in communes})
    lines = ["| type | " + " | ".join(deps) + " | total | communes with a local office | "
             "local or near |", "|---" * (len(deps) + 4) + "|"]  # fmt: skip
    for op_type in OFFICE_TYPES:
        offices = kb.offices(op_type)
        per_dep = {d: 0 for d in deps}
        for op in offices:
            place = kb.commune(op.commune) if op.commune else None
            if place is not None:
                per_dep[place.departement] += 1
        matches = [kb.locate(op_type, c) for c in communes]
        local = sum(1 for m in matches if m is not None and m.match == "serves")
        near = sum(1 for m in matches if m is not None and m.match in ("serves", "nearest"))
        cells = " | ".join(str(per_dep[d]) for d in deps)
        lines.append(
            f"| {op_type} | {cells} | {len(offices)} | {local} ({local / len(communes):.1%}) | "
            f"{near} ({near / len(communes):.1%}) |"
        )
    return "\n".join(lines)
