"""Load the name-reading tables when a server starts, not on its first Chinese passenger.

The readings of Han characters (pypinyin, ToJyutping) and Japanese (pykakasi) are large
pure-Python tables imported on first use: about 9 s of CPU on this project's 2-core machine
(measured 2026-11-30: ToJyutping 4.6 s, pypinyin 2.4 s, pykakasi 1.4 s). Loaded lazily,
that cost lands on whichever request first screens a name in those scripts -- a border
officer's manifest waits 9 s, and an HTTP client with a 10 s time-out gives up. A server
therefore loads them in a background thread as it starts: it accepts requests at once, and a
request that needs the tables before they are in waits only for the rest of the load (the
import lock), never for a second one. Commands that run once (the CLI) keep loading lazily.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("palermo.warm_up")

# One name per lazily loaded table: Chinese characters (Mandarin and Cantonese readings) and
# kana (Japanese). Public entry points, so whatever they load on first use gets loaded.
SAMPLES = ("張偉", "やまだ たろう")


def load_name_tables() -> None:
    """Compute the keys of one name per script whose readings are loaded on first use."""
    from palermo.match import names

    for sample in SAMPLES:
        names.keys(sample)
        names.name_similarity(sample, "Zhang Wei")


def in_background() -> threading.Thread:
    """Start `load_name_tables` on a daemon thread (a failure is logged, never raised:
    the tables then load on first use, as before)."""

    def run() -> None:
        try:
            load_name_tables()
        except Exception:  # a warm-up must not take the server down
            log.exception('{"event":"name_tables_warm_up_failed"}')

    thread = threading.Thread(target=run, name="warm-names", daemon=True)
    thread.start()
    return thread
