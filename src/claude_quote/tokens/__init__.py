"""Token counting offline: the tiktoken encoding, Claude correction factors, requests, images, PDFs.

tiktoken is imported lazily (inside :func:`load_encoding`), so importing this package is cheap.
"""

from .correction import FACTORS, TokenMethod, corrected, method_for
from .encoding import EncodingSource, load_encoding

__all__ = ["FACTORS", "EncodingSource", "TokenMethod", "corrected", "load_encoding", "method_for"]
