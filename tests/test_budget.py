"""Budget evaluation: every limit on both sides, all violations at once, baselines, staleness, GitHub."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claude_quote import ConfigError, render
from claude_quote.budget import Budgets, CheckReport, Limits, WorkloadCost, evaluate, freshness
from claude_quote.render.check import COMMENT_MARKER, github_comment
from claude_quote.render.github import escape_data, escape_property, workflow_commands, write_step_summary

D = Decimal
DAY = date(2026, 11, 25)
FRESH = freshness(date(2026, 11, 25), DAY, 90, "warn")


def workload(name: str = "tickets", *, mode: str = "batch", **limits: Any) -> WorkloadCost:
    # 30,000 requests/month at $0.01 real time and $0.005 batch per request:
    # $300/month real time, $150/month batch; worst case (max_tokens) twice that.
    return WorkloadCost(
        name=name,
        mode=mode,
        models=("claude-sonnet-4-6",),
        requests_per_month=D(30_000),
        realtime=D(300),
        batch=D(150),
        worst_realtime=D(600),
        worst_batch=D(300),
        per_request=D("0.005") if mode == "batch" else D("0.01"),
        worst_per_request=D("0.01") if mode == "batch" else D("0.02"),
        limits=Limits(**{k: D(str(v)) for k, v in limits.items()}),
    )


def check(*workloads: WorkloadCost, baseline: dict[str, Any] | None = None, **budgets: Any) -> CheckReport:
    stat = budgets.pop("statistic", "expected")
    return evaluate(
        list(workloads),
        Budgets(statistic=stat, **{k: D(str(v)) for k, v in budgets.items()}),
        at=DAY,
        pricing_version="2026.11.25",
        pricing_sha256="0" * 64,
        freshness=FRESH,
        config="claude-quote.toml",
        baseline=baseline,
        baseline_source="main",
    )


class TestLimits:
    def test_total_monthly_budget_both_sides(self) -> None:
        assert check(workload(), monthly=150).exit_code == 0  # $150 batch = the budget: passes
        over = check(workload(), monthly="149.99")
        assert over.exit_code == 1
        (v,) = over.violations
        assert (v.rule, v.workload, v.limit, v.actual) == ("monthly", None, D("149.99"), D(150))

    def test_billed_cost_is_the_workloads_mode(self) -> None:
        # the same workload run in real time bills $300
        assert check(workload(mode="realtime"), monthly=299).exit_code == 1
        assert check(workload(mode="realtime"), monthly=300).exit_code == 0

    def test_worst_case_statistic(self) -> None:
        assert check(workload(), monthly=200).exit_code == 0  # expected $150
        report = check(workload(), monthly=200, statistic="worst_case")  # worst $300
        assert report.exit_code == 1
        assert report.total == D(300)
        assert (report.total_expected, report.total_worst_case) == (D(150), D(300))

    def test_workload_budget_and_per_request_limit(self) -> None:
        ok = check(workload(monthly=150, per_request="0.005"))
        assert ok.violations == ()
        bad = check(workload(monthly="149", per_request="0.0049"))
        assert [v.rule for v in bad.violations] == ["workload_monthly", "per_request"]
        assert bad.workloads[0].status == "fail"

    def test_min_batch_savings(self) -> None:
        # ($300 - $150) / $300 = 50% saved
        assert check(workload(min_batch_savings_percent=50)).violations == ()
        (v,) = check(workload(min_batch_savings_percent="50.01")).violations
        assert (v.rule, v.actual) == ("min_batch_savings_percent", D(50))

    def test_every_violation_is_reported_at_once(self) -> None:
        report = check(workload("a", monthly=100), workload("b", monthly=100), monthly=250)
        # each workload $150 > $100, total $300 > $250
        assert [(v.rule, v.workload) for v in report.violations] == [
            ("workload_monthly", "a"),
            ("workload_monthly", "b"),
            ("monthly", None),
        ]
        texts = json.loads(render(report, "json"))["violations"]
        assert (
            texts[0]["message"] == "workload 'a' cost $150.00/month (expected), over the $100.00/month budget"
        )
        assert (
            texts[2]["message"]
            == "all workloads cost $300.00/month (expected), over the $250.00/month budget"
        )


class TestBaseline:
    def baseline(self, total: str = "100", tickets: str = "100", stat: str = "expected") -> dict[str, Any]:
        return {
            "schema_version": 1,
            "kind": "check",
            "statistic": stat,
            "pricing_version": "2026.11.01",
            "total": total,
            "workloads": [{"name": "tickets", "billed": tickets}, {"name": "gone", "billed": "0"}],
        }

    def test_diff_in_dollars_and_percent(self) -> None:
        report = check(workload(), workload("new-one"), baseline=self.baseline())
        diff = report.baseline
        assert diff is not None
        # before $100, after $150 + $150 = $300: +$200 (+200%)
        assert (diff.total.before, diff.total.after, diff.total.change, diff.total.percent) == (
            D(100),
            D(300),
            D(200),
            D(200),
        )
        assert diff.workloads["tickets"].change == D(50)
        assert (diff.added, diff.removed) == (("new-one",), ("gone",))
        from claude_quote.render.check import delta_text

        assert delta_text(diff.total) == "+$200.00/month (+200%)"

    def test_increase_limits_both_sides(self) -> None:
        # +$50 (+50%) against a $100 baseline
        assert (
            check(workload(), baseline=self.baseline(), max_increase=50, max_increase_percent=50).violations
            == ()
        )
        report = check(
            workload(), baseline=self.baseline(), max_increase="49.99", max_increase_percent="49.9"
        )
        assert [(v.rule, v.actual) for v in report.violations] == [
            ("max_increase", D(50)),
            ("max_increase_percent", D(50)),
        ]

    def test_increase_limits_without_a_baseline_are_noted(self) -> None:
        report = check(workload(), max_increase=1)
        assert report.exit_code == 0
        assert any("no --baseline" in w for w in report.warnings)

    def test_baseline_must_be_a_check_report_of_the_same_statistic(self) -> None:
        with pytest.raises(ConfigError, match="not a claude-quote check report"):
            check(workload(), baseline={"kind": "estimate"})
        with pytest.raises(ConfigError, match="compare like with like"):
            check(workload(), baseline=self.baseline(stat="worst_case"))

    def test_a_report_is_its_own_baseline(self) -> None:
        first = json.loads(render(check(workload()), "json"))
        again = check(workload(), baseline=first)
        assert again.baseline is not None
        assert again.baseline.total.change == 0


class TestStaleness:
    def test_age_both_sides(self) -> None:
        assert not freshness(date(2026, 8, 27), DAY, 90).stale  # 90 days old: allowed
        assert freshness(date(2026, 8, 26), DAY, 90).stale  # 91 days

    def test_policies(self) -> None:
        old = date(2026, 1, 1)
        warn = evaluate(
            [workload()],
            Budgets(),
            at=DAY,
            pricing_version="v",
            pricing_sha256="",
            config="c",
            freshness=freshness(old, DAY, 30, "warn"),
        )
        assert warn.exit_code == 0
        assert any("last checked 328 days ago" in w for w in warn.warnings)
        fail = evaluate(
            [workload()],
            Budgets(monthly=D(1)),
            at=DAY,
            pricing_version="v",
            pricing_sha256="",
            config="c",
            freshness=freshness(old, DAY, 30, "fail"),
        )
        assert fail.exit_code == 3  # stale prices win over the budget violation
        assert fail.status == "stale"


class TestGitHub:
    def test_workflow_commands(self) -> None:
        report = check(workload(monthly=100), monthly=100)
        lines = workflow_commands(report)
        assert lines[0] == (
            "::error file=claude-quote.toml,title=claude-quote budget::workload 'tickets' cost $150.00/month (expected), "
            "over the $100.00/month budget"
        )
        assert len([ln for ln in lines if ln.startswith("::error")]) == 2
        # with the config's lines: the workload's violation on its line, the total on [budgets]'s
        placed = workflow_commands(report, {"tickets": 18, "": 11})
        assert placed[0].startswith(
            "::error file=claude-quote.toml,line=18,title=claude-quote budget::workload 'tickets'"
        )
        assert placed[1].startswith(
            "::error file=claude-quote.toml,line=11,title=claude-quote budget::all workloads"
        )

    def test_annotation_properties_are_escaped(self) -> None:
        # a path with a comma or colon would end the property early
        assert escape_property("dir,with:odd%name") == "dir%2Cwith%3Aodd%25name"

    def test_escaping(self) -> None:
        assert escape_data("50%\nnext\r") == "50%25%0Anext%0D"

    def test_step_summary_is_appended(self, tmp_path: Path) -> None:
        summary = tmp_path / "summary.md"
        summary.write_text("earlier step\n")
        write_step_summary(check(workload()), {"GITHUB_STEP_SUMMARY": str(summary)})
        text = summary.read_text()
        assert text.startswith("earlier step\n### claude-quote check: within budget")
        assert write_step_summary(check(workload()), {}) is None

    def test_pr_comment_has_the_marker(self) -> None:
        comment = github_comment(check(workload(), monthly=100))
        assert comment.startswith(COMMENT_MARKER + "\n### claude-quote check: over budget (1 violation)")
        assert (
            "Over budget: all workloads cost $150.00/month (expected), over the $100.00/month budget."
            in comment
        )
