"""The public API is exactly what ``__all__`` declares, and every name in it is documented."""

from __future__ import annotations

import types

import claude_quote


def test_all_matches_public_names() -> None:
    public = sorted(
        name
        for name, value in vars(claude_quote).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    )
    assert sorted(set(claude_quote.__all__) - {"__version__"}) == public


def test_all_is_sorted_and_unique() -> None:
    assert claude_quote.__all__ == sorted(set(claude_quote.__all__))


def test_every_public_name_has_a_docstring() -> None:
    missing = [n for n in claude_quote.__all__ if n != "__version__" and not getattr(claude_quote, n).__doc__]
    assert missing == []


def test_version_is_set() -> None:
    assert claude_quote.__version__.count(".") == 2
