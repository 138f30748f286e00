"""The ``multiaug`` command.

    multiaug list [--modality M]
    multiaug describe NAME
    multiaug augment INPUT -o OUTPUT (--augmenter NAME [--param k=v ...] | --config pipeline.yaml | --load DIR)
                     [--n-aug N] [--seed S] [--column COL] [--label-column COL] [--columns a,b]
                     [--device DEV] [--batch-size B] [--threads N] [--exclude-original] [--overwrite]
                     [--save DIR] [--engine local|ray] [--ray-address ADDR] [--ray-num-cpus N]

User errors (bad arguments, unreadable files, bad data, and any error of pyarrow or of the operating
system) end with a one-line message and exit code 2; no traceback (set ``MULTIAUG_DEBUG=1`` to see
one). The output is written to a temporary file and renamed at the end: Ctrl-C (exit code 130) and
SIGTERM (exit code 143) remove the temporary file and leave no output.

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
from typing import Any

import click

EXIT_USER_ERROR = 2


class UserError(click.ClickException):
    exit_code = EXIT_USER_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"multiaug: error: {self.format_message()}", err=True)


def _parse_value(text: str) -> Any:
    import yaml

    t = text.strip()
    if t.startswith("(") and t.endswith(")"):
        t = "[" + t[1:-1] + "]"  # Python's tuple spelling, as the Python API accepts: (0.1, 0.2) == [0.1, 0.2]
    try:
        return yaml.safe_load(t) if t else text
    except yaml.YAMLError:
        return text


def parse_params(items: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` pairs; values are read as YAML scalars/lists (``0.1``, ``true``, ``[1, 2]``)."""
    params: dict[str, Any] = {}
    for it in items:
        if "=" not in it:
            raise UserError(f"--param {it!r}: expected key=value")
        k, v = it.split("=", 1)
        k = k.strip().replace("-", "_")
        if not k.isidentifier():
            raise UserError(f"--param {it!r}: {k!r} is not a parameter name")
        params[k] = _parse_value(v)
    return params


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="multiaug", prog_name="multiaug")
def cli() -> None:
    """Data augmentation for text, graphs, tables and time series."""


@cli.command("list")
@click.option("--modality", type=click.Choice(["text", "graph", "tabular", "timeseries", "any"]), default=None)
def list_cmd(modality: str | None) -> None:
    """List registered augmenters: name, modality and a one-line description."""
    from . import registry

    rows = []
    for name, cls in registry.items():
        mod = registry._modality(cls)
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
    """The augmenter of ``--augmenter``/``--config``/``--load``, with ``--param`` values set on it.
    A parameter the augmenter does not have is a ``ValueError`` naming the augmenter and its parameters."""
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
            return registry.create(augmenter, **params)
    except yaml.YAMLError as e:
        raise UserError(f"{given[0]} {str(load or config)!r} is not valid YAML: {' '.join(str(e).split())}") from None
    if params:
        registry.check_params(type(aug), params)
        aug.set_params(**params)
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
def augment_cmd(input_path, output_path, augmenter, params, config, load, save_dir, n_aug, seed, column,
                label_column, columns, device, batch_size, threads, exclude_original, overwrite, progress, engine,
                ray_address, ray_num_cpus) -> None:
    """Augment INPUT (csv, jsonl, parquet, npy, npz, pt) into OUTPUT."""
    from .engines.local import augment_file

    if engine == "local" and (ray_address or ray_num_cpus is not None):
        raise UserError("--ray-address and --ray-num-cpus need --engine ray")
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
    common = dict(n_aug=n_aug, seed=seed, column=column, label_column=label_column, feature_columns=feats,
                  batch_size=batch_size, exclude_original=exclude_original, overwrite=overwrite, progress=progress)
    if engine == "ray":
        from .engines.ray import augment_path

        report = augment_path(aug, input_path, output_path, address=ray_address, num_cpus=ray_num_cpus, **common)
    else:
        report = augment_file(aug, input_path, output_path, **common)
    if save_dir:
        aug.save(save_dir)
    for w in report.warnings[:5]:
        click.echo(f"multiaug: warning: {w}", err=True)
    click.echo(
        f"multiaug: {report.rows_in} input rows -> {report.rows_out} output rows "
        f"({report.rows_augmented} augmented) written to {output_path}",
        err=True,
    )


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM, so that temporary outputs are removed on the way out
    (a ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception`` does not swallow it)."""


def _on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated()


def _is_arrow_error(e: BaseException) -> bool:
    arrow = sys.modules.get("pyarrow.lib")
    return arrow is not None and isinstance(e, arrow.ArrowException)


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    if not text:
        return type(e).__name__
    return text.splitlines()[0].strip() or " ".join(text.split())


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2."""
    from sklearn.exceptions import NotFittedError

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
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
        if isinstance(e, (ValueError, TypeError, OSError, NotFittedError, ImportError)):
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
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
