"""The shared vocabularies of knowledge/README.md: needs, situations, operator types, scheme ids.

The NLU, the actions and the data all use these ids; they are declared here once.
"""

from __future__ import annotations

NEEDS = ("metiers", "formation", "alternance", "emploi", "jeunesse", "orientation")
SITUATIONS = (
    "collegien",
    "lyceen",
    "etudiant",
    "demandeur_emploi",
    "salarie",
    "sans_activite",
    "decrocheur",
    "apprenti",
    "parent",
    "referent",
    "handicap",
    "stagiaire",
)
OPERATOR_TYPES = (
    "mission_locale",
    "info_jeunes",
    "cio",
    "france_travail",
    "cap_emploi",
    "e2c",
    "epide",
    "aom",
    "partner",
    "region",
    "mdph",
    "suio",
    "cep",
)
# The NLU's `scheme` entity values (knowledge/README.md): each must keep an entry.
# The safety answers code names (knowledge/safety.py): each must be in contacts.yml.
SAFETY_ANSWER_IDS = ("distress", "request_human")
SCHEME_IDS = (
    "atouts_normandie", "atouts_normandie_bafa", "avenir", "qualif_collectif", "programme_savoirs",
    "une_formation_un_emploi", "vae_region", "permis_region", "pass_monde",
    "formations_sanitaires_sociales", "cej", "service_civique", "cpf", "vae", "apprentissage",
    "contrat_pro", "e2c", "epide", "obligation_formation", "parcours_metiers",
    "destination_metier", "salon_orientation",
)  # fmt: skip
