"""Workload readers: Message Batches request JSONL and request bodies, text files, tables
(CSV/Parquet/JSONL), batch results and Admin API usage exports — validated line by line.

Readers stream: they yield one item at a time, so memory does not grow with the input. They know
nothing about prices; :mod:`claude_quote.estimate` and :mod:`claude_quote.reconcile` price what they read.
"""

from .requests import BatchRequest, custom_id_prefix, iter_batch_requests, iter_requests

__all__ = ["BatchRequest", "custom_id_prefix", "iter_batch_requests", "iter_requests"]
