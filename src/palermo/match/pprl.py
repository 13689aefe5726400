"""Privacy-preserving person encodings: keyed Bloom filters of romanised name forms.

Agencies on different nodes want to know whether they hold the same person without handing
each other names. Each person becomes an `Encoding`: cryptographic long-term keys (CLKs,
Schnell, Bachteler and Reiher 2011) of the bigrams of every Latin form `names.name_forms`
gives (Cyrillic national systems, Thai spellings; for Chinese characters every reading system
of `names_han.system_forms`), folded (`names.fold`: w/v, kh/h, ...) so the spelling habits
of different languages agree, plus one CLK per form of the name's *sound classes* (consonant
classes, vowels dropped: `names_han.sound_keys`, `abjad_keys` for Arabic script, the pinyin
transcription for foreign names written in characters; one CLK per key variant of the
words, never the variants in one CLK, where they diluted each other; for Latin names also a
form without the l and r before a consonant, which Chinese and Thai syllables cannot end
in: Cardin ~ 卡定 ka-ding), which is how a Latin name meets its Arabic-script or Chinese
transcription. A lone Thai name (one word) gets no sound CLK: consonant classes of one word
make romanisations of different, similar names equal (Rungchai / Rianchai, both LNST);
instead it, and any Latin name of one part, also gets letter CLKs in Thai informal
spelling (`lone_forms`), as plaintext screening compares a lone Thai name (ADR 0049).
A name written as a Chinese native name (two to four characters) also gets one *readings*
CLK: every reading of every character in every system, as letter bigrams, padded to a fixed
number of set bits, so that a Latin name spelling each character in a different system
(Lim Hng Kiang ~ 林勛強: Hokkien and Cantonese, which no whole-name system form spells)
is found *inside* it, as plaintext screening pairs readings character by character
(ADR 0048). A name written as one run of characters without separators (a native name,
or a foreign name glued: 卡玛鲁汀查华, Kamaruddin Jaafar) also puts into that CLK the sound
bigrams of its glued transcription's consonant classes, with a word boundary allowed at every
class (`transcription_tokens`), so a Latin name's sound CLK is found inside it, and a sound
CLK the readings CLK of its own person holds marks a transcription that may spell *part* of
the other person's name (纳兹里 nazili ~ Mohamed Nazri Abdul Aziz; ADR 0017, amendment
2026-11-30). Birth years (with the neighbouring years, for tolerance) go into the same
filters, not a separate field a frequency count could read.

Bit positions come from HMAC-SHA256 under a key derived from the federation's secret and
its name (`FederationKey`): a different federation, or anyone without the secret, gets
unrelated positions, so a dictionary of names encoded without the key matches nothing.
Each bigram sets `HASHES` independent positions taken from its own HMAC ("random hashing",
Niedermeyer et al. 2014: no double-hashing structure to exploit). Every person publishes
the same number of CLKs of each kind (`SLOTS`): forms it lacks are filled with CLKs of
random bigrams, so the number of forms does not tell the script of the name.

`similarity` is the best Dice coefficient of any two CLKs of the same kind, or a discounted
overlap coefficient of the letter CLKs (one name with a part more, Kamil Al-Awadi / Kamil
Mahmoud Al-Awadi); CLKs with few bits (one short name part) are judged more strictly, as
plaintext screening judges a lone given name; or the share of one person's letter CLK held
by the other's readings CLK (`READING` x the overlap coefficient), the same for a sound CLK
of two or more parts, or the share of a transcription's sound CLK held by a sound CLK of the
other (`_part_of`, `READING` x it). `THRESHOLD` is
calibrated so that the encoded hit/no-hit keeps plaintext screening's precision on the
real names of names-dev (bench/pprl.py). See docs/trust.md, "Privacy-preserving
hit/no-hit", ADR 0017, ADR 0048 and ADR 0049.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

from palermo.match.names import (
    fold,
    has_arabic,
    has_thai,
    name_forms,
    name_parts,
    thai_spellings,
)
from palermo.match.names_han import (
    NATIVE_NAME_CHARS,
    SEPARATORS,
    abjad_keys,
    han_chars,
    has_han,
    native_readings,
    sound_keys,
    system_forms,
    transcription_words,
)
from palermo.match.names_thai import linking_variants, thai_fold

VERSION = "palermo-pprl-v4"
BITS = 1024  # per CLK
BYTES = BITS // 8
HASHES = 10  # positions per token
SLOTS = 6  # CLKs of each kind (letters, sounds) every person publishes
THRESHOLD = 0.80  # bench/pprl.py: plaintext screening's precision on names-dev (ADR 0048)
PARTIAL = 0.85  # overlap coefficient of the letter CLKs, discounted: a name part more or less
SHORT_BITS = 80  # a CLK with fewer bits is one short name part ...
SHORT_SOUND_BITS = 45  # the same for sound CLKs (consonant keys are shorter)
SHORT_STRICTNESS = 2.0  # ... and a bigram off counts double (Wanat / Anat)
YEAR_TOLERANCE = 1  # birth years this far apart still share tokens
MIN_SECRET = 32  # bytes of federation secret
DUMMY_TOKENS = 18  # random bigrams in a filler CLK: about a two-part name
READING_BITS = 416  # every readings CLK is padded to this many set bits (ADR 0048, 0017)
READING = 0.9  # containment of a letter CLK in a readings CLK, discounted
HELD_MIN_BITS = 50  # ... of a letter CLK of more than one part of up to 4 letters (5 bigrams)
SOUND_HELD_MIN_BITS = 70  # ... of a sound CLK in one: about 7 bigrams, two parts of 2-3 classes
PART_MIN_BITS = 40  # a transcription's key in a sound CLK: 4 bigrams, 3 consonant classes
WIRE_BYTES = (2 * SLOTS + 1) * BYTES
Words = np.ndarray[Any, np.dtype[np.uint64]]  # CLKs as 64-bit words, one row per slot
Counts = np.ndarray[Any, np.dtype[np.int64]]
Grid = np.ndarray[Any, np.dtype[np.float64]]
CODA = re.compile(r"(?<=[aeiouy])[lr]+(?=[bcdfgjkmnpqstvwxz])")
YEAR = re.compile(r"^(\d{4})(?:-\d{2}(?:-\d{2})?)?$")


@dataclass(frozen=True)
class FederationKey:
    """The federation's secret and name; the bit positions are keyed by both (the name is
    the per-federation salt: one secret reused by two federations still gives unrelated
    encodings). Every member node holds it; agencies and peers outside never do."""

    federation: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not self.federation.strip():
            raise ValueError("federation: a federation name is required")
        if len(self.secret) < MIN_SECRET:
            raise ValueError(f"secret: at least {MIN_SECRET} bytes are required")

    @property
    def token_key(self) -> bytes:
        return _derive(self.secret, self.federation, "bloom")

    def digest(self, *parts: str) -> str:
        """An opaque reference under the key (published record references)."""
        key = _derive(self.secret, self.federation, "reference")
        data = "\x1f".join(parts).encode()
        return hmac.new(key, data, hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=64)
def _derive(secret: bytes, federation: str, purpose: str) -> bytes:
    label = "\x1f".join((VERSION, federation, purpose)).encode()
    return hmac.new(secret, label, hashlib.sha256).digest()


@dataclass(frozen=True)
class Encoding:
    """One person's published CLKs: `SLOTS` of letters, `SLOTS` of sounds and one of
    per-character readings (`READING_BITS` bits set, a filler for names without one), as
    integers."""

    letters: tuple[int, ...]
    sounds: tuple[int, ...]
    reading: int

    @cached_property
    def letter_bits(self) -> tuple[Words, Counts]:
        """The letter CLKs as a (SLOTS, BITS/64) array of words, and their popcounts."""
        return _words(self.letters)

    @cached_property
    def sound_bits(self) -> tuple[Words, Counts]:
        return _words(self.sounds)

    @cached_property
    def reading_bits(self) -> tuple[Words, Counts]:
        return _words((self.reading,))

    def to_wire(self) -> str:
        """Hex of the concatenated CLKs (letters, sounds, reading), fixed length."""
        clks = (*self.letters, *self.sounds, self.reading)
        return b"".join(c.to_bytes(BYTES, "big") for c in clks).hex()

    @classmethod
    def from_wire(cls, text: str) -> Encoding:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError("encoding: not hexadecimal") from None
        if len(raw) != WIRE_BYTES:
            raise ValueError(f"encoding: {len(raw)} bytes, expected {WIRE_BYTES}")
        clks = [int.from_bytes(raw[i : i + BYTES], "big") for i in range(0, len(raw), BYTES)]
        return cls(tuple(clks[:SLOTS]), tuple(clks[SLOTS : 2 * SLOTS]), clks[2 * SLOTS])


def _words(clks: tuple[int, ...]) -> tuple[Words, Counts]:
    raw = b"".join(c.to_bytes(BYTES, "big") for c in clks)
    words = np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(clks), BITS // 64)
    return words, np.bitwise_count(words).sum(axis=1, dtype=np.int64)


# --- tokens ---------------------------------------------------------------------------


def bigrams(text: str, prefix: str) -> set[str]:
    padded = f"_{text}_"
    return {prefix + padded[i : i + 2] for i in range(len(padded) - 1)}


@lru_cache(maxsize=100_000)
def letter_forms(name: str) -> tuple[tuple[str, ...], ...]:
    """Every romanised form of a name as folded parts: `name_forms`, and for Chinese
    characters the whole name in each reading system (pinyin, Wade-Giles, Hong Kong and
    Macao Cantonese)."""
    forms = list(name_forms(name))
    if has_han(name):
        forms += [form for _, form in system_forms(name)]
    folded = [tuple(fold(part) for part in form if part) for form in forms]
    folded += [(form,) for form in lone_forms(name)]
    return tuple(dict.fromkeys(form for form in folded if form))


@lru_cache(maxsize=100_000)
def sound_forms(name: str) -> tuple[tuple[str, ...], ...]:
    """Consonant classes of each form's parts: the pinyin transcription for names written
    in characters, the abjad keys (w and y also read as vowels) for Arabic script."""
    if has_han(name):
        return _variants([sound_keys(w, True) for w in transcription_words(name)])
    arabic = has_arabic(name)
    if lone_thai(name):  # vowels are what tells one lone Thai name from another (ADR 0049)
        return ()
    out: list[tuple[str, ...]] = []
    for form in name_forms(name):
        keys = [abjad_keys(p) if arabic else sound_keys(p, False) for p in form if p]
        out.extend(_variants(keys))
        if not arabic:  # l and r before a consonant, which Chinese and Thai syllables drop
            coda = [sound_keys(CODA.sub("", p), False)[0] for p in form if p]
            out.append(tuple(k.lower() for k in coda if k))
    return tuple(dict.fromkeys(form for form in out if form))


@lru_cache(maxsize=100_000)
def transcription_tokens(name: str) -> frozenset[str]:
    """A name written as one run of characters (no separator) as the consonant classes of
    its transcription (`names_han.sound_keys`, one key per reading variant), as sound
    bigrams, *with a word boundary allowed before and after every class*: Chinese often
    writes a foreign name's words without separators (卡玛鲁汀查华, Kamaruddin Jaafar), so
    where the Latin parts begin and end is unknown. A Latin name's sound CLK is then
    contained in this set when its parts' classes follow one another in the transcription.
    A name whose words are separated (·) gets none: its boundaries are written, and allowing
    them everywhere in a long transcription holds short unrelated names. Goes into the
    readings CLK, never into a sound CLK: glued keys compared with each other made Latin
    names collide (ADR 0048; ADR 0017, amendment 2026-11-30)."""
    if len([w for w in SEPARATORS.split(name) if has_han(w)]) != 1:
        return frozenset()
    out: set[str] = set()
    for form in _variants([sound_keys(w, True) for w in transcription_words(name)]):
        glued = "".join(form)
        out.update(f"s{a}{b}" for a, b in pairwise(glued))
        out.update(t for c in glued for t in (f"s_{c}", f"s{c}_"))
    return frozenset(out)


@lru_cache(maxsize=100_000)
def reading_tokens(name: str) -> frozenset[str]:
    """A Chinese name's per-character readings, every system, as letter bigrams: one set
    for the name, so a Latin name that spells its characters in different systems (Chi-Mai
    Chen ~ 陳其邁: pinyin family name, Wade-Giles given name) is contained in it,
    as plaintext screening pairs readings character by character. Only a native name (one
    run of two to four characters, `names_han.NATIVE_NAME_CHARS`); a longer or separated
    run transcribes a foreign name and is left to the sound CLKs."""
    words = [w for w in SEPARATORS.split(name) if has_han(w)]
    low, high = NATIVE_NAME_CHARS
    if len(words) != 1 or not low <= len(han_chars(name)) <= high:
        return frozenset()
    return frozenset(
        g
        for options in native_readings(name)
        for spelling, _ in options
        for g in bigrams(fold(spelling), "l")
    )


def lone_thai(name: str) -> bool:
    """A name of one Thai word: a lone given name, which plaintext screening judges by its
    letters, never by vowel-less sound keys (names.name_similarity, ADR 0030)."""
    words = name.split()
    return len(words) == 1 and has_thai(words[0])


@lru_cache(maxsize=100_000)
def lone_forms(name: str) -> tuple[str, ...]:
    """A lone given name in Thai informal spelling (`names_thai.thai_fold`, and for a Latin
    part without its written linking syllables, `linking_variants`), as plaintext screening
    compares a lone Thai name with its romanisation: two spellings of one Thai name then
    differ by no letter, romanisations of two similar names by one or two. One part only
    (a Thai word, or a Latin name of one part); none for other names."""
    if lone_thai(name):
        spellings = thai_spellings(name.strip())
    else:
        parts = name_parts(name)
        if len(parts) != 1 or has_han(name) or has_arabic(name) or not name.isascii():
            return ()
        spellings = (parts[0], *linking_variants(parts[0]))
    return tuple(dict.fromkeys(fold(thai_fold(s)) for s in spellings if s))


def _variants(keys: Sequence[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """One form per reading of the parts' keys (the first reading of every part, then the
    second, ...), never all readings in one filter, which would dilute each other."""
    count = max((len(ks) for ks in keys), default=0)
    forms = (tuple(ks[min(i, len(ks) - 1)].lower() for ks in keys if ks) for i in range(count))
    return tuple(dict.fromkeys(f for f in forms if any(f)))


def birth_years(dates: Iterable[str]) -> set[int]:
    """Years of ISO birth dates (YYYY, YYYY-MM or YYYY-MM-DD); anything else is an error
    naming the value, never silently dropped."""
    years = set()
    for value in dates:
        found = YEAR.match(value.strip())
        if found is None:
            raise ValueError(f"birthDate: {value!r} is not an ISO date")
        years.add(int(found.group(1)))
    return years


def year_tokens(years: Iterable[int]) -> set[str]:
    return {f"y:{year + d}" for year in years for d in range(-YEAR_TOLERANCE, YEAR_TOLERANCE + 1)}


# --- CLKs -----------------------------------------------------------------------------


def _positions(key: bytes, token: str) -> list[int]:
    digest = hmac.new(key, token.encode(), hashlib.sha256).digest()
    return [int.from_bytes(digest[2 * i : 2 * i + 2], "big") % BITS for i in range(HASHES)]


def clk(key: bytes, tokens: Iterable[str]) -> int:
    """A Bloom filter of the tokens (an integer of `BITS` bits)."""
    bits = 0
    for token in tokens:
        for position in _positions(key, token):
            bits |= 1 << position
    return bits


def _filler(key: bytes, seed: str, prefix: str, index: int) -> int:
    """A CLK of pseudo-random bigrams (keyed, so an outsider cannot tell it from a name's;
    deterministic, so re-publishing a person publishes the same encoding): matches none."""
    return clk(
        key,
        (f"{prefix}~{_tag(key, seed, prefix, str(index), str(i))}" for i in range(DUMMY_TOKENS)),
    )


def _padded(key: bytes, seed: str, bits: int) -> int:
    """`bits` with keyed pseudo-random positions set until `READING_BITS` are: every
    readings CLK, a Chinese name's or a filler, shows the same number of set bits, so the
    count does not tell whose name is written in characters (a longer union keeps its own)."""
    index = 0
    while bits.bit_count() < READING_BITS:
        bits |= 1 << _positions(key, f"r~{_tag(key, seed, 'reading', str(index))}")[0]
        index += 1
    return bits


def _tag(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:16]


def _slots(key: bytes, token_sets: Sequence[set[str]], prefix: str) -> tuple[int, ...]:
    """`SLOTS` CLKs: the forms' (extra forms dropped), fillers for the rest, in an order
    keyed on the content, so a slot's position says nothing about which form it holds."""
    seed = "\x1e".join("\x1f".join(sorted(t)) for t in token_sets)
    clks = [clk(key, tokens) for tokens in token_sets[:SLOTS]]
    clks += [_filler(key, seed, prefix, i) for i in range(SLOTS - len(clks))]
    order = sorted(range(SLOTS), key=lambda i: _tag(key, seed, prefix, "order", str(i)))
    return tuple(clks[i] for i in order)


