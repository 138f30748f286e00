"""Character noise, batched: keyboard typos, OCR confusions, random insert/delete/swap/substitute.

Behaviour follows nlpaug's char augmenters (KeyboardAug, OcrAug, RandomCharAug): in each text,
``max(1, round(word_p * n))`` of its ``n`` eligible words (at most ``word_max``) are chosen, and in each
chosen word ``max(1, round(char_p * len))`` characters (at most ``char_max``). A word is a maximal
run of letters and digits of at least ``min_word_len`` characters: in any script, the Unicode letters
and numbers (categories L* and N*: CJK ideographs, accented and Cyrillic letters, full-width letters)
with the combining marks on them (M*); punctuation (full-width ，！。 too), symbols and emoji, spaces
and control characters are never touched, so whitespace is kept exactly.

The batch is encoded once into one flat tensor of Unicode code points (texts separated by a
sentinel), words are found with a cumulative sum, characters are chosen with per-text and per-word
random ranks (array operations of :mod:`.functional`: NumPy views on the CPU, torch tensors
elsewhere), and the result is decoded once: no per-character Python loop; each code point's class
is read from a table filled from :mod:`unicodedata` once per 256-code-point block met. Non-ASCII
letters count as word characters (they can be deleted, swapped or get an insertion after them) but
keyboard and OCR maps cover ASCII only. A grapheme cluster is never split: decomposed (NFD) text is
edited in its composed form and returned decomposed; a character that extends the one before it (a
combining mark with no composed form, a zero-width joiner or non-joiner, an emoji skin-tone modifier,
a tag character, a conjoining Hangul vowel or final) locks itself and that character (never edited,
moved, deleted or split off by an insertion).
"""
from __future__ import annotations

import string
import unicodedata
from typing import Any

import numpy as np
import torch

from ..core import Params
from ..core.constraints import Integral, Interval, Options, Real, Satisfies
from ..registry import register
from . import functional as F
from .base import TextAugmenter

_SENTINELS = ("\x00", "\ue000", "\U000f0000")
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_OCR = {
    "0": "OoD", "1": "lIi", "2": "Zz", "5": "Ss", "6": "bG", "8": "B", "9": "gq",
    "O": "0QD", "o": "0", "D": "O0", "Q": "O", "l": "1Ii", "I": "1l", "i": "l1j", "j": "i",
    "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "b": "6h", "g": "9q", "q": "9g", "G": "6C", "C": "G",
    "e": "c", "c": "e", "u": "v", "v": "u", "n": "h", "h": "nb", "m": "n", "a": "o", "E": "F", "F": "E",
    "t": "f", "f": "t",
}


def _keyboard_map() -> dict[str, str]:
    pos = {ch: (r, c) for r, row in enumerate(_KEYBOARD_ROWS) for c, ch in enumerate(row)}
    out: dict[str, str] = {}
    for ch, (r, c) in pos.items():
        cand = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
        nb = "".join(_KEYBOARD_ROWS[rr][cc] for rr, cc in cand if 0 <= rr < 4 and 0 <= cc < len(_KEYBOARD_ROWS[rr]))
        out[ch] = nb
        if ch.isalpha():
            out[ch.upper()] = nb.upper()
    return out


