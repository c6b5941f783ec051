"""Small SVG charts drawn on the server: no script, no CDN, readable without JavaScript."""

from __future__ import annotations

from markupsafe import Markup, escape


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def day_columns(
    points: list[tuple[str, int]], caption: str, width: int = 720, height: int = 180
) -> Markup:
    """A column per day (ISO date, value); the first and last dates are written below."""
    top = max((v for _, v in points), default=0) or 1
    n = max(len(points), 1)
    slot = (width - 40) / n
    bar = max(slot * 0.8, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + 30}" role="img" '
        f'aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">',
        _title(caption),
        f'<text x="0" y="12" class="axis">{top}</text>',
        f'<line x1="34" y1="{height}" x2="{width}" y2="{height}" class="axis"/>',
    ]
    for i, (day, value) in enumerate(points):
        h = (height - 20) * value / top
        x = 38 + i * slot
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"{_title(f'{day} : {value}')}</rect>"
        )
    if points:
        parts.append(f'<text x="38" y="{height + 20}" class="axis">{escape(points[0][0])}</text>')
        parts.append(
            f'<text x="{width}" y="{height + 20}" text-anchor="end" class="axis">'
            f"{escape(points[-1][0])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(items: list[tuple[str, int]], caption: str, width: int = 520) -> Markup:
    """One labelled horizontal bar per (label, value), longest first as given."""
    top = max((v for _, v in items), default=0) or 1
    row = 22
    label_w = 210
    height = row * max(len(items), 1) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">',
        _title(caption),
    ]
    for i, (name, value) in enumerate(items):
        y = i * row + 2
        w = (width - label_w - 50) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(name[:32])}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}">'
            f"{_title(f'{name} : {value}')}</rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
