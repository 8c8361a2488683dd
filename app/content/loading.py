"""YAML to frozen objects: read a file, resolve region variants, build dataclasses; errors name file and entry."""

import re
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields
from pathlib import Path

import yaml

from app.errors import StartupError

REGION_CODE = re.compile(r"^[A-Z]{2}$")  # a mapping keyed only by these is a text's region variants


class ContentError(StartupError):
    """A content mistake, naming the file, the entry and what to fix."""

    def __init__(self, file: str, entry: str, problem: str):
        where = f"{file}: {entry}" if entry else file
        super().__init__(f"{where}: {problem}")


# LibYAML's parser where PyYAML was built with it (its wheels are): content loads about ten times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """safe_load that refuses a key given twice, which YAML would silently overwrite."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path, shown: str):
    """Parse one YAML file; a syntax error names its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(shown, "", "file is missing") from None
    except UnicodeDecodeError as error:
        raise ContentError(shown, "", f"is not UTF-8 text ({error.reason})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError(shown, at, f"YAML syntax error: {problem}") from None


def for_region(data, region: str, regions: typing.Collection[str], file: str, entry: str = ""):
    """Replace every region-variant mapping ({GB: ..., US: ...}) by its text for `region`."""
    if isinstance(data, dict):
        keys = {str(key) for key in data}
        if keys and all(REGION_CODE.match(key) for key in keys):
            if keys != set(regions):
                raise ContentError(
                    file,
                    entry,
                    f"region variants {sorted(keys)} must name exactly this language's regions {sorted(regions)}",
                )
            return data[region]
        return {key: for_region(value, region, regions, file, join(entry, str(key))) for key, value in data.items()}
    if isinstance(data, list):
        return [for_region(item, region, regions, file, f"{entry}[{i + 1}]") for i, item in enumerate(data)]
    return data


def build(kind, data, file: str, entry: str, split=None):
    """Turn parsed YAML into `kind`, naming the file and entry of the first wrong value."""
    origin = typing.get_origin(kind)
    if is_dataclass(kind):
        return build_dataclass(kind, data, file, entry)
    if kind is str:
        if not isinstance(data, str) or not data.strip():
            raise ContentError(file, entry, f"must be text, not {describe(data)} (put it in quotes)")
        return data.strip()
    if kind is bool:
        if not isinstance(data, bool):
            raise ContentError(file, entry, f"must be true or false, not {describe(data)}")
        return data
    if origin is tuple:
        item_kind = typing.get_args(kind)[0]
        if split and isinstance(data, str):
            return split(data)
        items = [data] if isinstance(data, str) else data
        if not isinstance(items, list):
            raise ContentError(file, entry, f"must be a list, not {describe(data)}")
        return tuple(build(item_kind, item, file, f"{entry}[{i + 1}]") for i, item in enumerate(items))
    if origin in (Mapping, dict) or kind is Mapping:
        value_kind = typing.get_args(kind)[1]
        if not isinstance(data, dict):
            raise ContentError(file, entry, f"must be a mapping, not {describe(data)}")
        return types.MappingProxyType(
            {str(key): build(value_kind, value, file, join(entry, str(key))) for key, value in data.items()}
        )
    raise TypeError(f"no rule to build {kind}")  # a programming error, not a content one


def build_dataclass(kind, data, file: str, entry: str):
    """Build one content dataclass from a mapping: every field known, every required one there."""
    if not isinstance(data, dict):
        raise ContentError(file, entry, f"must be a mapping of fields, not {describe(data)}")
    hints = typing.get_type_hints(kind)
    known = {f.name: f for f in fields(kind)}
    unknown = sorted(set(data) - set(known), key=str)
    if unknown:
        raise ContentError(file, entry, f"unknown field {unknown[0]!r} (known: {', '.join(known)})")
    values = {}
    for name, spec in known.items():
        if name not in data:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise ContentError(file, entry, f"missing field {name!r}")
            continue
        values[name] = build(hints[name], data[name], file, join(entry, name), spec.metadata.get("split"))
    return kind(**values)


def is_dataclass(kind) -> bool:
    """Tell whether `kind` is one of the content dataclasses."""
    return isinstance(kind, type) and hasattr(kind, "__dataclass_fields__")


def join(entry: str, name: str) -> str:
    """Extend an entry path."""
    return f"{entry}.{name}" if entry else name


def describe(value) -> str:
    """Name a YAML value's type the way a content editor would."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "text" if value.strip() else "empty text"
    return {
        dict: "a mapping",
        list: "a list",
        bool: "yes/no",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)
