"""Server-rendered SVG chart of the monitoring report: kind → form → topic (no JavaScript).

Left: the kinds' shares of all appeals, each followed by its forms (share of all appeals), as
labelled horizontal bars (tiny complaint shares stay readable). Right: one 100 % bar per kind
split by topic (share of the kind). Colours are the Okabe–Ito palette, safe for colour-blind
readers; every bar is also labelled with its share.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from app.nav import format_percent

if TYPE_CHECKING:
    from app.appeals.report_model import MonitoringReport

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
KIND_COLOURS = {"complaint": "#D55E00", "application": "#0072B2"}


def _lighten(hex_colour: str, amount: float) -> tuple[float, float, float]:
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def kind_form_topic_figure(report: MonitoringReport) -> Figure:
    plt.rcParams["svg.fonttype"] = "none"  # keep text as text: smaller, selectable, Cyrillic by the browser
    figure = plt.figure(figsize=(10, 4.2))
    forms, bars = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
    total = report.total
    kinds = [k for k in report.by_kind if k.count]
    if not total:
        for axes in (forms, bars):
            axes.axis("off")
        forms.text(0.5, 0.5, "Нет обращений за период", ha="center", va="center", fontsize=12)
        return figure
    labels: list[str] = []
    values: list[float] = []
    colours_left: list[str | tuple[float, float, float]] = []
    bold: list[bool] = []
    for k in kinds:
        labels.append(f"{k.kind_name}, всего")
        values.append(k.share or 0.0)
        colours_left.append(KIND_COLOURS.get(k.kind, "#999999"))
        bold.append(True)
        for form_row in (r for r in report.by_kind_form if r.kind == k.kind and r.count):
            labels.append(f"{form_row.form_name.lower()}")
            values.append(form_row.share_of_total or 0.0)
            colours_left.append(_lighten(KIND_COLOURS.get(k.kind, "#999999"), 0.45))
            bold.append(False)
    positions = list(range(len(labels)))
    forms.barh(positions, values, color=colours_left, edgecolor="white")
    for y, value in zip(positions, values, strict=True):
        forms.text(value + 0.01, y, format_percent(value), va="center", fontsize=8)
    forms.set_yticks(positions, labels)
    for tick, is_bold in zip(forms.get_yticklabels(), bold, strict=True):
        tick.set_fontweight("bold" if is_bold else "normal")
        tick.set_fontsize(9 if is_bold else 8)
    forms.invert_yaxis()
    forms.set_xlim(0, 1.15)
    forms.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0 %", "25 %", "50 %", "75 %", "100 %"])
    forms.set_title("Вид и форма обращения, доля от всех", fontsize=10)
    for side in ("top", "right"):
        forms.spines[side].set_visible(False)
    topic_codes: list[str] = []
    names: dict[str, str] = {}
    for row in report.by_kind_topic:
        if row.count and row.topic not in topic_codes:
            topic_codes.append(row.topic)
            names[row.topic] = row.topic_name
    colours = {code: OKABE_ITO[i % len(OKABE_ITO)] for i, code in enumerate(topic_codes)}
    labelled: set[str] = set()
    for y, kind in enumerate(kinds):
        left = 0.0
        for row in (r for r in report.by_kind_topic if r.kind == kind.kind and r.count):
            width = row.share_of_kind or 0.0
            first = row.topic not in labelled
            labelled.add(row.topic)
            bars.barh(
                y,
                width,
                left=left,
                color=colours[row.topic],
                edgecolor="white",
                label=names[row.topic] if first else None,
            )
            if width >= 0.06:
                bars.text(
                    left + width / 2,
                    y,
                    format_percent(width),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if colours[row.topic] in ("#0072B2", "#009E73", "#D55E00", "#000000") else "black",
                )
            left += width
    bars.set_yticks(range(len(kinds)), [f"{k.kind_name}\n({k.count:,})".replace(",", "\u00a0") for k in kinds])
    bars.set_xlim(0, 1)
    bars.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0 %", "25 %", "50 %", "75 %", "100 %"])
    bars.invert_yaxis()
    bars.set_title("Темы обращений, доля от вида", fontsize=10)
    bars.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    figure.tight_layout()
    return figure


def kind_form_topic_svg(report: MonitoringReport) -> str:
    """The chart as a ``data:image/svg+xml;base64,…`` URL for an <img> (CSP allows data: images)."""
    figure = kind_form_topic_figure(report)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
