"""Tiny inline SVG charts for the digest.

Plain SVG with presentation attributes only (no CSS, no script, no external
references), so it renders in feed readers and mail clients that show HTML
but run no JavaScript. A Unicode text line goes with every chart for readers
that drop SVG (text-mode readers such as newsboat, sanitising web readers).
"""

from ..safe import esc

_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline_text(values):
    """Values as Unicode block characters, e.g. '▁▃█▅▂▁▁' (empty data: all '▁')."""
    top = max(values, default=0)
    if top <= 0:
        return _BLOCKS[0] * len(values)
    return "".join(_BLOCKS[round(v / top * (len(_BLOCKS) - 1))] for v in values)


def bar_chart(values, labels, *, title, width=210, height=48, color="#f37726"):
    """A bar chart as an SVG string; ``title`` and labels are escaped here."""
    n = max(len(values), 1)
    top = max(values, default=0) or 1
    label_h = 11
    plot_h = height - label_h - 2
    slot = width / n
    bar_w = max(slot * 0.7, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
    ]
    for i, (value, label) in enumerate(zip(values, labels)):
        x = i * slot + (slot - bar_w) / 2
        # Keep a 1px stub for zero days so the week's shape stays readable.
        h = max(value / top * plot_h, 1)
        y = plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{esc(label)}: {int(value)}</title></rect>'
        )
        parts.append(
            f'<text x="{i * slot + slot / 2:.1f}" y="{height - 1}" font-size="9" '
            f'text-anchor="middle" fill="#616161" font-family="sans-serif">'
            f"{esc(label[:2])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
