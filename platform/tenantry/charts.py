"""Small charts drawn on the server as inline SVG: a line chart of daily values and a
horizontal bar chart of named values.

No JavaScript and no style attributes (the pages' CSP allows neither inline): the SVG
carries classes that ``static/tenantry.css`` colours from the design tokens, so the
charts follow light and dark themes. The SVG scales to its container (``viewBox``);
horizontal bars keep long names readable on a 390 px phone. Each chart has a ``<title>``
and a table-like ``<desc>`` of its numbers for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 22
BAR_HEIGHT, BAR_GAP, LABEL_W = 16, 6, 110


def _short(value: float) -> str:
    """1234 -> 1.2k, 5_300_000 -> 5.3M: axis and bar labels stay narrow."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _nice_max(value: float) -> float:
    """The top of the axis: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 10 if value >= 1 else 0.1
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return value


def line_chart(
    title: str, days: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> Markup:
    """One line per ``(name, values)``, over ``days`` (labels of the x axis, oldest first)."""
    top = _nice_max(max((v for _n, values in series for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days) - 1, 1)
    parts = [
        f'<line class="chart-axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/>',
        f'<text class="chart-tick" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">'
        f"{_short(top)}</text>",
        f'<text class="chart-tick" x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end">0</text>',
        f'<line class="chart-grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}"/>',
    ]
    if days:
        for index in (0, len(days) - 1):
            anchor = "start" if index == 0 else "end"
            parts.append(
                f'<text class="chart-tick" x="{LEFT + index * step:.1f}" y="{HEIGHT - 6}" '
                f'text-anchor="{anchor}">{escape(days[index])}</text>'
            )
    for position, (_name, values) in enumerate(series):
        points = " ".join(
            f"{LEFT + i * step:.1f},{TOP + plot_h - plot_h * v / top:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(f'<polyline class="chart-line chart-series-{position}" points="{points}"/>')
    legend = "".join(
        f'<li><span class="chart-key chart-series-{position}"></span>{escape(name)}</li>'
        for position, (name, _values) in enumerate(series)
    )
    described = "; ".join(
        f"{name}: " + ", ".join(f"{d} {_short(v)}" for d, v in zip(days, values, strict=False))
        for name, values in series
    )
    return _figure(title, parts, HEIGHT, described, f'<ul class="chart-legend">{legend}</ul>')


def bar_chart(title: str, items: Sequence[tuple[str, float]], unit: str = "") -> Markup:
    """One horizontal bar per ``(name, value)``, largest first as given."""
    top = max((value for _name, value in items), default=0) or 1
    height = len(items) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    room = WIDTH - LABEL_W - 44
    parts = []
    for index, (name, value) in enumerate(items):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        label = name if len(name) <= 16 else name[:15] + "…"
        parts.append(
            f'<text class="chart-label" x="{LABEL_W - 6}" y="{y + BAR_HEIGHT - 4}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect class="chart-bar" x="{LABEL_W}" y="{y}" height="{BAR_HEIGHT}" '
            f'width="{max(room * value / top, 1):.1f}" rx="3"/>'
            f'<text class="chart-value" x="{LABEL_W + room * value / top + 4:.1f}" '
            f'y="{y + BAR_HEIGHT - 4}">{escape(_short(value) + unit)}</text>'
        )
    described = "; ".join(f"{name}: {_short(value)}{unit}" for name, value in items)
    return _figure(title, parts, height, described)


def _figure(title: str, parts: list[str], height: int, described: str, after: str = "") -> Markup:
    return Markup(
        '<figure class="chart"><figcaption>{title}</figcaption>'
        '<svg viewBox="0 0 {w} {h}" role="img" preserveAspectRatio="xMinYMin meet">'
        "<title>{title}</title><desc>{desc}</desc>{body}</svg>{after}</figure>"
    ).format(
        title=title,
        w=WIDTH,
        h=height,
        desc=described,
        body=Markup("".join(parts)),
        after=Markup(after),
    )