def _csr(mapping: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """CSR over ASCII codes 0..127 (+1 row end): code -> replacement codes."""
    rows = [[ord(c) for c in mapping.get(chr(k), "")] for k in range(128)]
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    indices = np.array([c for r in rows for c in r], dtype=np.int64)
    return indptr, indices


_MAPS = {"keyboard": _csr(_keyboard_map()), "ocr": _csr(_OCR)}
_ALPHABETS = {"letters": string.ascii_lowercase, "alphanumeric": string.ascii_lowercase + string.digits}


_ASCII_WORD = np.zeros(128, dtype=bool)
_ASCII_WORD[[ord(c) for c in string.ascii_letters + string.digits]] = True

# ---- character classes: one byte of flags per code point ---------------------------------------------

#: a letter or a number (Unicode categories L*, N*)
_LETTER = 1
#: a combining mark (M*): a word character when it sits on one
_MARK = 2
#: extends the character before it into one grapheme cluster: combining marks, ZWNJ/ZWJ, emoji
#: modifiers, tag characters, conjoining Hangul vowels and finals, half-width kana voicing marks
_EXTEND = 4
_EXTENDERS = ((0x200C, 0x200D), (0x1160, 0x11FF), (0xD7B0, 0xD7FF), (0xFF9E, 0xFF9F), (0x1F3FB, 0x1F3FF),
              (0xE0020, 0xE007F))
_PAGE_BITS = 8
_CLASSES = np.zeros(0x110000, dtype=np.uint8)  # filled one block of 256 code points at a time
_FILLED = np.zeros(0x110000 >> _PAGE_BITS, dtype=bool)


def _fill_block(page: int) -> None:
    lo = page << _PAGE_BITS
    block = np.zeros(1 << _PAGE_BITS, dtype=np.uint8)
    for k in range(1 << _PAGE_BITS):
        cat = unicodedata.category(chr(lo + k))
        if cat[0] in "LN":
            block[k] = _LETTER
        elif cat[0] == "M":
            block[k] = _MARK | _EXTEND
    for a, b in _EXTENDERS:
        s, e = max(a, lo), min(b, lo + (1 << _PAGE_BITS) - 1)
        if s <= e:
            block[s - lo:e - lo + 1] |= _EXTEND
    _CLASSES[lo:lo + (1 << _PAGE_BITS)] = block
    _FILLED[page] = True  # after the block: a concurrent reader sees it filled or fills it again (same values)


def _char_classes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(word, extend)`` boolean masks of a flat array of code points: word characters (letters and
    numbers in any script, and the combining marks sitting on one) and characters that extend the one
    before them into a grapheme cluster (see ``_EXTEND``)."""
    if codes.size == 0 or int(codes.max()) < 128:  # ASCII: no table, nothing extends
        return _ASCII_WORD[codes], np.zeros(codes.shape, dtype=bool)
    pages = np.bincount(codes >> _PAGE_BITS)
    for page in np.flatnonzero((pages > 0) & ~_FILLED[:len(pages)]).tolist():
        _fill_block(page)
    cls = _CLASSES[codes]
    word = (cls & _LETTER) != 0
    mark = (cls & _MARK) != 0
    at = np.flatnonzero(mark)
    if at.size:  # a mark is a word character when the character it sits on is one
        base = at - 1
        while True:  # step back over the marks before it (runs of marks are short)
            over = (base >= 0) & mark[np.maximum(base, 0)]
            if not over.any():
                break
            base[over] -= 1
        word[at] = (base >= 0) & word[np.maximum(base, 0)]
    return word, (cls & _EXTEND) != 0


def _on(arr: np.ndarray, like: Any) -> Any:
    """A NumPy constant as the kernels' namespace of ``like`` wants it (a tensor on its device)."""
    return arr if isinstance(like, np.ndarray) else torch.from_numpy(arr).to(like.device)


class _CharNoise(TextAugmenter):
    """Shared machinery (not registered)."""

    magnitude_range = {"char_p": (0.0, 0.6)}

    def __init__(self, word_p: float = 0.3, char_p: float = 0.3, word_max: int = 10, char_max: int = 10,
                 min_word_len: int = 4, **kwargs: Any):
        self.word_p = word_p
        self.char_p = char_p
        self.word_max = word_max
        self.char_max = char_max
        self.min_word_len = min_word_len
        super().__init__(**kwargs)

    _parameter_constraints = {
        "word_p": [Interval(Real, 0, 1, closed="right")],
        "char_p": [Interval(Real, 0, 1, closed="right")],
        "word_max": [Interval(Integral, 1, None)],
        "char_max": [Interval(Integral, 1, None)],
        "min_word_len": [Interval(Integral, 1, None)],
    }

    # subclasses: which characters can be chosen, and what happens to them
    action = "substitute"

    def _candidates(self, codes: Any, is_wc: Any, word_id: Any, word_end: Any) -> Any:
        return is_wc

    def _char_map(self, like: Any) -> tuple[Any, Any] | None:
        return None

    def _dev(self) -> torch.device:
        return torch.device(self.device) if self.device is not None else torch.device("cpu")

    def _sample(self, x: list[str]) -> Params:
        joined = None
        for sep in _SENTINELS:
            joined = sep.join(x)
            if joined.count(sep) == max(len(x) - 1, 0):
                break
        else:  # pragma: no cover - all three sentinels inside the text
            raise ValueError("x: texts contain every sentinel character (U+0000, U+E000, U+F0000); cannot encode them")
        # decomposed text (NFD: "e" + U+0301) is edited in its composed form, so an accent stays on its
        # letter, and given back decomposed; marks that compose with nothing, and those of text in
        # neither normal form, are locked with their base (never edited, moved or split off)
        nfd = [not t.isascii() and not unicodedata.is_normalized("NFC", t) and unicodedata.is_normalized("NFD", t)
               for t in x]
        if any(nfd):
            joined = sep.join(unicodedata.normalize("NFC", t) if d else t for t, d in zip(x, nfd))
        arr = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        dev = self._dev()
        codes = torch.from_numpy(arr).to(dev)
        g = self.generator(dev)
        c = codes.numel()
        word, extend = _char_classes(arr)  # read on the host, where the text is encoded
        return {"codes": codes, "sep": ord(sep), "u": torch.rand(4, c, generator=g, device=dev, dtype=torch.float32),
                "word": torch.from_numpy(word).to(dev), "mark": torch.from_numpy(extend).to(dev),
                "nfd": torch.from_numpy(np.array(nfd, dtype=bool))}

    def _apply(self, x: list[str], params: Params) -> list[str]:
        codes, u, mark = F.host(params["codes"]), F.host(params["u"]), F.host(params["mark"])
        sep = params["sep"]
        xp = F.ops(codes)
        n = len(x)
        if xp.numel(codes) == 0:
            return list(x)
        is_wc = F.host(params["word"])  # word characters; "mark": characters that extend the one before
        word_id, starts, lens = F.char_words(is_wc)
        w = xp.numel(starts)
        if w == 0:
            return list(x)
        sent_of_char = xp.cumsum(xp.astype(codes == sep, "long"))
        word_sent = sent_of_char[starts]
        word_end = starts + lens - 1
        cand = self._candidates(codes, is_wc, word_id, word_end)
        # a character that extends the one before it (a combining mark, ZWJ, a skin-tone modifier...) and
        # that character are never edited (nor moved, deleted or split by a swap or an insertion)
        free = ~(mark | xp.cat([mark[1:], xp.zeros(1, "bool", mark)]))
        cand = cand & free & (xp.cat([free[1:], free[-1:]]) if self.action == "swap" else free)
        n_cand = F.segment_sum(cand[word_id >= 0], word_id[word_id >= 0], w)
        if self.action == "delete":  # a word keeps at least one character: a one-character word is not eligible
            n_cand = xp.minimum(n_cand, lens - 1)
        eligible = (lens >= int(self.min_word_len)) & (n_cand > 0)
        # words per text
        n_elig = F.segment_sum(eligible, word_sent, n)
        n_words = xp.clip(xp.astype(xp.round(xp.astype(n_elig, "float32") * float(self.word_p)), "long"), 1, int(self.word_max))
        n_words = xp.where(n_elig > 0, n_words, 0)
        rank, _, _ = F.segment_rank(word_sent, u[0][starts], eligible, n)
        chosen_w = eligible & (rank < n_words[word_sent])
        # characters per chosen word
        n_chars = xp.clip(xp.astype(xp.round(xp.astype(lens, "float32") * float(self.char_p)), "long"), 1, int(self.char_max))
        n_chars = xp.where(chosen_w, xp.minimum(n_chars, n_cand), 0)
        chosen = F.choose_chars(word_id, cand, n_chars, u[1])
        out = self._decode(self._act(codes, chosen, u), sep, n)
        nfd = F.host(params["nfd"])
        if nfd.any():
            out = [unicodedata.normalize("NFD", t) if d else t for t, d in zip(out, nfd.tolist())]
        return out

    def _act(self, codes: Any, chosen: Any, u: Any) -> Any:
        if self.action == "substitute":
            indptr, indices = self._char_map(codes)
            return F.substitute_chars(codes, chosen, indptr, indices, u[2])
        if self.action == "delete":
            return codes[~chosen]
        return F.swap_next_chars(codes, chosen)

    @staticmethod
    def _decode(codes: Any, sep: int, n: int) -> list[str]:
        out = F.to_numpy(codes).astype(np.uint32).tobytes().decode("utf-32-le").split(chr(sep))
        assert len(out) == n
        return out


def _map_arrays(name: str, like: Any) -> tuple[Any, Any]:
    """``(indptr, indices)`` of a character map in the namespace of ``like``."""
    indptr, indices = _MAPS[name]
    return _on(indptr, like), _on(indices, like)


class _MappedSubstitution(_CharNoise):
    map_name = "keyboard"

    def _candidates(self, codes, is_wc, word_id, word_end):
        indptr, _ = _map_arrays(self.map_name, codes)
        c = F.ops(codes).clip(codes, None, 127)
        return is_wc & (codes < 128) & (indptr[c + 1] > indptr[c])

    def _char_map(self, like):
        return _map_arrays(self.map_name, like)


@register("keyboard_typo")
class KeyboardTypo(_MappedSubstitution):
    """Keyboard typos: replace characters by a neighbouring key on a QWERTY keyboard (case kept).

    ``word_p``: fraction of eligible words changed per text (at least 1, at most ``word_max``);
    ``char_p``: fraction of characters changed per chosen word (at least 1, at most ``char_max``);
    ``min_word_len``: shorter words are left alone (nlpaug's ``min_char``). Letters and digits only;
    texts without an eligible word are reported. Labels are unchanged."""

    map_name = "keyboard"


@register("ocr_noise")
class OCRNoise(_MappedSubstitution):
    """OCR errors: replace characters by ones an OCR engine confuses them with (0/O, 1/l/I, 5/S, ...).

    Same selection hyperparameters as :class:`KeyboardTypo`; only characters with a known confusion
    are candidates (single-character confusions; "rn" -> "m" is not modelled)."""

    map_name = "ocr"


@register("char_noise")
class CharNoise(_CharNoise):
    """Random character noise: insert, delete, swap or substitute characters inside words.

    ``action``: "insert" (a random character after the chosen one), "delete", "swap" (with the next
    character of the word) or "substitute" (a random different character).

    ``alphabet``: "letters" (a-z, default), "alphanumeric" or a string of characters to draw from
    (inserted/substituted letters take the case of the character they replace or follow). Same
    selection hyperparameters as :class:`KeyboardTypo`. Deletion leaves at least one character per
    word. Labels are unchanged."""

    def __init__(self, action: str = "substitute", alphabet: str = "letters", **kwargs: Any):
        self.action = action
        self.alphabet = alphabet
        super().__init__(**kwargs)

    _parameter_constraints = {
        "action": [Options("insert", "delete", "swap", "substitute")],
        "alphabet": [Satisfies(lambda a: isinstance(a, str) and len(set(_ALPHABETS.get(a, a))) >= 2,
                               "'letters', 'alphanumeric' or a string of at least 2 distinct characters")],
    }

    def _alphabet(self) -> str:
        return _ALPHABETS.get(self.alphabet, self.alphabet) if isinstance(self.alphabet, str) else ""

    def _candidates(self, codes, is_wc, word_id, word_end):
        if self.action == "swap":  # the next character must be in the same word and differ
            xp = F.ops(codes)
            nxt = xp.cat([codes[1:], codes[-1:]])
            pos = xp.arange(xp.numel(codes), codes)
            return is_wc & (pos < word_end[xp.clip(word_id, 0)]) & (nxt != codes)
        return is_wc

    def _act(self, codes: Any, chosen: Any, u: Any) -> Any:
        if self.action not in ("substitute", "insert"):
            return super()._act(codes, chosen, u)
        xp = F.ops(codes)
        alpha = xp.tensor([ord(ch) for ch in dict.fromkeys(self._alphabet())], "long", codes)
        a = xp.numel(alpha)
        if self.action == "substitute":
            # a different character, drawn uniformly among the alphabet's characters other than the
            # original (compared case-insensitively: "A" is never "substituted" by "a" or "A"); a
            # character outside the alphabet (a digit, "é", any letter with a custom alphabet) may
            # become any of them, the last one included
            out = xp.clone(codes)
            sel = codes[chosen]
            m = xp.numel(sel)
            if m == 0:
                return out
            low = xp.where((sel >= 65) & (sel <= 90), sel + 32, sel)
            alpha_low = xp.where((alpha >= 65) & (alpha <= 90), alpha + 32, alpha)
            same = alpha_low[None, :] == low[:, None]  # (m, a)
            allowed = a - xp.astype(same, "long").sum(1)
            k = xp.astype(u[2][chosen] * xp.astype(allowed, "float32"), "long")
            k = xp.where(k >= allowed, allowed - 1, k)
            k = xp.where(k < 0, 0, k)
            order = xp.argsort(xp.astype(same, "long"))  # per row: the other characters first, in order
            new = alpha[order.reshape(-1)[xp.arange(m, sel) * a + k]]
            upper = (sel >= 65) & (sel <= 90) & (new >= 97) & (new <= 122)
            new = xp.where(upper, new - 32, new)
            out[chosen] = xp.where(allowed > 0, new, sel)
            return out
        new = alpha[xp.clip(xp.astype(u[2] * a, "long"), None, a - 1)]
        upper = (codes >= 65) & (codes <= 90) & (new >= 97) & (new <= 122)
        return F.insert_chars(codes, chosen, xp.where(upper, new - 32, new))
