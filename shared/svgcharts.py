"""Server-side SVG charts: line, bar and stacked bar, with axes, labels and an accessible name.

Pages (the operator console, the staff console's reports) embed the returned markup inline. It
holds no script and no ``style`` attribute or element, so a strict CSP needs nothing for it: colours
are presentation attributes (``fill``, ``stroke``) that a stylesheet may override through the
classes every part carries (``chart``, ``chart-line``, ``series series-<i>``, ``grid``, ``axis``,
``tick``, ``legend``, ``empty``). The SVG scales with its container (``viewBox``, no fixed width).

Accessibility: ``role="img"`` named by its ``<title>`` and described by its ``<desc>``, plus a
``<title>`` on each point or bar with its label and value (a tooltip, read by screen readers).
Callers should still offer the numbers as a table nearby for anyone who cannot see the chart.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Colour-blind-safe palette (Okabe–Ito), in series order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Series:
    """One named row of values, aligned with the chart's x labels (``None``: no value there)."""

    name: str
    values: Sequence[float | int | None]


@dataclass(frozen=True)
class Frame:
    width: int = 560
    height: int = 260
    left: int = 56
    right: int = 16
    top: int = 16
    bottom: int = 58  # x labels and the first row of the legend

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom


def plain(value: float) -> str:
    """Default value format: thousands separators, no needless decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def nice_scale(top: float, ticks: int = 4, integer: bool = False) -> tuple[float, float]:
    """A round upper bound ≥ ``top`` and its tick step (1, 2, 2.5 or 5 × 10ⁿ); with ``integer``
    (counts) no step is below 1 and none is 2.5, so every tick is a whole number, and 3 to 5
    ticks are tried so the axis ends as close above ``top`` as it can."""
    if integer and top > 0:
        options = [_scale(top, max(1, min(n, math.ceil(top))), True) for n in (ticks, 5, 3)]
        return min(options, key=lambda o: o[0])
    return _scale(top, ticks, integer)


def _scale(top: float, ticks: int, integer: bool) -> tuple[float, float]:
    if top <= 0:
        return (1.0, 1.0) if integer else (1.0, 0.25)
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if integer and (step < 1 or not float(step).is_integer()):
            continue
        if step * ticks >= top:
            return step * ticks, step
    step = max(10 * magnitude, 1) if integer else 10 * magnitude
    return step * ticks, step


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _chart_id(title: str, chart_id: str | None) -> str:
    if chart_id:
        return chart_id
    return "chart-" + hashlib.sha256(title.encode()).hexdigest()[:8]


def _open(kind: str, frame: Frame, title: str, desc: str, cid: str, extra: int = 0) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'viewBox="0 0 {frame.width} {frame.height + extra}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


def _y_axis(frame: Frame, top: float, step: float, fmt: Callable[[float], str]) -> list[str]:
    out = ['<g class="axis axis-y">']
    value = 0.0
    while value <= top + step / 2:
        y = frame.top + frame.plot_h - frame.plot_h * value / top
        out.append(
            f'<line class="grid" x1="{frame.left}" x2="{_f(frame.left + frame.plot_w)}" '
            f'y1="{_f(y)}" y2="{_f(y)}" stroke="#d0d7de" stroke-width="1"/>'
        )
        out.append(
            f'<text class="tick" x="{frame.left - 6}" y="{_f(y + 4)}" text-anchor="end" '
            f'font-size="12" fill="#57606a">{escape(fmt(value))}</text>'
        )
        value += step
    out.append("</g>")
    return out


def _x_labels(frame: Frame, labels: Sequence[str], centre: Callable[[int], float]) -> list[str]:
    n = len(labels)
    every = max(1, math.ceil(n / MAX_X_LABELS))
    base = frame.top + frame.plot_h
    out = [
        '<g class="axis axis-x">',
        f'<line class="axis-line" x1="{frame.left}" x2="{_f(frame.left + frame.plot_w)}" '
        f'y1="{_f(base)}" y2="{_f(base)}" stroke="#57606a" stroke-width="1"/>',
    ]
    for i, label in enumerate(labels):
        if i % every:
            continue  # at most MAX_X_LABELS labels, evenly spaced, so they never overlap
        out.append(
            f'<text class="tick" x="{_f(centre(i))}" y="{_f(base + 16)}" text-anchor="middle" '
            f'font-size="12" fill="#57606a">{escape(label)}</text>'
        )
    out.append("</g>")
    return out


LEGEND_ROW = 18


def _legend_rows(frame: Frame, names: Sequence[str]) -> list[tuple[float, int]]:
    """Where each legend entry goes: (x, row); entries wrap onto more rows, never dropped."""
    if len(names) < 2:
        return []
    spots, x, row = [], float(frame.left), 0
    for name in names:
        width = 22 + 7 * len(name)
        if x + width > frame.width - frame.right and x > frame.left:
            x, row = float(frame.left), row + 1
        spots.append((x, row))
        x += width
    return spots


def _extra_height(frame: Frame, names: Sequence[str]) -> int:
    spots = _legend_rows(frame, names)
    return LEGEND_ROW * spots[-1][1] if spots else 0


def _legend(frame: Frame, names: Sequence[str]) -> list[str]:
    spots = _legend_rows(frame, names)
    if not spots:
        return []
    out = ['<g class="legend">']
    for i, (name, (x, row)) in enumerate(zip(names, spots, strict=True)):
        y = frame.height - 14 + row * LEGEND_ROW
        out.append(
            f'<rect class="series series-{i}" x="{_f(x)}" y="{y - 10}" width="11" height="11" '
            f'fill="{_colour(i)}"/>'
        )
        out.append(
            f'<text x="{_f(x + 15)}" y="{y}" font-size="12" fill="#24292f">{escape(name)}</text>'
        )
    out.append("</g>")
    return out


def _empty(frame: Frame, message: str) -> list[str]:
    return [
        f'<text class="empty" x="{_f(frame.left + frame.plot_w / 2)}" '
        f'y="{_f(frame.top + frame.plot_h / 2)}" text-anchor="middle" font-size="13" '
        f'fill="#57606a">{escape(message)}</text>'
    ]


def _whole(values) -> bool:
    return all(float(v).is_integer() for v in values)


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(
                f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels"
            )


def line_chart(
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str] = plain,
    frame: Frame = Frame(),
    chart_id: str | None = None,
    empty: str = "No data yet",
) -> Markup:
    """One polyline per series over ``labels`` (a gap where a value is ``None``)."""
    _check(labels, series)
    cid = _chart_id(title, chart_id)
    out = _open("line", frame, title, desc, cid, _extra_height(frame, [s.name for s in series]))
    values = [v for s in series for v in s.values if v is not None]
    top, step = nice_scale(max(values, default=0), integer=_whole(values))
    out += _y_axis(frame, top, step, fmt)
    n = len(labels)

    def x_at(i: int) -> float:
        return frame.left + (frame.plot_w * i / (n - 1) if n > 1 else frame.plot_w / 2)

    def y_at(v: float) -> float:
        return frame.top + frame.plot_h - frame.plot_h * v / top

    out += _x_labels(frame, labels, x_at)
    if not values:
        out += _empty(frame, empty)
    for si, s in enumerate(series):
        out.append(f'<g class="series series-{si}" fill="{_colour(si)}" stroke="{_colour(si)}">')
        runs: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{_f(x_at(i))},{_f(y_at(v))}")
        for run in runs:
            if len(run) > 1:
                out.append(f'<polyline fill="none" stroke-width="2" points="{" ".join(run)}"/>')
        dots = n <= 60  # with more points the dots would merge into a thick line
        for i, v in enumerate(s.values):
            if v is None:
                continue
            r = 3 if dots else 1.5
            out.append(
                f'<circle cx="{_f(x_at(i))}" cy="{_f(y_at(v))}" r="{r}" stroke="none">'
                f"<title>{escape(s.name)}, {escape(labels[i])}: {escape(fmt(v))}</title></circle>"
            )
        out.append("</g>")
    out += _legend(frame, [s.name for s in series])
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute value is escaped


def _bars(
    kind: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    frame: Frame,
    chart_id: str | None,
    empty: str,
) -> Markup:
    _check(labels, series)
    cid = _chart_id(title, chart_id)
    out = _open(kind, frame, title, desc, cid, _extra_height(frame, [s.name for s in series]))
    n = len(labels)
    totals = [sum((s.values[i] or 0) for s in series) for i in range(n)]
    top, step = nice_scale(max(totals, default=0), integer=_whole(totals))
    out += _y_axis(frame, top, step, fmt)
    slot = frame.plot_w / n if n else frame.plot_w
    bar_w = max(1.0, slot * 0.7)

    def centre(i: int) -> float:
        return frame.left + slot * (i + 0.5)

    out += _x_labels(frame, labels, centre)
    if not any(totals):
        out += _empty(frame, empty)
    base = frame.top + frame.plot_h
    stacked = [0.0] * n
    for si, s in enumerate(series):
        out.append(f'<g class="series series-{si}" fill="{_colour(si)}">')
        for i, v in enumerate(s.values):
            if not v:
                continue
            h = frame.plot_h * v / top
            y = base - frame.plot_h * stacked[i] / top - h
            stacked[i] += v
            name = f"{escape(s.name)}, " if kind == "stacked-bar" or len(series) > 1 else ""
            out.append(
                f'<rect x="{_f(centre(i) - bar_w / 2)}" y="{_f(y)}" width="{_f(bar_w)}" '
                f'height="{_f(h)}"><title>{name}{escape(labels[i])}: {escape(fmt(v))}</title></rect>'
            )
        out.append("</g>")
    out += _legend(frame, [s.name for s in series])
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute value is escaped


def bar_chart(
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float | int | None],
    *,
    name: str = "",
    fmt: Callable[[float], str] = plain,
    frame: Frame = Frame(),
    chart_id: str | None = None,
    empty: str = "No data yet",
) -> Markup:
    """One bar per label."""
    return _bars(
        "bar", title, desc, labels, [Series(name or title, values)], fmt, frame, chart_id, empty
    )


def stacked_bar_chart(
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str] = plain,
    frame: Frame = Frame(),
    chart_id: str | None = None,
    empty: str = "No data yet",
) -> Markup:
    """One bar per label, each series stacked on the ones before it (legend in series order)."""
    return _bars("stacked-bar", title, desc, labels, series, fmt, frame, chart_id, empty)
