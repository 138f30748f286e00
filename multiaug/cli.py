"""The ``multiaug`` command.

    multiaug list [--modality M]
    multiaug describe NAME
    multiaug augment INPUT -o OUTPUT (--augmenter NAME [--param k=v ...] | --config pipeline.yaml | --load DIR)
                     [--n-aug N] [--seed S] [--column COL] [--label-column COL] [--columns a,b]
                     [--device DEV] [--batch-size B] [--threads N] [--exclude-original] [--overwrite]
                     [--save DIR] [--engine local|ray] [--ray-address ADDR] [--ray-num-cpus N]
                     [--tokens-column COL] [--tags-column COL]     (tagged sentences: .conll/.bio/.iob, jsonl, parquet)
                     [--balance STRATEGY] [--consistency-model MODEL.skops|model.json [--consistency-threshold P]]
    multiaug evaluate FILE [--label-column COL] [--column TEXT | --columns a,b] (-a NAME | --config FILE)...
                     [--cv 5] [--repeats 3] [--seed 0] [--n-aug N] [--scoring NAME] [--max-time S]
                     [--graph-mode node|graph] [--report report.md|.json|.html]
    multiaug search FILE ... -o best.yaml        (the best augmenter's config, for `augment --config`)
    multiaug preview FILE (-a NAME | --config FILE) [--n 8] -o preview.png|svg|html
                     [--tokens-column COL] [--tags-column COL]     (tagged sentences in jsonl/parquet)

User errors (bad arguments, unreadable files, bad data, and any error of pyarrow or of the operating
system) end with a one-line message and exit code 2; no traceback (set ``MULTIAUG_DEBUG=1`` to see
one). The output is written to a temporary file and renamed at the end: Ctrl-C (exit code 130) and
SIGTERM (exit code 143) remove the temporary file and leave no output.

Column options are never ignored: ``--column``, ``--label-column`` and ``--columns`` on an input with
no columns (.npy, .npz, .pt), ``--column`` with an augmenter that is not a text one, ``--columns`` with
one that is not tabular, or a name that is no column of the table, is an error naming the option
(``augment``, ``evaluate`` and ``search`` share the check). Warnings come at the end of a run, five at
most (and how many more there were); a count (outputs identical to their input, ...) is one line for
the whole file, naming input rows as ``source_index`` numbers them.

``--engine local`` (default) streams the file on this machine, batch by batch (memory bounded by
``--batch-size``). ``--engine ray`` runs the same batches on Ray Data (``--ray-address`` of a running
cluster, else a local instance); OUTPUT is then a file gathered in input order, or, when it ends with
``/``, a directory of files written by the workers (see :mod:`multiaug.engines.ray`).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
import numpy as np

EXIT_USER_ERROR = 2


class UserError(click.ClickException):
    exit_code = EXIT_USER_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"multiaug: error: {self.format_message()}", err=True)


def _parse_value(text: str) -> Any:
    """A ``--param`` value as the Python API would spell it: YAML flow syntax (``0.1``, ``true``,
    ``[1, 2]``, ``{a: 1}``, ``'quoted text'``), Python's ``None``, ``1e-3``, ``inf`` and ``(0.1, 0.2)``
    (a list); numbers are read as Python reads them (``010`` is 10, not YAML 1.1's octal 8; ``1:30``
    and ``2024-01-01`` stay text), and a ``#`` is part of the value, never a comment. Which of this
    and the plain text a parameter gets is decided by what it accepts (:func:`fit_params`)."""
    return _read_value(text)[0]


def _read_value(text: str) -> tuple[Any, Any, Any, bool]:
    """``(value, strict, as_text, loose)``: the value (:func:`_parse_value`); the same with YAML 1.1's
    booleans not spelt true/false (``yes``, ``no``, ``on``, ``off``) as text; the same structure with
    every scalar as its text (``[the, no]`` -> ``['the', 'no']``); whether the value holds such a
    boolean."""
    import yaml

    t = text.strip()
    if t.startswith("(") and t.endswith(")"):
        t = "[" + t[1:-1] + "]"  # Python's tuple spelling, as the Python API accepts: (0.1, 0.2) == [0.1, 0.2]
    if not t:
        return text, text, text, False
    try:
        node = yaml.compose(t)
    except yaml.YAMLError:
        return text, text, text, False
    if node is None or t[node.end_mark.index:].strip():
        t = text.strip()  # YAML would drop a '#...' as a comment: it is text here
        return t, t, t, False
    loose: list[str] = []
    try:
        return _typed(node, loose), _typed(node, [], strict=True), _as_texts(node), bool(loose)
    except TypeError:  # a list or mapping as a mapping key
        return text, text, text, False


_YAML_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


def _typed(node: Any, loose: list[str], strict: bool = False) -> Any:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return [_typed(n, loose, strict) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        return {_typed(k, loose, strict): _typed(v, loose, strict) for k, v in node.value}
    v, tag = node.value, node.tag.rsplit(":", 1)[-1]
    if node.style:  # quoted (or a block scalar): text
        return v
    if tag == "null":
        return None
    if tag == "bool":
        if v.lower() not in ("true", "false"):
            loose.append(v)
            if strict:
                return v
        return _YAML_BOOLS[v.lower()]
    if v in ("None", "none"):
        return None
    if tag in ("int", "float", "str"):
        for read in (int, lambda s: int(s, 0), float):  # 010 -> 10, 0x1F -> 31, 1e-3, inf, nan
            try:
                return read(v)
            except ValueError:
                pass
        if tag == "float" and v.lower().lstrip("+-") in (".inf", ".nan"):
            return float(v.replace(".", "", 1))
    return v  # text: a date, 1:30 (YAML 1.1's base 60), ...


def _as_texts(node: Any) -> Any:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return [_as_texts(n) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        return {_as_texts(k): _as_texts(v) for k, v in node.value}
    return node.value


class Params(dict):
    """``--param`` values by name (:func:`parse_params`); ``texts`` holds each one as it was given and
    ``readings`` its :func:`_read_value` (read once, chosen from by :func:`fit_params`)."""

    texts: dict[str, str]
    readings: dict[str, tuple[Any, Any, Any, bool]]


def parse_params(items: tuple[str, ...]) -> Params:
    """``key=value`` pairs; values are read as YAML scalars/lists (``0.1``, ``true``, ``[1, 2]``); see
    :func:`_parse_value` and, for what a given augmenter gets, :func:`fit_params`."""
    params = Params()
    params.texts, params.readings = {}, {}
    for it in items:
        if "=" not in it:
            raise UserError(f"--param {it!r}: expected key=value")
        k, v = it.split("=", 1)
        k = k.strip().replace("-", "_")
        if not k.isidentifier():
            raise UserError(f"--param {it!r}: {k!r} is not a parameter name")
        if k in params:  # the later one would win without a word
            raise UserError(f"--param {k} is given twice ({params.texts[k]!r} and {v!r}); give it once")
        params.readings[k] = _read_value(v)
        params[k] = params.readings[k][0]
        params.texts[k] = v
    return params


def fit_params(cls: type, params: dict) -> dict:
    """The ``--param`` values for augmenter class ``cls``, by what each parameter accepts (its
    declared constraints): the value read as YAML (:func:`_parse_value`) when the parameter accepts
    it, else the first of these it accepts: that value with ``yes``/``no``/``on``/``off`` as text
    (column names ``[yes, 2]``), every item as text (words ``[the, no, 1]``), the text as given (an
    alphabet ``0123456789``, a prompt ``Rewrite: {text}``). A YAML 1.1 boolean (``yes``,
    ``no``, ``on``, ``off``) for a parameter that takes both it and text is ambiguous: a ``UserError``
    asking for ``true``/``false`` or quotes."""
    from .core.constraints import _accepted, merged_constraints

    texts = getattr(params, "texts", None)
    if not texts:
        return params
    constraints = merged_constraints(cls)
    out = dict(params)
    for k, text in texts.items():
        alternatives = constraints.get(k)
        if alternatives is None or alternatives == "no_validation" or k not in out:
            continue
        value, strict, as_text, loose = params.readings[k]
        plain = text.strip()
        if _accepted(alternatives, value):
            if loose and any(_accepted(alternatives, v) for v in (strict, as_text, plain)):
                raise UserError(f"--param {k}={text}: ambiguous for {cls.__name__}.{k}, which takes both text and "
                                f"True/False; write true or false for the boolean, or quote the text ('{plain}')")
            continue
        for v in (strict, as_text, plain):
            if _accepted(alternatives, v):
                out[k] = v
                break
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="multiaug", prog_name="multiaug")
def cli() -> None:
    """Data augmentation for text, graphs, tables and time series."""


@cli.command("list")
@click.option("--modality", type=click.Choice(["text", "tagged", "graph", "tabular", "timeseries", "any"]), default=None)
def list_cmd(modality: str | None) -> None:
    """List registered augmenters: name, modality and a one-line description."""
    from . import registry

    rows = []
    for name, cls in registry.items():
        mod = registry.modality_of(cls)
        if modality and mod != modality:
            continue
        rows.append((name, mod, registry.summary(cls)))
    w = max(len(r[0]) for r in rows) if rows else 10
    for name, mod, doc in sorted(rows, key=lambda r: (r[1], r[0])):
        click.echo(f"{name:<{w}}  {mod:<10}  {doc}")


@cli.command("describe")
@click.argument("name")
def describe_cmd(name: str) -> None:
    """Show an augmenter's documentation and parameters with their defaults."""
    from . import registry

    try:
        click.echo(registry.describe(name))
    except ValueError as e:
        raise UserError(str(e)) from None


