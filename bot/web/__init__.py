"""The web gateway: chat API, embeddable widget, demo and totem pages (aiohttp)."""
