"""« Contenus »: what staff must check in the knowledge base, and referents' corrections.

Staff see the entries to verify, overdue or due soon, read from the loaded knowledge base (what
the bot serves) through a read-only connection, and decide the corrections referents propose.
A referent sees their own structure's place and proposes a correction of its address, phone,
hours or website. See :mod:`bot.console.corrections` for the export into knowledge/data.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import sqlalchemy as sa
from aiohttp import web

from bot.console import PREFIX
from bot.console import corrections as cor
from bot.console.views import (
    STAFF,
    _audit,
    _console,
    _error,
    _run,
    _user,
    attachment,
    render,
    require,
)
from knowledge.freshness import (
    KIND_LABELS,
    REASON_LABELS,
    counts,
    due_entries,
    loaded_entries,
    loaded_entry,
)

CONTENTS = PREFIX + "/contents"
HORIZON_DAYS = 30
NOT_LOADED = (
    "La base de connaissances n'est pas chargée : lancez « python -m bot kb load » (ou make kb)."
)


def _day(request: web.Request) -> date:
    raw = (request.query.get("on") or "").strip()
    if not raw:
        return _console(request).today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"Date illisible : {raw!r} (AAAA-MM-JJ attendu).") from None


@require(*STAFF, "referent")
async def contents(request: web.Request) -> web.StreamResponse:
    """Staff: what to verify and the corrections to decide. Referent: their structure."""
    if _user(request).is_referent:
        return await _referent_page(request)
    console = _console(request)
    day = _day(request)
    kind = request.query.get("kind", "")
    if kind and kind not in KIND_LABELS:
        raise web.HTTPBadRequest(text="Type d'entrée inconnu.")
    try:
        entries = await _run(loaded_entries, console.knowledge_engine)
    except sa.exc.SQLAlchemyError:
        return _error(request, 503, NOT_LOADED)
    due = due_entries(entries, day, HORIZON_DAYS)
    shown = [d for d in due if not kind or d.kind == kind]
    app = console.app_engine
    pending = await _run(cor.corrections, app, None, ("pending",))
    decided = await _run(cor.corrections, app, None, ("accepted", "refused"), 20)
    waiting = await _run(cor.to_export, app)
    await _audit(request, "view_contents", kind or None, day.isoformat())
    return render(
        request,
        "contents.html",
        day=day,
        kind=kind,
        kinds=KIND_LABELS,
        reasons=REASON_LABELS,
        due=shown,
        counts=counts(shown),
        total=sum(1 for k, _e in entries if not kind or k == kind),
        horizon=HORIZON_DAYS,
        pending=pending,
        decided=decided,
        to_export=len(waiting),
        fields={k: label for k, (label, _c) in cor.FIELDS.items()},
        statuses=cor.STATUSES,
        message=request.query.get("message", ""),
    )


async def _structure(request: web.Request):
    """The referent's partner and the operator entry of its place (either may be ``None``)."""
    engine = _console(request).knowledge_engine
    partner = await _run(loaded_entry, engine, "partner", _user(request).partner_id)
    operator = None
    if partner is not None and partner.operator:
        operator = await _run(loaded_entry, engine, "operator", partner.operator)
    return partner, operator


async def _referent_page(
    request: web.Request, status: int = 200, error: str = "", form: dict | None = None
) -> web.Response:
    try:
        partner, operator = await _structure(request)
    except sa.exc.SQLAlchemyError:
        return _error(request, 503, NOT_LOADED)
    mine = await _run(cor.corrections, _console(request).app_engine, _user(request).partner_id)
    if status == 200:
        await _audit(request, "view_contents", _user(request).partner_id)
    return render(
        request,
        "contents_referent.html",
        status=status,
        partner=partner,
        operator=operator,
        mine=mine,
        fields={k: label for k, (label, _c) in cor.FIELDS.items()},
        statuses=cor.STATUSES,
        error=error,
        form=form or {},
        message=request.query.get("message", ""),
    )


