"""Errors the API answers with: a status, a stable code and a French sentence for the user."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ApiError(Exception):
    """Raised by views; the error middleware turns it into a JSON response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> web.Response:
        """The JSON response for this error."""
        body = {"error": self.code, "message": self.message, **self.extra}
        return web.json_response(body, status=self.status, headers=self.headers)


# Errors aiohttp raises itself, said in French.
HTTP_MESSAGES = {
    400: ("bad_request", "La demande n'a pas pu être lue."),
    404: ("not_found", "Cette adresse n'existe pas."),
    405: ("method_not_allowed", "Cette méthode n'est pas acceptée ici."),
    413: ("too_large", "Ton message est trop long : raccourcis-le un peu."),
}


def from_http_exception(exc: web.HTTPException) -> ApiError:
    """The French API error for an aiohttp HTTP exception."""
    code, message = HTTP_MESSAGES.get(exc.status, ("error", "Une erreur est survenue."))
    return ApiError(exc.status, code, message)


def unknown_partner() -> ApiError:
    """403 for a partner id that is missing or not declared in the knowledge base."""
    return ApiError(
        403,
        "unknown_partner",
        "Ce site n'est pas déclaré comme partenaire de Boussole. "
        "Vérifie l'attribut data-partner de la balise du widget.",
    )


def origin_not_allowed() -> ApiError:
    """403 for a browser origin the partner did not declare."""
    return ApiError(
        403,
        "origin_not_allowed",
        "Ce site n'est pas autorisé à afficher Boussole pour ce partenaire.",
    )
