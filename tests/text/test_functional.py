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
    for order_fn in (F._order_numpy, F._order_torch):
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
