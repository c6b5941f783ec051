"""Every URL of the console (views live in :mod:`bot.console.views`)."""

from __future__ import annotations

from aiohttp import web

from bot.console import PACKAGE_DIR, PREFIX, contents, views

CONVERSATION = PREFIX + "/conversations/{sender_id}"


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the console's routes and static files on ``router``."""
    router.add_get(PREFIX, views.home, name="console_home")
    router.add_get(PREFIX + "/login", views.login_page, name="console_login")
    router.add_post(PREFIX + "/login", views.login)
    router.add_post(PREFIX + "/logout", views.logout, name="console_logout")
    router.add_get(PREFIX + "/conversations", views.conversations, name="console_conversations")
    router.add_get(PREFIX + "/conversations.csv", views.conversations_csv)
    router.add_get(CONVERSATION, views.conversation, name="console_conversation")
    router.add_post(CONVERSATION + "/review", views.review)
    router.add_post(CONVERSATION + "/tags", views.add_tag)
    router.add_post(CONVERSATION + "/tags/delete", views.remove_tag)
    router.add_post(CONVERSATION + "/erase", views.erase)
    router.add_get(PREFIX + "/inbox", views.inbox, name="console_inbox")
    router.add_post(PREFIX + "/inbox/annotate", views.annotate)
    router.add_get(PREFIX + "/inbox/export.yml", views.export_download)
    router.add_post(PREFIX + "/inbox/export", views.export_write)
    router.add_get(PREFIX + "/dashboard", views.dashboard, name="console_dashboard")
    router.add_get(PREFIX + "/dashboard/{table}.csv", views.dashboard_csv)
    contents.add_routes(router)
    router.add_get(PREFIX + "/users", views.users_page, name="console_users")
    router.add_post(PREFIX + "/users", views.users_add)
    router.add_post(PREFIX + "/users/delete", views.users_delete)
    router.add_get(PREFIX + "/audit", views.audit_page, name="console_audit")
    router.add_static(PREFIX + "/static/", PACKAGE_DIR / "static", name="console_static")
