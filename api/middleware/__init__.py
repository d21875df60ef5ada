"""Small ASGI middlewares, one job each: observing requests, limits, headers. Wired up in api/main.py."""
