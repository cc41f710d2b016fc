"""``claude-quote check``: config files, monthly costs, exit codes, baselines and GitHub output."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from claude_quote import ConfigError
from claude_quote.check import requests_per_month, run_check
from claude_quote.config import load_config
from claude_quote.estimate import EstimateOptions, estimate
from claude_quote.render.check import COMMENT_MARKER
from tests.conftest import ROOT, console_script, run_cli

D = Decimal
EXAMPLE = ROOT / "examples" / "claude-quote.toml"
AT = "--at 2026-11-25"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example config and its batch file in a scratch directory."""
    shutil.copy(EXAMPLE, tmp_path / "claude-quote.toml")
    shutil.copy(ROOT / "examples" / "batch-requests.jsonl", tmp_path / "batch-requests.jsonl")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


class TestMonthlyCosts:
    def test_requests_per_month(self) -> None:
        # an average month is 30.4375 days: 1,500/day → 45,656.25; 7/week → 30.4375
        assert requests_per_month(D(1500), "day") == D("45656.25")
        assert requests_per_month(D(7), "week") == D("30.4375")
        assert requests_per_month(D(20000), "month") == D(20000)

    def test_token_workload_hand_derived(self) -> None:
        config, path = load_config(EXAMPLE)
        report = run_check(config, path, at=date(2026, 11, 25))
        chat = report.workloads[0].cost
        # one Sonnet 4.6 request: 1,500 × $3 + 6,000 × $0.30 + 400 × $15, per million = $0.0123
        assert chat.per_request == D("0.0123")
        # × 45,656.25 requests = $561.571875 real time; batch would be half
        assert (chat.realtime, chat.batch) == (D("561.571875"), D("280.7859375"))
        # worst case: 1,024 output tokens → $0.0045 + $0.0018 + $0.01536 = $0.02166 per request
        assert chat.worst_per_request == D("0.02166")
        assert report.workloads[0].billed == D("561.571875")  # it runs in real time

    def test_source_workload_scales_the_estimate(self) -> None:
        config, path = load_config(EXAMPLE)
        report = run_check(config, path, at=date(2026, 11, 25))
        summaries = report.workloads[1].cost
        est = estimate(
            [ROOT / "examples" / "batch-requests.jsonl"],
            EstimateOptions(output_tokens=60),
            at=date(2026, 11, 25),
        )
        assert est.batch is not None
        # the file's 4 requests stand for 20,000 a month: × 5,000
        assert summaries.batch == est.batch.total * 5000
        assert summaries.realtime == est.realtime.total * 5000
        assert report.workloads[1].billed == summaries.batch
        assert summaries.models == ("claude-haiku-4-5-20251001", "claude-sonnet-4-6")
        assert "tiktoken cl100k_base" in summaries.token_method


class TestConfigFiles:
    def test_pyproject_table_is_found(self, tmp_path: Path) -> None:
        body = EXAMPLE.read_text().replace("#:schema ../docs/config.schema.json\n", "")
        body = body.replace("[pricing]", "[tool.claude-quote.pricing]").replace(
            "[budgets]", "[tool.claude-quote.budgets]"
        )
        body = body.replace("[[workloads]]", "[[tool.claude-quote.workloads]]").replace(
            "schema_version = 1", "[tool.claude-quote]\nschema_version = 1"
        )
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n' + body)
        shutil.copy(ROOT / "examples" / "batch-requests.jsonl", tmp_path)
        config, path = load_config(directory=tmp_path)
        assert path.name == "pyproject.toml"
        assert [w.name for w in config.workloads] == ["support-chat", "ticket-summaries"]

    def test_standalone_file_wins(self, project: Path) -> None:
        (project / "pyproject.toml").write_text("[tool.claude-quote]\nschema_version = 1\n")
        _, path = load_config(directory=project)
        assert path.name == "claude-quote.toml"

    def test_no_config(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"no config found: create claude-quote\.toml"):
            load_config(directory=tmp_path)

    @pytest.mark.parametrize(
        ("old", "new", "message"),
        [
            (
                "requests = 1500",
                "requests = -1500",
                "workloads[0] (support-chat).requests: must be 0 or more (got -1500)",
            ),
            (
                'per = "day"',
                'per = "fortnight"',
                "workloads[0] (support-chat).per: must be 'day', 'week' or 'month' (got 'fortnight')",
            ),
            (
                'model = "sonnet-4.6"',
                'modle = "sonnet-4.6"',
                "workloads[0] (support-chat).modle: unknown key",
            ),
            (
                "max_request_cost = 0.02",
                "max_request_cost = 0.02\nsource = 'x.jsonl'",
                "give exactly one of `tokens`",
            ),
            (
                'name = "ticket-summaries"',
                'name = "support-chat"',
                "workload name 'support-chat' is used twice",
            ),
            (
                "monthly = 650",
                'monthly = "lots"',
                "budgets.monthly: an amount 'lots' is not a decimal number",
            ),
            ('on_stale = "warn"', 'on_stale = "panic"', "pricing.on_stale"),
            ("schema_version = 1", "schema_version = 2", "schema_version: must be 1 (got 2)"),
        ],
    )
    def test_bad_config_names_the_key(self, project: Path, old: str, new: str, message: str) -> None:
        edit(project / "claude-quote.toml", old, new)
        with pytest.raises(ConfigError) as info:
            load_config(project / "claude-quote.toml")
        assert str(info.value).startswith(str(project / "claude-quote.toml") + ": ")
        assert message in str(info.value)


