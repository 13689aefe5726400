"""Capacity building: quizzes generated from coded indicators and anonymised cases.

A pack is deterministic for a seed and the visible case records: the same agency gets the
same questions, so scores compare. Case vignettes carry no names, ids or places below
country level. Completions are recorded per user and reported per agency.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from palermo.access.viewer import Viewer
from palermo.ingest.build import write_entity
from palermo.model.indicators import indicators
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.views import Entity


@dataclass(frozen=True)
class Question:
    vignette: str
    prompt: str
    options: tuple[str, ...]
    answer: int
    explanation: str


@dataclass(frozen=True)
class Pack:
    id: str
    questions: tuple[Question, ...]


def vignette(case: Entity) -> str:
    """An anonymised description: form of exploitation, countries, age band; no identities."""
    form = case.first("exploitationForm") or "an unknown form of exploitation"
    where = case.first("exploitationCountry")
    minor = case.first("isMinor") == "true"
    who = "A minor" if minor else "An adult"
    return f"{who} was exploited ({form})" + (f" in {where.upper()}." if where else ".")


def generate_pack(cases: list[Entity], seed: int = 0, size: int = 10) -> Pack:
    """Multiple-choice questions: which indicator does this case show?"""
    rng = random.Random(seed)
    coded = indicators()
    usable = [c for c in cases if set(c.values("indicators")) & set(coded)]
    rng.shuffle(usable)
    questions = []
    for case in usable[:size]:
        present = sorted(set(case.values("indicators")) & set(coded))
        correct = rng.choice(present)
        distractors = rng.sample(sorted(set(coded) - set(present)), k=3)
        options = [correct, *distractors]
        rng.shuffle(options)
        questions.append(
            Question(
                vignette=vignette(case),
                prompt="Which of these indicators of trafficking does the case show?",
                options=tuple(coded[o]["label"] for o in options),
                answer=options.index(correct),
                explanation=f"{coded[correct]['label']} ({coded[correct]['source']}): "
                f"{coded[correct]['explanation']}",
            )
        )
    digest = hashlib.sha1(repr([(q.vignette, q.options) for q in questions]).encode())
    return Pack(f"pack-{seed}-{digest.hexdigest()[:12]}", tuple(questions))


def score(pack: Pack, answers: list[int]) -> int:
    if len(answers) != len(pack.questions):
        raise ValueError(f"answers: expected {len(pack.questions)}, got {len(answers)}")
    return sum(1 for q, a in zip(pack.questions, answers, strict=True) if q.answer == a)


def record_completion(store: Store, viewer: Viewer, pack: Pack, answers: list[int]) -> int:
    points = score(pack, answers)
    write_entity(
        store,
        viewer,
        "TrainingCompletion",
        {
            "pack": pack.id,
            "trainee": f"{viewer.username}@{viewer.agency}",
            "score": str(points),
            "questions": str(len(pack.questions)),
        },
        Sharing.owner_only(),
        kind="training",
    )
    return points


def completion_report(store: Store, viewer: Viewer) -> dict[str, list[tuple[str, int, int]]]:
    """Per trainee of the viewer's agency: (pack, score, questions)."""
    report: dict[str, list[tuple[str, int, int]]] = {}
    for c in store.entities(viewer, schema="TrainingCompletion", limit=100_000):
        trainee = c.first("trainee") or ""
        if trainee.endswith("@" + viewer.agency):
            report.setdefault(trainee, []).append(
                (
                    c.first("pack") or "",
                    int(float(c.first("score") or 0)),
                    int(float(c.first("questions") or 0)),
                )
            )
    return report
