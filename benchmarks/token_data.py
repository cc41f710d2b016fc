"""Build ``tests/data/token-measurements.jsonl``: public Claude token counts, as features (no texts).

    python benchmarks/token_data.py [--truth FILE ...] [--agent-op-agent GIT_DIR]

Sources (facts measured by others, each row names its repository, path and commit):

- ``--truth`` (repeatable; default the two files of :data:`TRUTH` under ``../shared/token-truth/``
  beside the checkout): ``claude-token-counts.jsonl``, 172
  measurements gathered from jschoemaker/bpe-lite (claude-haiku-4-5, 12 categories of short texts)
  and freQuensy23-coder/claude-opus-4-7-tokenizer (the same long texts on claude-opus-4-6 and
  claude-opus-4-7), each with its text.
- ``../shared/token-truth/claude-token-counts-recorded.jsonl`` (also read by default; not in the shared
  folder since 2026-12-02, when the workspace was reset: the script stops and says so; the rows in
  ``tests/data`` name each text's repository, cassette and commit): 51 requests of one
  user message of plain text recorded in the VCR cassettes of 12 public test suites (crewAI, pydantic-ai,
  chatlas, Mirascope, ...), each with its ``usage.input_tokens`` (plus cache tokens), read 2026-12-02. Its
  rows carry their ``tokenizer`` and a ``split_group`` (one group for all of them, so a prompt recorded in
  several repositories stays on one side); rows marked ``framing_measured: false`` (Opus 4.8, Sonnet 5:
  no framing was measured on them) are left out.
- ``--agent-op-agent``: a git checkout (or bare mirror) of creationix/agent-op-agent. Its
  ``encoding-formats/claude-counts-sonnet.txt`` (commit b2a496a, generated 2026-01-10T22:17:09Z) holds
  ``count_tokens`` results of claude-sonnet-4-20250514 for 18 data files in 10 formats (JSON compact
  and indented, YAML, TOML, …), each sent as one user message; the texts are the files at commit
  ef84fe5 (the source files did not change between the commit before the run and the one after).

Only what the counting model needs is written, never the texts (the repositories do not all state a
licence): the text's sha256 and length, its tiktoken ``cl100k_base`` count, its content-class scan
(:func:`claude_quote.tokens.classes.scan`: characters per class, and the joins apart) and its tiktoken tokens per class (from which the
cl100k_base tokens per character of each class are measured), Claude's count of the whole one-message request and the
framing it includes, the source, and whether the row is held out of the fit.

**The split.** Within each (source, subcategory), texts are ordered by ``sha256(SEED + text)`` and every
third one (starting at an offset drawn from the group's own hash) is held out, so every category
is represented on both sides and a text measured on two models is on the same side for both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "token-measurements.jsonl"
SEED = "claude-quote#11"
TOKENIZER = {
    "claude-haiku-4-5-20251001": "claude-3",
    "claude-opus-4-6": "claude-3",
    "claude-sonnet-4-20250514": "claude-3",
    "claude-opus-4-7": "claude-4.7",
}
FRAMING = {"claude-3": 7, "claude-4.7": 11}
TRUTH = ("claude-token-counts.jsonl", "claude-token-counts-recorded.jsonl")
"""The files of public measurements (with their texts) under ``../shared/token-truth/``."""

AOA_REPO = "creationix/agent-op-agent"
AOA_TEXTS = "ef84fe5cf2c862bd858e15849e6869ef05579569"
AOA_COUNTS = "b2a496a1929494774b71f5b7a7df653d4033c009"
AOA_FORMATS = {
    "JSON (mini)": ("json-compact", "json/{f}.json, as JSON.stringify(JSON.parse(file))"),
    "JSON (pretty)": ("json-indented", "json/{f}.json, as JSON.stringify(JSON.parse(file), null, 2)"),
    "JSON (smart)": ("json-smart", "json/{f}.smart.json"),
    "Jot": ("jot", "jot/{f}.jot"),
    "Jot (pretty)": ("jot-pretty", "jot/{f}.pretty.jot"),
    "JSONito": ("jsonito", "jsonito/{f}.jito"),
    "TOON": ("toon", "toon/{f}.toon"),
    "YAML": ("yaml", "yaml/{f}.yaml"),
    "D2": ("d2", "d2/{f}.d2"),
    "TOML": ("toml", "toml/{f}.toml"),
}


def _git_show(git_dir: Path, commit: str, path: str) -> str:
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def _js_number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "e" not in text.lower() else value


def _aoa_text(git_dir: Path, fmt: str, name: str) -> str:
    def show(rel: str) -> str:
        return _git_show(git_dir, AOA_TEXTS, f"encoding-formats/{rel}")

    if fmt in ("JSON (mini)", "JSON (pretty)"):
        data = json.loads(show(f"json/{name}.json"), parse_float=_js_number)
        if fmt == "JSON (mini)":
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        return json.dumps(data, indent=2, ensure_ascii=False)
    return show(AOA_FORMATS[fmt][1].format(f=name))


def _aoa_rows(git_dir: Path) -> list[dict[str, Any]]:
    counts = _git_show(git_dir, AOA_COUNTS, "encoding-formats/claude-counts-sonnet.txt")
    rows: list[dict[str, Any]] = []
    fmt: str | None = None
    for line in counts.splitlines():
        if m := re.match(r"=== (.*) ===$", line):
            fmt = m[1] if m[1] in AOA_FORMATS else None
            continue
        m = re.match(r"  ([\w-]+): (\d+)$", line)
        if fmt is None or m is None or m[1] == "Total":
            continue
        sub, where = AOA_FORMATS[fmt]
        rows.append(
            {
                "text": _aoa_text(git_dir, fmt, m[1]),
                "model": "claude-sonnet-4-20250514",
                "request_count": int(m[2]),
                "framing": 7,
                "category": "data-formats",
                "subcategory": sub,
                "name": m[1],
                "source": "agent-op-agent",
                "repo": AOA_REPO,
                "path": f"encoding-formats/claude-counts-sonnet.txt; text: encoding-formats/{where.format(f=m[1])} at {AOA_TEXTS[:7]}",
                "commit": AOA_COUNTS,
                "method": "count_tokens input_tokens of one user message (claude-counts-sonnet.txt, generated 2026-01-10T22:17:09Z)",
            }
        )
    return rows


def _truth_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if (
            r.get("framing_measured") is False
        ):  # its model's framing is unknown: not a measurement of the text
            continue
        framing = FRAMING[r.get("tokenizer") or TOKENIZER[r["model"]]]
        request = r["count"] if r["framing_included"] else r["count"] + r["framing_overhead"]
        rows.append(
            {
                "text": r["text"],
                "model": r["model"],
                "request_count": request,
                "framing": r.get("framing_overhead") or framing,
                "category": r["category"],
                "subcategory": r["subcategory"],
                "name": r.get("name", ""),
                "source": r["source"],
                "repo": r["repo"],
                "path": r["path"],
                "commit": r["commit"],
                "method": r["method"],
                "tokenizer": r.get("tokenizer") or TOKENIZER[r["model"]],
                "split_group": r.get("split_group") or r["repo"],
            }
        )
    return rows


def _split(rows: list[dict[str, Any]]) -> None:
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        groups[r.get("split_group") or r["repo"], r["subcategory"]].add(r["text"])
    held: set[str] = set()
    for key, texts in groups.items():
        order = sorted(texts, key=lambda t: hashlib.sha256((SEED + t).encode()).hexdigest())
        offset = int(hashlib.sha256((SEED + repr(key)).encode()).hexdigest(), 16) % 3
        held.update(t for i, t in enumerate(order) if (i + offset) % 3 == 0)
    for r in rows:
        r["split"] = "held_out" if r["text"] in held else "fit"


def byte_classes(text: str) -> list[int]:
    """The content class of every UTF-8 byte of ``text``: its character's class, as
    :func:`claude_quote.tokens.classes.scan` counts that character (slow, but the scan's own rule)."""
    from claude_quote.tokens.classes import CLASSES, scan

    out: list[int] = []
    known: dict[str, int] = {}
    for char in text:
        if char not in known:
            known[char] = next(i for i, n in enumerate(scan(char)[: len(CLASSES)]) if n)
        out += [known[char]] * len(char.encode("utf-8", "surrogatepass"))
    return out


def token_classes(encoding: Any, text: str) -> list[int]:
    """cl100k_base tokens of ``text`` per content class: a token belongs to the class most of its
    bytes are in (spaces go with the word they lead; UTF-8 continuation bytes with their character)."""
    from claude_quote.tokens.classes import CLASSES

    space = CLASSES.index("space")
    classes = byte_classes(text)
    out = [0] * len(CLASSES)
    start = 0
    for token in encoding.encode_ordinary(text):
        end = start + len(encoding.decode_single_token_bytes(token))
        counts: dict[int, int] = defaultdict(int)
        for cls in classes[start:end]:
            counts[cls] += 1
        start = end
        if len(counts) > 1:
            counts.pop(space, None)
        out[max(counts, key=lambda c: (counts[c], -c))] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", type=Path, action="append", help=f"default: {', '.join(TRUTH)}")
    parser.add_argument("--agent-op-agent", type=Path, help="git dir of creationix/agent-op-agent")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    from claude_quote.tokens.classes import CLASSES, scan
    from claude_quote.tokens.encoding import load_encoding

    encoding, _ = load_encoding()
    truth = args.truth or [ROOT.parent / "shared/token-truth" / name for name in TRUTH]
    missing = [str(path) for path in truth if not path.is_file()]
    if missing:  # the rows would be left out silently, and the split of the rest would move
        print(
            f"token_data: {', '.join(missing)}: not found. Every file of measurements is needed to rebuild "
            f"{OUT.relative_to(ROOT)} as it is; each of its rows names the repository, path and commit "
            "its text came from, to gather them again (pass the files with --truth).",
            file=sys.stderr,
        )
        return 2
    rows = [row for path in truth for row in _truth_rows(path)]
    if args.agent_op_agent is not None:
        rows += _aoa_rows(args.agent_op_agent)
    _split(rows)
    with args.out.open("w", encoding="utf-8") as out:
        for r in rows:
            text = r.pop("text")
            features = scan(text)
            tokenizer = r.get("tokenizer") or TOKENIZER[r["model"]]
            record = {
                "source": r["source"],
                "repo": r["repo"],
                "path": r["path"],
                "commit": r["commit"],
                "method": r["method"],
                "model": r["model"],
                "tokenizer": tokenizer,
                "category": r["category"],
                "subcategory": r["subcategory"],
                "name": r["name"],
                "text_sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
                "chars": len(text),
                "cl100k": len(encoding.encode_ordinary(text)),
                "classes": list(features[: len(CLASSES)]),
                "joins": list(features[len(CLASSES) :]),
                "cl100k_classes": token_classes(encoding, text),
                "request_count": r["request_count"],
                "framing": r["framing"],
                "split": r["split"],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
