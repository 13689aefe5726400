"""The REST API (FastAPI): the store's capabilities over HTTP, with OpenAPI at /openapi.json."""

from palermo.api.app import create_app

__all__ = ["create_app"]
