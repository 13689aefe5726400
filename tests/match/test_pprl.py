"""Keyed Bloom-filter encodings of persons (match.pprl): cross-script and typo-tolerant
hits, no hit between different people, per-federation keys, strict wire format."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        assert len(found.to_wire()) == 2 * (2 * pprl.SLOTS + 1) * pprl.BYTES


@pytest.mark.parametrize(
    "name", ["Anna Berg", "Хишигдэмбэрэлийн Тэмүүжин", "สมชาย ใจดี", "唐曉晴", "陳修信", "李明"]
)
def test_every_readings_clk_shows_the_same_number_of_bits(name: str) -> None:
    """A name in Chinese characters has a readings CLK, the others a keyed filler: both
    padded to `READING_BITS`, so the bit count does not tell the script."""
    assert enc(name).reading.bit_count() == pprl.READING_BITS


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Chi-Mai Chen", "陳其邁"),  # pinyin family name last, Wade-Giles given name
        ("Lim Hng Kiang", "林勛強"),  # Hokkien family name and given name
    ],
)
def test_readings_mixed_across_systems_character_by_character_are_a_hit(
    latin: str, han: str
) -> None:
    """No single system spells these names (the whole-name forms miss them); the readings
    CLK holds every reading of every character, and the Latin letter CLK is inside it."""
    reading_only = pprl.READING * _held(enc(latin), enc(han))
    assert reading_only >= pprl.THRESHOLD, (latin, han, reading_only)
    assert pprl.similarity(enc(latin), enc(han)) >= pprl.THRESHOLD
    assert pprl.similarity(enc(han), enc(latin)) == pprl.similarity(enc(latin), enc(han))


def _held(latin: pprl.Encoding, han: pprl.Encoding) -> float:
    """The best share of a letter CLK's bits the readings CLK holds (computed here with
    plain integers, independently of the vectorised comparison)."""
    return max((c & han.reading).bit_count() / c.bit_count() for c in latin.letters)


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Li", "李明"),  # a lone short part: in the readings of half of all Chinese names
        ("Anna Berg", "陳修信"),
        ("Wong Kar Wai", "陳修信"),  # Chinese syllables, other characters
    ],
)
def test_readings_do_not_hold_a_short_part_or_other_syllables(latin: str, han: str) -> None:
    assert pprl.similarity(enc(latin), enc(han)) < pprl.THRESHOLD, (latin, han)


def test_a_transcribed_foreign_name_has_no_readings_clk() -> None:
    """Separated or longer runs of characters transcribe a foreign name (唐纳德·特朗普):
    no per-character readings (a run without separators does get its glued sound classes
    in the readings CLK, `transcription_tokens`)."""
    assert pprl.reading_tokens("唐纳德·特朗普") == frozenset()
    assert pprl.reading_tokens("卡玛鲁汀查华") == frozenset()
    assert {"l_t", "lta", "lan", "ln_"} <= pprl.reading_tokens("陳修信")  # tan, Hokkien 陳


def test_encoding_is_deterministic_and_round_trips_the_wire() -> None:
    one = enc("Ivan Petrov", dates=("1980-02-03",))
    assert one == enc("Ivan Petrov", dates=("1980-02-03",))
    assert pprl.Encoding.from_wire(one.to_wire()) == one
    han = enc("陳修信", dates=("1916",))
    assert han == enc("陳修信", dates=("1916",))
    assert pprl.Encoding.from_wire(han.to_wire()) == han


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
    many = [enc(n) for n in ("Иван Петров", "Anna Berg", "Olga Petrova", "Ivan Petrov", "陳修信")]
    batched = pprl.scores(one, pprl.Stack.of(many))
    assert [float(s) for s in batched] == [pprl.similarity(one, m) for m in many]
    assert batched[0] >= pprl.THRESHOLD > batched[1]
    assert len(pprl.scores(one, pprl.Stack.of([]))) == 0


def test_each_sound_key_variant_is_a_filter_of_its_own() -> None:
    """An Arabic-script word's keys with w and y as vowels and as consonants used to share
    one filter and dilute each other (ADR 0048): each variant is now a form of its own, and
    the Latin spelling meets the one it matches."""
    assert pprl.sound_forms("آرون شوک") == (("ln", "sk"), ("lfn", "sfk"))
    score = pprl.similarity(enc("Aaron Schock"), enc("آرون شوک"))
    assert score >= pprl.THRESHOLD, score


def test_coda_l_and_r_are_dropped_in_a_sound_form_of_their_own() -> None:
    """Chinese syllables cannot end in l or r: Cardin is transcribed ka-ding."""
    forms = pprl.sound_forms("Barbara Mikulski")
    assert ("plpl", "nklsk") in forms and ("ppl", "nksk") in forms


@pytest.mark.parametrize(
    ("thai", "same", "other"),
    [
        ("รุ่งชัย", "Rungchai", "Rianchai"),  # ADR 0030's examples: one vowel apart
        ("สมชาย", "Somchai", "Somchoi"),
        ("วนัส", "Wanat", "Anat"),
    ],
)
def test_a_lone_thai_name_meets_its_spelling_not_a_similar_name(
    thai: str, same: str, other: str
) -> None:
    """Vowel-less sound keys made romanisations of similar lone Thai names equal (Rungchai
    and Rianchai both LNST, ADR 0049); a lone Thai name is judged by its letters in Thai
    informal spelling, as plaintext screening judges it."""
    assert pprl.similarity(enc(thai), enc(same)) >= pprl.THRESHOLD
    assert pprl.similarity(enc(thai), enc(other)) < pprl.THRESHOLD


def test_a_lone_thai_name_has_no_vowel_less_sound_forms() -> None:
    assert pprl.sound_forms("รุ่งชัย") == ()
    assert pprl.sound_forms("สมชาย ใจดี")  # a whole Thai name keeps its sound forms
    assert pprl.lone_forms("รุ่งชัย") == ("rungiai",)  # rungchai: informal spelling, folded
    assert pprl.lone_forms("Ammaree") == ("amari", "amri")  # and without its linking syllable
    assert pprl.lone_forms("Somchai Jaidee") == pprl.lone_forms("陳修信") == ()


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x0E01, max_codepoint=0x0E2E), min_size=2))
def test_a_lone_thai_name_publishes_the_same_shape_as_any_other(word: str) -> None:
    """Without sound forms a lone Thai name fills its sound slots with keyed fillers: the
    number of CLKs and the readings count stay the same for every person (ADR 0017)."""
    found = enc(word)
    assert len(found.letters) == len(found.sounds) == pprl.SLOTS
    assert found.reading.bit_count() == pprl.READING_BITS
    assert all(clk.bit_count() > 0 for clk in found.sounds)


# Transcriptions written as one run of characters (ADR 0017, amendment 2026-11-30). Made-up
# Malay-style names and their transcriptions, not rows of any data set.


def test_a_glued_transcription_allows_a_word_boundary_at_every_class() -> None:
    """卡马尔拉希德 (ka-ma-er-la-xi-de, Kamal Rashid written without a separator): the glued
    classes' bigrams, and a boundary before and after every class, as sound tokens."""
    tokens = pprl.transcription_tokens("卡马尔拉希德")
    assert {"skn", "snl", "s_k", "sn_", "s_l"} <= tokens  # KNL..: ka-ma | la
    assert all(t.startswith("s") for t in tokens)
    # the words are shown (a separator), or the name is not in characters: nothing
    assert pprl.transcription_tokens("卡马尔·拉希德") == frozenset()
    assert pprl.transcription_tokens("Kamal Rashid") == frozenset()


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Kamal Rashid", "卡马尔拉希德"),  # the whole name, no separator
        ("Kamal Rashid Osman", "拉希德"),  # one part of it (la-xi-de)
        ("Donald Trump", "特朗普"),  # the family name alone (te-lang-pu)
    ],
)
def test_characters_that_transcribe_all_or_part_of_a_name_are_a_hit(latin: str, han: str) -> None:
    assert pprl.similarity(enc(latin), enc(han)) >= pprl.THRESHOLD, (latin, han)
    assert pprl.similarity(enc(han), enc(latin)) == pprl.similarity(enc(latin), enc(han))


