"""Boussole application glue: CLI, custom NLU components, REST channel, web gateway and console."""
