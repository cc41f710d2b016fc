"""A chart of a projection: monthly real-time vs batch (and blended) cost, and cumulative savings.

Months in which a model is retired are shaded and named; savings below zero (batch costing more)
are drawn in red and labelled with a real minus sign ("−$1,000", never "$-1,000").

matplotlib is optional (``pip install 'claude-quote[plot]'``) and imported only here, inside
:func:`plot_projection`. The chart is drawn with the Agg canvas (no display, no pyplot state) and is
reproducible: SVG output carries no date and fixed element ids. Like every renderer this is a display:
the exact Decimal amounts are turned into floats only to place points on the axes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from claude_quote.errors import UsageError
from claude_quote.projections import Projection

from . import format as fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PLOT_FORMATS", "plot_projection", "projection_figure"]

PLOT_FORMATS = ("png", "svg")
"""File types ``--plot`` writes, chosen by the file's suffix."""


def plot_projection(projection: Projection, path: str | Path) -> Path:
    """Draw ``projection`` to ``path`` (``.png`` or ``.svg``) and return the path.

    Raises:
        UsageError: matplotlib is not installed, the suffix is not .png or .svg, or the file cannot
            be written.
    """
    target = Path(path)
    kind = target.suffix.lower().lstrip(".")
    if kind not in PLOT_FORMATS:
        raise UsageError(f"--plot {str(target)!r}: the file must end in .png or .svg")
    figure = projection_figure(projection)  # raises when matplotlib is missing
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "claude-quote", "svg.fonttype": "path"}):
        try:
            if kind == "svg":
                figure.savefig(target, format="svg", metadata={"Date": None})
            else:
                figure.savefig(target, format="png", dpi=100)
        except OSError as exc:
            raise UsageError(f"--plot: cannot write {str(target)!r}: {exc.strerror}") from None
    return target


def projection_figure(projection: Projection) -> Figure:
    """The chart as a matplotlib Figure (Agg canvas, no pyplot): monthly costs above, cumulative
    savings below, retired months shaded.

    Raises:
        UsageError: matplotlib is not installed.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib, which is not installed: pip install 'claude-quote[plot]'"
        ) from None

    months = [m.month.isoformat()[:7] for m in projection.months]
    x = list(range(len(months)))
    figure = Figure(figsize=(9, 6), layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    _draw_costs(top, projection, x, months)
    _draw_savings(bottom, projection, x)
    dollars = FuncFormatter(lambda value, _: _text(fmt.axis_usd(value)))
    top.yaxis.set_major_formatter(dollars)
    bottom.yaxis.set_major_formatter(dollars)
    _mark_retirements(projection, top, bottom)
    top.legend(loc="upper left", ncols=4, frameon=False)
    step = max(1, len(months) // 12)
    bottom.set_xticks(x[::step], months[::step], rotation=45, ha="right")
    return figure


def _draw_costs(axis: Any, projection: Projection, x: list[int], months: list[str]) -> None:
    """The upper chart: each month's real-time and batch (and blended) cost as lines."""
    realtime = [float(m.realtime_cost) for m in projection.months]
    batch = [float(m.batch_cost) for m in projection.months]
    blended = [float(m.blended_cost) for m in projection.months]
    axis.plot(x, realtime, marker="o", markersize=3, label="real time", color="#c0504d")
    axis.plot(x, batch, marker="o", markersize=3, label="batch", color="#4f81bd")
    if projection.blended:
        axis.plot(x, blended, marker="o", markersize=3, label="blended", color="#9bbb59")
    axis.set_title(
        f"Monthly cost, {months[0]} to {months[-1]} (prices of table {projection.pricing_version})"
    )
    axis.set_ylabel("USD per month")
    highest = max([*realtime, *batch, *(blended if projection.blended else [])], default=0.0)
    axis.set_ylim(bottom=0, top=highest * 1.2 or 1.0)  # room for the legend above the lines
    axis.grid(True, alpha=0.3)


def _draw_savings(axis: Any, projection: Projection, x: list[int]) -> None:
    """The lower chart: the cumulative savings as bars (red below zero), the last one labelled."""
    cumulative = [float(m.cumulative_savings) for m in projection.months]
    plan = "the blended plan" if projection.blended else "batch"
    saved = "#9bbb59" if projection.blended else "#4f81bd"
    axis.bar(x, cumulative, color=[saved if value >= 0 else "#c0504d" for value in cumulative])
    axis.axhline(0, color="#333333", linewidth=0.8)
    title = f"Cumulative savings of {plan} against real time"
    if any(value < 0 for value in cumulative):
        title += f" (below zero, red: {plan} costs more)"
    axis.set_title(title)
    axis.set_ylabel("USD")
    axis.grid(True, axis="y", alpha=0.3)
    final = projection.months[-1].cumulative_savings
    axis.margins(y=0.18)  # room for the label of the last bar, above or below it
    axis.annotate(
        _text(fmt.usd(final).replace("-", "−")),
        (x[-1], cumulative[-1]),
        textcoords="offset points",
        xytext=(0, 3 if cumulative[-1] >= 0 else -3),
        ha="center",
        va="bottom" if cumulative[-1] >= 0 else "top",
        fontsize=8,
    )


def _text(label: str) -> str:
    """A label matplotlib shows as written: ``$`` would otherwise start mathtext."""
    return label.replace("$", r"\$")


def _mark_retirements(projection: Projection, *axes: Any) -> None:
    """Shade the months in which a model is retired (priced at its last list price) and name it."""
    flagged = [i for i, m in enumerate(projection.months) if m.retired]
    if not flagged:
        return
    spans: list[list[int]] = []
    for i in flagged:
        if spans and spans[-1][1] == i - 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    for first, last in spans:
        for axis in axes:
            axis.axvspan(first - 0.5, last + 0.5, color="#7f7f7f", alpha=0.15, hatch="//", linewidth=0)
        names = ", ".join(dict.fromkeys(n for m in projection.months[first : last + 1] for n in m.retired))
        axes[0].annotate(
            f"retired: {names}",
            (first - 0.45, 0.02),
            xycoords=("data", "axes fraction"),
            fontsize=8,
            color="#404040",
        )