def build_augmenter(augmenter: str | None, params: dict, config: str | None, load: str | None):
    """The augmenter of ``--augmenter``/``--config``/``--load``, with ``--param`` values set on it
    (each read as its parameter takes it: :func:`fit_params`). A parameter the augmenter does not have is a ``ValueError`` naming the augmenter and its parameters."""
    import yaml

    from . import registry
    from .core import Augmenter

    given = [o for o, v in (("--augmenter", augmenter), ("--config", config), ("--load", load)) if v]
    if len(given) != 1:
        raise UserError("give exactly one of --augmenter NAME, --config FILE or --load DIR" + (f" (got {', '.join(given)})" if given else ""))
    try:
        if load:
            aug = Augmenter.load(load)
        elif config:
            aug = Augmenter.from_config(config)
        else:
            try:
                cls = registry.get(augmenter)
            except ValueError:
                cls = None  # registry.create names the unknown augmenter
            return registry.create(augmenter, **(fit_params(cls, params) if cls is not None else params))
    except yaml.YAMLError as e:
        raise UserError(f"{given[0]} {str(load or config)!r} is not valid YAML: {' '.join(str(e).split())}") from None
    if params:
        registry.check_params(type(aug), params)
        aug.set_params(**fit_params(type(aug), params))
        if load:  # a fitted network keeps the shape it was fitted with: refuse before any work
            try:
                aug._check_architecture(f" loaded from {str(load)!r}")
            except ValueError as e:
                raise UserError(f"--param: {e}") from None
    return aug


