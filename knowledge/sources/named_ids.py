"""Ids that the code, the domain and the training data name: each must exist in the data.

An action that asks the knowledge base for ``contact_entry("agenda_aom")`` gets ``None`` when
contacts.yml has no such entry, and the person reads « L'agenda complet est ici : » followed by
nothing. These checks find such ids before a load:

- ``actions/*.py``: calls of the knowledge base's lookups (``contact_entry``, ``contact``,
  ``get_scheme``, ``check_eligibility``, ``operator``, ``partner``) whose argument is a literal, a
  module constant (of any action module), or the loop variable over a tuple constant;
- ``domain/*.yml``: entity values in button payloads (``/inform{"scheme":"cej"}``);
- ``data/**/*.yml`` (training data): entity annotations (``{"entity":"scheme","value":"cej"}``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from knowledge.sources.files import Collector
from knowledge.sources.vocabulary import SITUATIONS

CODE_ROOT = Path(__file__).resolve().parents[2]

# Lookup called in the actions → kind of id it takes as first argument.
LOOKUPS = {
    "contact_entry": "contact",
    "contact": "contact",
    "get_scheme": "scheme",
    "check_eligibility": "scheme",
    "operator": "operator",
    "partner": "partner",
}
WHAT = {
    "contact": "contact inconnu de contacts.yml",
    "scheme": "dispositif inconnu de schemes.yml",
    "operator": "opérateur inconnu de operators/",
    "partner": "partenaire inconnu de partners.yml",
    "situation": "situation inconnue du vocabulaire partagé",
}
_PAYLOAD = re.compile(r'"(scheme|partner|operator|contact|situation)"\s*:\s*"([^"{}]+)"')
_ANNOTATION = re.compile(
    r'"entity"\s*:\s*"(scheme|partner|situation)"\s*,\s*"value"\s*:\s*"([^"{}]+)"'
)


def _strings(node: ast.AST) -> tuple[str, ...] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = [_strings(e) for e in node.elts]
        if all(i is not None and len(i) == 1 for i in items):
            return tuple(i[0] for i in items)
    return None


def _constants(trees: dict[str, ast.Module]) -> dict[str, tuple[str, ...]]:
    """Module-level ``NAME = "id"`` or ``NAME = ("a", "b")`` of every action module."""
    found: dict[str, tuple[str, ...]] = {}
    aliases: dict[str, str] = {}
    for tree in trees.values():
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            for target in targets:
                values = _strings(node.value) if node.value is not None else None
                if isinstance(target, ast.Name) and values is not None:
                    found.setdefault(target.id, values)
                elif isinstance(target, ast.Name) and isinstance(node.value, ast.Name):
                    aliases[target.id] = node.value.id  # AGENDA = PARCOURS_METIERS
    for alias, original in aliases.items():
        if original in found:
            found.setdefault(alias, found[original])
    return found


def _loop_values(
    name: str, loops: list[ast.AST], constants: dict[str, tuple[str, ...]]
) -> tuple[str, ...] | None:
    """Values of ``name`` when it is the variable of an enclosing loop over constants."""
    for loop in reversed(loops):
        generators = loop.generators if hasattr(loop, "generators") else [loop]
        for gen in generators:
            if isinstance(gen.target, ast.Name) and gen.target.id == name:
                if isinstance(gen.iter, ast.Name):
                    return constants.get(gen.iter.id)
                return _strings(gen.iter)
    return None


def _calls(node: ast.AST, loops: list[ast.AST]) -> Iterator[tuple[ast.Call, list[ast.AST]]]:
    for child in ast.iter_child_nodes(node):
        inner = (
            [*loops, child]
            if isinstance(
                child, (ast.For, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
            )
            else loops
        )
        if isinstance(child, ast.Call):
            yield child, inner
        yield from _calls(child, inner)


def ids_in_actions(actions_dir: Path) -> Iterator[tuple[str, int, str, str]]:
    """(file, line, kind, id) of every id the actions pass to a knowledge-base lookup."""
    trees = {
        path.relative_to(actions_dir.parent).as_posix(): ast.parse(path.read_text("utf-8"))
        for path in sorted(actions_dir.glob("*.py"))
    }
    constants = _constants(trees)
    for file, tree in trees.items():
        for call, loops in _calls(tree, []):
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in LOOKUPS or not call.args:
                continue
            arg = call.args[0]
            values = _strings(arg)
            if values is None and isinstance(arg, ast.Name):
                values = constants.get(arg.id) or _loop_values(arg.id, loops, constants)
            for value in values or ():
                yield file, call.lineno, LOOKUPS[name], value


def ids_in_yaml(root: Path) -> Iterator[tuple[str, int, str, str]]:
    """(file, line, kind, id) of entity values named by the domain and the training data."""
    files = [(p, _PAYLOAD) for p in sorted((root / "domain").glob("**/*.yml"))]
    files += [(p, _ANNOTATION) for p in sorted((root / "data").glob("**/*.yml"))]
    for path, pattern in files:
        rel = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for kind, value in pattern.findall(line):
                yield rel, number, kind, value


def check_named_ids(reader: Collector, root: Path = CODE_ROOT) -> None:
    """Every id that ``root``'s actions, domain and training data name exists in the data."""
    d = reader.data
    known = {
        "contact": {c.id for c in d.contacts},
        "scheme": {s.id for s in d.schemes},
        "operator": {o.id for o in d.operators},
        "partner": {p.id for p in d.partners},
        "situation": set(SITUATIONS),
    }
    found = []
    if (root / "actions").is_dir():
        found += list(ids_in_actions(root / "actions"))
    found += list(ids_in_yaml(root))
    for file, line, kind, value in found:
        if value not in known[kind]:
            reader.problem(f"{file}:{line}", value, kind, f"{WHAT[kind]} : {value}")
