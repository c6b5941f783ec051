"""Custom Rasa NLU components of Boussole (referenced from ``config.yml`` by dotted path)."""
