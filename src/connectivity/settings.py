"""Chapter settings: one home for every parameter of a notebook.

Each notebook has one settings class, a frozen dataclass whose field defaults are
**the paper's own values** (the ``paper`` profile). Smaller scales are named
overrides of those defaults, kept beside the class in ``OVERRIDES``:

* ``paper``       - the defaults themselves (the papers' scale, for a GPU);
* ``ci``          - what CI and the published book run on 2 CPU cores;
* ``smoke``       - the ``ci`` code path at toy size (the test suite);
* ``smoke-paper`` - the ``paper`` code path (the papers' architectures, random
  weights) at toy size (the test suite).

A notebook's ``parameters`` cell declares ``profile`` and one variable per field,
all ``None`` (= take the profile's value); the next cell calls
:meth:`Settings.from_notebook` on ``globals()``. That call checks, before any data
or model is loaded:

* **names** - a variable papermill injected that the settings do not declare (a
  misspelling) stops the notebook with the valid names and the nearest match;
* **types** - ``2.5`` for an ``int``, ``"abc"`` for a ``float``, ``3`` for a list
  each stop with the parameter's name and the expected type; a dict or list may be
  given as a JSON (or YAML) string, so ``-p classifier '{"epochs": 10}'`` works;
* **keys** - a dict override of a nested config names only that config's fields;
* **ranges** - numbers against the bounds declared with :func:`param`, nested
  configs through their own ``__post_init__``.

Example::

    @dataclass(frozen=True)
    class Table1Settings(Settings):
        n_pairs: int = param(25, lo=1, doc="same-class pairs per draw")
        OVERRIDES = {"ci": {"n_pairs": 10}, "smoke": {"n_pairs": 2}}

    s = Table1Settings.resolve("ci", n_pairs=None)      # -> n_pairs == 10
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import json
import os
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union

from . import devices, provenance
from .errors import ReaderError

PROFILES = ("paper", "ci", "smoke", "smoke-paper")
# a parameter of every notebook beside its settings (papermill -p device cuda): see devices
DEVICE_PARAMETER = "device"
# a profile's overrides are applied on top of its base profile's
BASE_PROFILE = {"ci": "paper", "smoke": "ci", "smoke-paper": "paper"}
# names IPython and papermill put into a notebook's namespace: never parameters
_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


class ParameterError(ReaderError, ValueError):
    """A notebook parameter that is unknown, of the wrong type or out of range."""


def param(default: Any, *, lo: float | None = None, hi: float | None = None, doc: str = "") -> Any:
    """A settings field: its paper default, allowed range ``[lo, hi]`` (for numbers, and
    for every element of a list of numbers) and a one-line description."""
    meta = {"lo": lo, "hi": hi, "doc": doc}
    if isinstance(default, (list, dict, set)) or dataclasses.is_dataclass(default):
        return field(default_factory=lambda d=default: _copy(d), metadata=meta)
    return field(default=default, metadata=meta)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value  # frozen dataclasses and scalars are immutable


def _type_name(hint: Any) -> str:
    if dataclasses.is_dataclass(hint):
        return f"a {hint.__name__} dict"
    origin = typing.get_origin(hint)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(hint))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if origin in (list, tuple):
        args = typing.get_args(hint)
        return f"a list of {_type_name(args[0])}" if args else "a list"
    if origin is dict:
        return "a dict"
    if hint is type(None):
        return "None"
    return getattr(hint, "__name__", str(hint))


def _parse_text(name: str, value: str, hint: Any) -> Any:
    """A dict or list given as JSON (papermill ``-p``) or YAML text."""
    import yaml

    for loader in (json.loads, yaml.safe_load):
        try:
            return loader(value)
        except Exception:  # noqa: BLE001 - try the next format, report below
            continue
    raise ParameterError(
        f"parameter {name!r}: cannot read {value!r} as JSON or YAML (expected {_type_name(hint)})"
    )


def coerce(name: str, value: Any, hint: Any) -> Any:
    """``value`` checked against the type ``hint`` (and converted where lossless):
    ``int`` for ``float``, a dict for a dataclass, JSON/YAML text for a dict or list."""
    if isinstance(hint, str):
        raise TypeError(f"unresolved type hint {hint!r} for {name}")
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(name, value, arg)
            except ParameterError as e:
                errors.append(str(e))
        raise ParameterError(f"parameter {name!r} expects {_type_name(hint)}, got {value!r}")
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
            hint_txt = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(
                f"parameter {name!r} must be one of {list(choices)}, got {value!r}{hint_txt}"
            )
        return value
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if isinstance(value, str):
            value = _parse_text(name, value, hint)
        if not isinstance(value, dict):
            raise ParameterError(
                f"parameter {name!r} expects {_type_name(hint)}, "
                f"got {type(value).__name__} {value!r}"
            )
        return merge_config(name, hint(), value)
    if origin in (list, tuple) or hint in (list, tuple):
        if isinstance(value, str):
            value = _parse_text(name, value, hint)
        if not isinstance(value, (list, tuple)):
            raise ParameterError(
                f"parameter {name!r} expects {_type_name(hint)}, "
                f"got {type(value).__name__} {value!r}"
            )
        args = typing.get_args(hint)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],)
        item = args[0] if args else Any
        out = [coerce(f"{name}[{i}]", v, item) for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if origin is dict or hint is dict:
        if isinstance(value, str):
            value = _parse_text(name, value, hint)
        if not isinstance(value, dict):
            raise ParameterError(
                f"parameter {name!r} expects a dict, got {type(value).__name__} {value!r}"
            )
        args = typing.get_args(hint)
        if args:
            return {
                coerce(f"{name} key", k, args[0]): coerce(f"{name}[{k!r}]", v, args[1])
                for k, v in value.items()
            }
        return dict(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ParameterError(
                f"parameter {name!r} expects True or False, got {type(value).__name__} {value!r}"
            )
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(
                f"parameter {name!r} expects an int, got {type(value).__name__} {value!r}"
            )
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(
                f"parameter {name!r} expects a float, got {type(value).__name__} {value!r}"
            )
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ParameterError(
                f"parameter {name!r} expects a str, got {type(value).__name__} {value!r}"
            )
        return value
    if isinstance(hint, type) and not isinstance(value, hint):
        raise ParameterError(
            f"parameter {name!r} expects {_type_name(hint)}, got {type(value).__name__} {value!r}"
        )
    return value


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def merge_config(name: str, base: Any, changes: dict) -> Any:
    """``base`` (a dataclass instance) with the fields named in ``changes`` replaced,
    each checked against its type; nested dataclass fields merge recursively. Unknown
    keys stop with the valid ones and the nearest match."""
    fields_ = {f.name: f for f in dataclasses.fields(base)}
    hints = _hints(type(base))
    new = {}
    for key, value in changes.items():
        label = f"{name}.{key}" if name else key
        if key not in fields_:
            what = f"key of {name!r}" if name else "parameter"
            raise ParameterError(_unknown_message(label, key, list(fields_), what=what))
        hint = hints[key]
        if dataclasses.is_dataclass(hint) and isinstance(value, str):
            value = _parse_text(label, value, hint)
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            new[key] = merge_config(label, getattr(base, key), value)
        else:
            new[key] = coerce(label, value, hint)
        _check_range(label, new[key], fields_[key])
    try:
        return dataclasses.replace(base, **new)
    except ParameterError:
        raise
    except (ValueError, TypeError) as e:
        raise ParameterError(f"{name or type(base).__name__}: {e}") from e


def _check_range(name: str, value: Any, f: dataclasses.Field) -> None:
    lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
    if lo is None and hi is None:
        return
    values = value if isinstance(value, (list, tuple)) else [value]
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                raise ParameterError(f"parameter {name!r} = {v} is out of range [{lo}, {hi}]")


def _unknown_message(label: str, key: str, valid: list[str], what: str = "parameter") -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    near = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {key!r}.{near} Valid: {', '.join(sorted(valid))}."


@dataclass(frozen=True)
class Settings:
    """Base of every chapter's settings (see the module docstring)."""

    profile: str = "paper"
    # profile -> {field: value or partial dict}; subclasses fill it
    OVERRIDES: ClassVar[dict[str, dict[str, Any]]] = {}

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ParameterError(
                _unknown_message("profile", self.profile, list(PROFILES), what="profile")
            )
        self.validate()

    def validate(self) -> None:
        """Cross-field checks of a subclass (raise :class:`ParameterError`)."""

    @classmethod
    def parameter_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def docs(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(cls)}

    @classmethod
    def profile_chain(cls, profile: str) -> list[str]:
        if profile not in PROFILES:
            raise ParameterError(
                _unknown_message("profile", profile, list(PROFILES), what="profile")
            )
        chain = [profile]
        while chain[-1] in BASE_PROFILE:
            chain.append(BASE_PROFILE[chain[-1]])
        return chain[::-1]  # paper first

    @classmethod
    def resolve(cls, profile: str = "paper", **overrides: Any):
        """The settings of ``profile`` with ``overrides`` (``None`` = keep) applied."""
        if not isinstance(profile, str):
            raise ParameterError(f"parameter 'profile' expects a str, got {profile!r}")
        names = [n for n in cls.parameter_names() if n != "profile"]
        for key in overrides:
            if key not in names:
                raise ParameterError(_unknown_message(key, key, names) + f" ({cls.__name__})")
        settings = cls(profile="paper")
        for step in cls.profile_chain(profile)[1:]:
            settings = cls._apply(settings, cls.OVERRIDES.get(step, {}), step)
        settings = cls._apply(
            settings, {k: v for k, v in overrides.items() if v is not None}, "override"
        )
        return dataclasses.replace(settings, profile=profile)

    @classmethod
    def _apply(cls, settings: Settings, changes: dict[str, Any], label: str) -> Settings:
        if not changes:
            return settings
        try:
            return merge_config("", settings, changes)
        except ParameterError as e:
            if label == "override":
                raise
            raise TypeError(f"{cls.__name__}.OVERRIDES[{label!r}] is inconsistent: {e}") from e

    @classmethod
    def from_notebook(cls, namespace: dict[str, Any]):
        """The settings from a notebook's ``globals()`` after its parameters cell (and
        papermill's injected cell): unknown names, types and ranges checked.

        The first call in a namespace checks every variable that looks like a parameter:
        at that point only the parameters cell and papermill's injected cell have run, so
        a misspelled ``-p`` name stops the notebook. It leaves a marker
        (:data:`NOTEBOOK_MARKER`) in the namespace; a later call there (the settings cell
        run again in a live kernel, after the notebook's own cells made ``study``,
        ``fig``, ``records``, ...) checks only the settings' names and those assigned by
        the last parameters cell run since the previous call (a cell of literal
        assignments only, one of them to a setting), so a misspelling in an edited
        parameters cell is still refused."""
        names = [*cls.parameter_names(), DEVICE_PARAMETER]
        given = {k: v for k, v in namespace.items() if _looks_like_parameter(k, v)}
        marker = namespace.get(NOTEBOOK_MARKER)
        rerun = isinstance(marker, _Marker) and marker.namespace == id(namespace)
        if rerun:
            edited = _last_parameters_cell(namespace.get("In"), marker.inputs, names)
            given = {k: v for k, v in given.items() if k in names or k in edited}
        unknown = sorted(set(given) - set(names))
        if unknown:
            live = ": correct the parameters cell, run it, then this cell" if rerun else ""
            raise ParameterError(
                "; ".join(_unknown_message(k, k, names) for k in unknown)
                + f" ({cls.__name__}: the notebook's parameters cell lists them{live})"
            )
        device = given.pop(DEVICE_PARAMETER, None)
        profile = given.pop("profile", "paper")
        settings = cls.resolve(profile, **given)
        # chosen before any work: the CPU for ci and smoke unless named (connectivity.devices)
        devices.select(device, profile)
        os.environ[provenance.PROFILE_ENV] = profile  # every record says which profile
        namespace[NOTEBOOK_MARKER] = _Marker(id(namespace), _input_count(namespace.get("In")))
        return settings

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict (for cache keys and tables)."""
        return dataclasses.asdict(self)

    def table(self):
        """The settings as a two-column pandas table (parameter, value, meaning)."""
        import pandas as pd

        docs = self.docs()
        return pd.DataFrame(
            [
                {"parameter": k, "value": _short(v), "meaning": docs.get(k, "")}
                for k, v in self.as_dict().items()
            ]
        ).set_index("parameter")


# lists longer than this show their first values and their length (seed lists, grids)
LONG_LIST = 24


def _short(value: Any) -> str:
    """A settings value for the table: JSON for dicts and lists, whole (a cell wraps at its
    spaces), except a list of more than ``LONG_LIST`` values, which shows its first ten
    and says how many there are."""
    if isinstance(value, list) and len(value) > LONG_LIST:
        head = json.dumps(value[:10], default=str)[:-1]
        return f"{head}, … ] ({len(value)} values)"
    return json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)


# set by the first Settings.from_notebook in a notebook's namespace (see there)
NOTEBOOK_MARKER = "_connectivity_settings_called"


@dataclass(frozen=True)
class _Marker:
    namespace: int  # id() of the namespace: a copy of it is a new notebook
    inputs: int  # cells in IPython's input history (``In``) at that call


def _input_count(history: Any) -> int:
    return len(history) if isinstance(history, list) else 0


def _last_parameters_cell(history: Any, start: int, names: list[str]) -> set[str]:
    """Names assigned by the last cell of IPython's input history ``In`` after ``start``
    that holds only assignments of literals, one of them to one of ``names`` (a
    parameters cell); empty when none."""
    if not isinstance(history, list):
        return set()
    for source in reversed(history[start:]):
        try:
            body = ast.parse(source).body if isinstance(source, str) else []
        except SyntaxError:
            continue
        targets = [_literal_target(node) for node in body]
        if body and all(targets) and set(targets) & set(names):
            return set(targets)
    return set()


def _literal_target(node: Any) -> str | None:
    """``name`` for ``name = <literal>`` or ``name: <type> = <literal>``, else None."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target = node.target
    else:
        return None
    try:
        ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    return target.id if isinstance(target, ast.Name) else None


def _looks_like_parameter(name: str, value: Any) -> bool:
    if name.startswith("_") or name in _KERNEL_NAMES:
        return False
    return not isinstance(
        value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)
    )
