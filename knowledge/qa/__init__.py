"""Notice Q&A: question analysis, hybrid retrieval, reranking and extractive answers with citations.

Imports nothing from `bot/` or `handlers/` (layers above it)."""
