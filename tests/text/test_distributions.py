"""Distribution tests at the augmenter level (public calls, ~20,000 draws each): which words and
characters character noise picks, random deletion's per-word rate, and EDA's choice of operation.
Each check is a z-test at 4 standard errors, and each test shows that its check rejects a wrong
parameter or a biased selection."""
from __future__ import annotations

import math
import warnings

import torch

from multiaug.text import EDA, CharNoise, RandomDeletion

Z = 4.0
WORDS = "abcde fghij klmno pqrst uvwxy zabcd efghi jklmn opqrs tuvwx".split()
TEXT = " ".join(WORDS)


def binomial_z(successes: int, trials: int, p: float) -> float:
    return (successes - trials * p) / math.sqrt(trials * p * (1 - p))


def quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def test_char_noise_picks_words_and_characters_uniformly():
    copies = 4000  # 40,000 word draws, 12,000 chosen words
    out = quiet(CharNoise(action="substitute", word_p=0.3, char_p=0.2, seed=0), [TEXT] * copies)
    word_hits = torch.zeros(len(WORDS), dtype=torch.long)
    char_hits = torch.zeros(5, dtype=torch.long)
    for o in out:
        words = o.split()
        assert len(words) == len(WORDS) and all(len(w) == 5 for w in words)
        changed = [i for i, (a, b) in enumerate(zip(WORDS, words)) if a != b]
        assert len(changed) == 3  # max(1, round(0.3 * 10)) words per text
        for i in changed:
            pos = [j for j in range(5) if WORDS[i][j] != words[i][j]]
            assert len(pos) == 1  # max(1, round(0.2 * 5)) characters per chosen word
            char_hits[pos[0]] += 1
            word_hits[i] += 1
    assert max(abs(binomial_z(int(k), copies, 0.3)) for k in word_hits) < Z, word_hits.tolist()
    assert max(abs(binomial_z(int(k), 3 * copies, 0.2)) for k in char_hits) < Z, char_hits.tolist()
    # power: a rate 5 points off is rejected, and so is a selection that favours the first words
    assert max(abs(binomial_z(int(k), copies, 0.35)) for k in word_hits) > Z
    g = torch.Generator().manual_seed(0)
    score = torch.arange(len(WORDS)).float() + 12 * torch.rand(copies, len(WORDS), generator=g)
    biased = torch.zeros(copies, len(WORDS)).scatter_(1, score.argsort(1)[:, :3], 1.0).sum(0)
    assert max(abs(binomial_z(int(k), copies, 0.3)) for k in biased) > Z


def _deletion_moments(n: int, p: float) -> tuple[float, float]:
    """Exact mean and variance of the number of words deleted from an n-word sentence: Binomial(n, p),
    except that 0 becomes 1 (at least one deleted) and n becomes n - 1 (at least one kept)."""
    pmf = {k: math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)}
    moved = {k: v for k, v in pmf.items() if 0 < k < n}
    moved[1] += pmf[0]
    moved[n - 1] += pmf[n]
    mean = sum(k * v for k, v in moved.items())
    return mean, sum((k - mean) ** 2 * v for k, v in moved.items())


def _deletion_z(deleted: int, sentences: int, n: int, p: float) -> float:
    mean, var = _deletion_moments(n, p)
    return (deleted - sentences * mean) / math.sqrt(sentences * var)


def test_random_deletion_rate_per_word():
    sentences = 2000  # 20,000 word draws
    out = quiet(RandomDeletion(alpha=0.3, seed=0), [TEXT] * sentences)
    kept = [o.split() for o in out]
    assert all(1 <= len(k) <= 9 for k in kept)
    assert all(k == [w for w in WORDS if w in k] for k in kept)  # order kept, nothing else changed
    deleted = sum(len(WORDS) - len(k) for k in kept)
    assert abs(_deletion_z(deleted, sentences, len(WORDS), 0.3)) < Z
    assert abs(_deletion_z(deleted, sentences, len(WORDS), 0.33)) > Z
    # every position is deleted at the same rate (mean count / n)
    rate = _deletion_moments(len(WORDS), 0.3)[0] / len(WORDS)
    per_word = [sum(w not in k for k in kept) for w in WORDS]
    assert max(abs(binomial_z(c, sentences, rate)) for c in per_word) < Z, per_word
    # EDA's p_rd is the same per-word rate when deletion is the only operation
    out = quiet(EDA(alpha_sr=0, alpha_ri=0, alpha_rs=0, p_rd=0.2, seed=1), [TEXT] * sentences)
    deleted = sum(len(WORDS) - len(o.split()) for o in out)
    assert abs(_deletion_z(deleted, sentences, len(WORDS), 0.2)) < Z
    assert abs(_deletion_z(deleted, sentences, len(WORDS), 0.23)) > Z


def test_eda_one_mode_chooses_each_operation_uniformly():
    syn = {w: [w[::-1]] for w in WORDS}
    n = 20000
    params = EDA(synonyms=syn, seed=0).sample([TEXT] * n)
    ops = torch.stack([params["n_sr"] > 0, params["n_ri"] > 0, params["n_rs"] > 0, params["p_rd"] > 0])
    assert bool((ops.sum(0) == 1).all())  # exactly one operation per sentence
    counts = ops.sum(1).tolist()
    assert max(abs(binomial_z(c, n, 0.25)) for c in counts) < Z, counts
    assert max(abs(binomial_z(c, n, 0.27)) for c in counts) > Z
    # disabling one operation spreads the choice over the three others
    params = EDA(synonyms=syn, alpha_ri=0, seed=0).sample([TEXT] * n)
    assert "n_ri" not in params
    counts = [int((params[k] > 0).sum()) for k in ("n_sr", "n_rs", "p_rd")]
    assert max(abs(binomial_z(c, n, 1 / 3)) for c in counts) < Z, counts
    assert max(abs(binomial_z(c, n, 0.25)) for c in counts) > Z


def test_random_insertion_position_is_uniform_over_every_slot_including_the_end():
    """EDA inserts at a random position 0..length: over many draws each of the 4 slots of a
    3-word sentence gets about a quarter (the end included)."""
    from multiaug.text import RandomInsertion

    syn = {"alpha": ["zulu"], "bravo": ["zulu"], "charlie": ["zulu"]}
    n = 4000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = RandomInsertion(alpha=0.1, synonyms=syn, seed=0)(["alpha bravo charlie"] * n)
    slots = [s.split().index("zulu") for s in out]
    assert all(len(s.split()) == 4 for s in out)
    for k in range(4):
        share = slots.count(k) / n
        assert abs(share - 0.25) <= Z * math.sqrt(0.25 * 0.75 / n), (k, share)
