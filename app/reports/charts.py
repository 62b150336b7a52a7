"""Report charts: matplotlib figures rendered to SVG and embedded as ``data:`` URLs.

Text in the SVG stays text (``svg.fonttype = "none"``, font DejaVu Sans): WeasyPrint lays it out with the
embedded DejaVu font 2–3× faster than thousands of glyph paths, and the PDF stays searchable. One colour-blind
safe palette (Okabe–Ito), Russian labels on every axis, Russian number formats on every tick.
Every function returns a ``data:image/svg+xml;base64,…`` string and closes its figure.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from app.reports.fmt import num

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour deficiency.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, YELLOW, BLACK = OKABE_ITO
GREY = "#9a9a9a"
LIGHT_GREY = "#d9d9d9"

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),  # type: ignore[attr-defined]  # re-exported, not typed
        "svg.fonttype": "none",
        "svg.hashsalt": "otklik",  # deterministic ids: the same data gives the same SVG
        "legend.frameon": False,
        # Staff text (question texts, centre names) reaches every label: a «$» in it must stay a dollar sign, never
        # switch matplotlib to its TeX-like mathtext (``$\\foo$`` raised and broke the preview and the PDF).
        # No chart uses mathtext (R², σ and ± are plain Unicode), so it is off for every text object.
        "text.parse_math": False,
    }
)

WIDTH = 6.7  # inches: the text width of an A4 page with 15 mm margins


def _percent_axis(decimals: int = 0) -> FuncFormatter:
    """Tick labels of a percentage axis: plain numbers (the axis title carries the «%»)."""
    return FuncFormatter(lambda v, _pos: num(v, decimals))


def _number_axis(decimals: int = 0) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: num(v, decimals))


def _auto_decimals(values: Sequence[float]) -> int:
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    span = (max(finite) - min(finite)) if len(finite) > 1 else (finite[0] if finite else 1)
    return 0 if span >= 5 else (1 if span >= 0.5 else 2)


def to_data_url(fig: Figure) -> str:
    """Serialise a figure to an SVG ``data:`` URL and release it."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    finally:
        plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(height: float, width: float = WIDTH) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def wrap_label(text: str, width: int = 34, lines: int = 2) -> str:
    """A long staff-written label (a question text) on at most ``lines`` lines, cut with «…»."""
    words, out, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: max(1, width - 1)].rstrip() + "…"
    return "\n".join(part if len(part) <= width + 8 else part[: width - 1] + "…" for part in out)


# Candidate directions of a label around its point, in order of preference (right, up, left, down, diagonals).
_DIRECTIONS = [(1, 0.35), (1, -0.35), (0, 1), (0, -1), (-1, 0.35), (-1, -0.35), (1, 1), (-1, 1), (1, -1), (-1, -1)]