@cli.command("augment")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output_path", required=True, type=click.Path(), help="Output file (type from its suffix); with --engine ray, a path ending in / is a directory.")
@click.option("-a", "--augmenter", default=None, help="Registered augmenter name (see `multiaug list`).")
@click.option("-p", "--param", "params", multiple=True, help="Augmenter parameter key=value (repeatable).")
@click.option("--config", default=None, type=click.Path(dir_okay=False), help="Augmenter or pipeline config (.json/.yaml).")
@click.option("--load", default=None, type=click.Path(), help="Directory of a saved (fitted) augmenter.")
@click.option("--save", "save_dir", default=None, type=click.Path(), help="Save the (fitted) augmenter here afterwards.")
@click.option("-n", "--n-aug", type=int, default=None, help="Augmented copies per input row (default: the augmenter's n_aug).")
@click.option("--seed", type=int, default=None, help="Run seed (each batch is reseeded from it and its first row).")
@click.option("--column", default=None, help="Text column (text augmenters).")
@click.option("--label-column", default=None, help="Label/target column: carried through, or mixed by mixing augmenters.")
@click.option("--columns", default=None, help="Comma-separated feature columns (tabular; default: all but the label).")
@click.option("--device", default=None, help="Device for the work, e.g. cpu or cuda.")
@click.option("--batch-size", type=int, default=1024, show_default=True, help="Rows (or series, graphs) per batch.")
@click.option("--threads", type=int, default=None,
              help="CPU threads for PyTorch in this process (local engine; default: PyTorch's, one per core). "
                   "1 is often faster for text batches on a busy machine.")
@click.option("--exclude-original", is_flag=True, help="Write only the augmented rows.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists (never the input).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: stream on this machine; ray: Ray Data (csv/jsonl/parquet).")
@click.option("--ray-address", default=None, help="Ray cluster to connect to (default: start a local one).")
@click.option("--ray-num-cpus", type=int, default=None, help="CPUs of the local Ray instance (default: all).")
@click.option("--balance", default=None, metavar="STRATEGY",
              help="Class balancing instead of --n-aug: auto, not-majority, minority, not-minority, all, a float "
                   "(two classes) or target counts 'a=100,b=80' (needs the labels: --label-column, .npz y, graph y).")
@click.option("--consistency-model", default=None, type=click.Path(dir_okay=False),
              help="Keep only augmented rows a reference model still gives their label: a .skops model, or a "
                   "model config (.json/.yaml, {\"model\": \"default\"}) fitted on INPUT's labels. Never a pickle.")
@click.option("--consistency-threshold", type=float, default=None,
              help="Least probability of the source label (default: the config's threshold, else 0.5).")
@click.option("--trust-type", "trust_types", multiple=True,
              help="A type the .skops model holds that skops does not trust by default (repeatable).")
@click.option("--tokens-column", default=None,
              help="Tagged augmenters: the column holding each sentence's tokens (a list; default: tokens).")
@click.option("--tags-column", default=None,
              help="Tagged augmenters: the column holding each sentence's tags (a list; default: tags).")
def augment_cmd(input_path, output_path, augmenter, params, config, load, save_dir, n_aug, seed, column,
                label_column, columns, device, batch_size, threads, exclude_original, overwrite, progress, engine,
                ray_address, ray_num_cpus, balance, consistency_model, consistency_threshold, trust_types,
                tokens_column, tags_column) -> None:
    """Augment INPUT (csv, jsonl, parquet, npy, npz, pt; tagged sentences in .conll/.bio/.iob) into OUTPUT.

    Tagged sentences (NER): a CoNLL file (one token per line, its tag in the last column, a blank line
    between sentences) or jsonl/parquet rows with a list of tokens and a list of tags
    (--tokens-column, --tags-column), augmented by a tagged augmenter (`multiaug list --modality
    tagged`); those that learn from the data (mention_replacement, label_wise_replacement) are
    fitted on INPUT first. A CoNLL output holds the tokens and tags only; write .jsonl or .parquet to
    keep the lineage columns (source_index, is_augmented)."""
    from .core.persistence import save_dir_error
    from .engines.local import augment_file, check_column_options

    if engine == "local" and (ray_address or ray_num_cpus is not None):
        raise UserError("--ray-address and --ray-num-cpus need --engine ray")
    if n_aug is not None and n_aug < 1:
        raise UserError(f"--n-aug: expected an integer >= 1 (augmented copies per row), got {n_aug}")
    if batch_size < 1:
        raise UserError(f"--batch-size: expected an integer >= 1 (rows per batch), got {batch_size}")
    save_problem = save_dir_error(save_dir, f"--save {save_dir!r}") if save_dir else None
    if save_problem:
        raise UserError(save_problem)
    if save_dir and Path(save_dir).resolve() == Path(str(output_path).rstrip("/") or ".").resolve():
        # found only after the run otherwise (the output is a file by then)
        raise UserError(f"--save {save_dir!r} is the output path; the saved augmenter is a directory of its own")
    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads: expected a positive number of threads, got {threads}")
        if engine == "ray":
            raise UserError("--threads is for --engine local (Ray gives each worker its CPUs: --ray-num-cpus)")
        import torch

        torch.set_num_threads(threads)  # the command owns its process
    extra = parse_params(params)
    if device is not None:
        extra["device"] = device
    if seed is not None:
        extra["seed"] = seed
    aug = build_augmenter(augmenter, extra, config, load)
    feats = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    from .engines import RunOptions

    tagged = _tagged_options(aug, input_path, engine, column, tokens_column, tags_column)
    # before any work (the consistency model's fit): an option that does not apply is refused, never ignored
    check_column_options(input_path, aug, column=column, label_column=label_column, feature_columns=feats)

    strategy = parse_balance(balance) if balance is not None else None
    if strategy is not None and n_aug is not None:
        raise UserError("give --n-aug or --balance, not both (--balance sets each row's copies from the class counts)")
    if engine == "ray" and (strategy is not None or consistency_model):
        raise UserError("--balance and --consistency-model need --engine local")
    if consistency_model:
        aug = with_consistency(aug, consistency_model, input_path, column=column, label_column=label_column,
                               feature_columns=feats, threshold=consistency_threshold, trusted=trust_types, seed=seed)
    elif consistency_threshold is not None or trust_types:
        raise UserError("--consistency-threshold and --trust-type need --consistency-model")
    opts = RunOptions(n_aug=n_aug, seed=seed, column=column, label_column=label_column, feature_columns=feats,
                      batch_size=batch_size, exclude_original=exclude_original, overwrite=overwrite, progress=progress,
                      balance=strategy, **tagged)
    if engine == "ray":
        from .engines.ray import augment_path

        report = augment_path(aug, input_path, output_path, opts, address=ray_address, num_cpus=ray_num_cpus)
    else:
        report = augment_file(aug, input_path, output_path, opts)
    if save_dir:
        from .core import LabelConsistent

        (aug.augmenter if isinstance(aug, LabelConsistent) else aug).save(save_dir)
    for w in report.warnings[:5]:
        click.echo(f"multiaug: warning: {w}", err=True)
    if len(report.warnings) > 5:
        click.echo(f"multiaug: warning: {len(report.warnings) - 5} more warning(s) not shown", err=True)
    click.echo(
        f"multiaug: {report.rows_in} input rows -> {report.rows_out} output rows "
        f"({report.rows_augmented} augmented) written to {output_path}",
        err=True,
    )


