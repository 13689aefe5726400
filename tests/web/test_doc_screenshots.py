"""docs/web.md's screenshots (scripts/doc_screenshots.py): every page image the doc embeds is
one the script writes and is committed, the set stays within its budget, and the script's
optimisation really cuts and shrinks a screenshot."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "doc_screenshots", ROOT / "scripts" / "doc_screenshots.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_doc_embeds_exactly_the_images_the_script_writes() -> None:
    shots = script()
    embedded = re.findall(
        r"!\[[^\]]+\]\(img/web/([a-z-]+)\.png\)", (ROOT / "docs" / "web.md").read_text()
    )
    assert sorted(set(embedded)) == sorted(shots.PAGES)
    total = 0
    for name in shots.PAGES:
        path = ROOT / "docs" / "img" / "web" / f"{name}.png"
        assert path.exists(), f"{path} missing: run scripts/doc_screenshots.py"
        with Image.open(path) as image:
            assert image.width == 1280 and image.height <= shots.MAX_HEIGHT, name
        total += path.stat().st_size
    assert total <= shots.BUDGET


def test_optimise_cuts_and_shrinks_a_screenshot(tmp_path: Path) -> None:
    shots = script()
    source = tmp_path / "tall.png"
    image = Image.new("RGB", (1280, 3000), "white")
    draw = ImageDraw.Draw(image)
    for y in range(0, 3000, 40):  # text-like rows in a few colours, with anti-aliased edges
        draw.text((20, y), "Deconfliction hit: NL-KMAR " * 6, fill=(11, 61, 145))
        draw.line((0, y + 30, 1280, y + 30), fill=(200, 200, 200))
    image.save(source, compress_level=0)
    size = shots.optimise(source, tmp_path / "out" / "small.png")
    with Image.open(tmp_path / "out" / "small.png") as small:
        assert small.size == (1280, shots.MAX_HEIGHT) and small.mode == "P"
        kept = small.convert("RGB").getpixel((0, 30))
    assert kept == (200, 200, 200)  # the top is what is kept
    assert size < source.stat().st_size / 10
