"""Persistence: configs (``to_config``/``from_config``, JSON/YAML files) and fitted state
(``fitted_state``/``load_fitted_state``, ``save``/``load`` as config.json + state.safetensors; no pickle)."""
from __future__ import annotations

import contextvars
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:  # annotations only (base imports this module)
    from .base import Augmenter

__all__ = ["Persistence", "read_config", "write_config"]


def save_dir_error(path: str | os.PathLike, shown: str) -> str | None:
    """The error message for saving into ``path`` (``shown`` names it), or None: a directory is
    created when missing, an existing file is refused."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        return f"{shown} is a file; expected a directory (it is created when missing)"
    return None


#: how a config holds a ``torch.device`` hyperparameter: ``{"torch.device": "cuda:0"}`` (JSON and YAML
#: have no device type; a plain string is read back as the string, so ``get_params`` round-trips either)
DEVICE_KEY = "torch.device"

#: while a config is written: id of each augmenter object found at several places of the tree -> its
#: ``instance`` number (see :meth:`Persistence.to_config`)
_WRITING: contextvars.ContextVar[dict[int, int] | None] = contextvars.ContextVar("multiaug_config_ids", default=None)
#: while a config is read: ``instance`` number -> (its config, the augmenter built from it)
_READING: contextvars.ContextVar[dict[int, tuple[dict, Any]] | None] = contextvars.ContextVar(
    "multiaug_config_built", default=None)


class Persistence:
    """Mixin of :class:`multiaug.core.Augmenter`: configuration and fitted-state persistence."""

    def to_config(self) -> dict:
        """A JSON/YAML-able description: ``{"augmenter": name, "params": {...}}`` (nested for compositions).

        One augmenter object found at several places of the tree (``Sequential([j, s, j])``) is one
        object with one random stream; each of its places is written in full with the same
        ``"instance": k`` number, and :meth:`from_config` builds one object for them again, so that
        the rebuilt tree draws as the original does."""
        if _WRITING.get() is None:  # the outermost call: number the objects found more than once
            token = _WRITING.set(_shared_instances(self))
            try:
                return self.to_config()
            finally:
                _WRITING.reset(token)
        from ..registry import name_of

        params = {}
        for k, v in self.get_params(deep=False).items():
            params[k] = _param_to_config(v, f"{type(self).__name__}.{k}")
        config = {"augmenter": name_of(type(self)), "params": params}
        instance = _WRITING.get().get(id(self))
        if instance is not None:
            config["instance"] = instance
        return config

    @classmethod
    def from_config(cls, config: dict | str | os.PathLike) -> "Augmenter":
        """Build an augmenter from :meth:`to_config`'s output, or from a .json/.yaml file holding it."""
        if isinstance(config, (str, os.PathLike)):
            config = read_config(config)
        built = _READING.get()
        if built is None:  # the outermost call: places written with one "instance" get one object
            token = _READING.set({})
            try:
                return cls.from_config(config)
            finally:
                _READING.reset(token)
        from ..registry import get
        from .base import Augmenter

        if not isinstance(config, dict) or "augmenter" not in config:
            raise ValueError(f"config must be a mapping with an 'augmenter' key{_missing_key_hint(config)}, "
                             f"got {config!r:.200}")
        extra = [k for k in config if k not in CONFIG_KEYS]
        if extra:  # a misspelt 'params', or a hyperparameter beside it: never ignored
            raise ValueError(
                f"config of augmenter {config['augmenter']!r}: unknown key(s) {extra}{_close_hint(extra, CONFIG_KEYS)}; "
                "a config holds 'augmenter' and 'params' (every hyperparameter, seed included, goes under params)"
                + ("" if "params" in config else f", e.g. {{augmenter: {config['augmenter']}, params: {{...}}}}")
            )
        instance = config.get("instance")
        if instance is not None and (isinstance(instance, bool) or not isinstance(instance, int)):
            raise ValueError(
                f"config of augmenter {config['augmenter']!r}: instance expected an integer (the number shared by "
                f"the places of one augmenter object), got {instance!r:.60}"
            )
        if instance in built:
            first, aug = built[instance]
            if _described(first) != _described(config):
                raise ValueError(
                    f"config: the places of instance {instance} describe different augmenters, "
                    f"{_described(first)!r:.200} and {_described(config)!r:.200}; the places of one shared augmenter "
                    "object must have the same augmenter and params (or give them different instance numbers)"
                )
            if cls is not Augmenter and not isinstance(aug, cls):
                raise TypeError(f"config describes {type(aug).__name__}, which is not a {cls.__name__}")
            return aug
        klass = get(config["augmenter"])
        if cls is not Augmenter and not issubclass(klass, cls):
            raise TypeError(f"config describes {klass.__name__}, which is not a {cls.__name__}")
        if not isinstance(config.get("params") or {}, dict):
            raise ValueError(f"config of augmenter {config['augmenter']!r}: params expected a mapping of "
                             f"hyperparameters, got {config['params']!r:.100}")
        params = {k: _param_from_config(v) for k, v in (config.get("params") or {}).items()}
        unknown = sorted(set(params) - set(klass._get_param_names()))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for augmenter {config['augmenter']!r}"
                f"{_close_hint(unknown, klass._get_param_names())}; expected some of {klass._get_param_names()}"
            )
        aug = klass(**{k: _tuple_where_declared(klass, k, v) for k, v in params.items()})
        if instance is not None:
            built[instance] = (config, aug)
        return aug

    # fitted state: tensors and modules go to safetensors, small metadata to the config
    def fitted_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """The fitted attributes (names ending in ``_``) of this augmenter and its children, split into
        ``(tensors, meta)``: tensors and ``nn.Module`` weights (safetensors-able, on the CPU) and
        JSON-able metadata. :meth:`load_fitted_state` puts them back; ``save``/``load`` and the Ray
        engine's payload use the pair."""
        tensors: dict[str, torch.Tensor] = {}
        meta: dict[str, Any] = {}
        for k, v in vars(self).items():
            if not k.endswith("_") or k.startswith("_"):
                continue
            if isinstance(v, torch.nn.Module):
                for sk, sv in v.state_dict().items():
                    tensors[f"{k}.{sk}"] = sv.detach().cpu().contiguous()
                meta[k] = {"__module__": True}
            elif isinstance(v, torch.Tensor):
                tensors[k] = v.detach().cpu().contiguous()
            elif isinstance(v, np.ndarray) and v.dtype != object:
                tensors[k] = torch.from_numpy(np.ascontiguousarray(v))
                meta[k] = {"__ndarray__": True}
            else:
                try:
                    json.dumps(v)
                except TypeError:
                    raise TypeError(
                        f"{type(self).__name__}.{k} ({type(v).__name__}) cannot be saved; override "
                        "fitted_state/load_fitted_state"
                    ) from None
                meta[k] = {"value": v}
        for i, child in enumerate(self._children()):
            ct, cm = child.fitted_state()
            tensors.update({f"child{i}.{k}": v for k, v in ct.items()})
            if cm:
                meta[f"child{i}"] = cm
        return tensors, meta

    def _build_fitted_modules(self, meta: dict[str, Any]) -> dict[str, torch.nn.Module]:
        """Learned augmenters holding ``nn.Module`` fitted attributes return freshly built (untrained)
        modules here, from the hyperparameters and the plain fitted metadata; weights are loaded next."""
        return {}

    def load_fitted_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Restore what :meth:`fitted_state` returned (on this augmenter and, in order, its children)."""
        own_meta = {k: v for k, v in meta.items() if not k.startswith("child")}
        for k, m in own_meta.items():
            if "value" in m:
                setattr(self, k, m["value"])
        self._check_architecture(" (loading fitted state)")
        modules = self._build_fitted_modules({k: m.get("value") for k, m in own_meta.items() if "value" in m})
        for k, m in own_meta.items():
            if m.get("__module__"):
                if k not in modules:
                    raise ValueError(f"{type(self).__name__} cannot rebuild fitted module {k!r}")
                mod = modules[k]
                sd = {sk[len(k) + 1 :]: v for sk, v in tensors.items() if sk.startswith(k + ".")}
                mod.load_state_dict(sd)
                mod.eval()
                setattr(self, k, mod)
            elif m.get("__ndarray__"):
                setattr(self, k, tensors[k].numpy())
        for k, v in tensors.items():
            if "." not in k and not k.startswith("child") and k not in own_meta:
                setattr(self, k, v)
        for i, child in enumerate(self._children()):
            pre = f"child{i}."
            child.load_fitted_state(
                {k[len(pre) :]: v for k, v in tensors.items() if k.startswith(pre)}, meta.get(f"child{i}", {})
            )

    def save(self, path: str | os.PathLike) -> Path:
        """Save to a directory: ``config.json`` (+ ``state.safetensors`` when fitted state exists).

        The pair is consistent after a crash at any point: both files are written to temporary names
        and flushed to the disk first, then renamed, the config first; a fitted config names the state
        it goes with (``fitted["__state__"]["sha256"]``: a digest of the tensors, also in the state
        file's metadata, or null when it has none), so :meth:`load` refuses a config whose state file is
        missing or from another save. Older multiaug versions load these files as they are (they ignore
        the digest)."""
        from safetensors.torch import save_file

        from .. import io as mio

        path = Path(path)
        problem = save_dir_error(path, f"save: {str(path)!r}")
        if problem:
            raise ValueError(problem)
        self._check_architecture(".save")
        tensors, meta = self.fitted_state()
        cfg = self.to_config()
        digest = state_digest(tensors) if tensors else None
        if meta or tensors:
            cfg["fitted"] = {**meta, STATE_MARK: {"sha256": digest}}
        text = json.dumps(cfg, indent=2)
        path.mkdir(parents=True, exist_ok=True)
        state_file = path / STATE_FILE
        tmp_state = path / f".{STATE_FILE}.{os.getpid()}.tmp"
        tmp_cfg = path / f".config.json.{os.getpid()}.tmp"
        try:
            if tensors:
                save_file(tensors, str(tmp_state), metadata={STATE_META: digest})
                mio.fsync_file(tmp_state)
            tmp_cfg.write_text(text, encoding="utf-8")
            mio.fsync_file(tmp_cfg)
            if not tensors:  # an earlier save's state file goes first: never paired with this config
                state_file.unlink(missing_ok=True)
            # the config before the state: a crash between the renames leaves the new config beside the
            # old state file (or none), whose digest differs: load refuses the pair (never loading the
            # config with someone else's weights)
            os.replace(tmp_cfg, path / "config.json")
            if tensors:
                os.replace(tmp_state, state_file)
            mio.fsync_dir(path)
        finally:
            tmp_state.unlink(missing_ok=True)
            tmp_cfg.unlink(missing_ok=True)
        return path

    # the names the engines used before these methods were public (kept for one release)
    def _fitted_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        return self.fitted_state()

    def _load_fitted_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        self.load_fitted_state(tensors, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Augmenter":
        """Load what :meth:`save` wrote (no pickle: JSON + safetensors)."""
        from safetensors.torch import load_file

        path = Path(path)
        cfg_file = path / "config.json" if path.is_dir() else path
        if not cfg_file.exists():
            raise FileNotFoundError(f"no saved augmenter at {str(path)!r} (expected a directory with config.json)")
        cfg = read_config(cfg_file)
        aug = cls.from_config(cfg)
        state_file = cfg_file.parent / STATE_FILE
        fitted = cfg.get("fitted")
        mark = fitted.pop(STATE_MARK, None) if isinstance(fitted, dict) else None
        if mark is not None:  # saved with the digest of its state (older saves: the pair as found)
            tensors = _checked_state(cfg_file, state_file, mark)
        else:
            tensors = load_file(str(state_file)) if state_file.exists() else {}
        if cfg.get("fitted") or tensors:
            aug.load_fitted_state(tensors, cfg.get("fitted") or {})
        return aug


#: the fitted state's file beside ``save``'s config.json
STATE_FILE = "state.safetensors"
#: the entry of ``save``'s config.json ``fitted`` metadata naming the state saved with it:
#: ``{"sha256": digest of the tensors (state_digest), or null when there are none}`` (fitted attributes
#: never start with ``_``, and older versions' ``load_fitted_state`` ignores an entry without a value)
STATE_MARK = "__state__"
#: the state file's metadata key holding the same digest
STATE_META = "multiaug_state_sha256"
#: the keys of an augmenter's config (:meth:`Persistence.to_config`, ``save``'s config.json)
CONFIG_KEYS = ("augmenter", "params", "instance", "fitted")


def state_digest(tensors: dict[str, torch.Tensor]) -> str:
    """The SHA-256 of a fitted state's tensors (names, dtypes, shapes and bytes), in name order."""
    import hashlib

    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().data)
    return h.hexdigest()