class TestCommand:
    def test_within_budget(self, project: Path) -> None:
        result = run_cli(f"check --config {project / 'claude-quote.toml'} {AT}")
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("claude-quote check: within budget\n")
        assert "support-chat" in result.stdout

    def test_over_budget_names_the_workload_limit_and_amount(self, project: Path) -> None:
        edit(project / "claude-quote.toml", "requests = 1500", "requests = 1700")
        result = run_cli(f"check --config {project / 'claude-quote.toml'} {AT}")
        assert result.exit_code == 1
        # 1,700/day × 30.4375 = 51,743.75 requests × $0.0123 = $636.448125 > $600
        assert (
            "Over budget: workload 'support-chat' cost $636.45/month (expected), over the $600.00/month budget."
            in result.stdout
        )

    def test_every_violation_at_once(self, project: Path) -> None:
        # 1,750/day: support-chat $655.16 > $600, total $662.02 > $650, and batch saves 50% < 60%
        edit(project / "claude-quote.toml", "requests = 1500", "requests = 1750")
        edit(
            project / "claude-quote.toml", "min_batch_savings_percent = 45", "min_batch_savings_percent = 60"
        )
        data = json.loads(run_cli(f"check --config {project / 'claude-quote.toml'} -f json {AT}").stdout)
        assert [(v["rule"], v["workload"]) for v in data["violations"]] == [
            ("workload_monthly", "support-chat"),
            ("min_batch_savings_percent", "ticket-summaries"),
            ("monthly", None),
        ]
        assert data["status"] == "fail"
        assert data["exit_code"] == 1

    def test_broken_config_exits_2_naming_the_key(self, project: Path) -> None:
        edit(project / "claude-quote.toml", 'per = "day"', 'per = "daily"')
        result = run_cli(f"check --config {project / 'claude-quote.toml'} {AT}")
        assert result.exit_code == 2
        assert "workloads[0] (support-chat).per" in result.stderr
        assert "Traceback" not in result.output

    def test_unknown_model_exits_2(self, project: Path) -> None:
        edit(project / "claude-quote.toml", 'model = "sonnet-4.6"', 'model = "sonet-4.6"')
        result = run_cli(f"check --config {project / 'claude-quote.toml'} {AT}")
        assert result.exit_code == 2
        assert "unknown model 'sonet-4.6'; did you mean 'sonnet-4.6'" in result.stderr

    def test_stale_prices(self, project: Path) -> None:
        # the table was checked 2026-12-01; 121 days later (31 + 31 + 28 + 31) it is over the 120-day limit
        warned = run_cli(f"check --config {project / 'claude-quote.toml'} --at 2027-04-01")
        assert warned.exit_code == 0
        assert "last checked 121 days ago" in warned.stdout
        assert (
            "last checked"
            not in run_cli(f"check --config {project / 'claude-quote.toml'} --at 2027-03-31").stdout
        )
        edit(project / "claude-quote.toml", 'on_stale = "warn"', 'on_stale = "fail"')
        failed = run_cli(f"check --config {project / 'claude-quote.toml'} --at 2027-04-01")
        assert failed.exit_code == 3
        assert failed.stdout.startswith("claude-quote check: price table too old")

    def test_baseline_diff_in_dollars_and_percent(self, project: Path, tmp_path: Path) -> None:
        config = project / "claude-quote.toml"
        baseline = tmp_path / "main.json"
        first = run_cli(f"check --config {config} -f json --output {baseline} {AT}")
        assert first.exit_code == 0
        assert first.stdout == ""
        edit(config, "requests = 1500", "requests = 1600")
        result = run_cli(f"check --config {config} --baseline {baseline} {AT}")
        # support-chat: +100/day × 30.4375 × $0.0123 = +$37.438125; total $561.571875 + ticket-summaries
        # 20,000 × $0.0014155 ÷ 4 = $568.649375 → $606.0875 (+6.58%)
        assert result.exit_code == 0
        assert f"vs baseline  +$37.44/month (+6.58%) vs {baseline}" in result.stdout
        assert "+$37.44/month (+6.67%)" in result.stdout  # support-chat alone: 1,600 vs 1,500
        edit(config, "requests = 1600", "requests = 1800")
        over = run_cli(f"check --config {config} --baseline {baseline} {AT}")
        # +$112.31 > the $100 max_increase
        assert over.exit_code == 1
        assert (
            f"monthly cost rises by $112.31 against {baseline}, more than the $100.00 allowed" in over.stdout
        )

    def test_github_comment_and_json_side_by_side(self, project: Path, tmp_path: Path) -> None:
        comment, report = tmp_path / "comment.md", tmp_path / "report.json"
        result = run_cli(
            f"check --config {project / 'claude-quote.toml'} -f github -o {comment} --json {report} {AT}"
        )
        assert result.exit_code == 0
        assert comment.read_text().startswith(COMMENT_MARKER + "\n### claude-quote check: within budget")
        assert json.loads(report.read_text())["kind"] == "check"

    def test_github_actions_annotations_and_summary(self, project: Path, tmp_path: Path) -> None:
        edit(project / "claude-quote.toml", "requests = 1500", "requests = 1700")
        summary = tmp_path / "summary.md"
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_WORKSPACE": str(project),
        }
        result = run_cli(f"check --config {project / 'claude-quote.toml'} {AT}", env=env)
        assert result.exit_code == 1
        # an annotation on the config, relative to the repository, on the line of the workload's name
        assert (
            "::error file=claude-quote.toml,line=18,title=claude-quote budget::workload 'support-chat' cost "
            "$636.45/month (expected), over the $600.00/month budget"
        ) in result.stdout.splitlines()
        assert (
            (project / "claude-quote.toml").read_text().splitlines()[17].startswith('name = "support-chat"')
        )
        assert summary.read_text().startswith("### claude-quote check: over budget (1 violation)")
        as_json = run_cli(f"check --config {project / 'claude-quote.toml'} -f json {AT}", env=env)
        json.loads(as_json.stdout)  # annotations went to stderr, the JSON on stdout still parses
        assert "::error" in as_json.stderr


