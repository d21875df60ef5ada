"""The default engine: the build's own model embeds the missing texts in this process, as always.

Why it is an engine at all: so the builder has one code path, and the distributed engine is a
replacement for this step only (base.py).
"""
from __future__ import annotations

from index.embedding import Embedder
from index.engines.base import Embedded, MissingTexts


class InProcessEngine:
    """`embedder.encode_documents` on every core of this machine; keeps nothing on disk."""

    name = "local"

    def embed_missing(self, embedder: Embedder, missing: MissingTexts) -> Embedded:
        return Embedded(embedder.encode_documents(missing.texts, progress=missing.progress), {"name": self.name})