@require("referent")
async def propose(request: web.Request) -> web.StreamResponse:
    """A referent proposes a new value for one field of their structure's place."""
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in ("field", "value", "comment")}
    try:
        _partner, operator = await _structure(request)
    except sa.exc.SQLAlchemyError:
        return _error(request, 503, NOT_LOADED)
    if operator is None:
        return await _referent_page(
            request, 400, "Votre structure n'a pas encore de fiche de lieu dans la base.", values
        )
    user = _user(request)
    try:
        number = await _run(
            cor.propose,
            _console(request).app_engine,
            partner_id=user.partner_id,
            operator=operator,
            field=values["field"],
            value=values["value"],
            comment=values["comment"],
            author=user.email,
        )
    except cor.CorrectionError as exc:
        return await _referent_page(request, 400, str(exc), values)
    await _audit(request, "correction_propose", operator.id, f"n°{number} {values['field']}")
    message = (
        f"Merci : votre proposition n°{number} est enregistrée. L'équipe de l'Agence la vérifie "
        "avant qu'elle ne change les réponses du bot."
    )
    raise web.HTTPFound(f"{CONTENTS}?" + urlencode({"message": message}))


@require(*STAFF)
async def decide(request: web.Request) -> web.StreamResponse:
    """Accept or refuse one proposal."""
    form = await request.post()
    decision = form.get("decision")
    if decision not in ("accept", "refuse"):
        return _error(request, 400, "Choisissez « Accepter » ou « Refuser ».")
    try:
        number = int(request.match_info["correction_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    try:
        row = await _run(
            cor.decide,
            _console(request).app_engine,
            number,
            decision == "accept",
            _user(request).email,
        )
    except cor.CorrectionError as exc:
        return _error(request, 409, str(exc))
    action = "correction_accept" if decision == "accept" else "correction_refuse"
    await _audit(request, action, row.operator_id, f"n°{number} {row.field} : {row.new_value}")
    what = "acceptée" if decision == "accept" else "refusée"
    message = f"Proposition n°{number} {what}."
    if decision == "accept":
        message += " Exportez-la vers knowledge/data pour que le bot la donne."
    raise web.HTTPFound(f"{CONTENTS}?" + urlencode({"message": message}))


@require(*STAFF)
async def export_diff(request: web.Request) -> web.StreamResponse:
    """The accepted corrections as a unified diff of knowledge/data (to review or apply)."""
    console = _console(request)
    rows = await _run(cor.to_export, console.app_engine)
    text, applied, skipped = await _run(cor.diff_text, console.project_root, rows)
    name = f"corrections_{console.today().isoformat()}.diff"
    await _audit(request, "export", name, f"{applied} corrections, {len(skipped)} à la main")
    return attachment(text, "text/x-diff", name)


@require(*STAFF)
async def export_write(request: web.Request) -> web.StreamResponse:
    """Write the accepted corrections into knowledge/data, once the result validates."""
    console = _console(request)
    rows = await _run(cor.to_export, console.app_engine)
    try:
        files, applied, skipped = await _run(cor.write_change, console.project_root, rows)
    except cor.CorrectionError as exc:
        await _audit(request, "export_refused", "knowledge/data", str(exc)[:500])
        return _error(request, 400, str(exc))
    await _run(cor.mark_exported, console.app_engine, applied)
    written = ", ".join(p.relative_to(console.project_root).as_posix() for p in files)
    await _audit(request, "export", written or None, f"{len(applied)} corrections")
    if applied:
        message = (
            f"{len(applied)} correction(s) écrite(s) dans {written}. Rechargez la base "
            "(make kb) pour que le bot les donne, et versionnez le changement."
        )
    else:
        message = "Aucune correction acceptée à exporter."
    if skipped:
        message += " " + " ".join(skipped)
    raise web.HTTPFound(f"{CONTENTS}?" + urlencode({"message": message}))


def add_routes(router: web.UrlDispatcher) -> None:
    """The routes of the « Contenus » page and of the corrections."""
    router.add_get(CONTENTS, contents, name="console_contents")
    router.add_post(CONTENTS + "/corrections", propose)
    router.add_get(CONTENTS + "/corrections.diff", export_diff)
    router.add_post(CONTENTS + "/corrections/export", export_write)  # before the next one
    router.add_post(CONTENTS + "/corrections/{correction_id}", decide)
