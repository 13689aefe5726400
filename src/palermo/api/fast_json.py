"""Pre-serialised JSON answers for the hot screening routes.

FastAPI validates a handler's return value against its ``response_model`` and then encodes
it with ``jsonable_encoder`` and the standard library: for a list of twenty candidates with
their features that is most of a person screening's framework time. The hot routes build
plain dicts (their shape is fixed by the code that builds them, checked by the tests against
the declared models) and hand them to `OrjsonResponse`, which FastAPI sends as it is; the
``response_model`` still documents the answer in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


class OrjsonResponse(Response):
    """``application/json`` rendered by orjson (several times faster than ``json.dumps``,
    and it writes bytes directly, so there is no extra encode step)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
