"""The PNG charts of the digest and the weekly ranking (matplotlib, no display).

Made for a lead who looks for five seconds (issue 14): horizontal bars with full agency
names, worst first; the day's complaints split by what became of them; the share in time as
a percentage and the median first response in «ч:мм» against the target written beside each
bar; integer axes with value labels; a palette that still reads when printed in grey (four
distinct lightnesses, and hatching on «просрочено»); the legend under the bars, never over
them; a title that names the day and the region.  A quiet day still gets a chart: the open
backlog by agency and the week's trend.

Pure drawing: the figures come in as plain values (``bot.digest``, ``bot.reports``).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final, Literal

from bot.core import texts
from bot.core.render import percent

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: (outcome, legend label, colour, hatch).  Lightness steps: 35 %, 55 %, 78 %, 94 %.
SEGMENTS: Final = (
    ("on_time", texts.CHART_ON_TIME, "#2f6f9f", ""),
    ("late", texts.CHART_LATE, "#e8a33d", ""),
    ("waiting", texts.CHART_WAITING, "#ececec", ""),
    ("overdue", texts.CHART_OVERDUE, "#9e1b32", "///"),
)
EDGE: Final = "#333333"
WIDTH_IN: Final = 11.0
NAME_WIDTH: Final = 34  # characters per line of an agency's name (wrapped, never cut)


class _Outcomes:
    """Complaints by outcome: what one stacked bar is made of."""

    __slots__ = ()
    on_time: int
    late: int
    waiting: int
    overdue: int

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.waiting + self.overdue


@dataclass(frozen=True, slots=True)
class AgencyBar(_Outcomes):
    """One agency's bar: complaints by outcome, and what is written beside it."""

    name: str
    on_time: int = 0
    late: int = 0
    waiting: int = 0
    overdue: int = 0
    on_time_share: float | None = None
    median_s: int | None = None  # first response, working seconds
    target_s: int | None = None  # the agency's first-response target, working seconds


@dataclass(frozen=True, slots=True)
class TrendDay(_Outcomes):
    day: date
    on_time: int = 0
    late: int = 0
    waiting: int = 0
    overdue: int = 0
    on_time_share: float | None = None


def hmm(seconds: int | None) -> str:
    """Working time as «ч:мм» («1:05», «12:30»); «—» for none."""
    if seconds is None:
        return texts.DIGEST_DASH
    minutes = max(0, int(seconds)) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def _figure(height_in: float) -> object:
    import matplotlib

    matplotlib.use("Agg")  # no display in a server; must precede pyplot
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height_in), dpi=100, layout="constrained")


def _png(fig: object) -> bytes:
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    return buf.getvalue()


def _integer_axis(axis: object) -> None:
    from matplotlib.axis import Axis
    from matplotlib.ticker import MaxNLocator

    assert isinstance(axis, Axis)
    axis.set_major_locator(MaxNLocator(integer=True))


def _segments(items: Sequence[_Outcomes]) -> Iterator[tuple[str, list[int], dict[str, Any]]]:
    """Each outcome some item has: its key, its count per item and its bars' style."""
    for key, label, colour, hatch in SEGMENTS:
        values = [getattr(item, key) for item in items]
        if any(values):
            style = {"color": colour, "hatch": hatch, "edgecolor": EDGE, "linewidth": 0.6}
            yield key, values, {**style, "label": label}


def _tidy(ax: Axes, grid: Literal["x", "y"]) -> None:
    """No box on the top and right, light grid lines behind the bars."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _nothing(ax: Axes, text: str) -> None:
    """An empty panel that says why it is empty."""
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11)


def _stacked_barh(ax: Axes, bars: Sequence[AgencyBar], note: bool) -> None:
    """Horizontal stacked bars, first item at the top, counts inside, notes at the end."""
    names = [textwrap.fill(b.name, NAME_WIDTH) for b in bars]
    ys = list(range(len(bars)))
    left = [0] * len(bars)
    top = max((b.total for b in bars), default=0)
    for key, values, style in _segments(bars):
        colour = style["color"]
        drawn = ax.barh(ys, values, left=left, height=0.62, **style)
        dark = key in ("on_time", "overdue")
        for rect, value in zip(drawn, values, strict=True):
            if value and value >= top * 0.06:
                ax.text(
                    rect.get_x() + rect.get_width() / 2,
                    rect.get_y() + rect.get_height() / 2,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if dark else "black",
                    fontweight="bold",
                    bbox={"facecolor": colour, "edgecolor": "none", "pad": 1} if dark else None,
                )
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, b in zip(ys, bars, strict=True):
        text = f" {b.total}"
        if note:
            median = (
                texts.CHART_NO_ANSWERS
                if b.median_s is None
                else texts.CHART_MEDIAN_NOTE.format(median=hmm(b.median_s))
            )
            target = (
                texts.CHART_TARGET_NOTE.format(target=hmm(b.target_s))
                if b.target_s is not None
                else ""
            )
            text += "  " + texts.CHART_BAR_NOTE.format(
                share=percent(b.on_time_share), median=median, target=target
            )
        ax.text(b.total, y, text, va="center", ha="left", fontsize=9)
    ax.set_yticks(ys, names, fontsize=9)
    ax.set_ylim(len(bars) - 0.5, -0.5)  # the first (worst) at the top
    ax.set_xlim(0, max(top, 1) * (1.9 if note else 1.25))
    _integer_axis(ax.xaxis)
    _tidy(ax, "x")


def _legend(fig: object) -> None:
    """One legend for the figure, under everything: it never covers a bar."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    assert isinstance(fig, Figure)
    handles = [
        Patch(facecolor=colour, edgecolor=EDGE, hatch=hatch, label=label)
        for _, label, colour, hatch in SEGMENTS
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=len(handles),
        frameon=False,
        fontsize=9,
    )


