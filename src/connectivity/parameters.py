"""Every page's parameters where a reader finds them: the typed parameters cells, the
runner's ``--show-params`` and ``-p``, and the book's generated *Parameters* page.

A notebook's parameters cell declares ``profile`` and one line per settings field,
``name: <type> = None  # meaning``, the type as :func:`annotation` writes it (what
``papermill --help-notebook`` shows: papermill reads a builtin type name, not
``int | None``; ``None`` = the profile's value). :func:`show` lists a page's parameters
with their values in one profile and their meanings; :func:`page_markdown` is the
*Parameters* page (``book/parameters.md``, written by the runner before each build, so
it always says what the code does); :func:`parse_value` reads ``-p NAME VALUE``.

>>> annotation(list[int]), annotation(int | None)
('list[int]', 'int')
>>> parse_value("2"), parse_value('{"epochs": 2}'), parse_value("ci"), parse_value("True")
(2, {'epochs': 2}, 'ci', True)
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

from . import devices
from .settings import BASE_PROFILE, PROFILES, ParameterError, Settings, _short
from .toc import PAGES, settings_class

# the generated page, beside the book's static pages (git-ignored)
PAGE = "book/parameters.md"
PROFILE_MEANING = '"paper", "ci", "smoke" or "smoke-paper"'


def annotation(hint: Any) -> str:
    """The type of a settings field as a notebook's parameters cell writes it: builtin
    names only (the cell runs before any import; papermill's parser reads ``\\w``,
    ``[``, ``]`` and ``,``): a nested config is a ``dict`` of its fields, a choice of
    strings a ``str``, ``X | None`` an ``X``."""
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint) or hint is dict:
        return "dict"
    if origin is Literal:
        return type(typing.get_args(hint)[0]).__name__
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return annotation(args[0]) if len(args) == 1 else "str"
    if origin in (list, tuple):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return f"list[{annotation(args[0])}]" if args else "list"
    if origin is dict:
        key, value = typing.get_args(hint)
        return f"dict[{annotation(key)}, {annotation(value)}]"
    return getattr(hint, "__name__", "str")


def annotations(cls: type[Settings]) -> dict[str, str]:
    """Every parameter of ``cls`` (``profile`` first) and its :func:`annotation`."""
    hints = typing.get_type_hints(cls)
    return {f.name: annotation(hints[f.name]) for f in dataclasses.fields(cls)}


def parse_value(text: str) -> Any:
    """A ``-p NAME VALUE`` value: JSON (numbers, ``true``, lists, dicts), a YAML list or
    dict (``{epochs: 2}``), ``True``/``False``/``None``, else the text itself. The
    notebook's settings cell then checks it against the parameter's type."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    if text.strip()[:1] in ("{", "["):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return text
    return {"True": True, "False": False, "None": None}.get(text, text)


def parse_pairs(pairs: list[list[str]] | None) -> dict[str, Any]:
    """``-p NAME VALUE`` pairs (in order; a later one wins) as papermill's parameters."""
    out: dict[str, Any] = {}
    for name, text in pairs or []:
        if name == "profile":
            raise ParameterError("choose the profile with --profile, not -p profile")
        out[name] = parse_value(text)
    return out


def _value(value: Any) -> str:
    """A value as ``-p`` takes it (JSON), long lists shortened (see settings._short)."""
    if isinstance(value, (dict, list)):
        return _short(value)
    return json.dumps(value)


DEVICE_MEANING = (
    "where the page computes: cpu, cuda, cuda:N, mps (untested) or auto; default "
    "$CONNECTIVITY_DEVICE, else cpu for ci and smoke, auto (CUDA when present) for paper "
    "and smoke-paper; a device other than the CPU is part of every cached result's key"
)


def show(page: str, profile: str) -> str:
    """The parameters of ``page`` (a key of :data:`connectivity.toc.PAGES`), each with
    its type, its value in ``profile`` and its meaning (what ``--show-params`` prints)."""
    cls = settings_class(page)
    settings = cls.resolve(profile)
    types_ = annotations(cls)
    docs = cls.docs() | {"profile": PROFILE_MEANING}
    lines = [
        f"{page}: parameters of profile {profile!r} ({cls.__name__}; -p NAME VALUE sets one,"
        " with the runner or papermill)"
    ]
    for name, value in settings.as_dict().items():
        lines.append(f"  {name}: {types_[name]} = {_value(value)}")
        lines.append(f"      {docs.get(name) or '(no description)'}")
    lines.append(f'  device: str = "{devices.default_name(profile)}"')
    lines.append(f"      {DEVICE_MEANING}")
    return "\n".join(lines)


def _changes(value: Any, base: Any) -> Any:
    """What ``value`` changes in ``base``: the keys of a dict that differ (recursively),
    else ``value`` itself (as a profile's overrides write it)."""
    if isinstance(value, dict) and isinstance(base, dict):
        return {k: _changes(v, base.get(k)) for k, v in value.items() if v != base.get(k)}
    return value


def page_markdown(pages: list[str]) -> str:
    """The *Parameters* page: per page, every parameter's type and meaning, then its value
    in each profile (a profile that keeps its base profile's value says so; a nested
    config shows only the keys it changes). Full-width lines, no narrow table columns."""
    out = [
        "# Parameters",
        "",
        "Every parameter of every page, generated from the pages' settings classes when "
        "the book was built. A notebook's first code cell (tagged `parameters`) declares "
        "them, all `None` (= the profile's value); change one with papermill "
        "(`-p NAME VALUE`) or the runner:",
        "",
        "```bash",
        ".venv/bin/python -m connectivity.runner --show-params gu2023/01_table1 --profile ci",
        ".venv/bin/python -m connectivity.runner --only gu2023/01_table1 --profile smoke \\",
        "    --no-build -p pair_seeds '[3, 4]' -p neb '{\"steps\": 8}'",
        "```",
        "",
        "The profiles: `paper` (the papers' values, the defaults), `ci` (what this book "
        "runs, 2 CPU cores), `smoke` (`ci` at toy size) and `smoke-paper` (`paper` at toy "
        "size). `ci` and `smoke-paper` change `paper`'s values, `smoke` changes `ci`'s; "
        "a value a profile keeps is written *as* its base profile, and a dict shows only "
        "the keys that a profile changes, as `-p` takes them (a dict given with `-p` "
        "changes only the keys it names).",
        "",
        f"Every page also takes `device` (`-p device cuda`, or the runner's `--device`): "
        f"{DEVICE_MEANING}",
    ]
    for page in pages:
        cls = settings_class(page)
        values = {p: cls.resolve(p).as_dict() for p in PROFILES}
        types_ = annotations(cls)
        docs = cls.docs()
        names = [n for n in types_ if n != "profile"]
        out += ["", f"## `{page}`", ""]
        if not names:
            out.append("No parameter but `profile`.")
            continue
        out += [f"Settings class `{cls.__module__}.{cls.__name__}`.", ""]
        for name in names:
            shown = []
            for p in PROFILES:
                base = BASE_PROFILE.get(p)
                value = values[p][name]
                if base and value == values[base][name]:
                    shown.append(f"`{p}` *as `{base}`*")
                else:
                    change = _changes(value, values[base][name]) if base else value
                    shown.append(f"`{p}` `{_value(change)}`")
            out += [
                f"* **`{name}`** ({types_[name]}): {docs.get(name) or '(no description)'}\\",
                "  " + " · ".join(shown),
            ]
    return "\n".join(out) + "\n"


def write_page(root: Path, pages: list[str]) -> Path:
    """Write :func:`page_markdown` of ``pages`` (those with a settings class) to
    ``root/book/parameters.md``; returns its path."""
    path = root / PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page_markdown([p for p in pages if p in PAGES]))
    return path
