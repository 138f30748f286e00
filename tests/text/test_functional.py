"""Kernels of multiaug.text.functional, checked against plain Python: EDA counts, per-sentence ranks
(both sort paths), character word segmentation."""
from __future__ import annotations

import pytest
import torch

from multiaug.text import functional as F


def test_n_changes_is_edas_max_one_round_alpha_n():
    n_words = torch.tensor([0, 1, 2, 9, 10, 25])
    assert F.n_changes(0.1, n_words).tolist() == [0, 1, 1, 1, 1, 2]  # round(2.5) = 2 (half to even)
    assert F.n_changes(0.5, n_words).tolist() == [0, 1, 1, 4, 5, 12]
    assert F.n_changes(0.0, n_words).tolist() == [0] * 6


@pytest.mark.parametrize("seed", range(5))
def test_segment_rank_orders_by_key_within_each_sentence_on_both_sort_paths(seed):
    """The NumPy (CPU) and torch (other devices) orders agree with a plain Python sort: valid
    elements by key inside each sentence, invalid ones after them."""
    g = torch.Generator().manual_seed(seed)
    n = 7
    sent = torch.sort(torch.randint(0, n, (60,), generator=g)).values
    key = torch.rand(60, generator=g)
    valid = torch.rand(60, generator=g) < 0.7
    rank, order, starts = F.segment_rank(sent, key, valid, n)
    for s in range(n):
        members = [i for i in range(60) if int(sent[i]) == s]
        good = sorted((i for i in members if valid[i]), key=lambda i: float(key[i]))
        assert [int(rank[i]) for i in good] == list(range(len(good)))
        assert all(int(rank[i]) >= len(good) for i in members if not valid[i])
    def order_numpy(s, k, v):
        return torch.from_numpy(F._order_numpy(s.numpy(), k.numpy(), v.numpy()))

    for order_fn in (order_numpy, F._order_torch):
        o = order_fn(sent, key, valid)
        assert torch.equal(sent[o], sent)  # grouped by sentence, in sentence order
        ordered_valid = [float(key[i]) for i in o.tolist() if valid[i]]
        per_sentence = [[float(key[i]) for i in o.tolist() if valid[i] and int(sent[i]) == s] for s in range(n)]
        assert all(v == sorted(v) for v in per_sentence) and len(ordered_valid) == int(valid.sum())
        for s in range(n):  # inside a sentence, no invalid element before a valid one
            flags = [bool(valid[i]) for i in o.tolist() if int(sent[i]) == s]
            assert flags == sorted(flags, reverse=True)


def test_char_words_segments_words_and_has_no_lengths_without_words():
    code = torch.tensor([c.isalpha() for c in "ab  cde!f"])
    word_id, starts, lens = F.char_words(code)
    assert word_id.tolist() == [0, 0, -1, -1, 1, 1, 1, -1, 2]
    assert starts.tolist() == [0, 4, 8] and lens.tolist() == [2, 3, 1]
    word_id, starts, lens = F.char_words(torch.tensor([False, False, False]))
    assert word_id.tolist() == [-1, -1, -1] and starts.numel() == 0 and lens.numel() == 0


def test_choose_chars_picks_n_distinct_candidates_in_every_word_the_first_included():
    word_id = torch.tensor([0, 0, 0, -1, 1, 1, -1, 2, 2, 2, 2])
    cand = torch.tensor([True, True, True, True, True, False, True, True, True, True, True])
    n_per_word = torch.tensor([1, 1, 3])
    for seed in range(20):
        u = torch.rand(11, generator=torch.Generator().manual_seed(seed))
        out = F.choose_chars(word_id, cand, n_per_word, u)
        per_word = [int(out[word_id == w].sum()) for w in range(3)]
        assert per_word == [1, 1, 3] and not bool(out[word_id < 0].any()) and not bool((out & ~cand).any())
        # inside a word the chosen ones are those of smallest u among its candidates
        first = [i for i in range(3)]
        assert int(out[first].nonzero()[0]) == min(first, key=lambda i: float(u[i]))


# ---- the two namespaces: NumPy on the CPU, torch elsewhere -------------------------------------------

_TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "",
    "   ",
    "one",
    "Hello, World! It's a fine day -- isn't it?",
    "Ünïcödé wörds ärë hëre, and café au lait.",
    "cafe\u0301 na\u0308ive re\u0301sume\u0301 words",  # decomposed (NFD) text
    " Two short paragraphs.\n\nThe second\tone,  with  spaces.\r\n",  # whitespace that EDA keeps
    "Programs are written; programmers write programs 12345 times.",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "supercalifragilisticexpialidocious " * 3,
]


def _augmenters():
    from multiaug.text import (
        EDA,
        CharNoise,
        KeyboardTypo,
        OCRNoise,
        RandomDeletion,
        RandomInsertion,
        RandomSwap,
        SynonymReplacement,
    )

    yield EDA(seed=1)
    yield EDA(seed=2, mode="all", alpha_sr=0.3, alpha_ri=0.3, alpha_rs=0.3, p_rd=0.3)
    yield EDA(seed=3, lowercase=True, keep_punct=False)
    yield SynonymReplacement(alpha=0.5, seed=4)
    yield RandomInsertion(alpha=0.5, seed=5)
    yield RandomSwap(alpha=0.5, seed=6)
    yield RandomDeletion(alpha=0.5, seed=7)
    yield KeyboardTypo(seed=8, word_p=0.6)
    yield OCRNoise(seed=9, word_p=0.6)
    for k, action in enumerate(("insert", "delete", "swap", "substitute")):
        yield CharNoise(action=action, seed=10 + k, word_p=0.6, char_p=0.5)
    yield CharNoise(action="substitute", alphabet="alphanumeric", seed=20)


@pytest.mark.parametrize("aug", list(_augmenters()), ids=lambda a: f"{type(a).__name__}-{a.seed}")
def test_numpy_and_torch_kernels_give_the_same_texts(aug):
    """On the CPU the kernels run on NumPy views; under assume_costly_host_reads() they run on the
    tensors, as off the CPU. Same seed, same draws: the same texts, batched, one at a time and with n_aug copies."""
    import warnings

    from sklearn.base import clone

    def run(a):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return [a(_TEXTS), [a([t]) for t in _TEXTS], a.augment(_TEXTS, n_aug=3)[0]]

    from multiaug.core.hostreads import assume_costly_host_reads

    expected = run(clone(aug))
    with assume_costly_host_reads():
        assert run(clone(aug)) == expected


def test_host_gives_numpy_views_of_cpu_tensors_and_the_tensors_on_the_device_path():
    from multiaug.core.hostreads import assume_costly_host_reads

    t = torch.arange(5)
    h = F.host(t)
    assert isinstance(h, __import__("numpy").ndarray) and h.base is not None  # a view, no copy
    h[0] = 7
    assert int(t[0]) == 7
    assert F.host("x") == "x" and F.ops(h) is F.NUMPY and F.ops(t) is F.TORCH
    with assume_costly_host_reads():
        assert F.host(t) is t


@pytest.mark.parametrize("seed", range(3))
def test_kernels_agree_across_namespaces(seed):
    """Each kernel on NumPy arrays and on tensors, same inputs: the same arrays."""
    import numpy as np

    g = torch.Generator().manual_seed(seed)
    n, t = 6, 80
    sent = torch.sort(torch.randint(0, n, (t,), generator=g)).values
    sent[-1] = n - 1  # the last token never has a next one to swap with: keep it out of the choices
    ids = torch.randint(0, 50, (t,), generator=g)
    valid = torch.rand(t, generator=g) < 0.8
    u = torch.rand(4, t, generator=g)
    counts = torch.randint(0, 4, (n,), generator=g)
    p = torch.rand(n, generator=g)
    both = [tuple(x.numpy() for x in (sent, ids, valid, u, counts, p)), (sent, ids, valid, u, counts, p)]
    outs = []
    for s_, i_, v_, u_, c_, p_ in both:
        r = [F.segment_sum(v_, s_, n), F.n_changes(0.3, c_), F.segment_rank(s_, u_[0], v_, n)[0],
             F.random_swap(i_, s_, n, c_, v_, u_[1]), *F.random_deletion(i_, s_, n, p_, u_[2], valid=v_),
             *F.char_words(v_), F.swap_next_chars(i_, v_ & (s_ < n - 1)), F.insert_chars(i_, v_, i_ + 100)]
        outs.append([np.asarray(x) for x in r])
    for a, b in zip(*outs):
        assert a.dtype.kind == b.dtype.kind and np.array_equal(a, b)
