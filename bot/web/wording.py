"""What the gateway says itself, in the voice of the request's profile.

Rasa's answers pick « tu » or « vous » on the conversation's ``profile`` slot; the gateway's own
sentences (a refused message, a rate limit, a thank-you, the apology when Rasa is down) follow
the profile of the request: the widget's ``data-profile``, else the partner's
(``views._profile``). The gateway does not see the slots, but Boussole's channel ends each answer
with the conversation's profile (bot/channels.py); the gateway uses it for that answer and
returns it as ``profile``, and the widget sends it back with its next requests. So a parent known
only from what they wrote (« ma fille a 16 ans ») reads « vous » from the gateway too, even when
Rasa is down or the rate limit answers. Each sentence is a :class:`knowledge.voice.Words`, so a
« tu » form in a « vous » text fails at import.
"""

from __future__ import annotations

from typing import Any

from knowledge.voice import Words, voice_of


def _words(youth: str, formal: str) -> Words:
    """A gateway sentence: the same « vous » text for a parent and for a referent."""
    return Words(youth=youth, parent=formal, referent=formal)


EMPTY = _words(
    "Ton message est vide : écris ta question.",
    "Votre message est vide : écrivez votre question.",
)
UNREADABLE = _words(
    "Ton message contient des caractères illisibles.",
    "Votre message contient des caractères illisibles.",
)
TOO_LONG = _words(
    "Ton message est trop long ({length} caractères). "
    "Écris-le en {limit} caractères maximum, ou en plusieurs fois.",
    "Votre message est trop long ({length} caractères). "
    "Écrivez-le en {limit} caractères maximum, ou en plusieurs fois.",
)
TOO_LARGE = _words(
    "Ton message est trop long : raccourcis-le un peu.",
    "Votre message est trop long : raccourcissez-le un peu.",
)
TEXT_OR_BUTTON = _words(
    "Envoie soit un texte, soit le choix d'un bouton.",
    "Envoyez soit un texte, soit le choix d'un bouton.",
)
RATE_LIMITED = _words(
    "Tu envoies beaucoup de messages d'un coup ! Attends quelques secondes puis réessaie.",
    "Vous envoyez beaucoup de messages d'un coup ! Attendez quelques secondes puis réessayez.",
)
FEEDBACK_THANKS = _words("Merci pour ton avis !", "Merci pour votre avis !")
FEEDBACK_UNAVAILABLE = _words(
    "Ton avis n'a pas pu être enregistré. Réessaie plus tard.",
    "Votre avis n'a pas pu être enregistré. Réessayez plus tard.",
)
# When Rasa is down: the apology, then the Parcours Métiers line (bot/web/directory.py).
APOLOGY = _words(
    "Je ne peux pas te répondre pour le moment, désolé.",
    "Je ne peux pas vous répondre pour le moment, désolé.",
)
TRY_AGAIN = _words("Réessaie dans quelques minutes.", "Réessayez dans quelques minutes.")
CALL_LINE = _words(
    "Pour parler à quelqu'un, appelle le {phone}{free}{when} : {label}.",
    "Pour parler à quelqu'un, appelez le {phone}{free}{when} : {label}.",
)
LINE_WEBSITE = _words(
    "Tu trouveras de l'aide sur le site de {label} : {website}",
    "Vous trouverez de l'aide sur le site de {label} : {website}",
)


def said(words: Words, profile: str | None, **values: Any) -> str:
    """``words`` for a request of ``profile`` (``youth``, ``parent``, ``referent`` or none)."""
    return words.to(voice_of(profile), **values)
