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

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from app.reports.fmt import num  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour deficiency.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, YELLOW, BLACK = OKABE_ITO
GREY = "#9a9a9a"
LIGHT_GREY = "#d9d9d9"

plt.rcParams.update({
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "svg.fonttype": "none",
    "svg.hashsalt": "otklik",  # deterministic ids: the same data gives the same SVG
    "legend.frameon": False,
})

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


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    low: float | None = None
    high: float | None = None
    muted: bool = False  # low n: drawn grey


def headline_bars(bars: Sequence[Bar], xlabel: str, percent: bool = True, title: str = "") -> str:
    """Horizontal bars with confidence-interval whiskers (top-2-box shares in %, or index points)."""
    height = 0.45 + 0.32 * max(len(bars), 1)
    fig, ax = _figure(height)
    scale = 100 if percent else 1
    ys = list(range(len(bars)))[::-1]
    for y, bar in zip(ys, bars, strict=True):
        colour = LIGHT_GREY if bar.muted else BLUE
        ax.barh(y, bar.value * scale, color=colour, height=0.6)
        if bar.low is not None and bar.high is not None:
            ax.errorbar(bar.value * scale, y, xerr=[[bar.value * scale - bar.low * scale],
                                                    [bar.high * scale - bar.value * scale]],
                        fmt="none", ecolor=BLACK, capsize=3, linewidth=0.9)
        text = f"{num(bar.value * scale, 1)}" + ("\u00a0%" if percent else "")
        ax.text((bar.high if bar.high is not None else bar.value) * scale, y, "  " + text, va="center",
                fontsize=7, color=GREY if bar.muted else BLACK)
    ax.set_yticks(ys, [b.label for b in bars])
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


def trend_chart(series: dict[str, Sequence[TrendPoint]], ylabel: str, percent: bool = True,
                xlabel: str = "Квартал") -> str:
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
        if all(p.low is not None and p.high is not None for p in points):
            ax.fill_between(xs, [p.low * scale for p in points], [p.high * scale for p in points],
                            color=colour, alpha=0.18, linewidth=0)
            values += [p.low * scale for p in points] + [p.high * scale for p in points]
    ax.set_xticks(range(len(periods)), periods)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    formatter = _percent_axis if percent else _number_axis
    ax.yaxis.set_major_formatter(formatter(_auto_decimals(values) if not percent else 0))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.grid(axis="y", color=LIGHT_GREY, linewidth=0.5)
    if len(series) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
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


def funnel_plot(points: Sequence[FunnelPoint], target: float, ylabel: str,
                xlabel: str = "Число ответов в ЦОК", higher_is_better: bool = True) -> str:
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
            ax.annotate(pt.label, (pt.n, pt.share * 100), textcoords="offset points", xytext=(4, 3), fontsize=6.5)
    ax.scatter(xs, ys, s=24, c=colours, edgecolors=edges, linewidths=0.7, zorder=3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_formatter(_number_axis())
    ax.yaxis.set_major_formatter(_percent_axis())
    ax.legend(loc="lower right", fontsize=7)
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
    title = f"Доля объясненной дисперсии, R² = {num(r2, 2)}" if r2 is not None else ""
    return headline_bars(bars, "Относительная важность, % от R²", percent=True, title=title)


def ipa_scatter(drivers: Sequence[Driver]) -> str:
    """Importance–performance matrix split at the means, quadrants named in Russian."""
    fig, ax = _figure(3.4, 5.6)
    total = sum(d.weight for d in drivers) or 1.0
    xs = [d.performance * 100 for d in drivers]
    ys = [d.weight / total * 100 for d in drivers]
    mx, my = (sum(xs) / len(xs), sum(ys) / len(ys)) if drivers else (50, 50)
    ax.axvline(mx, color=GREY, linewidth=0.8, linestyle="--")
    ax.axhline(my, color=GREY, linewidth=0.8, linestyle="--")
    for x, y, d in zip(xs, ys, drivers, strict=True):
        colour = VERMILION if (x < mx and y >= my) else BLUE
        ax.scatter(x, y, s=30, color=colour, zorder=3)
        ax.annotate(d.label, (x, y), textcoords="offset points", xytext=(5, 3), fontsize=7)
    pad_x = max(5.0, (max(xs) - min(xs)) * 0.25) if xs else 10
    pad_y = max(2.0, (max(ys) - min(ys)) * 0.25) if ys else 10
    x0, x1 = (min(xs) - pad_x, max(xs) + pad_x) if xs else (0, 100)
    y0, y1 = (max(0.0, min(ys) - pad_y), max(ys) + pad_y) if ys else (0, 100)
    ax.set_xlim(x0, min(x1, 100.0) if x0 < 100 else x1)
    ax.set_ylim(y0, y1)
    style = {"fontsize": 7, "color": GREY, "fontweight": "bold"}
    ax.text(0.01, 0.98, QUADRANT_LABELS["concentrate"], transform=ax.transAxes, va="top", ha="left", **style)
    ax.text(0.99, 0.98, QUADRANT_LABELS["keep"], transform=ax.transAxes, va="top", ha="right", **style)
    ax.text(0.01, 0.02, QUADRANT_LABELS["low"], transform=ax.transAxes, va="bottom", ha="left", **style)
    ax.text(0.99, 0.02, QUADRANT_LABELS["overkill"], transform=ax.transAxes, va="bottom", ha="right", **style)
    ax.set_xlabel("Оценка (доля оценок «4» и «5»), %")
    ax.set_ylabel("Важность, % от R²")
    ax.xaxis.set_major_formatter(_percent_axis())
    ax.yaxis.set_major_formatter(_percent_axis())
    return to_data_url(fig)


def distribution_bars(rows: Sequence[tuple[str, dict[str, int]]], scale: Sequence[str]) -> str:
    """100 % stacked bars: the share of each scale point for several questions (worst left)."""
    height = 0.7 + 0.34 * max(len(rows), 1)
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
                ax.text(left + share / 2, y, num(share, 0), ha="center", va="center", fontsize=6.5,
                        color="white" if colour in (VERMILION, BLUE) else BLACK)
            left += share
    ax.set_yticks(ys, [label for label, _ in rows])
    ax.set_xlim(0, 100)
    ax.set_xlabel("Доля ответов, %")
    ax.xaxis.set_major_formatter(_percent_axis())
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours]
    ax.legend(handles, [f"«{s}»" for s in scale], ncol=len(scale), loc="lower center",
              bbox_to_anchor=(0.5, 1.0), fontsize=7, title="Оценка", title_fontsize=7)
    return to_data_url(fig)


