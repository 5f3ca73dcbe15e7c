"""Draw the theme's icons and social card into templates/static/ (run once; the files are committed).

    python -m venv /tmp/icons && /tmp/icons/bin/pip install pillow
    /tmp/icons/bin/python tools/make_icons.py

Pillow is needed only here, never by a build. The mark is favicon.svg's: a
rising line on the site's accent blue; a site replaces any of these files
with its own under content/templates/static/.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

STATIC = Path(__file__).resolve().parent.parent / "templates" / "static"
ACCENT = (11, 87, 208)  # --accent of style.css
WHITE = (255, 255, 255)
NIGHT = (20, 22, 26)  # --bg of the dark scheme
SCALE = 8  # drawn this many times larger, then reduced: smooth edges
# favicon.svg's shapes on its 64-unit grid.
LINE = [(12, 46), (25, 32), (35, 40), (51, 22)]
ARROW = [(39, 21), (52, 20), (51, 33)]
STROKE = 6
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT_REGULAR = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="14" fill="#0b57d0"/>
<g fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round" stroke-linejoin="round">
<polyline points="12,46 25,32 35,40 51,22"/>
<polyline points="39,21 52,20 51,33"/>
</g>
</svg>
"""


def stroke(draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], unit: float, dx: float = 0,
           dy: float = 0) -> None:
    """Draw a round-capped, round-joined white polyline of the 64-unit grid."""
    scaled = [(dx + x * unit, dy + y * unit) for x, y in points]
    width = round(STROKE * unit)
    draw.line(scaled, fill=WHITE, width=width, joint="curve")
    for x, y in scaled:  # round caps and joins
        draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=WHITE)


def mark(size: int, rounded: bool) -> Image.Image:
    """Return the mark at ``size`` pixels: rounded and transparent around, or a full square."""
    big = size * SCALE
    image = Image.new("RGBA" if rounded else "RGB", (big, big), (0, 0, 0, 0) if rounded else ACCENT)
    draw = ImageDraw.Draw(image)
    unit = big / 64
    if rounded:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=14 * unit, fill=ACCENT)
    stroke(draw, LINE, unit)
    stroke(draw, ARROW, unit)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def social_card() -> Image.Image:
    """Return the 1200 x 630 card every page names as og:image."""
    width, height = 1200, 630
    big = Image.new("RGB", (width * 2, height * 2), NIGHT)
    draw = ImageDraw.Draw(big)
    unit = 300 / 64  # the mark, 150 px (300 at this scale) on the card's left
    left, top = 180, (height * 2 - 300) // 2 - 120
    draw.rounded_rectangle((left, top, left + 300, top + 300), radius=14 * unit, fill=ACCENT)
    stroke(draw, LINE, unit, left, top)
    stroke(draw, ARROW, unit, left, top)
    title = ImageFont.truetype(FONT, 132)
    text = ImageFont.truetype(FONT_REGULAR, 60)
    draw.text((left + 380, top + 150), "Trending papers", font=title, fill=WHITE, anchor="lm")
    draw.text((180, top + 480), "Research papers ranked daily by what the community reads.", font=text,
              fill=(198, 218, 252), anchor="lm")
    draw.text((180, top + 580), "Feeds in RSS, Atom and JSON Feed, for every topic.", font=text,
              fill=(169, 177, 187), anchor="lm")
    return big.resize((width, height), Image.Resampling.LANCZOS)


def main() -> None:
    (STATIC / "favicon.svg").write_text(SVG, encoding="utf-8")
    icon = mark(256, rounded=True)
    icon.save(STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    mark(180, rounded=False).save(STATIC / "apple-touch-icon.png", optimize=True)
    mark(512, rounded=False).save(STATIC / "icon-512.png", optimize=True)
    social_card().save(STATIC / "og-image.png", optimize=True)


if __name__ == "__main__":
    main()