def _checked_state(cfg_file: Path, state_file: Path, mark: Any) -> dict[str, torch.Tensor]:
    """The tensors saved with a config naming ``digest`` (None: no state file belongs to it); a
    ``ValueError`` when the state file is missing or is from another save (an interrupted save)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    where = str(cfg_file.parent)
    digest = mark.get("sha256") if isinstance(mark, dict) else mark
    if digest is None:
        if state_file.exists():
            import warnings

            warnings.warn(f"load: {str(state_file)!r} is no part of the save in {where!r} (its config.json says it has "
                          "no fitted tensors; an earlier save's file left by an interrupted save): not loaded",
                          stacklevel=3)
        return {}
    if not isinstance(digest, str):
        raise ValueError(f"load: {str(cfg_file)!r}: fitted.{STATE_MARK}.sha256 expected the digest of the saved "
                         f"tensors (a string) or null, got {digest!r:.60}")
    if not state_file.exists():
        raise ValueError(f"load: {where!r} holds config.json but not the {STATE_FILE} saved with it (an interrupted "
                         "save?); save the augmenter again")
    with safe_open(str(state_file), framework="pt") as f:
        found = (f.metadata() or {}).get(STATE_META)
    if found != digest:
        raise ValueError(f"load: {where!r}: config.json and {STATE_FILE} come from different saves (an interrupted "
                         "save?); save the augmenter again")
    return load_file(str(state_file))


def _close_hint(names: list, known: Any) -> str:
    """`` (did you mean 'x'?)`` for the first of ``names`` close to one of ``known``, else ``""``."""
    import difflib

    for n in names:
        close = difflib.get_close_matches(str(n), [str(k) for k in known], n=1, cutoff=0.6)
        if close:
            return f" (did you mean {close[0]!r} for {str(n)!r}?)" if len(names) > 1 else f" (did you mean {close[0]!r}?)"
    return ""


def _missing_key_hint(config: Any) -> str:
    """What a mapping without an ``augmenter`` key may have meant: a misspelt key (``name``, ``type``,
    ``augmentor``) or an augmenter's name as the key (``{jitter: {sigma: 0.1}}``)."""
    if not isinstance(config, dict):
        return ""
    for k, v in config.items():
        if isinstance(v, str) and (k in ("name", "type", "class", "aug") or _close_hint([k], ["augmenter"])):
            return f" (write augmenter: {v} instead of {k}: {v})"
    if len(config) == 1:
        (k, v), = config.items()
        from ..registry import _REGISTRY, resolve

        if isinstance(k, str) and resolve(k) in _REGISTRY:
            return f" (write {{augmenter: {k}, params: {v!r}}} instead of {{{k}: ...}})"
    return ""


