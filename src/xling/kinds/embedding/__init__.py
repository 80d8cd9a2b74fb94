"""Kinds for embedders: bitext and many-to-many retrieval, STS, and classification heads fitted on embeddings."""
