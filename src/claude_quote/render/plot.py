"""A chart of a projection: monthly real-time vs batch (and blended) cost, and cumulative savings.

matplotlib is optional (``pip install 'claude-quote[plot]'``) and imported only here, inside
:func:`plot_projection`. The chart is drawn with the Agg canvas (no display, no pyplot state) and is
reproducible: SVG output carries no date and fixed element ids. Like every renderer this is a display:
the exact Decimal amounts are turned into floats only to place points on the axes.
"""

from __future__ import annotations

from pathlib import Path

from claude_quote.errors import UsageError
from claude_quote.projections import Projection

__all__ = ["PLOT_FORMATS", "plot_projection"]

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
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib, which is not installed: pip install 'claude-quote[plot]'"
        ) from None

    months = [m.month.isoformat()[:7] for m in projection.months]
    x = list(range(len(months)))
    realtime = [float(m.realtime_cost) for m in projection.months]
    batch = [float(m.batch_cost) for m in projection.months]
    blended = [float(m.blended_cost) for m in projection.months]
    cumulative = [float(m.cumulative_savings) for m in projection.months]

    with matplotlib.rc_context({"svg.hashsalt": "claude-quote", "svg.fonttype": "path"}):
        figure = Figure(figsize=(9, 6), layout="constrained")
        FigureCanvasAgg(figure)
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        top.plot(x, realtime, marker="o", markersize=3, label="real time", color="#c0504d")
        top.plot(x, batch, marker="o", markersize=3, label="batch", color="#4f81bd")
        if projection.blended:
            top.plot(x, blended, marker="o", markersize=3, label="blended", color="#9bbb59")
        top.set_title(
            f"Monthly cost, {months[0]} to {months[-1]} (prices of table {projection.pricing_version})"
        )
        top.set_ylabel("USD per month")
        top.set_ylim(bottom=0)
        top.legend(loc="upper left")
        top.grid(True, alpha=0.3)
        bottom.bar(x, cumulative, color="#4f81bd" if not projection.blended else "#9bbb59")
        plan = "the blended plan" if projection.blended else "batch"
        bottom.set_title(f"Cumulative savings of {plan} against real time")
        bottom.set_ylabel("USD")
        bottom.grid(True, axis="y", alpha=0.3)
        dollars = FuncFormatter(lambda value, _: f"${value:,.0f}")
        top.yaxis.set_major_formatter(dollars)
        bottom.yaxis.set_major_formatter(dollars)
        step = max(1, len(months) // 12)
        bottom.set_xticks(x[::step], months[::step], rotation=45, ha="right")
        try:
            if kind == "svg":
                figure.savefig(target, format="svg", metadata={"Date": None})
            else:
                figure.savefig(target, format="png", dpi=100)
        except OSError as exc:
            raise UsageError(f"--plot: cannot write {str(target)!r}: {exc.strerror}") from None
    return target