def _tagged_options(aug, input_path: str, engine: str, column: str | None, tokens_column: str | None,
                    tags_column: str | None) -> dict[str, str]:
    """The run options of a tagged augmenter (its tokens and tags columns), after checking that the
    data and the augmenter fit together."""
    from . import io as mio

    conll = Path(input_path).suffix.lower() in mio.CONLL_SUFFIXES
    if aug.modality != "tagged":
        if conll:
            raise UserError(f"INPUT {input_path!r} holds tagged sentences (CoNLL); {type(aug).__name__} works on "
                            f"{aug.modality} data: use a tagged augmenter (see `multiaug list --modality tagged`)")
        if tokens_column or tags_column:
            raise UserError("--tokens-column and --tags-column are for tagged augmenters (see `multiaug list --modality tagged`)")
        return {}
    if engine == "ray":
        raise UserError("tagged augmenters run with --engine local")
    if column:
        raise UserError("--column is for text augmenters; a tagged augmenter reads --tokens-column and --tags-column")
    if conll and (tokens_column or tags_column):
        raise UserError("--tokens-column and --tags-column are for jsonl/parquet input; a CoNLL file's columns are fixed")
    return {"tokens_column": tokens_column or mio.TOKENS_COLUMN, "tags_column": tags_column or mio.TAGS_COLUMN}


def parse_balance(text: str) -> Any:
    """``--balance``: a strategy name (``not-majority`` = ``not majority``), a float, or target counts
    (``a=100,b=80`` or YAML ``{a: 100, b: 80}``)."""
    from .core.balance import STRATEGIES, STRATEGY_DESC, valid_strategy

    t = text.strip()
    name = t.replace("-", " ").replace("_", " ").lower()
    if name in STRATEGIES:
        return name
    if "=" in t and not t.startswith("{"):
        value: Any = {}
        for part in t.split(","):
            k, sep, v = part.partition("=")
            if not sep or not k.strip():
                raise UserError(f"--balance {text!r}: expected class=count pairs separated by commas")
            # the class name as typed (YAML would read "no" as False and "007" as 7); the count as a number
            value[k.strip()] = _parse_value(v)
    else:
        value, _, as_text, _ = _read_value(t)
        if isinstance(value, dict) and isinstance(as_text, dict):  # class names as typed, as in a=100,b=80
            value = dict(zip(as_text, value.values()))
    if isinstance(value, str) or not valid_strategy(value):
        raise UserError(f"--balance {text!r}: expected {STRATEGY_DESC.replace('a callable y -> dict', 'class=count pairs')}")
    return value


def with_consistency(aug, model_path: str, input_path: str, *, column: str | None, label_column: str | None,
                     feature_columns: list[str] | None, threshold: float | None, trusted: tuple[str, ...],
                     seed: int | None):
    """``aug`` wrapped in :class:`multiaug.LabelConsistent` with the model of ``--consistency-model``
    (a .skops model, or a default model fitted here on INPUT's labels; never a pickle)."""
    from . import io as mio
    from .core import LabelConsistent
    from .core.consistency import read_reference_model

    model, settings, needs_fit = read_reference_model(model_path, aug.modality, trusted)
    if threshold is not None:
        settings["threshold"] = threshold
    if needs_fit:
        X, y = _labelled_input(aug, mio, input_path, column, label_column, feature_columns)
        model = _encode_text_columns(model, X)
        model.fit(X, y)
    return LabelConsistent(aug, model, **settings)


def _text_like(dtype) -> bool:
    """A column of words (object, string or category), which a table model must encode."""
    import pandas as pd

    return dtype.kind == "O" or pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)


def _encode_text_columns(model, X):
    """The default table model (HistGradientBoosting) for a frame ``X`` with columns of words (declared
    categorical for the augmenter): those columns ordinal-encoded (categories from the whole input,
    missing cells missing) and used as categorical features (when they have at most 255 categories,
    HistGradientBoosting's limit; more are used as codes). ``model`` itself for numeric input."""
    if not hasattr(X, "dtypes"):
        return model
    words = [c for c, t in X.dtypes.items() if _text_like(t)]
    if not words:
        return model
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    encode = make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan,
                        dtype=np.float64), words),
        remainder="passthrough", verbose_feature_names_out=False)
    # the encoded columns come first in the transformer's output
    categorical = [X[c].nunique() <= 255 for c in words] + [False] * (X.shape[1] - len(words))
    if "categorical_features" in model.get_params():
        model.set_params(categorical_features=categorical)
    return make_pipeline(encode, model)


