"""Score entity pairs with nomenklatura's matchers, one JSON line in, one JSON line out.

Runs under ``bench/.peers-venv/bin/python`` (nomenklatura pins an older duckdb than
palermo, so it cannot live in the main venv). Start it once and stream pairs through it:

    {"a": {"name": ["Donald Trump"]}, "b": {"name": ["唐纳德·特朗普"]}, "algorithm": "logic-v2"}
    -> {"score": 0.9}

``a`` and ``b`` are FtM Person properties (``schema`` may override "Person"); they become
entities with ids "a-<n>" (the query) and "b-<n>" (the candidate), n counting requests:
nomenklatura caches name analysis by entity id, so reused ids would score every pair as
the first one. They are scored the way yente does:
``algorithm.compare(query, candidate, ScoringConfig.defaults())``. A line that cannot be
scored yields ``{"score": null, "error": "<field>: <reason>"}`` so one bad pair never stops
a batch. Output is flushed per line so a client reading a batch never waits on a buffer.
"""

from __future__ import annotations

import itertools
import json
import sys
from typing import Any

from followthemoney import model
from nomenklatura.matching import ScoringConfig, get_algorithm

CONFIG = ScoringConfig.defaults()
COUNTER = itertools.count()


def make_entity(entity_id: str, props: Any) -> Any:
    """Build the FtM entity for one side; unknown properties are a clear error, not a crash."""
    if not isinstance(props, dict):
        raise ValueError(f"{entity_id[0]}: expected an object of FtM properties")
    schema = props.get("schema", "Person")
    entity = model.make_entity(schema)
    entity.id = entity_id
    for prop, values in props.items():
        if prop == "schema":
            continue
        if prop not in entity.schema.properties:
            raise ValueError(f"{entity_id[0]}.{prop}: not a property of {schema}")
        entity.add(prop, values if isinstance(values, list) else [values], cleaned=False)
    return entity


def score_line(line: str) -> dict[str, Any]:
    """Score one request line; errors name the field at fault."""
    try:
        request = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"score": None, "error": f"line: invalid JSON ({exc.msg})"}
    name = request.get("algorithm", "logic-v2")
    algorithm = get_algorithm(name)
    if algorithm is None:
        return {"score": None, "error": f"algorithm: unknown matcher {name!r}"}
    try:
        n = next(COUNTER)
        query = make_entity(f"a-{n}", request.get("a"))
        candidate = make_entity(f"b-{n}", request.get("b"))
    except (ValueError, KeyError) as exc:
        return {"score": None, "error": str(exc)}
    result = algorithm.compare(query, candidate, CONFIG)
    return {"score": float(result.score)}


def main() -> None:
    """Stream requests from stdin to scores on stdout, one line each, in order."""
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(score_line(line)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
