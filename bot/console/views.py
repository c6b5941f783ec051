"""Thin request handlers of the console, its middleware and its French error pages."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
from datetime import date, datetime, timedelta
from functools import wraps
from pathlib import Path
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from aiohttp import web

from bot import appdb
from bot.console import (
    CONSOLE,
    PREFIX,
    Console,
    auth,
    charts,
    labels,
    queries,
    retention,
    throttle,
)
from bot.console.indexer import PARIS, sync_index
from bot.console.nlu_export import export_yaml, write_review_file
from bot.web.chat_input import looks_binary
from bot.web.proxies import request_address, request_is_https

log = logging.getLogger(__name__)

PUBLIC_PATHS = (f"{PREFIX}/login",)
STATIC_PREFIX = f"{PREFIX}/static/"
# New events show up at once; the full consistency check of the index runs at most this often.
INDEX_VERIFY_SECONDS = 60
USER = "console_user"
CSRF = "console_csrf"


# --- formatting filters used by the templates -------------------------------------------------


def _when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, PARIS).strftime("%d/%m/%Y %H:%M")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _confidence(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


FILTERS = {
    "when": _when,
    "percent": _percent,
    "confidence": _confidence,
    "label": labels.label,
    "quote": lambda s: quote(str(s), safe=""),
}


# --- plumbing -----------------------------------------------------------------------------------


def _console(request: web.Request) -> Console:
    return request.app[CONSOLE]


def _user(request: web.Request) -> auth.User:
    return request[USER]


async def _run(fn, *args, **kwargs):
    # SQL and argon2 run in a thread: the same event loop serves the chat widget.
    return await asyncio.to_thread(fn, *args, **kwargs)


def render(request: web.Request, template: str, status: int = 200, **context) -> web.Response:
    """Render a console template with the user, the CSRF token and the navigation."""
    console = _console(request)
    html = console.templates.get_template(template).render(
        user=request.get(USER),
        csrf_token=request.get(CSRF, ""),
        prefix=PREFIX,
        path=request.path,
        **context,
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def _error(request: web.Request, status: int, message: str) -> web.Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


def require(*roles: str):
    """Allow a view only to the given roles (French 403 page otherwise)."""

    def decorate(handler):
        @wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if _user(request).role not in roles:
                return _error(request, 403, "Votre rôle ne donne pas accès à cette page.")
            return await handler(request)

        return wrapped

    return decorate


STAFF = ("admin", "staff")


async def _audit(request: web.Request, action: str, target: str | None = None, detail=None) -> None:
    user = request.get(USER)
    actor = user.email if user else "anonyme"
    await _run(appdb.write_audit, _console(request).app_engine, actor, action, target, detail)


async def ensure_index(console: Console) -> None:
    """Bring the index up to date (one sync at a time; an unreadable tracker is empty)."""
    async with console.index_lock:
        verify = time.monotonic() - console.index_verified_at > INDEX_VERIFY_SECONDS
        try:
            await _run(sync_index, console.tracker_engine, console.app_engine, verify)
        except sa.exc.OperationalError as exc:
            # No tracker store yet (Rasa never started): the lists are simply empty.
            log.warning("tracker store not readable: %s", exc)
            return
        if verify:
            console.index_verified_at = time.monotonic()


def _client_ip(request: web.Request) -> str:
    return request_address(request, _console(request).proxies)


def _is_https(request: web.Request) -> bool:
    return request_is_https(request, _console(request).proxies)


def _set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
):
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=_is_https(request),
    )


MAX_FORM_BYTES = 64 * 1024


async def _read_form(request: web.Request):
    """The posted form, or ``None`` when it is too large or unreadable.

    A form is a few fields of text: a declared or actual size over :data:`MAX_FORM_BYTES`, a body
    aiohttp cannot decode, a file upload or control characters (NUL cannot even be stored in
    PostgreSQL) are the client's mistake, answered with a 400/413 page, never a 500.
    """
    if (request.content_length or 0) > MAX_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_FORM_BYTES, request.content_length or 0)
    try:
        form = await request.post()
    except web.HTTPException:
        raise
    except Exception:  # malformed multipart, unknown charset, truncated body…
        return None
    for value in form.values():
        if not isinstance(value, str) or looks_binary(value):
            return None
    return form


@web.middleware
async def console_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Session, CSRF and access checks for every ``/console`` request; French error pages.

    Security headers are added to every response, these pages included, by
    :mod:`bot.web.headers`.
    """
    path = request.path
    if not (path == PREFIX or path.startswith(PREFIX + "/")) or path.startswith(STATIC_PREFIX):
        return await handler(request)
    console = _console(request)
    try:
        found = await _run(
            auth.session_user, console.app_engine, request.cookies.get(auth.SESSION_COOKIE)
        )
        if found:
            request[USER], request[CSRF] = found
        if request.method == "POST":
            form = await _read_form(request)
            if form is None:
                return _error(
                    request, 400, "Formulaire illisible : rechargez la page et recommencez."
                )
            expected = request.get(CSRF) or request.cookies.get(auth.LOGIN_CSRF_COOKIE)
            if not auth.same_token(expected, form.get("csrf_token")):
                return _error(
                    request,
                    403,
                    "Formulaire expiré ou invalide : rechargez la page et recommencez.",
                )
        if USER not in request and path not in PUBLIC_PATHS:
            if request.method == "GET":
                target = quote(str(request.rel_url), safe="")
                raise web.HTTPFound(f"{PREFIX}/login?next={target}")
            return _error(request, 401, "Connectez-vous pour accéder à la console.")
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400:
            default = exc.text if exc.status == 400 and exc.text else "La requête a échoué."
            return _error(request, exc.status, _HTTP_MESSAGES.get(exc.status, default))
        raise
    except Exception:
        log.exception("console error on %s", path)
        return _error(request, 500, "Une erreur inattendue s'est produite. Elle a été journalisée.")