def _diverging(k: int) -> list[str]:
    base = [VERMILION, ORANGE, YELLOW, SKY, BLUE]
    if k <= 5:
        return {1: [BLUE], 2: [VERMILION, BLUE], 3: [VERMILION, YELLOW, BLUE],
                4: [VERMILION, ORANGE, SKY, BLUE], 5: base}[k]
    return [base[min(4, int(i * 5 / k))] for i in range(k)]


@dataclass(frozen=True)
class ControlPoint:
    label: str
    share: float
    lcl: float | None
    ucl: float | None


def p_chart(points: Sequence[ControlPoint], center_line: float, ylabel: str = "Доля жалоб, %",
            xlabel: str = "Период") -> str:
    """p-chart: share per period (or group) with 3σ limits; points beyond the limits highlighted."""
    fig, ax = _figure(2.4)
    xs = list(range(len(points)))
    ax.plot(xs, [p.share * 100 for p in points], marker="o", color=BLUE, linewidth=1.2, markersize=4,
            label="Доля жалоб")
    ax.axhline(center_line * 100, color=BLACK, linewidth=0.8, label="Средняя линия")
    if all(p.ucl is not None for p in points):
        ax.step(xs, [p.ucl * 100 for p in points], where="mid", color=GREY, linestyle="--", linewidth=0.9,
                label="Контрольные границы (3σ)")
    if all(p.lcl is not None for p in points):
        ax.step(xs, [p.lcl * 100 for p in points], where="mid", color=GREY, linestyle="--", linewidth=0.9)
    for x, p in zip(xs, points, strict=True):
        if (p.ucl is not None and p.share > p.ucl) or (p.lcl is not None and p.share < p.lcl):
            ax.scatter(x, p.share * 100, s=46, color=VERMILION, zorder=4)
    ax.set_xticks(xs, [p.label for p in points], rotation=0 if len(points) <= 8 else 60,
                  ha="center" if len(points) <= 8 else "right")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(_percent_axis(1))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
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
                ax.text(left + width / 2, y, f"{num(width, 1)}\u00a0%", ha="center", va="center", fontsize=6.5,
                        color="white" if dark else BLACK)
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
    if spans:
        ax.hlines([y for y, _ in spans], [r.low for _, r in spans], [r.high for _, r in spans],
                  colors=[LIGHT_GREY if r.muted else GREY for _, r in spans], linewidth=1.2)
    ax.scatter([r.value for r in rows], ys, s=20, c=[LIGHT_GREY if r.muted else BLUE for r in rows], zorder=3)
    ax.set_yticks(ys, [r.label for r in rows], fontsize=7)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(_number_axis())
    ax.grid(axis="x", color=LIGHT_GREY, linewidth=0.5)
    return to_data_url(fig)


def center_vs_network(bars: Sequence[tuple[str, float]], network: Sequence[float]) -> str:
    """The centre's top-2-box per question (bars) against the network (black ticks)."""
    height = 0.45 + 0.3 * max(len(bars), 1)
    fig, ax = _figure(height, 5.8)
    ys = list(range(len(bars)))[::-1]
    for y, (_label, value), net in zip(ys, bars, network, strict=True):
        colour = VERMILION if value < net - 0.05 else BLUE
        ax.barh(y, value * 100, color=colour, height=0.55)
        ax.plot([net * 100, net * 100], [y - 0.38, y + 0.38], color=BLACK, linewidth=1.6)
        ax.text(value * 100, y, f"  {num(value * 100, 1)}\u00a0%", va="center", fontsize=7)
    ax.set_yticks(ys, [label for label, _ in bars])
    ax.set_xlim(0, 112)
    ax.set_xlabel("Доля оценок «4» и «5», % (черная черта — сеть)")
    ax.xaxis.set_major_formatter(_percent_axis())
    return to_data_url(fig)