def test_part_of_a_name_never_fires_between_two_latin_names() -> None:
    """The part rule counts a sound CLK only as far as its own readings CLK holds it, which
    for a Latin name is a keyed filler: one Latin name inside another is judged as before
    (letters, 0.85 x the overlap), not as a transcription."""
    one, other = enc("Nazri Aziz"), enc("Mohamed Nazri Abdul Aziz")
    many = pprl.Stack.of([other])
    part = pprl._part_of(one, many, pprl._common(one.sound_bits[0], many.sounds))[0]
    assert part < 0.5  # chance overlap with a filler of 320 of 1,024 bits


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Ismail Hamzah", "卡马尔拉希德"),  # another transcription
        ("Tan Ah Kow", "卡马尔拉希德"),
        ("Kamal Rashid", "王小明"),  # a native Chinese name
    ],
)
def test_a_glued_transcription_does_not_hold_other_names(latin: str, han: str) -> None:
    assert pprl.similarity(enc(latin), enc(han)) < pprl.THRESHOLD, (latin, han)


@pytest.mark.parametrize("name", ["卡马尔拉希德", "莫哈末阿兹兰沙卡里亚", "拉希德"])
def test_a_glued_transcription_keeps_the_readings_clk_at_its_fixed_count(name: str) -> None:
    assert enc(name).reading.bit_count() == pprl.READING_BITS
