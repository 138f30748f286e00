"""Contract-suite cases for the model-based text augmenters, and the tiny offline models they use.

The models are randomly initialised from small configs with tokenizers built here (no download),
saved once per test process in a temporary directory and loaded by path.
"""
from __future__ import annotations

import atexit
import inspect
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

WORDS = (
    "the a an of to and in is was it for on with as by at from that this be are were he she they we you i "
    "cat dog bird car house tree city river road film movie book story song food meal weather day night "
    "good bad great nice lovely terrible fine happy sad quick slow big small old new red blue green "
    "runs walks eats sees likes loves hates reads writes sings makes takes gives goes comes today "
    "very really quite rather too so not no yes all some many few more most other such only own same "
    "man woman child people friend family team game work school world life time year way home water"
).split()
PUNCT = [".", ",", "!", "?", "'", ":", ";", "-"]

_DIR: Path | None = None


def _root() -> Path:
    global _DIR
    if _DIR is None:
        _DIR = Path(tempfile.mkdtemp(prefix="multiaug-tiny-models-"))
        atexit.register(shutil.rmtree, str(_DIR), True)
    return _DIR


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_causal_lm(chat: bool = True, seq2seq: bool = False) -> str:
    """A tiny random Llama (or T5 with ``seq2seq=True``) and a word-level tokenizer; returns its path."""
    name = "t5" if seq2seq else ("llama-chat" if chat else "llama-plain")
    path = _root() / name
    if (path / "config.json").exists():
        return str(path)
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    vocab = {t: i for i, t in enumerate(specials + WORDS + PUNCT + ["\n", "system", "user", "assistant"])}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )
    if chat and not seq2seq:
        tok.chat_template = CHATML
    with torch.random.fork_rng():  # fixed random weights, global RNG state left as it was
        torch.manual_seed(0)
        model = _build_generator(len(vocab), seq2seq)
    _end_sentences(model, dot=vocab["."], eos=vocab["</s>"], start=vocab["assistant"], lift=3.5 if seq2seq else 0.55)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


# SmolLM2-135M(-Instruct) as published in its config.json: a Llama with these dimensions
SMOLLM2_135M = dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                    num_key_value_heads=3, vocab_size=49152, max_position_embeddings=8192, rope_theta=100000.0,
                    rms_norm_eps=1e-5, tie_word_embeddings=True, hidden_act="silu")


def smollm2_like(layers: int | None = None, root: Path | None = None, ends: bool = False) -> str:
    """A causal LM with SmolLM2-135M's architecture (``layers`` of its 30, default all) and random
    weights, a word-level tokenizer padded to its 49,152-token vocabulary and a ChatML template; saved
    under ``root`` (default: this module's temp folder), path returned. Cost per generated token is the
    architecture's, not the weights'.

    ``ends=False`` (the default, for throughput): random weights (tied embeddings, as SmolLM2's) that
    practically never sample the end token, so every generation runs to ``max_new_tokens``.
    ``ends=True`` (saved apart, ``smollm2-like-<layers>-ends``): the model ends its sentences, as a
    trained one does, after a few words sampled near uniformly from the vocabulary (each step after
    the first word ends with "." with probability about 0.3, then the end token), so replies are
    complete and vary across seeds and prompts (see :func:`_end_sentences`). Its embeddings are
    *untied* (a separate output head, 28M more parameters but the same per-token cost): the start
    mark that keeps an answer from being empty needs an output head apart from the input embeddings.
    """
    n_layers = SMOLLM2_135M["num_hidden_layers"] if layers is None else int(layers)
    path = (root or _root()) / (f"smollm2-like-{n_layers}" + ("-ends" if ends else ""))
    if (path / "config.json").exists():
        return str(path)
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<pad>", "<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    words = specials + WORDS + PUNCT + ["\n", "system", "user", "assistant"]
    words += [f"w{i}" for i in range(SMOLLM2_135M["vocab_size"] - len(words))]
    vocab = {t: i for i, t in enumerate(words)}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>")
    tok.chat_template = CHATML
    arch = {**SMOLLM2_135M, "num_hidden_layers": n_layers}
    if ends:
        arch["tie_word_embeddings"] = False
    with torch.random.fork_rng():  # fixed random weights, global RNG state left as it was
        torch.manual_seed(0)
        cfg = LlamaConfig(**arch, pad_token_id=0, bos_token_id=2, eos_token_id=3)
        model = LlamaForCausalLM(cfg)
    if ends:
        # "." gains about 19 * lift in logit over a word (the constant dimension reads ~19 after the
        # final norm): against ~49k near-uniform words, 0.33 gives "." about a 0.3 chance per step,
        # replies of ~3.5 words (+ "."), none cut at 24 tokens. Sensitive: 0.30 gives ~5.5 words and
        # a few cut, 0.37 ~1.7 words.
        _end_sentences(model, dot=vocab["."], eos=vocab["</s>"], start=vocab["assistant"], lift=0.33)
        with torch.no_grad():  # drop the bias common to every row: the same softmax, but logits near 0
            model.get_output_embeddings().weight[:, 0] -= _MARK  # (not ~190, where bfloat16 steps by 1)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