def _described(config: dict) -> tuple:
    """What a config says of its augmenter (its name and params; not its fitted state)."""
    return config.get("augmenter"), config.get("params") or {}


def _shared_instances(root: Any) -> dict[int, int]:
    """``id -> instance number`` for each augmenter object met more than once while walking the
    hyperparameters of ``root`` as :func:`_param_to_config` does (numbered in order of first meeting)."""
    count: dict[int, int] = {}
    order: list[int] = []

    def walk(v: Any) -> None:
        if isinstance(v, Persistence):
            key = id(v)
            if key not in count:
                count[key] = 0
                order.append(key)
            count[key] += 1
            if count[key] == 1:  # its own hyperparameters are the same at every place: walked once
                for e in v.get_params(deep=False).values():
                    walk(e)
        elif isinstance(v, (list, tuple, set, frozenset)):
            for e in v:
                walk(e)
        elif isinstance(v, dict):
            for e in v.values():
                walk(e)

    walk(root)
    shared = [k for k in order if count[k] > 1]
    return {k: i for i, k in enumerate(shared)}


def _param_to_config(v: Any, where: str) -> Any:
    if isinstance(v, Persistence):
        return v.to_config()
    if isinstance(v, (list, tuple)):
        return [_param_to_config(e, where) for e in v]
    if isinstance(v, dict):
        return {str(k): _param_to_config(e, where) for k, e in v.items()}
    if isinstance(v, (set, frozenset)):  # stop words...: a sorted list (a config is JSON/YAML)
        return sorted((_param_to_config(e, where) for e in v), key=lambda e: (type(e).__name__, repr(e)))
    if isinstance(v, np.ndarray):
        return _param_to_config(v.tolist(), where)
    if isinstance(v, os.PathLike):  # a synonyms file, a model directory
        return os.fspath(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, torch.device):  # tagged, so that it comes back a torch.device (a string stays a string)
        return {DEVICE_KEY: str(v)}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"{where}={v!r} cannot be written to a config (expected numbers, strings, paths, lists, sets, dicts or augmenters)")