def _labelled_input(aug, mio, input_path, column, label_column, feature_columns):
    """``(X, y)`` of INPUT as the engine hands batches to the augmenter (to fit a reference model)."""
    from .engines.local import _feature_frame, _label_array

    kind = mio.kind_of(input_path, "INPUT")
    if kind == "table":
        if not label_column:
            raise UserError("--consistency-model needs --label-column (the labels the model checks)")
        df = mio.read_table(input_path, text_columns=[column] if aug.modality == "text" and column else None)
        if label_column not in df.columns:
            raise UserError(f"--label-column {label_column!r} is not in the input{mio.column_hint([label_column], df.columns)}; "
                            f"columns are {list(df.columns)}")
        y = _label_array(df[label_column])
        if aug.modality == "text":
            if not column or column not in df.columns:
                raise UserError("--column is required for text augmenters (the column that holds the text); "
                                f"columns are {list(df.columns)}")
            return df[column].tolist(), y
        return _feature_frame(df, label_column, feature_columns), y
    if kind == "array":
        X, y = mio.read_array(input_path, mmap=False)
        if y is None:
            raise UserError(f"--consistency-model needs labels: {input_path!r} holds no y array (save an .npz with x and y)")
        return np.asarray(X), np.asarray(y)
    graphs = mio.read_graphs(input_path)
    try:
        y = np.asarray([int(g.y.view(-1)[0]) for g in graphs])
    except (AttributeError, TypeError, RuntimeError, IndexError):
        raise UserError("--consistency-model on graphs needs one class label per graph (each graph's y)") from None
    return graphs, y


def _eval_data(input_path: str, label_column: str | None, column: str | None, columns: str | None,
               groups_column: str | None = None):
    """``(X, y, groups, lengths, nan)`` for ``evaluate``/``search`` from a file: a text column or feature
    columns of a csv/jsonl/parquet table (labels from ``--label-column``, groups from
    ``--groups-column``), x/y of an .npz (series or table; series' ``lengths`` when it holds them), or
    the graphs of a .pt file (one graph: node classification with its ``y``; several: graph
    classification); ``nan``: the table's feature columns with missing cells, and how many each
    (:func:`_check_nan_features`)."""
    from . import io as mio
    from .engines.local import check_column_options, check_text_column

    kind = mio.kind_of(input_path, "FILE")
    feats = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    check_column_options(input_path, column=column, label_column=label_column, feature_columns=feats)
    if groups_column is not None and kind != "table":
        raise UserError(f"--groups-column applies to tables (csv, jsonl, parquet); {input_path!r} has no columns")
    if kind == "table":
        if not label_column:
            raise UserError("--label-column is required for a table (the labels or targets to predict)")
        df = mio.read_table(input_path, text_columns=[column] if column else None)
        need = [label_column] + ([column] if column else []) + (feats or []) + ([groups_column] if groups_column else [])
        missing = [c for c in need if c not in df.columns]
        if missing:
            raise UserError(f"column(s) {missing} not in {input_path!r}{mio.column_hint(missing, df.columns)}; it has "
                            f"{list(df.columns)}")
        if groups_column is not None and (groups_column == label_column or (feats and groups_column in feats)):
            raise UserError(f"--groups-column {groups_column!r} is also the label or a feature column; the group ids "
                            "decide the splits only")
        _every_row_has(df, "--label-column", label_column, "a label or target: fill or drop those rows")
        groups = None
        if groups_column is not None:
            _every_row_has(df, "--groups-column", groups_column, "a group id")
            groups = df[groups_column].astype(str).to_numpy()
        y = df[label_column].to_numpy()
        _two_values(y, f"--label-column {label_column!r}")
        if column:
            check_text_column(df[column], column, UserError)
            return df[column].tolist(), y, groups, None, {}
        if not columns:
            # an unnamed column is an index written by to_csv(): as a feature it can leak the order of the rows
            feats, skipped = mio.default_feature_columns(df.columns, label_column,
                                                         exclude=[groups_column] if groups_column else (),
                                                         index=mio.index_columns(df))
            if skipped:
                click.echo(f"multiaug: warning: {mio.unnamed_note(skipped)}", err=True)
        X = df[feats]
        bad = [c for c in feats if X[c].dtype.kind not in "biuf" and not _text_like(X[c].dtype)]
        if bad:
            raise UserError(f"feature column(s) {bad} are neither numeric nor words; pick others with --columns or a "
                            "text one with --column")
        nan = {c: int(n) for c, n in X.isna().sum().items() if n}  # for _check_nan_features
        words = [c for c in feats if _text_like(X[c].dtype)]
        if words:
            # columns of words are categorical features: pandas 'category' columns (categories from the whole
            # file), which the tabular augmenters keep as categories and the default model uses as such
            return X.astype({c: "category" for c in words}), y, groups, None, nan
        values = X.to_numpy(dtype="float64")
        return (values.astype(np.float32) if _float32_holds(values) else values), y, groups, None, nan
    if kind == "array":
        X, y, extras = mio.read_arrays(input_path, mmap=False)
        if y is None:
            raise UserError(f"{input_path!r} holds no labels: save an .npz with arrays x and y")
        _two_values(np.asarray(y), f"the y array of {input_path!r}")
        # series padded at the end: their valid lengths go to the augmentation of each training fold
        lengths = extras.get("lengths")
        return np.asarray(X), np.asarray(y), None, (None if lengths is None else np.asarray(lengths)), {}
    graphs = mio.read_graphs(input_path)
    if len(graphs) == 1:
        return graphs[0], None, None, None, {}
    return graphs, None, None, None, {}


