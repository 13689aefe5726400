"""Storage: statements, policies, the directory and the audit chain on SQLite or PostgreSQL."""

from palermo.store.directory import Agency, DirectoryError, User
from palermo.store.store import Store
from palermo.store.views import Entity, Value

__all__ = ["Agency", "DirectoryError", "Entity", "Store", "User", "Value"]