def _param_from_config(v: Any) -> Any:
    if _is_augmenter_config(v):
        from .base import Augmenter

        return Augmenter.from_config(v)
    if isinstance(v, dict) and set(v) == {DEVICE_KEY}:
        return _device_from_config(v[DEVICE_KEY])
    if isinstance(v, list):
        return [_param_from_config(e) for e in v]
    if isinstance(v, dict):
        return {k: _param_from_config(e) for k, e in v.items()}
    return v


def _is_augmenter_config(v: Any) -> bool:
    """Whether a hyperparameter's value in a config is an augmenter's config: a mapping naming an
    ``augmenter`` with only config keys, or with ``params`` or a misspelling of a config key beside
    them (then built, so that :meth:`Persistence.from_config` names the key it does not know)."""
    if not isinstance(v, dict) or not isinstance(v.get("augmenter"), str):
        return False
    extra = [k for k in v if k not in CONFIG_KEYS]
    return not extra or "params" in v or bool(_close_hint(extra, CONFIG_KEYS))


def _device_from_config(name: Any) -> torch.device:
    """The ``torch.device`` a config names as ``{"torch.device": "cuda:0"}``."""
    try:
        if isinstance(name, str):
            return torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        pass
    raise ValueError(
        f"config: {{{DEVICE_KEY!r}: ...}} expected the name of a torch device such as 'cpu' or 'cuda:0', got {name!r:.60}"
    )


