"""How records really go wrong: typos, swapped day and month, missing fields, spellings."""

from __future__ import annotations

import random
import string


def typo(rng: random.Random, text: str) -> str:
    """One keyboard-style slip: a dropped, doubled, swapped or replaced letter."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2:
        return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
    letter = rng.choice(string.ascii_lowercase)
    return text[:i] + (letter.upper() if text[i].isupper() else letter) + text[i + 1 :]


def noisy_date(rng: random.Random, iso: str, swap: float = 0.08, shift: float = 0.03) -> str:
    """Swap day and month (when both are <= 12) or shift the year by one."""
    year, month, day = iso.split("-")
    roll = rng.random()
    if roll < swap and int(day) <= 12 and day != month:
        return f"{year}-{day}-{month}"
    if roll < swap + shift:
        return f"{int(year) + rng.choice((-1, 1)):04d}-{month}-{day}"
    return iso