def place_labels(
    fig: Figure,
    ax: plt.Axes,
    items: Sequence[tuple[float, float, str]],
    fontsize: float = 6.5,
    numbered_key: bool = True,
    avoid: Sequence[tuple[float, float]] = (),
) -> list[str]:
    """Label points without any two texts overlapping (a greedy repulsion).

    Each label tries positions around its point at growing distances and takes the first whose box stays
    inside the axes and clears every text already drawn (titles, quadrant names, earlier labels) and every
    labelled point. A label with no free place becomes a small number, explained in a key beside the
    axes. Returns the key lines (empty when every label fitted). Axis limits must be final before the call.
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's canvas has it; the base class does not say so
    frame = ax.get_window_extent(renderer)
    obstacles: list[Bbox] = [t.get_window_extent(renderer) for t in ax.texts if t.get_visible() and t.get_text()]
    marks = []
    for x, y in [(x, y) for x, y, _text in items] + list(avoid):
        px, py = ax.transData.transform((x, y))
        marks.append(Bbox.from_extents(px - 3.5, py - 3.5, px + 3.5, py + 3.5))
    obstacles += marks

    def try_place(x: float, y: float, text: str, size: float, radii: Sequence[float]) -> bool:
        for radius in radii:
            for dx, dy in _DIRECTIONS:
                ha = "left" if dx > 0 else ("right" if dx < 0 else "center")
                va = "bottom" if dy > 0.5 else ("top" if dy < -0.5 else "center")
                offset = (dx * radius, dy * radius)
                note = ax.annotate(
                    text,
                    (x, y),
                    textcoords="offset points",
                    xytext=offset,
                    fontsize=size,
                    ha=ha,
                    va=va,
                    annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": GREY, "linewidth": 0.5, "shrinkA": 0, "shrinkB": 3}
                    if radius > 10
                    else None,
                )
                box = note.get_window_extent(renderer).expanded(1.0, 1.0)
                padded = Bbox.from_extents(box.x0 - 1, box.y0 - 1, box.x1 + 1, box.y1 + 1)
                inside = (
                    padded.x0 >= frame.x0 and padded.x1 <= frame.x1 and padded.y0 >= frame.y0 and padded.y1 <= frame.y1
                )
                if inside and not any(padded.overlaps(o) for o in obstacles):
                    obstacles.append(padded)
                    return True
                note.remove()
        return False

    key: list[str] = []
    for x, y, text in items:
        if try_place(x, y, text, fontsize, (4, 9, 16, 26)):
            continue
        number = str(len(key) + 1)
        if numbered_key and try_place(x, y, number, fontsize, (3, 7, 12, 18, 26, 36)):
            key.append(f"{number} — {text}".replace("\n", " "))
    if key:
        ax.text(1.02, 1.0, "\n".join(key), transform=ax.transAxes, va="top", ha="left", fontsize=fontsize)
    return key


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    low: float | None = None
    high: float | None = None
    muted: bool = False  # low n: drawn grey


def headline_bars(bars: Sequence[Bar], xlabel: str, percent: bool = True, title: str = "") -> str:
    """Horizontal bars with confidence-interval whiskers (top-2-box shares in %, or index points)."""
    height = 0.45 + 0.36 * max(len(bars), 1)
    fig, ax = _figure(height)
    scale = 100 if percent else 1
    ys = list(range(len(bars)))[::-1]
    for y, bar in zip(ys, bars, strict=True):
        colour = LIGHT_GREY if bar.muted else BLUE
        ax.barh(y, bar.value * scale, color=colour, height=0.6)
        if bar.low is not None and bar.high is not None:
            ax.errorbar(
                bar.value * scale,
                y,
                xerr=[[bar.value * scale - bar.low * scale], [bar.high * scale - bar.value * scale]],
                fmt="none",
                ecolor=BLACK,
                capsize=3,
                linewidth=0.9,
            )
        text = f"{num(bar.value * scale, 1)}" + ("\u00a0%" if percent else "")
        ax.text(
            (bar.high if bar.high is not None else bar.value) * scale,
            y,
            "  " + text,
            va="center",
            fontsize=7,
            color=GREY if bar.muted else BLACK,
        )
    ax.set_yticks(ys, [wrap_label(b.label) for b in bars])
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(_percent_axis() if percent else _number_axis())
    if percent:
        ax.set_xlim(0, 100 * 1.12)
    if title:
        ax.set_title(title, loc="left")
    return to_data_url(fig)


@dataclass(frozen=True)
class TrendPoint:
    period: str
    value: float
    low: float | None = None
    high: float | None = None


def trend_chart(
    series: dict[str, Sequence[TrendPoint]], ylabel: str, percent: bool = True, xlabel: str = "Квартал"
) -> str:
    """Lines over periods with shaded confidence bands."""
    fig, ax = _figure(2.4)
    scale = 100 if percent else 1
    periods: list[str] = []
    for points in series.values():
        for p in points:
            if p.period not in periods:
                periods.append(p.period)
    index = {p: i for i, p in enumerate(periods)}
    values: list[float] = []
    for colour, (name, points) in zip(OKABE_ITO, series.items(), strict=False):
        xs = [index[p.period] for p in points]
        ys = [p.value * scale for p in points]
        values += ys
        ax.plot(xs, ys, marker="o", color=colour, label=name, linewidth=1.6, markersize=4)
        bands = [(p.low, p.high) for p in points if p.low is not None and p.high is not None]
        if len(bands) == len(points):
            lows, highs = [lo * scale for lo, _ in bands], [hi * scale for _, hi in bands]
            ax.fill_between(xs, lows, highs, color=colour, alpha=0.18, linewidth=0)
            values += lows + highs
    ax.set_xticks(range(len(periods)), periods, rotation=90 if _crowded(periods) else 0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    formatter = _percent_axis if percent else _number_axis
    ax.yaxis.set_major_formatter(formatter(_auto_decimals(values) if not percent else 0))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.grid(axis="y", color=LIGHT_GREY, linewidth=0.5)
    if len(series) > 1:
        ax.legend([wrap_label(name, 28) for name in series], loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return to_data_url(fig)


@dataclass(frozen=True)
class FunnelPoint:
    label: str
    n: int
    share: float
    muted: bool = False


def funnel_limits(p: float, n: float, z: float) -> tuple[float, float]:
    """Normal-approximation control limits of a share around ``p`` for a group of size ``n``."""
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n) if n > 0 else float("inf")
    return max(0.0, p - half), min(1.0, p + half)


Z95, Z998 = 1.959964, 3.090232


def funnel_plot(
    points: Sequence[FunnelPoint],
    target: float,
    ylabel: str,
    xlabel: str = "Число ответов в ЦОК",
    higher_is_better: bool = True,
) -> str:
    """Funnel plot of centres: share against volume with 95 % and 99,8 % limits around the network."""
    fig, ax = _figure(3.0)
    ns = [pt.n for pt in points if pt.n > 0] or [1]
    lo, hi = max(1, min(ns) * 0.8), max(ns) * 1.15
    grid = [lo + (hi - lo) * i / 60 for i in range(61)]
    for z, style, name in ((Z95, "--", "Границы 95\u00a0%"), (Z998, "-", "Границы 99,8\u00a0%")):
        lows, highs = zip(*(funnel_limits(target, n, z) for n in grid), strict=True)
        ax.plot(grid, [v * 100 for v in lows], style, color=GREY, linewidth=0.9, label=name)
        ax.plot(grid, [v * 100 for v in highs], style, color=GREY, linewidth=0.9)
    ax.axhline(target * 100, color=BLACK, linewidth=0.8, label="Среднее по сети")
    xs, ys, colours, edges = [], [], [], []
    flagged: list[tuple[float, float, str]] = []
    for pt in points:
        low95, high95 = funnel_limits(target, pt.n, Z95)
        low998, high998 = funnel_limits(target, pt.n, Z998)
        outside = pt.share < low998 or pt.share > high998
        worse = pt.share < low95 if higher_is_better else pt.share > high95
        better = pt.share > high95 if higher_is_better else pt.share < low95
        xs.append(pt.n)
        ys.append(pt.share * 100)
        colours.append(LIGHT_GREY if pt.muted else (VERMILION if worse else (GREEN if better else BLUE)))
        edges.append(BLACK if outside and not pt.muted else colours[-1])
        if (worse or better) and not pt.muted:
            flagged.append((pt.n, pt.share * 100, pt.label))
    ax.scatter(xs, ys, s=24, c=colours, edgecolors=edges, linewidths=0.7, zorder=3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(wrap_label(ylabel, 44))
    ax.xaxis.set_major_formatter(_number_axis())
    ax.yaxis.set_major_formatter(_percent_axis())
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 0.35), fontsize=7)
    ax.set_xlim(ax.get_xlim())
    ax.set_ylim(ax.get_ylim())
    # Only centres outside the 95 % limits are named, the farthest from the network first.
    flagged.sort(key=lambda item: -abs(item[1] - target * 100))
    place_labels(fig, ax, flagged, avoid=list(zip(xs, ys, strict=True)))
    return to_data_url(fig)


@dataclass(frozen=True)
class Driver:
    label: str
    weight: float  # relative weight (share of R²)
    performance: float  # top-2-box share (0…1)
    quadrant: str = ""


QUADRANT_LABELS = {
    "concentrate": "Сосредоточить усилия",
    "keep": "Сохранять достигнутое",
    "low": "Низкий приоритет",
    "overkill": "Возможный избыток усилий",
}


def drivers_bars(drivers: Sequence[Driver], r2: float | None) -> str:
    """Relative importance (Johnson's weights as % of R²) of each attribute, largest first."""
    ordered = sorted(drivers, key=lambda d: d.weight, reverse=True)
    total = sum(d.weight for d in ordered) or 1.0
    bars = [Bar(d.label, d.weight / total) for d in ordered]
    # Plain words on the chart; R² and the method are in the report's footnote.
    return headline_bars(bars, "Важность, % объяснимых различий в общей оценке", percent=True)


def ipa_scatter(drivers: Sequence[Driver]) -> str:
    """Importance–performance matrix split at the means, quadrants named in Russian."""
    fig, ax = _figure(3.4, 5.6)
    total = sum(d.weight for d in drivers) or 1.0
    xs = [d.performance * 100 for d in drivers]
    ys = [d.weight / total * 100 for d in drivers]
    mx, my = (sum(xs) / len(xs), sum(ys) / len(ys)) if drivers else (50, 50)
    ax.axvline(mx, color=GREY, linewidth=0.8, linestyle="--")
    ax.axhline(my, color=GREY, linewidth=0.8, linestyle="--")
    for x, y, _d in zip(xs, ys, drivers, strict=True):
        colour = VERMILION if (x < mx and y >= my) else BLUE
        ax.scatter(x, y, s=30, color=colour, zorder=3)
    pad_x = max(5.0, (max(xs) - min(xs)) * 0.25) if xs else 10
    pad_y = max(2.0, (max(ys) - min(ys)) * 0.25) if ys else 10
    x0, x1 = (min(xs) - pad_x, max(xs) + pad_x) if xs else (0, 100)
    y0, y1 = (max(0.0, min(ys) - pad_y), max(ys) + pad_y) if ys else (0, 100)
    ax.set_xlim(x0, min(x1, 100.0) if x0 < 100 else x1)
    ax.set_ylim(y0, y1)
    style: dict[str, Any] = {"fontsize": 7, "color": GREY, "fontweight": "bold"}
    ax.text(0.01, 0.98, QUADRANT_LABELS["concentrate"], transform=ax.transAxes, va="top", ha="left", **style)
    ax.text(0.99, 0.98, QUADRANT_LABELS["keep"], transform=ax.transAxes, va="top", ha="right", **style)
    ax.text(0.01, 0.02, QUADRANT_LABELS["low"], transform=ax.transAxes, va="bottom", ha="left", **style)
    ax.text(0.99, 0.02, QUADRANT_LABELS["overkill"], transform=ax.transAxes, va="bottom", ha="right", **style)
    ax.set_xlabel("Оценка (доля оценок «4» и «5»), %")
    ax.set_ylabel("Важность, % объяснимых различий")
    ax.xaxis.set_major_formatter(_percent_axis())
    ax.yaxis.set_major_formatter(_percent_axis())
    place_labels(
        fig, ax, [(x, y, wrap_label(d.label, 22)) for x, y, d in zip(xs, ys, drivers, strict=True)], fontsize=6.5
    )
    return to_data_url(fig)


def distribution_bars(rows: Sequence[tuple[str, dict[str, int]]], scale: Sequence[str]) -> str:
    """100 % stacked bars: the share of each scale point for several questions (worst left)."""
    height = 0.7 + 0.38 * max(len(rows), 1)
    fig, ax = _figure(height)
    colours = _diverging(len(scale))
    ys = list(range(len(rows)))[::-1]
    for y, (_label, counts) in zip(ys, rows, strict=True):
        total = sum(counts.get(s, 0) for s in scale) or 1
        left = 0.0
        for point, colour in zip(scale, colours, strict=True):
            share = counts.get(point, 0) / total * 100
            ax.barh(y, share, left=left, color=colour, height=0.62, edgecolor="white", linewidth=0.5)
            if share >= 7:
                ax.text(
                    left + share / 2,
                    y,
                    num(share, 0),
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if colour in (VERMILION, BLUE) else BLACK,
                )
            left += share
    ax.set_yticks(ys, [wrap_label(label) for label, _ in rows])
    ax.set_xlim(0, 100)
    ax.set_xlabel("Доля ответов, %")
    ax.xaxis.set_major_formatter(_percent_axis())
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours]
    ax.legend(
        handles,
        [f"«{s}»" for s in scale],
        ncol=len(scale),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        fontsize=7,
        title="Оценка",
        title_fontsize=7,
    )
    return to_data_url(fig)


