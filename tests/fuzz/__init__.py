"""The fuzz suite: every reader (except ``plan``'s, fuzzed in its own tests) fed broken inputs.

Each test takes a valid input (a file of ``examples/``), breaks it with hypothesis — a value replaced by
one that has broken a reader before (:data:`tests.fuzz.values.NASTY_JSON`), keys dropped or added,
bytes flipped, lines cut — and runs the command on it in-process. The command must end in a valid
report, or exit 2 with one line ``error: ...`` naming the file (and line or key): never a traceback,
never an error that does not say where (:func:`tests.fuzz.harness.assert_handled`).

CI runs a few dozen examples per reader (a few seconds each). More on demand::

    CLAUDE_QUOTE_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/fuzz -q
    .venv/bin/python -m pytest tests/fuzz --fuzz-examples 5000 -q

``CLAUDE_QUOTE_FUZZ_SURVEY=FILE`` records every unhandled outcome in FILE (JSONL) instead of failing,
to count them all in one run.
"""