def _trend(ax: Axes, days: Sequence[TrendDay]) -> None:
    """The last days: complaints per day by outcome, the share in time above each bar."""
    xs = list(range(len(days)))
    bottom = [0] * len(days)
    for _, values, style in _segments(days):
        ax.bar(xs, values, bottom=bottom, width=0.6, **style)
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    top = max((d.total for d in days), default=0)
    for x, d in zip(xs, days, strict=True):
        label = (
            f"{d.total}" if d.on_time_share is None else f"{d.total} · {percent(d.on_time_share)}"
        )
        ax.text(x, d.total + max(top, 1) * 0.03, label, ha="center", va="bottom", fontsize=9)
    ax.set_xticks(
        xs, [f"{texts.WEEKDAYS_SHORT[d.day.weekday()]}\n{d.day:%d.%m}" for d in days], fontsize=9
    )
    ax.set_ylim(0, max(top, 1) * 1.25)
    _integer_axis(ax.yaxis)
    ax.set_ylabel(texts.CHART_COMPLAINTS_AXIS, fontsize=9)
    _tidy(ax, "y")


def digest_chart(
    *,
    title: str,
    bars: Sequence[AgencyBar],
    backlog: Sequence[AgencyBar],
    trend: Sequence[TrendDay],
) -> bytes:
    """The digest's PNG: the day by agency (or, on a day without complaints, the open backlog
    by agency), then the last seven days."""
    shown, heading, note = (
        (bars, texts.CHART_DAY_PANEL, True)
        if bars
        else (backlog, texts.CHART_BACKLOG_PANEL, False)
    )
    rows = max(len(shown), 1)
    fig = _figure(4.6 + 0.55 * rows)
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    top, bottom = fig.subplots(2, 1, height_ratios=[max(rows, 2) * 0.55 + 0.6, 2.6])
    fig.suptitle(title, fontsize=13, fontweight="bold")
    top.set_title(heading, fontsize=11, loc="left")
    if shown:
        _stacked_barh(top, shown, note)
        top.set_xlabel(texts.CHART_COMPLAINTS_AXIS, fontsize=9)
    else:
        _nothing(top, texts.CHART_NOTHING)
    bottom.set_title(texts.CHART_TREND_PANEL, fontsize=11, loc="left")
    _trend(bottom, trend)
    _legend(fig)
    return _png(fig)


@dataclass(frozen=True, slots=True)
class RankBar:
    place: int | None  # None: not ranked (too few complaints)
    name: str
    good_share: float | None
    otpiska_share: float | None
    median_s: int | None
    complaints: int


def ranking_chart(*, title: str, rows: Sequence[RankBar]) -> bytes:
    """The weekly ranking's PNG: the share answered in time and on substance per agency,
    best at the top, with the отписки share and the median first response beside it."""
    fig = _figure(1.6 + 0.5 * max(len(rows), 1))
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    assert isinstance(fig, Figure)
    ax = fig.subplots()
    fig.suptitle(title, fontsize=13, fontweight="bold")
    if not rows:
        _nothing(ax, texts.CHART_NOTHING_WEEK)
        return _png(fig)
    ys = list(range(len(rows)))
    values = [(r.good_share or 0.0) * 100 for r in rows]
    colours = ["#2f6f9f" if r.place is not None else "#cfcfcf" for r in rows]
    ax.barh(ys, values, color=colours, edgecolor=EDGE, linewidth=0.6, height=0.62)
    for y, r, v in zip(ys, rows, values, strict=True):
        note = texts.CHART_RANK_NOTE.format(
            good=percent(r.good_share),
            otpiski=percent(r.otpiska_share),
            median=hmm(r.median_s),
            n=r.complaints,
        )
        if r.place is None:
            note += texts.CHART_RANK_UNRANKED
        ax.text(v + 1, y, note, va="center", ha="left", fontsize=9)
    labels = [
        textwrap.fill(f"{r.place}. {r.name}" if r.place is not None else r.name, NAME_WIDTH)
        for r in rows
    ]
    ax.set_yticks(ys, labels, fontsize=9)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, 190)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.xaxis.set_major_formatter(PercentFormatter(100))
    ax.set_xlabel(texts.CHART_RANK_AXIS, fontsize=9)
    _tidy(ax, "x")
    return _png(fig)
