"""Token counting offline: the tiktoken encoding, the content-class counting model, requests, images, PDFs.

tiktoken is imported lazily (inside :func:`load_encoding`), so importing this package is cheap.
"""

from .correction import CountingModel, TokenMethod, corrected, counting_model, method_for
from .encoding import EncodingSource, load_encoding

__all__ = [
    "CountingModel",
    "EncodingSource",
    "TokenMethod",
    "corrected",
    "counting_model",
    "load_encoding",
    "method_for",
]
