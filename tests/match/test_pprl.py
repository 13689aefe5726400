"""Keyed Bloom-filter encodings of persons (match.pprl): cross-script and typo-tolerant
hits, no hit between different people, per-federation keys, strict wire format."""

from __future__ import annotations

import pytest

from palermo.match import pprl

KEY = pprl.FederationKey("eu-federation", b"s" * 32)


def enc(*names: str, dates: tuple[str, ...] = ()) -> pprl.Encoding:
    return pprl.encode(KEY, names, dates)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ivan Petrov", "Иван Петров"),  # Cyrillic national romanisation
        ("Dimitar Georgiev", "Димитър Георгиев"),  # Bulgarian official system
        ("Mohammed Al-Hassan", "Mohamed Alhassan"),  # spelling habits, glued article
        ("Olga Petrova", "Olga Petorva"),  # a typo
        ("Bill Emerson", "بیل امرسون"),  # Arabic script, through sound classes
    ],
)
def test_the_same_person_across_scripts_and_typos_is_a_hit(a: str, b: str) -> None:
    score = pprl.similarity(enc(a), enc(b))
    assert score >= pprl.THRESHOLD, (a, b, score)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ivan Petrov", "Anna Berg"),
        ("Olga Petrova", "Svetlana Ivanova"),
        ("Mohammed Al-Hassan", "Chai Wattana"),
    ],
)
def test_different_people_are_no_hit(a: str, b: str) -> None:
    score = pprl.similarity(enc(a), enc(b))
    assert score < pprl.THRESHOLD, (a, b, score)


def test_birth_years_tolerate_one_year_and_separate_distant_ones() -> None:
    base = enc("Ivan Petrov", dates=("1980-02-03",))
    near = enc("Иван Петров", dates=("1981",))
    far = enc("Ivan Petrov", dates=("1950-02-03",))
    assert pprl.similarity(base, near) >= pprl.THRESHOLD
    assert pprl.similarity(base, far) < pprl.similarity(base, near)


def test_another_federation_key_gives_unrelated_encodings() -> None:
    other_secret = pprl.FederationKey("eu-federation", b"t" * 32)
    other_salt = pprl.FederationKey("asean-federation", b"s" * 32)  # same secret, other name
    mine = enc("Ivan Petrov")
    for key in (other_secret, other_salt):
        theirs = pprl.encode(key, ["Ivan Petrov"])
        assert pprl.similarity(mine, theirs) < 0.6


def test_every_person_publishes_the_same_number_of_clks() -> None:
    """The number of forms (one for Latin, several for Cyrillic or Thai) is hidden."""
    for name in ("Anna Berg", "Хишигдэмбэрэлийн Тэмүүжин", "สมชาย ใจดี", "唐曉晴"):
        found = enc(name)
        assert len(found.letters) == len(found.sounds) == pprl.SLOTS
        assert len(found.to_wire()) == 2 * 2 * pprl.SLOTS * pprl.BYTES


def test_encoding_is_deterministic_and_round_trips_the_wire() -> None:
    one = enc("Ivan Petrov", dates=("1980-02-03",))
    assert one == enc("Ivan Petrov", dates=("1980-02-03",))
    assert pprl.Encoding.from_wire(one.to_wire()) == one


@pytest.mark.parametrize(
    ("text", "error"),
    [("zz", "encoding: not hexadecimal"), ("00ff", "encoding: 2 bytes, expected")],
)
def test_a_bad_wire_encoding_is_a_one_line_error(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        pprl.Encoding.from_wire(text)


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValueError, match="birthDate: '3 May 1980' is not an ISO date"):
        enc("Ivan Petrov", dates=("3 May 1980",))
    with pytest.raises(ValueError, match="name: no name"):
        enc("  ", "123")
    with pytest.raises(ValueError, match="secret: at least 32 bytes"):
        pprl.FederationKey("eu", b"short")
    with pytest.raises(ValueError, match="federation: a federation name"):
        pprl.FederationKey(" ", b"s" * 32)


def test_batched_scores_equal_pairwise_similarity() -> None:
    one = enc("Ivan Petrov", dates=("1980",))
    many = [enc(n) for n in ("Иван Петров", "Anna Berg", "Olga Petrova", "Ivan Petrov")]
    batched = pprl.scores(one, pprl.Stack.of(many))
    assert [float(s) for s in batched] == [pprl.similarity(one, m) for m in many]
    assert batched[0] >= pprl.THRESHOLD > batched[1]
    assert len(pprl.scores(one, pprl.Stack.of([]))) == 0
