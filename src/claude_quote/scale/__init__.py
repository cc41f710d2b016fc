"""Big inputs on every core, and on a Dask cluster: the input cut into pieces, each piece counted and
priced into a small partial result, the partials merged into exactly the one-process result.

- :mod:`.pieces`: cutting inputs into pieces (a JSONL file at line boundaries, Parquet row groups,
  runs of text files), each with the position of its first item, so every request keeps its line;
- :mod:`.local`: the pieces in worker processes on this machine (``--jobs N``), with one progress bar
  and a clean stop on Ctrl-C;
- :mod:`.dask`: the pieces as Dask tasks on a cluster (``--dask ADDRESS``), merged on the client.

The partial results themselves belong to their commands: :mod:`claude_quote.estimate.partial` and
:mod:`claude_quote.reconcile.partial`.
"""

from __future__ import annotations

from .pieces import Piece, Position, default_jobs, jsonl_cuts

__all__ = ["Piece", "Position", "default_jobs", "jsonl_cuts"]