def _float32_holds(a: np.ndarray) -> bool:
    """Whether float32 holds every value of float64 array ``a`` without losing a digit: exactly, or as
    the decimal of at most 7 significant digits it was read from (a csv's ``0.03808``, which float32
    gives back at that precision). False for ids beyond 2**24, values with more digits (``0.123456789``)
    and magnitudes beyond float32's range: ``evaluate``/``search`` then keep float64."""
    a = a[np.isfinite(a)].ravel()
    with np.errstate(over="ignore"):
        f = a.astype(np.float32).astype(np.float64)
    off = f != a
    a, f = a[off], f[off]
    if not a.size:
        return True
    if not np.isfinite(f).all() or (f == 0).any():  # beyond float32's range, or below its smallest values
        return False
    p = 6 - np.floor(np.log10(np.abs(a)))  # 10**p scales 7 significant digits to the units
    if (np.abs(p) > 22).any():  # 10**p is no longer exact in float64
        return False
    # the decimal n * 10**-p is the value read (a division or product of exact numbers rounds correctly, as
    # parsing does), and float32's value rounds back to it at that precision
    for sel in (p >= 0, p < 0):
        if not sel.any():
            continue
        x, y, q = (a, f, p) if sel.all() else (a[sel], f[sel], p[sel])
        if q[0] >= 0:
            scale = 10.0 ** q
            n = np.round(x * scale)
            if not ((n / scale == x).all() and (np.round(y * scale) == n).all()):
                return False
        else:
            scale = 10.0 ** -q
            n = np.round(x / scale)
            if not ((n * scale == x).all() and (np.round(y / scale) == n).all()):
                return False
    return True


def _check_nan_features(nan: dict[Any, int], candidates: list | None) -> None:
    """A ``UserError`` before any fit when feature columns of the table hold NaN and a candidate refuses
    NaN (``nan_policy='raise'``, the default): naming the columns by name, not by position in the array
    the augmenter gets, and saying what a CLI user can do (impute, or a ``--config`` candidate with
    ``nan_policy: keep``)."""
    from . import registry
    from .core.base import input_settings
    from .evaluation.evaluate import normalize_candidates

    if not nan:
        return
    refusing, example = [], "gaussian_noise"
    for label, aug in normalize_candidates(candidates, "tabular"):
        policies = [v for _, v in input_settings(aug, "nan_policy")] if aug is not None else ["keep"]
        if not policies or any(v != "keep" for v in policies):
            if not refusing:
                try:
                    example = registry.name_of(type(aug))
                except (ValueError, KeyError):  # a composition: the example keeps a registered name
                    pass
            refusing.append(label)
    if not refusing:
        return
    cells = ", ".join(f"{c!r} ({n} row{'s' if n > 1 else ''})" for c, n in nan.items())
    raise UserError(f"feature column(s) {cells} hold missing values (NaN), which candidate(s) {refusing} refuse: "
                    "impute or drop them first, pick other columns with --columns, or give each candidate as "
                    f"--config FILE with nan_policy: keep (e.g. {{augmenter: {example}, params: {{nan_policy: keep}}}}; "
                    "NaN cells are then never interpolated)")


def _every_row_has(df: Any, flag: str, name: str, what: str) -> None:
    """A ``UserError`` naming the rows where column ``name`` (given as ``flag``) is missing."""
    missing = df.index[df[name].isna().to_numpy()].tolist()
    if missing:
        raise UserError(f"{flag} {name!r} is missing in {len(missing)} row(s) (first: {missing[:5]}); every row "
                        f"needs {what}")


def _two_values(y: np.ndarray, what: str) -> None:
    """Labels (or targets) all equal leave nothing to predict: every score would be perfect (or undefined)."""
    values = np.unique(y.astype(str)) if y.dtype == object else np.unique(y)
    if len(values) < 2 and len(y):
        raise UserError(f"{what} holds a single value ({values[0].item()!r}) in all {len(y)} rows; evaluation needs at "
                        "least 2 classes (or distinct targets) to compare augmenters")


def _eval_candidates(augmenters: tuple[str, ...], configs: tuple[str, ...]) -> list:
    if not augmenters and not configs:
        return None  # the modality's default candidates
    from . import from_config, registry

    out = []
    for a in augmenters:
        out.append("none" if a.strip().lower() == "none" else registry.create(a))
    for c in configs:
        out.append((Path(c).stem, from_config(c)))
    return out


