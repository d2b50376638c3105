"""Charts for the web pages: inline SVG, drawn here, each with its data table beside it on the page.

No charting library and no JavaScript: a page is one HTML document that prints and works offline. The
SVG is an image with its title and a description in words (`role="img"`); the table beside it is the
accessible reading of the same numbers, so colour is never the only way to tell a series apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

# Distinguishable in print and for the common colour-vision deficiencies (Okabe and Ito's palette).
PALETTE = ("#0072b2", "#009e73", "#e69f00", "#d55e00", "#cc79a7", "#56b4e9")
_ROW, _LABEL, _WIDTH, _GAP = 28, 190, 660, 8


def stacked_bars(title: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]]) -> Markup:
    """One horizontal bar per row, its parts the series' counts, scaled to the largest row's total."""
    largest = max((sum(counts) for _, counts in rows), default=0) or 1
    span = _WIDTH - _LABEL - 60
    height = (len(rows) + 1) * (_ROW + _GAP) + 10
    parts = []
    for i, (label, counts) in enumerate(rows):
        y = i * (_ROW + _GAP)
        parts.append(f'<text x="0" y="{y + _ROW * 0.7:.0f}" class="qa-chart__label">{escape(label)}</text>')
        x = float(_LABEL)
        for n, (name, count) in enumerate(zip(series, counts, strict=True)):
            if count:
                width = span * count / largest
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{_ROW}" fill="{PALETTE[n % len(PALETTE)]}">'
                    f"<title>{escape(label)}: {escape(name)} {count}</title></rect>"
                )
                x += width
        parts.append(f'<text x="{x + 6:.1f}" y="{y + _ROW * 0.7:.0f}" class="qa-chart__total">{sum(counts)}</text>')
    key_y = len(rows) * (_ROW + _GAP) + 4
    x = float(_LABEL)
    for n, name in enumerate(series):
        parts.append(f'<rect x="{x:.0f}" y="{key_y}" width="14" height="14" fill="{PALETTE[n % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 18:.0f}" y="{key_y + 12}" class="qa-chart__key">{escape(name)}</text>')
        x += 32 + 8.5 * len(name)
    described = "; ".join(
        f"{label}: " + ", ".join(f"{name} {count}" for name, count in zip(series, counts, strict=True))
        for label, counts in rows
    )
    return Markup(
        f'<svg class="qa-chart" role="img" viewBox="0 0 {_WIDTH} {height}" width="100%"'
        f' aria-label="{escape(title)}. {escape(described) or "No figures."}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
