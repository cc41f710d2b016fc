"""Workload readers: Message Batches JSONL and request bodies, text files, and tables (CSV/Parquet/JSONL).

Readers stream: they yield one item at a time, so memory does not grow with the input. They know
nothing about tokens or prices; :mod:`claude_quote.estimate` turns what they read into an estimate.
"""

from .requests import BatchRequest, custom_id_prefix, iter_batch_requests, iter_requests

__all__ = ["BatchRequest", "custom_id_prefix", "iter_batch_requests", "iter_requests"]