# --- end to end, through the installed script, in a git repository ------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _check(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | (env or {})
    return subprocess.run(
        [console_script(), "check", "--at", "2026-11-25", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=full,
    )


@pytest.mark.slow
def test_end_to_end_in_a_git_repository(project: Path, tmp_path: Path) -> None:
    repo = project
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "claude workloads")

    ok = _check(repo)  # finds claude-quote.toml in the working directory
    assert ok.returncode == 0, ok.stderr
    baseline = tmp_path / "main.json"
    assert _check(repo, "-f", "json", "-o", str(baseline)).returncode == 0

    _git(repo, "checkout", "-q", "-b", "more-chat")
    edit(repo / "claude-quote.toml", "requests = 1500", "requests = 1700")
    over = _check(repo, "--baseline", str(baseline))
    assert over.returncode == 1
    assert (
        "workload 'support-chat' cost $636.45/month (expected), over the $600.00/month budget" in over.stdout
    )
    # +200/day × 30.4375 × $0.0123 = +$74.88 (+13.17% of $568.43)
    assert "+$74.88/month (+13.17%)" in over.stdout

    summary = tmp_path / "summary.md"
    annotated = _check(
        repo, "--baseline", str(baseline), env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert annotated.returncode == 1
    assert "::error file=claude-quote.toml,line=18,title=claude-quote budget::" in annotated.stdout
    assert "+$74.88/month (+13.17%)" in summary.read_text()

    edit(repo / "claude-quote.toml", 'per = "day"', 'per = "daily"')
    broken = _check(repo)
    assert broken.returncode == 2
    assert "workloads[0] (support-chat).per" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_config_reference_documents_every_key() -> None:
    schema = json.loads((ROOT / "docs" / "config.schema.json").read_text())
    keys = {key for d in [schema, *schema["$defs"].values()] for key in d.get("properties", {})}
    keys -= set(
        json.loads((ROOT / "examples" / "workloads.schema.json").read_text())["$defs"]["TokensPerRequest"][
            "properties"
        ]
    )
    page = (ROOT / "docs" / "config.md").read_text()
    assert sorted(k for k in keys if f"`{k}`" not in page) == []


def test_a_workload_spec_given_to_check_says_what_it_is() -> None:
    result = run_cli(f"check --config {ROOT / 'examples' / 'workloads.toml'} {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {ROOT / 'examples' / 'workloads.toml'}: workloads[0] (support-chat).growth_percent, "
    )
    assert (
        "are keys of a workload spec for `claude-quote project --spec`, not of a check config"
        in result.stderr
    )
    assert "unknown key" not in result.stderr
