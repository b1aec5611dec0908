"""A shortlist for large vector indexes: one bit per dimension of each row, searched by
Hamming distance, so that an exact cosine is computed for a few thousand rows instead of
all of them.

A row's code holds, per dimension, whether its embedding lies above the index's mean there
(sign bits of the centred vector: MiniLM's embeddings share a large common direction, which
plain sign bits would spend most of their bits on). Two unit vectors at a small angle agree
on most of those bits, so the rows nearest a query by cosine are, with high probability,
among the rows nearest by Hamming distance. The codes of a 384-dimensional embedding take 48
bytes: at 100,000 rows 4.8 MB are read per query, where the exact product reads 154 MB.
At 86,000 rows of real embeddings, on one core of the development machine, the exact
product takes 11.5–12 ms; the distances, the shortlist of 2,000 rows and their exact
cosines 2.4 ms. What the shortlist misses against the exact search
is measured by ``benchmarks/shortlist.py``.

Codes are stored word-major (one array of 64-bit words per 64 dimensions), so the distance
to every row is a handful of vector operations over contiguous memory. Like the matrices of
``VectorIndex``, the buffer is shared by the indexes a chain of writes makes and grows by
doubling: each index reads its first ``n`` columns, and only the index that ends at the
buffer's mark may append in place.
"""

from __future__ import annotations

import numpy as np

WORD = 64


class SignCodes:
    """The centred sign bits of the rows of one index (word-major), and their centre."""

    __slots__ = ("centre", "_words", "_filled", "n")

    def __init__(self, centre: np.ndarray, words: np.ndarray, filled: list[int], n: int) -> None:
        self.centre = centre
        """The mean the bits are taken about (fixed when the codes are first made)."""
        self._words = words
        """Shape (words per row, capacity): column r is row r's code."""
        self._filled = filled
        """Columns of the shared buffer in use, shared by every ``SignCodes`` on it."""
        self.n = n
        """Rows this index's codes cover."""

    @classmethod
    def of(cls, embeddings: np.ndarray) -> SignCodes:
        """Codes of ``embeddings`` about their mean."""
        centre = embeddings.mean(axis=0, dtype=np.float64).astype(np.float32)
        words = _codes(embeddings, centre)
        return cls(centre, words, [len(embeddings)], len(embeddings))

    def extended(self, embeddings: np.ndarray) -> SignCodes:
        """These codes, then those of ``embeddings`` (about the same centre)."""
        new = _codes(embeddings, self.centre)
        need = self.n + len(embeddings)
        words = self._words
        if words.shape[1] < need or self._filled[0] != self.n:
            capacity = max(need + need // 4, 64)
            words = np.zeros((new.shape[0], capacity), np.uint64)
            words[:, : self.n] = self._words[:, : self.n]
        words[:, self.n:need] = new  # past every older index's n: safe to write
        filled = self._filled if words is self._words else [self.n]
        filled[0] = need
        return SignCodes(self.centre, words, filled, need)

    def taken(self, rows: np.ndarray) -> SignCodes:
        """The codes of ``rows`` alone, in that order (a compacted index)."""
        words = np.ascontiguousarray(self._words[:, rows])
        return SignCodes(self.centre, words, [len(rows)], len(rows))

    def distances(self, vector: np.ndarray) -> np.ndarray:
        """Hamming distance of ``vector``'s code to each row's code (uint16, one per row)."""
        query = _codes(vector[None, :], self.centre)[:, 0]
        found = np.zeros(self.n, np.uint16)
        for word, bits in zip(self._words, query, strict=True):
            found += np.bitwise_count(word[: self.n] ^ bits)
        return found


def _codes(embeddings: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Word-major sign bits of ``embeddings - centre``: shape (ceil(dim / 64), rows)."""
    bits = np.packbits(embeddings > centre, axis=1)
    pad = (-bits.shape[1]) % (WORD // 8)
    if pad:
        bits = np.pad(bits, ((0, 0), (0, pad)))
    return np.ascontiguousarray(bits.view(np.uint64).T)