def encode(key: FederationKey, names: Iterable[str], birth_dates: Iterable[str] = ()) -> Encoding:
    """The published encoding of one person (names in any script, ISO birth dates)."""
    years = year_tokens(birth_years(birth_dates))
    letters: list[set[str]] = []
    sounds: list[set[str]] = []
    readings: set[str] = set()
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        readings |= reading_tokens(name) | transcription_tokens(name)
        for form in letter_forms(name):
            letters.append({g for part in form for g in bigrams(part, "l")} | years)
        for form in sound_forms(name):
            sounds.append({g for part in form for g in bigrams(part, "s")} | years)
    if not letters:
        raise ValueError("name: no name with letters to encode")
    token_key = key.token_key
    unique_letters = list({frozenset(t): t for t in letters}.values())
    unique_sounds = list({frozenset(t): t for t in sounds}.values())
    seed = "\x1e".join("\x1f".join(sorted(t)) for t in unique_letters)
    reading = clk(token_key, readings | years) if readings else 0
    return Encoding(
        _slots(token_key, unique_letters, "l"),
        _slots(token_key, unique_sounds, "s"),
        _padded(token_key, seed, reading),
    )


# --- comparison -----------------------------------------------------------------------


def dice(a: int, b: int) -> float:
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0


@dataclass(frozen=True)
class Stack:
    """Many encodings as arrays, to compare one encoding with all of them at once."""

    letters: Words  # (persons, SLOTS, BITS/64)
    letter_counts: Counts  # (persons, SLOTS)
    sounds: Words
    sound_counts: Counts
    readings: Words  # (persons, 1, BITS/64)
    reading_counts: Counts

    @classmethod
    def of(cls, encodings: Sequence[Encoding]) -> Stack:
        if not encodings:
            empty = np.zeros((0, SLOTS, BITS // 64), dtype=np.uint64)
            none = np.zeros((0, SLOTS), dtype=np.int64)
            one = np.zeros((0, 1, BITS // 64), dtype=np.uint64)
            return cls(empty, none, empty, none, one, np.zeros((0, 1), dtype=np.int64))
        return cls(
            np.stack([e.letter_bits[0] for e in encodings]),
            np.stack([e.letter_bits[1] for e in encodings]),
            np.stack([e.sound_bits[0] for e in encodings]),
            np.stack([e.sound_bits[1] for e in encodings]),
            np.stack([e.reading_bits[0] for e in encodings]),
            np.stack([e.reading_bits[1] for e in encodings]),
        )


def scores(one: Encoding, many: Stack) -> Grid:
    """`similarity` of one encoding with each of many (vectorised; rounded to 4 places)."""
    letters = _letter_scores(*one.letter_bits, many.letters, many.letter_counts)
    sound_common = _common(one.sound_bits[0], many.sounds)
    sounds = _dice(sound_common, one.sound_bits[1], many.sound_counts)
    sounds = _strict(sounds, one.sound_bits[1], many.sound_counts, SHORT_SOUND_BITS)
    # one's readings holding each of many's letter CLKs, and each of many's readings one's
    held = _held(*one.reading_bits, many.letters, many.letter_counts[:, None, :])
    holds = _held(*one.letter_bits, many.readings, one.letter_bits[1][None, :, None])
    # the same for sound CLKs and a written transcription's glued classes (ADR 0017, 2026-11-30)
    sheld = _held(
        *one.reading_bits, many.sounds, many.sound_counts[:, None, :], SOUND_HELD_MIN_BITS
    )
    sholds = _held(
        *one.sound_bits, many.readings, one.sound_bits[1][None, :, None], SOUND_HELD_MIN_BITS
    )
    best = np.maximum(letters.max(axis=(1, 2), initial=0.0), sounds.max(axis=(1, 2), initial=0.0))
    best = np.maximum(best, np.maximum(held.max(axis=(1, 2)), holds.max(axis=(1, 2))))
    best = np.maximum(best, np.maximum(sheld.max(axis=(1, 2)), sholds.max(axis=(1, 2))))
    best = np.maximum(best, _part_of(one, many, sound_common))
    rounded: Grid = np.round(best, 4)
    return rounded


def similarity(a: Encoding, b: Encoding) -> float:
    """How alike two encoded persons are, in [0, 1] (see the module docstring)."""
    return float(scores(a, Stack.of([b]))[0])


# Grids below are (persons, SLOTS of the one, SLOTS of each of many).


def _pairs(nx: Counts, ny: Counts) -> tuple[Counts, Counts]:
    return nx[None, :, None], ny[:, None, :]


def _common(x: Words, y: Words) -> Counts:
    """Bits in common of every slot of x with every slot of each of y."""
    both = x[None, :, None, :] & y[:, None, :, :]
    common: Counts = np.bitwise_count(both).sum(axis=3, dtype=np.int64)
    return common


def _dice_grids(x: Words, nx: Counts, y: Words, ny: Counts) -> Grid:
    return _dice(_common(x, y), nx, ny)


def _dice(common: Counts, nx: Counts, ny: Counts) -> Grid:
    a, b = _pairs(nx, ny)
    total = a + b
    grid: Grid = np.divide(2 * common, total, out=np.zeros(total.shape), where=total > 0)
    return grid


def _strict(grid: Grid, nx: Counts, ny: Counts, short: int) -> Grid:
    a, b = _pairs(nx, ny)
    strict = np.maximum(0.0, 1 - SHORT_STRICTNESS * (1 - grid))
    return np.where(np.minimum(a, b) < short, strict, grid)


def _held(x: Words, _nx: Counts, y: Words, letters: Counts, min_bits: int = HELD_MIN_BITS) -> Grid:
    """`READING` x the share of a letter (or sound) CLK's bits that a readings CLK also has
    (the overlap coefficient, as the readings CLK is the larger); a CLK under `min_bits` (a
    letter CLK of one short name part, a sound CLK of one part) is never judged this way
    (Li is in the readings of many Chinese names)."""
    common = _common(x, y)
    held = np.divide(READING * common, letters, out=np.zeros(common.shape), where=letters > 0)
    grid: Grid = np.where(letters >= min_bits, held, 0.0)
    return grid


def _part_of(one: Encoding, many: Stack, common: Counts) -> Grid:
    """Per person of many, the best share of one person's sound CLK held by a sound CLK of
    the other (`common`: their bits in common, per pair of slots), counted only as far as
    the CLK's *own* readings CLK holds it too, x `READING`; both directions. A CLK that its
    own readings CLK holds is a glued transcription's key (`transcription_tokens`), so this
    finds characters that transcribe *part* of a Latin name (纳兹里 nazili in Mohamed
    Nazri Abdul Aziz), and never fires between two Latin names, whose readings CLKs are
    keyed fillers. CLKs under `PART_MIN_BITS` (two consonant classes) are not judged."""
    x, nx = one.sound_bits
    ny = many.sound_counts
    own_x = _common(x, one.reading_bits[0][None])[0, :, 0]
    own_y: Counts = np.bitwise_count(many.sounds & many.readings).sum(axis=2, dtype=np.int64)
    share_x = np.divide(own_x, nx, out=np.zeros(nx.shape), where=nx >= PART_MIN_BITS)
    share_y = np.divide(own_y, ny, out=np.zeros(ny.shape), where=ny >= PART_MIN_BITS)
    a, b = _pairs(nx, ny)
    x_in_y = np.divide(common, a, out=np.zeros(common.shape), where=a > 0)
    y_in_x = np.divide(common, b, out=np.zeros(common.shape), where=b > 0)
    x_part = np.minimum(x_in_y, share_x[None, :, None])
    y_part = np.minimum(y_in_x, share_y[:, None, :])
    best: Grid = READING * np.maximum(x_part, y_part).max(axis=(1, 2), initial=0.0)
    return best


def _letter_scores(x: Words, nx: Counts, y: Words, ny: Counts) -> Grid:
    a, b = _pairs(nx, ny)
    common = _common(x, y)
    total, smaller = a + b, np.minimum(a, b)
    whole = np.divide(2 * common, total, out=np.zeros(common.shape), where=total > 0)
    part = np.divide(PARTIAL * common, smaller, out=np.zeros(common.shape), where=smaller > 0)
    return _strict(np.maximum(whole, part), nx, ny, SHORT_BITS)


def is_hit(a: Encoding, b: Encoding, threshold: float = THRESHOLD) -> bool:
    return similarity(a, b) >= threshold
