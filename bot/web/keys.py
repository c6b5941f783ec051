"""Typed keys of the gateway's application state."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from sqlalchemy.engine import Engine

from bot.settings import Settings
from bot.web.directory import PartnerDirectory
from bot.web.limits import RateLimits
from bot.web.proxies import Network
from bot.web.rasa_client import RasaClient
from bot.web.safety import SafetyNet

SETTINGS_KEY = web.AppKey("settings", Settings)
HTTP_KEY = web.AppKey("http", aiohttp.ClientSession)
RASA_KEY = web.AppKey("rasa", RasaClient)
PARTNERS_KEY = web.AppKey("partners", PartnerDirectory)
LIMITS_KEY = web.AppKey("limits", RateLimits)
PROXIES_KEY = web.AppKey("trusted_proxies", tuple[Network, ...])
APP_DB_KEY = web.AppKey("app_db", Engine)
SAFETY_KEY = web.AppKey("safety", SafetyNet)
