"""Fuzzing the numbers given on the command line: ``price`` token counts, ``project`` volumes, growth,
months and start, ``estimate`` factors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import seeds
from tests.fuzz.harness import assert_handled, count_run, fuzz_settings, invoke

_NUMBERS = st.one_of(
    st.sampled_from(
        [
            "0",
            "1",
            "-1",
            "1.5",
            "2.5k",
            "5M",
            "3b",
            "1,000",
            "1_000",
            "1e3",
            "1e999999",
            "NaN",
            "inf",
            "-0",
            "0.0000001",
            "9" * 60,
            "9" * 5_000,
            "99999999999999999999999999999999b",
            "1" + "0" * 100 + "%",
            "100%",
            "",
            " ",
            "\ud800",
            "٣",  # an Arabic-Indic digit: str.isdigit() but not ASCII
        ]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**80), 10**80).map(str),
    st.text(max_size=12),
)


@fuzz_settings(60)
@given(
    flag=st.sampled_from(
        [
            "--input",
            "--output",
            "--cache-read",
            "--cache-write",
            "--cache-write-1h",
            "--requests",
            "--web-searches",
        ]
    ),
    value=_NUMBERS,
    model=st.sampled_from(["sonnet-4.6", "opus-4.6", "haiku-4.5"]),
    extra=st.sampled_from([[], ["--geo", "us"], ["--fast"], ["--requests", "3"]]),
)
def test_price_takes_any_count(flag: str, value: str, model: str, extra: list[str]) -> None:
    args = ["price", model, "--input", "1M", flag, value, *extra, "--at", "2026-11-25", "-f", "json"]
    count_run("price arguments")
    # An error of the model and the modifiers (no fast mode, no US inference) names the model.
    assert_handled(invoke(args), located=[flag, "--requests", model, "claude-"], reader="price arguments")


@fuzz_settings(60)
@given(
    flag=st.sampled_from(
        ["--requests", "--growth", "--months", "--start", "--input", "--batch-share", "--cache-hit-rate"]
    ),
    value=_NUMBERS | st.sampled_from(["9999-06", "9999-12", "0001-01", "2026-13", "2026-00", "2026-12"]),
    per=st.sampled_from(["day", "week", "month"]),
)
def test_project_takes_any_number(flag: str, value: str, per: str) -> None:
    args = ["project", "sonnet-4.6", "--input", "2k", "--output", "500", "--requests", "1000", "--per", per]
    args += ["--start", "2026-12", "--months", "3", flag, value, "-f", "json"]
    count_run("project arguments")
    assert_handled(invoke(args), located=[flag, flag.removeprefix("--") + " "], reader="project arguments")


@fuzz_settings(40)
@given(
    flag=st.sampled_from(
        [
            "--token-factor",
            "--output-ratio",
            "--output-tokens",
            "--cache-hit-rate",
            "--max-tokens",
            "--sample",
        ]
    ),
    value=_NUMBERS,
)
def test_estimate_takes_any_number(flag: str, value: str) -> None:
    args = [
        "estimate",
        str(seeds.EXAMPLES / "batch-requests.jsonl"),
        flag,
        value,
        "--at",
        "2026-11-25",
        "-f",
        "json",
    ]
    count_run("estimate arguments")
    assert_handled(
        invoke(args), located=[flag, "batch-requests.jsonl", "claude-"], reader="estimate arguments"
    )