def _diverging(k: int) -> list[str]:
    base = [VERMILION, ORANGE, YELLOW, SKY, BLUE]
    if k <= 5:
        return {
            1: [BLUE],
            2: [VERMILION, BLUE],
            3: [VERMILION, YELLOW, BLUE],
            4: [VERMILION, ORANGE, SKY, BLUE],
            5: base,
        }[k]
    return [base[min(4, int(i * 5 / k))] for i in range(k)]


@dataclass(frozen=True)
class ControlPoint:
    label: str
    share: float
    lcl: float | None
    ucl: float | None


MAX_TICK_LABELS = 12


def _crowded(labels: Sequence[str], width: float = WIDTH) -> bool:
    """Whether horizontal tick labels would touch: about 0.075 inch per character of a line at 8 pt."""
    longest = max((len(line) for label in labels for line in str(label).split("\n")), default=0)
    return bool(labels) and longest * 0.075 > width * 0.8 / len(labels)


def p_chart(
    points: Sequence[ControlPoint], center_line: float, ylabel: str = "Доля жалоб, %", xlabel: str = "Период"
) -> str:
    """p-chart: share per period (or group) with 3σ limits; points beyond the limits highlighted.

    Up to 12 points every point has its tick label; with more (41 centres side by side) the ticks go and only
    the points beyond the limits are named, placed so that no two names overlap.
    """
    fig, ax = _figure(2.6)
    xs = list(range(len(points)))
    many = len(points) > MAX_TICK_LABELS
    ax.plot(
        xs,
        [p.share * 100 for p in points],
        marker="o",
        color=BLUE,
        linewidth=0 if many else 1.2,
        markersize=3.5 if many else 4,
        label="Доля жалоб",
    )
    ax.axhline(center_line * 100, color=BLACK, linewidth=0.8, label="Средняя линия")
    uppers = [p.ucl for p in points if p.ucl is not None]
    if len(uppers) == len(points):
        ax.step(
            xs,
            [u * 100 for u in uppers],
            where="mid",
            color=GREY,
            linestyle="--",
            linewidth=0.9,
            label="Контрольные границы (3σ)",
        )
    lowers = [p.lcl for p in points if p.lcl is not None]
    if len(lowers) == len(points):
        ax.step(xs, [v * 100 for v in lowers], where="mid", color=GREY, linestyle="--", linewidth=0.9)
    flagged = []
    for x, p in zip(xs, points, strict=True):
        if (p.ucl is not None and p.share > p.ucl) or (p.lcl is not None and p.share < p.lcl):
            ax.scatter(x, p.share * 100, s=46, color=VERMILION, zorder=4)
            flagged.append((x, p.share * 100, p.label))
    if many:
        ax.set_xticks([])
    else:
        rotate = _crowded([p.label for p in points])
        ax.set_xticks(xs, [p.label for p in points], rotation=90 if rotate else 0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(_percent_axis(1))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    if many and flagged:
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + (high - low) * 0.15)  # room above the highest point for its name
        ax.set_xlim(-1, len(points))
        place_labels(fig, ax, flagged, avoid=[(x, p.share * 100) for x, p in zip(xs, points, strict=True)])
    return to_data_url(fig)