def _tuple_where_declared(klass: type, name: str, value: Any) -> Any:
    """A config holds tuples as lists (JSON and YAML have none): ``value`` back as a tuple where the
    class declares one, so that a rebuilt augmenter's ``get_params`` and ``repr`` are those of the
    augmenter that was written: the default itself when ``value`` equals a tuple default (``scale=
    (0.5, 1.0)``), and a ``(low, high)`` pair where the hyperparameter takes one (``sigma=(0.0, 0.5)``)."""
    if not isinstance(value, list):
        return value
    from .constraints import Pair, merged_constraints

    default = klass.param_defaults().get(name)
    if isinstance(default, tuple) and _plain_equal(list(default), value):
        return default
    alternatives = merged_constraints(klass).get(name)
    if isinstance(alternatives, list) and any(isinstance(c, Pair) and c.accepts(value) for c in alternatives):
        return tuple(value)
    return value


def _plain_equal(a: list, b: list) -> bool:
    """``a == b`` for lists of plain values (False, not an error, for values that do not compare)."""
    try:
        return len(a) == len(b) and all(type(u) is type(v) and bool(u == v) for u, v in zip(a, b))
    except (TypeError, ValueError):
        return False


def read_config(path: str | os.PathLike) -> dict:
    """Read a .json/.yaml/.yml config file holding a mapping. A file that cannot be parsed, or whose
    top level is not a mapping, raises a one-line ``ValueError`` naming the file and the place."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config file {str(path)!r} does not exist")
    if path.is_dir():
        raise ValueError(f"config file {str(path)!r} is a directory; expected a .json, .yaml or .yml file")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        kind = "YAML"
    elif suffix == ".json":
        kind = "JSON"
    else:
        raise ValueError(f"config file {str(path)!r}: expected a .json, .yaml or .yml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"config file {str(path)!r} is not UTF-8 text (byte {e.start}: {e.reason})") from None
    if kind == "YAML":
        import yaml

        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ValueError(f"config file {str(path)!r} is not valid YAML: {_yaml_error(e)}") from None
    else:
        try:
            config = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(
                f"config file {str(path)!r} is not valid JSON: line {e.lineno}, column {e.colno}: {e.msg}"
            ) from None
    if not isinstance(config, dict):
        got = "nothing (the file is empty)" if config is None else f"a {type(config).__name__} ({config!r:.60})"
        raise ValueError(
            f"config file {str(path)!r} must hold a mapping such as {{augmenter: jitter, params: {{sigma: 0.1}}}} "
            f"at the top level, got {got}"
        )
    return config


def _yaml_error(e: Exception) -> str:
    """``line L, column C: problem`` (1-based) from a PyYAML error, on one line."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or getattr(e, "context", None) or str(e)
    problem = " ".join(str(problem).split())
    context = getattr(e, "context", None)
    if context and getattr(e, "problem", None):
        problem = f"{problem} ({' '.join(str(context).split())})"
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def write_config(config: dict, path: str | os.PathLike) -> None:
    """Write a config as YAML (``.yaml``/``.yml``) or JSON, atomically (:func:`multiaug.io.atomic_output`)."""
    from .. import io as mio

    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        mio.write_text_atomic(path, yaml.safe_dump(config, sort_keys=False))
    else:
        mio.write_text_atomic(path, json.dumps(config, indent=2))
