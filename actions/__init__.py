"""Boussole's custom actions (rasa_sdk). `rasa run actions --actions actions` registers them all.

Actions talk to the knowledge base through ``knowledge.api.KnowledgeBase`` only, never SQL.
"""

from actions import contacts, events, forms, jobs, network, safety, schemes, session

__all__ = ["contacts", "events", "forms", "jobs", "network", "safety", "schemes", "session"]
