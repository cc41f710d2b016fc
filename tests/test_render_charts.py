"""Pictures (issue #14): Mermaid ``xychart-beta`` charts in the Markdown of ``project`` and ``check``,
and the ``--plot`` chart's retirements and negative savings."""

from __future__ import annotations

import json
import re
import shlex
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from claude_quote.projections import project
from claude_quote.render.document import Chart, Series
from claude_quote.render.text import mermaid, to_markdown
from claude_quote.usage import Usage
from claude_quote.workload_spec import Workload
from tests.conftest import ROOT, run_cli

EX = ROOT / "examples"
CHAT = "project sonnet-4.6 --input 2k --output 500 --requests 1000 --per day --growth 5 --start 2026-12 --months 4"
SPEC = f"project --spec {EX}/workloads.toml --start 2026-12 --months 3"
CHECK = f"check --config {EX}/claude-quote.toml --at 2026-11-25"

_FENCE = re.compile(r"^```mermaid\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_STRING = r'"[^"\n]*"'


def _cents(value: str) -> Decimal:
    # $418.50 exactly; 439.425 → 439.43 (half up, written out here, not taken from render/format.py)
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _charts(markdown: str) -> list[dict[str, Any]]:
    """Every Mermaid block, parsed strictly: the xychart-beta grammar this renderer writes."""
    charts = []
    for body in _FENCE.findall(markdown):
        lines = body.splitlines()
        assert lines[0] == "xychart-beta"
        chart: dict[str, Any] = {"series": []}
        for line in lines[1:]:
            assert line.startswith("    "), line
            key, _, rest = line.strip().partition(" ")
            if key == "title":
                assert re.fullmatch(_STRING, rest), line
                chart["title"] = rest[1:-1]
            elif key == "x-axis":
                assert re.fullmatch(rf"\[{_STRING}(, {_STRING})*\]", rest), line
                chart["x"] = [label[1:-1] for label in re.findall(_STRING, rest)]
            elif key == "y-axis":
                m = re.fullmatch(rf"({_STRING}) (-?[\d.]+) --> (-?[\d.]+)", rest)
                assert m, line
                chart["y"] = (m[1][1:-1], Decimal(m[2]), Decimal(m[3]))
            elif key in ("bar", "line"):
                assert re.fullmatch(r"\[-?\d+\.\d\d(, -?\d+\.\d\d)*\]", rest), line
                chart["series"].append((key, [Decimal(v) for v in rest[1:-1].split(", ")]))
            else:
                pytest.fail(f"unexpected Mermaid line {line!r}")
        for _, values in chart["series"]:
            assert len(values) == len(chart["x"])
            low, high = chart["y"][1], chart["y"][2]
            assert all(low <= v <= high for v in values), (chart["y"], values)
        charts.append(chart)
    return charts


def _run(command: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    return run_cli([*shlex.split(command), *extra], env=env)


def test_project_markdown_charts_monthly_real_time_bars_against_batch_line() -> None:
    data = json.loads(_run(CHAT, "--format", "json").stdout)
    (chart,) = _charts(_run(CHAT, "--format", "markdown").stdout)
    assert chart["title"] == "Monthly cost: real time (bars) vs batch (line)"
    assert chart["x"] == ["2026-12", "2027-01", "2027-02", "2027-03"]
    assert chart["y"][:2] == ("USD per month", Decimal(0))
    assert chart["series"] == [
        ("bar", [_cents(m["realtime_cost"]) for m in data["months"]]),
        ("line", [_cents(m["batch_cost"]) for m in data["months"]]),
    ]
    # Dec: 31,000 requests × $0.0135 = $418.50 real time, $209.25 batch; Jan: $439.425 → 439.43
    assert chart["series"][0][1][:2] == [Decimal("418.50"), Decimal("439.43")]
    assert chart["series"][1][1][0] == Decimal("209.25")


def test_project_with_a_batch_share_draws_the_blended_plan() -> None:
    data = json.loads(_run(SPEC, "--format", "json").stdout)
    markdown = _run(SPEC, "--format", "markdown").stdout
    (chart,) = _charts(markdown)
    assert chart["title"] == "Monthly cost: real time (bars) vs blended plan (line)"
    assert chart["series"][1] == ("line", [_cents(m["blended_cost"]) for m in data["months"]])
    assert "*Monthly cost in USD, 2026-12 to 2027-02: real time as bars, blended plan as a line.*" in markdown


def test_compare_markdown_charts_the_average_month_of_each_scenario() -> None:
    command = (
        "project sonnet-4.6 --input 2k --output 500 --requests 1000 --start 2026-12 --compare opus,haiku"
    )
    data = json.loads(_run(command, "--format", "json").stdout)
    (chart,) = _charts(_run(command, "--format", "markdown").stdout)
    assert chart["x"][0] == f"{data['scenarios'][0]['model']} batch"
    assert chart["series"] == [("bar", [_cents(s["average_monthly_cost"]) for s in data["scenarios"]])]


def test_check_markdown_and_pr_comment_chart_cost_against_budget() -> None:
    data = json.loads(_run(CHECK, "--format", "json").stdout)
    for fmt in ("markdown", "github"):
        (chart,) = _charts(_run(CHECK, "--format", fmt).stdout)
        assert chart["title"] == "Monthly cost (bars) vs budget (line)"
        assert chart["x"] == ["support-chat", "ticket-summaries"]
        # support-chat: 45,656.25 requests × $0.0123 = $561.571875 → 561.57; budgets 600 and 40
        assert chart["series"] == [
            ("bar", [Decimal("561.57"), _cents(data["workloads"][1]["billed"])]),
            ("line", [Decimal("600.00"), Decimal("40.00")]),
        ]
        assert chart["y"][2] >= Decimal(600)  # the budget line is inside the chart


def test_check_against_a_baseline_adds_a_before_after_chart(tmp_path: Path) -> None:
    before = json.loads(_run(CHECK, "--format", "json").stdout)
    before["workloads"][0]["billed"] = "500"  # support-chat cost $500 on the base branch
    before["workloads"] = before["workloads"][:1]  # and ticket-summaries is new
    before["total"] = "500"
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(before), encoding="utf-8")
    markdown = _run(CHECK, "--baseline", str(baseline), "--format", "github").stdout
    budget, change = _charts(markdown)
    assert change["title"] == "Monthly cost now (bars) vs baseline (line)"
    assert change["x"] == ["support-chat", "ticket-summaries"]
    assert change["series"][1] == ("line", [Decimal("500.00"), Decimal("0.00")])  # new: 0 before
    assert change["series"][0] == budget["series"][0]


def test_step_summary_carries_the_chart(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    _run(CHECK, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert len(_charts(summary.read_text(encoding="utf-8"))) == 1


def test_tables_and_csv_have_no_chart() -> None:
    for fmt in ("table", "csv", "json"):
        assert "mermaid" not in _run(CHAT, "--format", fmt).stdout


def test_mermaid_quotes_labels_it_cannot_escape() -> None:
    chart = Chart(
        title='Cost of "the bot"',
        x=['say "hi"', "b"],
        y_label="USD",
        series=[Series("bar", "cost", [Decimal("-1.005"), Decimal("2")])],
        caption="Costs.",
    )
    lines = mermaid(chart)
    assert lines[0] == "*Costs.*"
    assert "    title \"Cost of 'the bot'\"" in lines
    assert '    x-axis ["say \'hi\'", "b"]' in lines
    # -1.005 → -1.01 (half up, away from zero); the axis reaches a tenth of the range beyond the data
    assert "    bar [-1.01, 2.00]" in lines
    assert '    y-axis "USD" -1.4 --> 2.4' in lines


def test_a_document_without_charts_has_no_mermaid() -> None:
    from claude_quote.render.document import Document

    assert "mermaid" not in to_markdown(Document(title="t"))


# --- the --plot chart ----------------------------------------------------------------------------


def _workload(model: str, usage: Usage, **extra: Any) -> Workload:
    return Workload(name="w", model=model, usage=usage, requests=Decimal(1000), per="month", **extra)


def _texts(figure: Any) -> list[str]:
    return [t.get_text() for axis in figure.axes for t in [*axis.texts, axis.title]]


def test_plot_draws_negative_savings_with_a_real_minus_and_in_red(table: Any) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex

    from claude_quote.render.plot import projection_figure

    # 10k cache reads in real time ($0.30/MTok) become 1-hour cache writes in batch ($3/MTok) at a 0
    # hit rate: batch costs more, so savings are negative every month.
    usage = Usage(input_tokens=100, cache_read_tokens=10_000, output_tokens=100)
    result = project(
        _workload("sonnet-4.6", usage, cache_hit_rate=Decimal(0)), start="2026-12", months=3, table=table
    )
    assert all(m.cumulative_savings < 0 for m in result.months)
    figure = projection_figure(result)
    _, bottom = figure.axes
    formatter = bottom.yaxis.get_major_formatter()
    labels = [formatter(value, i) for i, value in enumerate(bottom.get_yticks())]
    negative = [label for label, value in zip(labels, bottom.get_yticks(), strict=True) if value < 0]
    assert negative
    assert all(label.startswith("−\\$") for label in negative)  # U+2212, "$" escaped from mathtext
    assert not any("$-" in label or "-$" in label for label in labels)
    assert "batch costs more" in bottom.get_title()
    assert {to_hex(bar.get_facecolor()) for bar in bottom.patches} == {"#c0504d"}  # red, every month
    final = result.months[-1].cumulative_savings  # 3 months of the same loss
    assert f"−\\${abs(final):,.2f}" in _texts(figure)


def test_plot_shades_and_names_the_months_a_model_is_retired(table: Any) -> None:
    pytest.importorskip("matplotlib")
    from claude_quote.render.plot import projection_figure

    usage = Usage(input_tokens=2000, output_tokens=500)
    # claude-3-opus was retired on 2026-01-05: January to March 2026 are flagged, October to December not
    result = project(_workload("claude-3-opus-20240229", usage), start="2025-10", months=6, table=table)
    assert [bool(m.retired) for m in result.months] == [False, False, False, True, True, True]
    figure = projection_figure(result)
    top, bottom = figure.axes
    shaded = [p for p in top.patches if p.get_hatch() == "//"]
    assert len(shaded) == 1
    (x0, _), (x1, _) = shaded[0].get_extents().get_points()  # pixels: the span covers months 3 to 5
    left, right = top.transData.transform((2.5, 0))[0], top.transData.transform((5.5, 0))[0]
    assert (round(x0), round(x1)) == (round(left), round(right))
    assert "retired: claude-3-opus-20240229" in _texts(figure)
    assert [p for p in bottom.patches if p.get_hatch() == "//"]


def test_plot_without_retirements_or_losses_is_plain(table: Any) -> None:
    pytest.importorskip("matplotlib")
    from claude_quote.render.plot import projection_figure

    result = project(
        _workload("sonnet-4.6", Usage(input_tokens=2000, output_tokens=500)),
        start="2026-12",
        months=2,
        table=table,
    )
    figure = projection_figure(result)
    top, bottom = figure.axes
    assert not [p for p in top.patches if p.get_hatch() == "//"]
    assert bottom.get_title() == "Cumulative savings of batch against real time"
    assert not any(t.startswith("retired") for t in _texts(figure))
