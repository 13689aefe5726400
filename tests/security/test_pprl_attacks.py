"""Attacks on published PPRL encodings (match.pprl), with and without the federation key.

The attacker holds the published encodings and a dictionary: the synthetic world's name
pools, which contain every published name (the strongest dictionary there can be). Without
the federation secret, encoding the dictionary and re-identifying each published person by
its most similar dictionary entry finds no more than chance, and no dictionary entry reaches
the hit threshold; with the secret the same attack finds nearly everyone, which is why the
secret never leaves the member nodes (docs/trust.md). The q-gram attack reads single bigrams
off the filters: with the key it reads which names hold the commonest bigrams exactly, with a
guessed key it reads nothing.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from palermo.match import pprl
from palermo.world.pools import load

KEY = pprl.FederationKey("eu-federation", b"\x07" * 16 + b"federation-secret")
GUESSED_KEYS = (
    pprl.FederationKey("eu-federation", b"\x00" * 32),
    pprl.FederationKey("eu-federation", b"palermo-development-deconfliction-key"),
    pprl.FederationKey("palermo", b"\x07" * 16 + b"federation-secret"),  # right secret, no salt
)


@pytest.fixture(scope="module")
def world() -> tuple[list[str], list[str], list[pprl.Encoding]]:
    """(dictionary, published names, their encodings): 40 published of 160 candidates."""
    rng = random.Random(19)
    cultures = [c for c in load().values() if c.script in ("Latin", "Cyrillic")] or list(
        load().values()
    )
    names: set[str] = set()
    while len(names) < 160:
        culture = rng.choice(cultures)
        given = rng.choice(culture.male + culture.female)[1][0]
        family = rng.choice(culture.family)[1][0]
        names.add(f"{given} {family}")
    dictionary = sorted(names)
    published = rng.sample(dictionary, 40)
    return dictionary, published, [pprl.encode(KEY, [n]) for n in published]


def reidentified(
    key: pprl.FederationKey,
    dictionary: list[str],
    published: list[str],
    encoded: list[pprl.Encoding],
) -> tuple[int, float]:
    """How many published persons the attacker names correctly, and its best score."""
    guesses = {n: pprl.encode(key, [n]) for n in dictionary}
    right, best = 0, 0.0
    for name, target in zip(published, encoded, strict=True):
        scored = {n: pprl.similarity(target, g) for n, g in guesses.items()}
        top = max(scored, key=scored.__getitem__)
        right += top == name
        best = max(best, scored[top])
    return right, best


def test_a_dictionary_attack_without_the_key_recovers_nothing(
    world: tuple[list[str], list[str], list[pprl.Encoding]],
) -> None:
    dictionary, published, encoded = world
    for key in GUESSED_KEYS:
        right, best = reidentified(key, dictionary, published, encoded)
        assert right <= 2, (key.federation, right)  # chance: 40 guesses at 1/160 each
        assert best < pprl.THRESHOLD, (key.federation, best)


def test_with_the_key_the_same_attack_succeeds(
    world: tuple[list[str], list[str], list[pprl.Encoding]],
) -> None:
    """The key is the protection: whoever holds it can test guesses (docs/trust.md)."""
    dictionary, published, encoded = world
    right, best = reidentified(KEY, dictionary, published, encoded)
    assert right >= 36 and best == 1.0


def _reads_bigram(key: pprl.FederationKey, clks: tuple[int, ...], token: str) -> bool:
    positions = pprl._positions(key.token_key, token)
    return any(all(c >> p & 1 for p in positions) for c in clks)


def test_a_qgram_attack_reads_bigrams_only_with_the_key(
    world: tuple[list[str], list[str], list[pprl.Encoding]],
) -> None:
    _, published, encoded = world
    truth = {
        n: {g for form in pprl.letter_forms(n) for part in form for g in pprl.bigrams(part, "l")}
        for n in published
    }
    common = [g for g, _ in Counter(g for gs in truth.values() for g in gs).most_common(10)]
    for token in common:
        holders = {n for n in published if token in truth[n]}
        keyed = {
            n
            for n, e in zip(published, encoded, strict=True)
            if _reads_bigram(KEY, e.letters, token)
        }
        assert (
            holders <= keyed
        )  # with the key: every holder is read (Bloom filters have no false negatives)
        for guess in GUESSED_KEYS:
            read = {
                n
                for n, e in zip(published, encoded, strict=True)
                if _reads_bigram(guess, e.letters, token)
            }
            assert len(read) <= 1, (token, guess.federation, len(read))


@pytest.fixture(scope="module")
def han_world() -> tuple[list[str], list[str], list[pprl.Encoding]]:
    """The same attack on names written in Chinese characters, which publish a readings
    CLK (every reading of every character, ADR 0048): 40 published of 160 candidates."""
    rng = random.Random(48)
    culture = load()["CN"]
    names: set[str] = set()
    while len(names) < 160:
        given = rng.choice(culture.male + culture.female)[0]
        names.add(rng.choice(culture.family)[0] + given)
    dictionary = sorted(names)
    published = rng.sample(dictionary, 40)
    return dictionary, published, [pprl.encode(KEY, [n]) for n in published]


def test_readings_clks_give_nothing_without_the_key(
    han_world: tuple[list[str], list[str], list[pprl.Encoding]],
) -> None:
    """The readings CLK is a new published field: a dictionary of Chinese names, and its
    Latin spellings, encoded under guessed keys, re-identify no more than chance and reach
    no hit; with the key the attack works (the key is the protection, as for the rest)."""
    dictionary, published, encoded = han_world
    assert all(e.reading.bit_count() == pprl.READING_BITS for e in encoded)
    for key in GUESSED_KEYS:
        right, best = reidentified(key, dictionary, published, encoded)
        assert right <= 2, (key.federation, right)
        assert best < pprl.THRESHOLD, (key.federation, best)
    guesses = {n: pprl.encode(KEY, [n]) for n in dictionary}
    found = 0
    for name, target in zip(published, encoded, strict=True):
        scored = {n: pprl.similarity(target, g) for n, g in guesses.items()}
        # the true name is among the best guesses (ties: names with the same readings)
        found += scored[name] == max(scored.values())
    assert found >= 36  # with the key the attack works


def test_a_qgram_attack_on_readings_clks_reads_only_with_the_key(
    han_world: tuple[list[str], list[str], list[pprl.Encoding]],
) -> None:
    _, published, encoded = han_world
    truth = {n: pprl.reading_tokens(n) for n in published}
    common = [g for g, _ in Counter(g for gs in truth.values() for g in gs).most_common(10)]
    for token in common:
        holders = {n for n in published if token in truth[n]}
        keyed = {n for n, e in zip(published, encoded, strict=True) if _reads(KEY, e, token)}
        assert holders <= keyed
        for guess in GUESSED_KEYS:
            read = [e for e in encoded if _reads(guess, e, token)]
            # padding sets READING_BITS of 1,024: a random 10-position token is in a filter
            # by chance with probability (416/1024)^10 < 1.3e-4
            assert len(read) <= 1, (token, guess.federation, len(read))


def _reads(key: pprl.FederationKey, encoding: pprl.Encoding, token: str) -> bool:
    return _reads_bigram(key, (encoding.reading,), token)
