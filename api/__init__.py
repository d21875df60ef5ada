"""The HTTP face of counsel-search: FastAPI app, typed models, routes and the search page."""