_HTTP_MESSAGES = {
    404: "Page introuvable.",
    413: "Formulaire trop volumineux.",
    405: "Méthode non autorisée pour cette page.",
}


# --- login / logout ----------------------------------------------------------------------------


def _safe_next(raw: str | None) -> str:
    # Only local console paths: never an open redirect.
    if raw and raw.startswith(PREFIX) and not raw.startswith("//"):
        return raw
    return f"{PREFIX}/conversations"


async def login_page(request: web.Request) -> web.StreamResponse:
    """The login form (with a pre-session CSRF cookie)."""
    if USER in request:
        raise web.HTTPFound(_safe_next(request.query.get("next")))
    token = request.cookies.get(auth.LOGIN_CSRF_COOKIE) or auth.new_csrf_token()
    request[CSRF] = token
    response = render(request, "login.html", next=_safe_next(request.query.get("next")), error="")
    _set_cookie(request, response, auth.LOGIN_CSRF_COOKIE, token, 3600)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Check the credentials; throttled after repeated failures (progressive delays)."""
    console = _console(request)
    form = await request.post()
    email = str(form.get("email", "")).strip().lower()[:254]
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    request[CSRF] = request.cookies.get(auth.LOGIN_CSRF_COOKIE, "")
    device = request.cookies.get(auth.DEVICE_COOKIE)
    try:
        user = await _run(
            auth.authenticate, console.app_engine, email, password, _client_ip(request), device
        )
    except throttle.Throttled as exc:
        if exc.first:
            await _audit(request, "login_throttled", email, exc.describe())
        response = render(
            request,
            "login.html",
            status=429,
            next=target,
            error="Trop de tentatives de connexion. "
            f"Réessayez dans {throttle.french_wait(exc.wait)}.",
        )
        response.headers["Retry-After"] = str(max(1, round(exc.wait)))
        return response
    if user is None:
        await _audit(request, "login_failed", email)
        return render(
            request,
            "login.html",
            status=401,
            next=target,
            error="E-mail ou mot de passe incorrect.",
        )
    token, _csrf = await _run(auth.open_session, console.app_engine, user)
    device = await _run(auth.trust_device, console.app_engine, user, device)
    request[USER] = user
    await _audit(request, "login")
    response = web.HTTPFound(target)
    _set_cookie(request, response, auth.SESSION_COOKIE, token, auth.SESSION_SECONDS)
    _set_cookie(request, response, auth.DEVICE_COOKIE, device, auth.DEVICE_SECONDS)
    response.del_cookie(auth.LOGIN_CSRF_COOKIE, path=PREFIX)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    await _run(
        auth.close_session, _console(request).app_engine, request.cookies.get(auth.SESSION_COOKIE)
    )
    await _audit(request, "logout")
    response = web.HTTPFound(f"{PREFIX}/login")
    response.del_cookie(auth.SESSION_COOKIE, path=PREFIX)
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    """``/console`` → the conversations list."""
    raise web.HTTPFound(f"{PREFIX}/conversations")


# --- conversations -------------------------------------------------------------------------------


def _filters(request: web.Request) -> queries.Filters:
    try:
        return queries.Filters.parse(request.query)
    except queries.FilterError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None


def _page_number(request: web.Request) -> int:
    try:
        return max(1, int(request.query.get("page", "1")))
    except ValueError:
        return 1


async def conversations(request: web.Request) -> web.StreamResponse:
    """The filtered, sorted, paginated list of conversations."""
    console = _console(request)
    filters = _filters(request)
    await ensure_index(console)
    user = _user(request)
    page = await _run(
        queries.list_conversations, console.app_engine, filters, user.scope, _page_number(request)
    )
    partners = [] if user.scope else await _run(queries.known_partners, console.app_engine)
    await _audit(request, "view_list", None, urlencode(filters.as_query()) or None)
    base = filters.as_query()
    return render(
        request,
        "conversations.html",
        page=page,
        partners=partners,
        filters=filters,
        query=base,
        page_link=lambda n: "?" + urlencode({**base, "page": n}),
        csv_link=f"{PREFIX}/conversations.csv?" + urlencode(base),
        intents=labels.intent_labels().values(),
        statuses=queries.REVIEW_STATUSES,
        sorts=queries.SORT_LABELS,
    )


def _csv_response(name: str, columns, rows) -> web.Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return web.Response(
        body=buffer.getvalue().encode("utf-8-sig"),  # the BOM lets spreadsheet software see UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def attachment(text: str, content_type: str, filename: str) -> web.Response:
    """A text file to download (UTF-8), named ``filename``."""
    return web.Response(
        text=text,
        content_type=content_type,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_cell(value):
    # A cell starting with = + - @ would run as a formula in a spreadsheet (user text!).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def conversations_csv(request: web.Request) -> web.StreamResponse:
    """The filtered conversations as CSV."""
    console = _console(request)
    filters = _filters(request)
    await ensure_index(console)
    page = await _run(
        queries.list_conversations, console.app_engine, filters, _user(request).scope, 1, 100_000
    )
    await _audit(request, "export", "conversations.csv", urlencode(filters.as_query()) or None)
    columns = (
        "Conversation",
        "Partenaire",
        "Début",
        "Fin",
        "Messages",
        "Incompréhension",
        "Confiance min.",
        "Détresse",
        "Demande humain",
        "Commune",
        "Statut",
        "Avis négatifs",
        "Premier message",
    )
    rows = [
        (
            r.sender_id,
            r.partner_id or "",
            _when(r.first_ts),
            _when(r.last_ts),
            r.n_user,
            "oui" if r.fallback else "non",
            _confidence(r.min_confidence),
            "oui" if r.distress else "non",
            "oui" if r.request_human else "non",
            r.commune or "",
            queries.REVIEW_STATUSES.get(r.status or "new"),
            r.negatives,
            r.first_text or "",
        )
        for r in page.rows
    ]
    return _csv_response("conversations", columns, rows)


async def _visible_conversation(request: web.Request):
    console = _console(request)
    sender_id = request.match_info["sender_id"]
    await ensure_index(console)
    summary = await _run(
        queries.conversation_summary, console.app_engine, sender_id, _user(request).scope
    )
    if summary is None:
        raise web.HTTPNotFound()
    return sender_id, summary


async def conversation(request: web.Request) -> web.StreamResponse:
    """One conversation: transcript with intents, confidences, entities, actions and slots."""
    console = _console(request)
    sender_id, summary = await _visible_conversation(request)
    lines = await _run(queries.transcript, console.tracker_engine, sender_id)
    marks = await _run(queries.conversation_marks, console.app_engine, sender_id)
    await _audit(request, "view", sender_id)
    return render(
        request,
        "conversation.html",
        sender_id=sender_id,
        summary=summary,
        lines=lines,
        marks=marks,
        statuses=queries.REVIEW_STATUSES,
        low=queries.LOW_CONFIDENCE,
        commune_names=labels.commune_names(),
        intents=labels.reviewable_intents(),
        message=request.query.get("message", ""),
    )


def _back_to(sender_id: str) -> web.HTTPFound:
    return web.HTTPFound(f"{PREFIX}/conversations/{quote(sender_id, safe='')}")


@require(*STAFF)
async def review(request: web.Request) -> web.StreamResponse:
    """Mark a conversation reviewed / to review."""
    sender_id, _ = await _visible_conversation(request)
    form = await request.post()
    status = str(form.get("status", ""))
    if status not in queries.REVIEW_STATUSES:
        return _error(request, 400, "Statut de revue inconnu.")
    await _run(
        queries.set_review, _console(request).app_engine, sender_id, status, _user(request).email
    )
    await _audit(request, "review", sender_id, status)
    raise _back_to(sender_id)


@require(*STAFF)
async def add_tag(request: web.Request) -> web.StreamResponse:
    """Add a tag to a conversation."""
    sender_id, _ = await _visible_conversation(request)
    form = await request.post()
    try:
        tag = await _run(
            queries.add_tag,
            _console(request).app_engine,
            sender_id,
            str(form.get("tag", "")),
            _user(request).email,
        )
    except queries.FilterError as exc:
        return _error(request, 400, str(exc))
    await _audit(request, "tag_add", sender_id, tag)
    raise _back_to(sender_id)


@require(*STAFF)
async def remove_tag(request: web.Request) -> web.StreamResponse:
    """Remove a tag from a conversation."""
    sender_id, _ = await _visible_conversation(request)
    form = await request.post()
    tag = str(form.get("tag", ""))
    if await _run(queries.remove_tag, _console(request).app_engine, sender_id, tag):
        await _audit(request, "tag_remove", sender_id, tag)
    raise _back_to(sender_id)


@require("admin")
async def erase(request: web.Request) -> web.StreamResponse:
    """Erase one conversation everywhere (on request of the person concerned)."""
    console = _console(request)
    sender_id, _ = await _visible_conversation(request)
    form = await request.post()
    if form.get("confirm") != "1":
        return _error(request, 400, "Cochez la case de confirmation pour effacer la conversation.")
    writer = console.tracker_writer()
    try:
        async with console.index_lock:
            await _run(
                retention.erase_conversation,
                writer,
                console.app_engine,
                sender_id,
                _user(request).email,
                log_dir=Path(console.settings.log_dir),
                project_root=console.project_root,
            )
    finally:
        writer.dispose()
    raise web.HTTPFound(f"{PREFIX}/conversations")


# --- NLU inbox -----------------------------------------------------------------------------------


@require(*STAFF)
async def inbox(request: web.Request) -> web.StreamResponse:
    """Misunderstood messages, grouped, waiting for the right intent."""
    console = _console(request)
    await ensure_index(console)
    groups = await _run(queries.inbox_groups, console.app_engine, _user(request).scope)
    recent = await _run(queries.recent_annotations, console.app_engine)
    await _audit(request, "view_inbox")
    return render(
        request,
        "inbox.html",
        groups=groups,
        recent=recent,
        intents=labels.reviewable_intents(),
        low=queries.LOW_CONFIDENCE,
        message=request.query.get("message", ""),
    )


@require(*STAFF)
async def annotate(request: web.Request) -> web.StreamResponse:
    """Record the decision on one group of messages (from the inbox or a transcript)."""
    form = await request.post()
    try:
        event_ids = [int(v) for v in str(form.get("event_ids", "")).split(",") if v.strip()]
    except ValueError:
        return _error(request, 400, "Liste de messages illisible.")
    if not event_ids:
        return _error(request, 400, "Aucun message sélectionné.")
    if form.get("decision") == "irrelevant":
        intent = None
    else:
        intent = str(form.get("intent", "")).strip()
        if not intent:
            return _error(request, 400, "Choisissez l'intention correcte, ou « Hors sujet ».")
    try:
        count = await _run(
            queries.annotate,
            _console(request).app_engine,
            event_ids,
            intent,
            _user(request).email,
            _user(request).scope,
        )
    except queries.FilterError as exc:
        return _error(request, 400, str(exc))
    await _audit(request, "annotate", intent or "hors sujet", f"{count} messages")
    what = f"« {labels.label(intent)} »" if intent else "hors sujet"
    message = f"{count} message(s) classé(s) {what}."
    back = _safe_next(str(form.get("next", ""))) if form.get("next") else f"{PREFIX}/inbox"
    raise web.HTTPFound(f"{back}?" + urlencode({"message": message}))


@require(*STAFF)
async def export_download(request: web.Request) -> web.StreamResponse:
    """The accepted examples as a Rasa NLU YAML download."""
    console = _console(request)
    examples = await _run(queries.accepted_examples, console.app_engine)
    today = console.today()
    text, count, _conflicts, _held_out = await _run(
        export_yaml, examples, today, console.project_root
    )
    await _audit(request, "export", f"review_{today}.yml", f"{count} exemples (téléchargement)")
    return attachment(text, "application/x-yaml", f"review_{today}.yml")


@require(*STAFF)
async def export_write(request: web.Request) -> web.StreamResponse:
    """Write the accepted examples to ``data/nlu/review_<date>.yml`` for the next training."""
    console = _console(request)
    examples = await _run(queries.accepted_examples, console.app_engine)
    today = console.today()
    path, count, conflicts, held_out = await _run(
        write_review_file, examples, today, console.project_root
    )
    await _run(queries.mark_exported, console.app_engine)
    relative = path.relative_to(console.project_root)
    await _audit(
        request,
        "export",
        str(relative),
        f"{count} exemples, {len(conflicts)} conflits, {len(held_out)} réservés à l'évaluation",
    )
    message = f"{count} exemple(s) écrit(s) dans {relative}. Relancez l'entraînement (make train)."
    if conflicts:
        message += (
            f" {len(conflicts)} exemple(s) écarté(s) : déjà présents sous une autre intention."
        )
    if held_out:
        message += (
            f" {len(held_out)} exemple(s) écarté(s) : ils servent à mesurer la compréhension "
            "du bot (jeux d'évaluation), on ne l'entraîne pas dessus."
        )
    raise web.HTTPFound(f"{PREFIX}/inbox?" + urlencode({"message": message}))


# --- dashboard -----------------------------------------------------------------------------------


def _period(request: web.Request) -> tuple[date, date]:
    today = _console(request).today()
    filters = _filters(request)
    date_to = filters.date_to or today
    date_from = filters.date_from or (date_to - timedelta(days=29))
    if date_from > date_to:
        raise web.HTTPBadRequest(text="La date de début est après la date de fin.")
    if (date_to - date_from).days > 366:
        raise web.HTTPBadRequest(text="La période affichée est limitée à un an.")
    return date_from, date_to


async def _dashboard_data(request: web.Request) -> tuple[dict, date, date, str]:
    console = _console(request)
    date_from, date_to = _period(request)
    partner = (request.query.get("partner") or "").strip()
    await ensure_index(console)
    data = await _run(
        queries.dashboard, console.app_engine, date_from, date_to, _user(request).scope, partner
    )
    return data, date_from, date_to, partner


async def dashboard(request: web.Request) -> web.StreamResponse:
    """Figures, charts and tables over a period."""
    data, date_from, date_to, partner = await _dashboard_data(request)
    await _audit(request, "view_dashboard", partner or None, f"{date_from} → {date_to}")
    tables = data["tables"]
    per_day = charts.day_columns(
        [(d, n) for d, n, _ in tables["jours"].rows], "Conversations par jour"
    )
    top_intents = charts.horizontal_bars(
        [(lab, n) for _i, lab, n in tables["intentions"].rows], "Intentions les plus fréquentes"
    )
    scope = _user(request).scope
    partners = [] if scope else await _run(queries.known_partners, _console(request).app_engine)
    query = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    if partner:
        query["partner"] = partner
    return render(
        request,
        "dashboard.html",
        figures=data["figures"],
        tables=tables,
        per_day=per_day,
        top_intents=top_intents,
        date_from=date_from,
        date_to=date_to,
        partner=partner,
        partners=partners,
        csv_query=urlencode(query),
    )


async def dashboard_csv(request: web.Request) -> web.StreamResponse:
    """One dashboard table as CSV."""
    data, date_from, date_to, _partner = await _dashboard_data(request)
    table = data["tables"].get(request.match_info["table"])
    if table is None:
        raise web.HTTPNotFound()
    await _audit(request, "export", f"{table.name}.csv", f"{date_from} → {date_to}")
    return _csv_response(f"{table.name}_{date_from}_{date_to}", table.columns, table.rows)


# --- users and audit (admins) ---------------------------------------------------------------------


@require("admin")
async def users_page(request: web.Request) -> web.StreamResponse:
    """Accounts, and the form to add one."""
    await _audit(request, "view_users")
    return await _render_users(request, message=request.query.get("message", ""))


async def _render_users(
    request: web.Request, status: int = 200, message: str = "", error: str = ""
) -> web.Response:
    users = await _run(auth.list_users, _console(request).app_engine)
    return render(
        request,
        "users.html",
        status=status,
        users=users,
        roles=appdb.ROLES,
        partners=labels.partner_ids(),
        message=message,
        error=error,
    )


@require("admin")
async def users_add(request: web.Request) -> web.StreamResponse:
    """Create an account from the form."""
    console = _console(request)
    form = await request.post()
    email = str(form.get("email", ""))
    try:
        await _run(
            auth.add_user,
            console.app_engine,
            email,
            str(form.get("password", "")),
            str(form.get("role", "")),
            str(form.get("partner", "")).strip() or None,
        )
    except auth.AccountError as exc:
        return await _render_users(request, status=400, error=str(exc))
    await _audit(request, "user_add", email.strip().lower())
    raise web.HTTPFound(f"{PREFIX}/users?" + urlencode({"message": f"Compte créé : {email}."}))


@require("admin")
async def users_delete(request: web.Request) -> web.StreamResponse:
    """Delete an account (not one's own)."""
    form = await request.post()
    email = str(form.get("email", "")).strip().lower()
    if email == _user(request).email:
        return _error(request, 400, "Vous ne pouvez pas supprimer votre propre compte.")
    removed = await _run(auth.remove_user, _console(request).app_engine, email)
    if not removed:
        return _error(request, 404, "Ce compte n'existe pas.")
    await _audit(request, "user_delete", email)
    raise web.HTTPFound(f"{PREFIX}/users?" + urlencode({"message": f"Compte supprimé : {email}."}))


@require("admin")
async def audit_page(request: web.Request) -> web.StreamResponse:
    """The latest lines of the audit log."""
    await _audit(request, "view_audit")
    entries = await _run(queries.audit_entries, _console(request).app_engine)
    return render(request, "audit.html", entries=entries)
