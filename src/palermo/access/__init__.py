"""Who is asking: viewers, roles and credentials. Pure rules, no database.

The store compiles these rules into SQL; this package only says what they are.
"""

from palermo.access.viewer import AccessDenied, Role, Viewer

__all__ = ["AccessDenied", "Role", "Viewer"]
