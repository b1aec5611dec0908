"""Model providers: the embedder protocol, the local ONNX embedder, and test fakes."""

from asem.providers.embedder import Embedder, embed_notes
from asem.providers.fake import HashEmbedder

__all__ = ["Embedder", "HashEmbedder", "embed_notes"]