@dataclass(frozen=True)
class Segment:
    label: str
    count: int
    share: float  # of the bar (0…1)


def appeals_structure(rows: Sequence[tuple[str, Sequence[Segment]]], palette: dict[str, str]) -> str:
    """Kind → form → topic as 100 % stacked bars, one per breakdown, segments labelled with shares."""
    height = 0.6 + 0.5 * len(rows)
    fig, ax = _figure(height)
    ys = list(range(len(rows)))[::-1]
    seen: dict[str, str] = {}
    for y, (_title, segments) in zip(ys, rows, strict=True):
        left = 0.0
        for seg in segments:
            colour = palette.get(seg.label, GREY)
            width = seg.share * 100
            ax.barh(y, width, left=left, color=colour, height=0.66, edgecolor="white", linewidth=0.6)
            if width >= 6:
                dark = colour in (BLUE, VERMILION, BLACK, GREEN, "#4d4d4d", PURPLE)
                ax.text(
                    left + width / 2,
                    y,
                    f"{num(width, 1)}\u00a0%",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if dark else BLACK,
                )
            seen.setdefault(seg.label, colour)
            left += width
    ax.set_yticks(ys, [title for title, _ in rows])
    ax.set_xlim(0, 100)
    ax.set_xlabel("Доля, %")
    ax.xaxis.set_major_formatter(_percent_axis())
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in seen.values()]
    ax.legend(handles, list(seen), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return to_data_url(fig)


@dataclass(frozen=True)
class RankRow:
    label: str
    value: float
    low: float | None = None
    high: float | None = None
    muted: bool = False


def ranking_dots(rows: Sequence[RankRow], xlabel: str = "Сводный индекс (0–100)") -> str:
    """Dot plot of the composite index with its intervals (``index_ci``), in the given order; low-n groups
    grey."""
    height = 0.5 + 0.19 * max(len(rows), 1)
    fig, ax = _figure(height, 5.6)
    ys = list(range(len(rows)))[::-1]
    spans = [(y, r) for y, r in zip(ys, rows, strict=True) if r.low is not None and r.high is not None]
    for muted in (False, True):  # the composite index's interval as error bars with caps
        part = [(y, r) for y, r in spans if r.muted is muted]
        if part:
            below = [max(0.0, r.value - r.low) for _, r in part]  # type: ignore[operator]  # spans have both
            above = [max(0.0, r.high - r.value) for _, r in part]  # type: ignore[operator]  # spans have both
            ax.errorbar(
                [r.value for _, r in part],
                [y for y, _ in part],
                xerr=[below, above],
                fmt="none",
                ecolor=LIGHT_GREY if muted else GREY,
                elinewidth=1.1,
                capsize=2.5,
            )
    ax.scatter([r.value for r in rows], ys, s=20, c=[LIGHT_GREY if r.muted else BLUE for r in rows], zorder=3)
    ax.set_yticks(ys, [r.label for r in rows], fontsize=7)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(_number_axis())
    ax.grid(axis="x", color=LIGHT_GREY, linewidth=0.5)
    return to_data_url(fig)


def center_vs_network(bars: Sequence[tuple[str, float]], network: Sequence[float]) -> str:
    """The centre's top-2-box per question (bars) against the network (black ticks)."""
    height = 0.45 + 0.34 * max(len(bars), 1)
    fig, ax = _figure(height, 5.8)
    ys = list(range(len(bars)))[::-1]
    for y, (_label, value), net in zip(ys, bars, network, strict=True):
        colour = VERMILION if value < net - 0.05 else BLUE
        ax.barh(y, value * 100, color=colour, height=0.55)
        ax.plot([net * 100, net * 100], [y - 0.38, y + 0.38], color=BLACK, linewidth=1.6)
        ax.text(value * 100, y, f"  {num(value * 100, 1)}\u00a0%", va="center", fontsize=7)
    ax.set_yticks(ys, [wrap_label(label) for label, _ in bars])
    ax.set_xlim(0, 112)
    ax.set_xlabel("Доля оценок «4» и «5», % (черная черта — сеть)")
    ax.xaxis.set_major_formatter(_percent_axis())
    return to_data_url(fig)