_MARK = 10.0  # value of the feature dimensions set by _end_sentences


def _end_sentences(model, dot: int, eos: int, start: int, lift: float) -> None:
    """Make a random generator end its sentences, as a trained one does: "." is likely at every step
    (``lift`` sets how likely) and the end token almost sure after it. Without this a random model
    (near uniform over ~120 tokens) rarely samples the end token, so nearly every generation would be
    cut by ``max_new_tokens`` (and dropped, as a cut reply from an endpoint is).

    Features of the input embeddings: dimension 0 is a constant (every hidden state carries it: the
    output rows read it as a bias, larger for "."), dimension 1 marks "." (read by the end token's
    row), dimension 2 marks ``start`` (the last token of a chat prompt, "assistant": the tokenizer
    drops the "\\n" after it), after which "." and the end token are ruled out, so that an answer
    has a word. The other dimensions are scaled to the Llama's init (std 0.02) so that these
    dominate. With tied embeddings (T5) an output row is also its token's embedding, so the start
    mark is left out there (it would make ``start`` its own likeliest successor)."""
    import torch

    c = _MARK
    emb, head = model.get_input_embeddings().weight, model.get_output_embeddings().weight
    tied = emb is head
    with torch.no_grad():
        for w in {id(emb): emb, id(head): head}.values():
            w[:, 2:] *= 0.02 / w[:, 2:].std()
            w[:, :3] = 0.0
            w[:, 0] = c
            w[dot, 0] = c + lift
            w[dot, 1] = c
            w[eos, 1] = 2 * c
        if not tied:
            emb[start, 2] = c
            head[dot, 2] = head[eos, 2] = -3 * c


def _build_generator(vocab_size: int, seq2seq: bool):
    if seq2seq:
        from transformers import T5Config, T5ForConditionalGeneration

        cfg = T5Config(
            vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=64, num_layers=1, num_decoder_layers=1, num_heads=2,
            pad_token_id=0, eos_token_id=3, decoder_start_token_id=0,
        )
        return T5ForConditionalGeneration(cfg)
    else:
        from transformers import LlamaConfig, LlamaForCausalLM

        cfg = LlamaConfig(
            vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            num_key_value_heads=2, max_position_embeddings=256, pad_token_id=0, bos_token_id=2, eos_token_id=3,
        )
        return LlamaForCausalLM(cfg)


def tiny_masked_lm() -> str:
    """A tiny random BERT masked LM with a WordPiece vocabulary; returns its path."""
    path = _root() / "bert"
    if (path / "config.json").exists():
        return str(path)
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS + PUNCT + ["##s", "##ed", "##ing"]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    if "vocab" in inspect.signature(BertTokenizerFast.__init__).parameters:  # transformers >= 5
        tok = BertTokenizerFast(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True)
    else:
        tok = BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True)
    cfg = BertConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        max_position_embeddings=128,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = BertForMaskedLM(cfg)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


# Lenient filter bounds: a random model's words have random lengths.
PARAPHRASE_TEST_PARAMS = dict(max_new_tokens=24, min_length_ratio=0.0, max_length_ratio=100.0, batch_size=8)

CASES = {
    "paraphrase": dict(params=dict(model=tiny_causal_lm(), **PARAPHRASE_TEST_PARAMS)),
    "contextual_substitution": dict(params=dict(model=tiny_masked_lm())),
}
