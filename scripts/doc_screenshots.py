"""Refresh the screenshots docs/web.md shows, from the browser journey's own screenshots.

    .venv/bin/python scripts/doc_screenshots.py          # run the journey test, then copy
    .venv/bin/python scripts/doc_screenshots.py --no-run # copy what test-artifacts/ holds

The images are the ones `tests/web/test_browser_journey.py` takes at 1280x800 while it walks
the UI, so a picture in the docs is a page the test checked, not a hand-made one. Each is
cut to at most MAX_HEIGHT pixels from the top (a long list adds nothing below the fold),
reduced to a 128-colour palette with Pillow (flat UI colours survive it), written with
zlib's best compression and, if `optipng` is installed, squeezed once more. The run fails
if the set would exceed BUDGET bytes: the images are committed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
OUT = ROOT / "docs" / "img" / "web"
TEST = "tests/web/test_browser_journey.py"
MAX_HEIGHT = 1400
COLOURS = 128
BUDGET = 3_000_000  # bytes, all images together

# docs/web.md image name -> the journey's screenshot (journey-<name>.png)
PAGES: dict[str, str] = {
    "dashboard": "01-dashboard",
    "import-form": "02-import-form",
    "import-preview": "03-import-preview",
    "profile": "05b-profile-later",
    "case-new": "06-case-new",
    "hits": "07-hits",
    "case": "08-case-joint",
    "operation-plan": "09-operation-plan",
    "operation-results": "10-operation-results",
    "operation": "11-operation-dashboard",
    "mla-new": "12-mla-draft",
    "mla-answer": "13-mla-answer",
    "message": "14-message",
    "notice-new": "15-notice-issue",
    "notices": "16-notice-approve",
    "victim-new": "17-victim-form",
    "victim-support": "18-victim-record-support",
    "victim-analyst": "19-victim-record-analyst",
    "review": "20-review",
    "search": "22-search",
    "graph": "23-graph",
    "map": "24-map",
    "trends": "25-trends",
    "statistics": "26-statistics",
    "risk": "27-risk",
    "screening": "28-screening",
    "subscriptions": "34-subscriptions",
}


def optimise(source: Path, target: Path) -> int:
    """Write ``source`` as a small palette PNG at ``target``; returns its size in bytes."""
    with Image.open(source) as image:
        rgb = image.convert("RGB")
    if rgb.height > MAX_HEIGHT:
        rgb = rgb.crop((0, 0, rgb.width, MAX_HEIGHT))
    small = rgb.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    target.parent.mkdir(parents=True, exist_ok=True)
    small.save(target, optimize=True, compress_level=9)
    optipng = shutil.which("optipng")
    if optipng:
        subprocess.run([optipng, "-quiet", "-o2", str(target)], check=True)
    return target.stat().st_size


def run_journey() -> None:
    """The browser journey, which writes test-artifacts/screenshots/journey-*.png."""
    pytest = Path(sys.executable).parent / "pytest"
    subprocess.run([str(pytest), TEST, "-q", "-x"], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="use the screenshots on disk")
    args = parser.parse_args(argv)
    if not args.no_run:
        run_journey()
    missing = [s for s in PAGES.values() if not (SHOTS / f"journey-{s}.png").exists()]
    if missing:
        print(f"screenshots: {', '.join(missing)} not in {SHOTS} (run without --no-run)")
        return 1
    total = 0
    print(f"{'image':<22}{'source px':>12}{'bytes':>10}")
    for name, source in PAGES.items():
        path = SHOTS / f"journey-{source}.png"
        with Image.open(path) as image:
            size = f"{image.width}x{image.height}"
        written = optimise(path, OUT / f"{name}.png")
        total += written
        print(f"{name + '.png':<22}{size:>12}{written:>10}")
    print(f"{'total':<22}{'':>12}{total:>10}")
    if total > BUDGET:
        print(f"screenshots: {total} bytes, more than the budget of {BUDGET}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