def _eval_options(f):
    opts = [
        click.argument("input_path", metavar="FILE", type=click.Path(dir_okay=False)),
        click.option("-a", "--augmenter", "augmenters", multiple=True, help="Candidate augmenter name (repeatable; 'none' is always compared)."),
        click.option("--config", "configs", multiple=True, type=click.Path(dir_okay=False), help="Candidate augmenter/pipeline config (repeatable)."),
        click.option("--label-column", default=None, help="Label/target column (tables)."),
        click.option("--column", default=None, help="Text column (text data)."),
        click.option("--columns", default=None, help="Comma-separated numeric feature columns (tables; default: all but the label)."),
        click.option("--groups-column", default=None,
                     help="Column of group ids (tables: a patient, a document...): no group is split between training and test folds."),
        click.option("--cv", type=int, default=5, show_default=True, help="Folds."),
        click.option("--repeats", type=int, default=None, help="Repeats of the k-fold (evaluate: 3, search: 1)."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed of the splits, augmenters and model (a --config's own seed is not used)."),
        click.option("-n", "--n-aug", type=int, default=None,
                     help="Augmented copies per training sample, for every candidate (default: each candidate's own "
                          "n_aug: a --config's n_aug, else 1)."),
        click.option("--scoring", default=None, help="scikit-learn scoring name (default: accuracy, or r2 for regression)."),
        click.option("--task", type=click.Choice(["auto", "classification", "regression"]), default="auto", show_default=True),
        click.option("--graph-mode", type=click.Choice(["node", "graph"]), default=None, help="Graph setting (default: one graph = node)."),
        click.option("--max-time", type=float, default=None, help="Seconds; no new split starts after this."),
        click.option("--threads", type=int, default=None, help="CPU threads for PyTorch, OpenMP and BLAS in this process (1 is often faster on a busy machine)."),
        click.option("--progress/--no-progress", default=None, help="Progress bar over the fits (default: on a terminal)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _eval_setup(threads, cv, repeats, n_aug=None):
    if n_aug is not None and n_aug < 1:
        raise UserError(f"--n-aug: expected an integer >= 1 (augmented copies per training sample), got {n_aug}")
    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads: expected a positive number of threads, got {threads}")
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(threads)  # the command owns its process
        threadpool_limits(threads)  # OpenMP/BLAS of the scikit-learn models too
    if cv < 2:
        raise UserError(f"--cv: expected an integer >= 2, got {cv}")
    if repeats is not None and repeats < 1:
        raise UserError(f"--repeats: expected an integer >= 1, got {repeats}")


def _report_path(report: str | None) -> None:
    if report and Path(report).suffix.lower() not in (".md", ".markdown", ".txt", ".json", ".html", ".htm"):
        raise UserError(f"--report {report!r}: expected a .md, .json or .html file")
    _parent_exists("--report", report)


def _parent_exists(flag: str, path: str | None) -> None:
    """An output's folder must exist before a long run, not be found missing after it."""
    if path and not Path(path).resolve().parent.is_dir():
        raise UserError(f"{flag} {path!r}: the folder {str(Path(path).resolve().parent)!r} does not exist; create it first")


@cli.command("evaluate")
@_eval_options
@click.option("--report", default=None, type=click.Path(dir_okay=False), help="Write the report (.md, .json or .html with the plot).")
def evaluate_cmd(input_path, augmenters, configs, label_column, column, columns, groups_column, cv, repeats, seed, n_aug,
                 scoring, task, graph_mode, max_time, threads, progress, report) -> None:
    """Does augmentation help? Cross-validated score with and without each augmenter (leakage-free)."""
    from .evaluation import evaluate

    _eval_setup(threads, cv, repeats, n_aug)
    _report_path(report)
    X, y, groups, lengths, nan = _eval_data(input_path, label_column, column, columns, groups_column)
    candidates = _eval_candidates(augmenters, configs)
    _check_nan_features(nan, candidates)
    res = evaluate(candidates, X, y, cv=cv, repeats=3 if repeats is None else repeats,
                   scoring=scoring, n_aug=n_aug, seed=seed, task=task, graph_mode=graph_mode, max_time=max_time,
                   progress=progress, groups=groups, lengths=lengths)
    click.echo(res.to_markdown())
    if report:
        res.write(report)
        click.echo(f"multiaug: report written to {report}", err=True)


@cli.command("search")
@_eval_options
@click.option("-o", "--output", "output_path", required=True, type=click.Path(dir_okay=False),
              help="Where to write the best augmenter's config (.yaml/.yml/.json), for `multiaug augment --config`.")
@click.option("--report", default=None, type=click.Path(dir_okay=False), help="Also write the evaluation report (.md, .json, .html).")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def search_cmd(input_path, augmenters, configs, label_column, column, columns, groups_column, cv, repeats, seed, n_aug,
               scoring, task, graph_mode, max_time, threads, progress, output_path, report, overwrite) -> None:
    """Pick the augmenter that helps most and write its config (early stop of clearly worse ones)."""
    import json

    import yaml

    from .evaluation import AugmentationSearchCV
    from .evaluation.search import config_with_n_aug

    _eval_setup(threads, cv, repeats, n_aug)
    _report_path(report)
    out = Path(output_path)
    if out.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise UserError(f"--output {output_path!r}: expected a .yaml, .yml or .json file")
    if out.exists() and not overwrite:
        raise UserError(f"--output {output_path!r} exists; pass --overwrite to replace it")
    _parent_exists("--output", output_path)
    X, y, groups, lengths, nan = _eval_data(input_path, label_column, column, columns, groups_column)
    candidates = _eval_candidates(augmenters, configs)
    _check_nan_features(nan, candidates)
    s = AugmentationSearchCV(None, candidates, cv=cv, repeats=1 if repeats is None else repeats,
                             scoring=scoring, n_aug=n_aug, seed=seed, task=task, graph_mode=graph_mode,
                             max_time=max_time, refit=False, progress=progress)
    s.fit(X, y, groups=groups, lengths=lengths)
    res = s.result_
    click.echo(res.to_markdown())
    if report:
        res.write(report)
    aug = s.best_augmenter_
    if aug is None:
        rows = [r for r in res.summary() if r["candidate"] != "none" and r["splits"] == s.n_splits_]
        if not rows:
            raise UserError("no candidate augmenter ran on every split; nothing to write")
        best = max(rows, key=lambda r: r["mean"])
        aug = dict(s.result_.configs)[best["candidate"]]
        click.echo(f"multiaug: warning: no augmentation scored best ({s.best_score_:.4f}); writing the best augmenter, "
                   f"{best['candidate']} ({best['mean']:.4f}), to {output_path}", err=True)
        # the copies per sample the search measured (`-n`, else the candidate's own), as best_config() gives them
        measured = n_aug if n_aug is not None else int(((aug or {}).get("params") or {}).get("n_aug", 1))
        config = config_with_n_aug(aug, measured)
    else:
        config = s.best_config()
    if config is None:
        raise UserError("the best augmenter has no registry name; it cannot be written as a config")
    text = yaml.safe_dump(config, sort_keys=False) if out.suffix.lower() in (".yaml", ".yml") else json.dumps(config, indent=2) + "\n"
    from .io import write_text_atomic

    write_text_atomic(out, text)  # a crash never leaves half a config
    row = next((r for r in res.summary() if r["candidate"] == s.best_params_ != "none"), None)
    caveat = ""
    if row is not None and not row["ci_low"] > 0:  # an interval reaching 0 (or undefined) is no demonstrated gain
        caveat = (f"; not significantly better than none ({row['diff']:+.4f} [{row['ci_low']:.4f}, {row['ci_high']:.4f}],"
                  " more repeats may resolve it)")
    if s.best_augmenter_ is None:  # the warning above named the augmenter written
        click.echo(f"multiaug: config of {best['candidate']} written to {output_path}", err=True)
    else:
        click.echo(f"multiaug: best {s.best_params_} ({s.best_score_:.4f}){caveat}; config written to {output_path}",
                   err=True)


@cli.command("preview")
@click.argument("input_path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output_path", required=True, type=click.Path(dir_okay=False), help="Image (.png/.svg) or .html.")
@click.option("-a", "--augmenter", default=None, help="Registered augmenter name.")
@click.option("-p", "--param", "params", multiple=True, help="Augmenter parameter key=value (repeatable).")
@click.option("--config", default=None, type=click.Path(dir_okay=False), help="Augmenter or pipeline config (.json/.yaml).")
@click.option("--load", default=None, type=click.Path(), help="Directory of a saved (fitted) augmenter.")
@click.option("--n", "n", type=int, default=8, show_default=True, help="Samples shown.")
@click.option("--seed", type=int, default=None, help="Seed of the augmentation shown.")
@click.option("--column", default=None, help="Text column.")
@click.option("--columns", default=None, help="Two table columns for the scatter, a,b.")
@click.option("--label-column", default=None, help="Label/target column.")
@click.option("--tokens-column", default=None, help="Tagged sentences in jsonl/parquet: the token-list column (default tokens).")
@click.option("--tags-column", default=None, help="Tagged sentences in jsonl/parquet: the tag-list column (default tags).")
def preview_cmd(input_path, output_path, augmenter, params, config, load, n, seed, column, columns, label_column,
                tokens_column, tags_column) -> None:
    """Show what an augmenter does to a few samples of FILE (series, graphs, tables, text diffs)."""
    try:
        from .preview import preview_file
    except ImportError as e:
        raise UserError(f"preview is not available: {_one_line(e)}") from None
    if n < 1:
        raise UserError(f"--n: expected a positive number of samples, got {n}")
    aug = build_augmenter(augmenter, parse_params(params), config, load)
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    from .engines.local import check_column_options

    # as for augment: --column and --label-column must apply (a .npz has no columns, --column is a text
    # augmenter's), never be ignored; --columns names the scatter's axes here, checked by preview_file
    check_column_options(input_path, aug, column=column, label_column=label_column)
    preview_file(aug, input_path, output_path, n=n, column=column, columns=cols, label_column=label_column, seed=seed,
                 tokens_column=tokens_column, tags_column=tags_column)
    click.echo(f"multiaug: preview written to {output_path}", err=True)


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM, so that temporary outputs are removed on the way out
    (a ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception`` does not swallow it)."""


def _on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated()


_SIGNALS: dict[str, bool] = {"sigint": False}


def _on_sigint(signum: int, frame: Any) -> None:
    """Ctrl-C as usual (KeyboardInterrupt), remembered: C code (pandas' JSON writer, ...) may swallow
    the KeyboardInterrupt and raise something else, which is still reported as an interruption."""
    _SIGNALS["sigint"] = True
    signal.default_int_handler(signum, frame)


def _is_arrow_error(e: BaseException) -> bool:
    arrow = sys.modules.get("pyarrow.lib")
    return arrow is not None and isinstance(e, arrow.ArrowException)


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    if not text:
        return type(e).__name__
    return text.splitlines()[0].strip() or " ".join(text.split())


_SHOWN_WARNINGS = 5
_WARNINGS: dict[str, Any] = {"seen": set(), "hidden": 0}


def _show_warning(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    """``warnings.showwarning`` while a command runs: a warning of any library (scikit-learn's CV
    splitter, an augmenter inside ``evaluate``, ...) as one ``multiaug: warning:`` line, each text
    once, five at most (:func:`main` counts the others at the end), never Python's file, line number
    and source line."""
    text = " ".join(str(message).split()) or category.__name__
    if text in _WARNINGS["seen"]:
        return
    _WARNINGS["seen"].add(text)
    if len(_WARNINGS["seen"]) > _SHOWN_WARNINGS:
        _WARNINGS["hidden"] += 1
        return
    click.echo(f"multiaug: warning: {text}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2."""
    import warnings

    previous = previous_int = None
    _SIGNALS["sigint"] = False
    _WARNINGS["seen"], _WARNINGS["hidden"] = set(), 0
    previous_show = warnings.showwarning
    warnings.showwarning = _show_warning
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            previous_int = signal.signal(signal.SIGINT, _on_sigint)
    try:
        cli.main(args=argv, prog_name="multiaug", standalone_mode=False)
    except Terminated:
        click.echo("multiaug: terminated (SIGTERM); no output written", err=True)
        sys.exit(128 + signal.SIGTERM)
    except click.exceptions.Abort:
        click.echo("multiaug: interrupted; no output written", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("multiaug: interrupted; no output written", err=True)
        sys.exit(130)
    except click.ClickException as e:
        if isinstance(e, UserError):
            e.show()
        else:
            click.echo(f"multiaug: error: {e.format_message()}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except Exception as e:
        if _SIGNALS["sigint"]:  # an interrupt that C code turned into another exception
            click.echo("multiaug: interrupted; no output written", err=True)
            sys.exit(130)
        # (scikit-learn's NotFittedError is a ValueError: not imported here, which would cost every --help seconds)
        if isinstance(e, (ValueError, TypeError, OSError, ImportError)):
            msg = _one_line(e)
        elif _is_arrow_error(e):  # every pyarrow error class, NotImplementedError-based ones included
            msg = f"{_one_line(e)} (pyarrow {type(e).__name__})"
        else:
            raise
        click.echo(f"multiaug: error: {msg}", err=True)
        if os.environ.get("MULTIAUG_DEBUG"):
            raise
        sys.exit(EXIT_USER_ERROR)
    finally:
        warnings.showwarning = previous_show
        if _WARNINGS["hidden"]:
            click.echo(f"multiaug: warning: {_WARNINGS['hidden']} more warning(s) not shown", err=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
