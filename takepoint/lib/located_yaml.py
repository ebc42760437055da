"""YAML that remembers where everything came from, so errors can say `file:line`."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError


class LocatedDict(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}


class LocatedList(list[Any]):
    """A YAML sequence that remembers its own line and the line of each item (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


# libyaml's parser when it is there (ten times faster); it keeps line marks all the same.
_COMPOSER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    message: str


def _convert(node: yaml.Node, loader: yaml.SafeLoader, problems: list[Problem], depth: int) -> Any:
    line = node.start_mark.line + 1
    if depth > 50:
        problems.append(Problem(line, "the file is nested too deeply"))
        return None
    if isinstance(node, yaml.MappingNode):
        mapping = LocatedDict(line)
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(Problem(key_line, "merge keys (<<) are not supported"))
                continue
            key = (
                loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            )
            if not isinstance(key, str):
                problems.append(Problem(key_line, "keys must be text"))
                continue
            if key in mapping:
                problems.append(
                    Problem(
                        key_line, f"duplicate key '{key}' (first at line {mapping.key_lines[key]})"
                    )
                )
                continue
            mapping.key_lines[key] = key_line
            mapping[key] = _convert(value_node, loader, problems, depth + 1)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = LocatedList(line)
        for item in node.value:
            sequence.item_lines.append(item.start_mark.line + 1)
            sequence.append(_convert(item, loader, problems, depth + 1))
        return sequence
    if node.tag in _NUMBER_TAGS and ":" in str(node.value):
        # YAML 1.1 reads 18:30 as the base-60 number 1110. Guessing "a time" could be wrong
        # somewhere, and 1110 is always wrong, so ask for quotes (and read on for more problems).
        problems.append(
            Problem(line, f'write times in quotes: "{node.value}" (unquoted, YAML reads a number)')
        )
        return str(node.value)
    return loader.construct_object(node)


def parse_yaml(text: str) -> tuple[Any, list[Problem]]:
    """The document with lines kept, and any syntax problems."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return None, [Problem(line, f"not valid YAML: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return None, [Problem(1, f"not valid YAML: {exc}")]
    if node is None:
        return LocatedDict(1), []
    problems: list[Problem] = []
    loader = yaml.SafeLoader("")
    try:
        return _convert(node, loader, problems, 0), problems
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        return None, [Problem(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem}")]
    finally:
        loader.dispose()


def line_of(node: Any, path: Sequence[str | int]) -> int:
    """The line of the deepest key or item on `path` that exists in the parsed file."""
    line = getattr(node, "line", 1)
    for part in path:
        if isinstance(node, LocatedDict) and isinstance(part, str) and part in node:
            line, node = node.key_lines[part], node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.item_lines[part], node[part]
        else:
            break
    return line


def _field_names_at(model: type[BaseModel], path: Sequence[str | int]) -> list[str]:
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(part)
        if info is None:
            return []
        current = _model_in(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def pydantic_problems(model: type[BaseModel], node: Any, exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = [p for p in error["loc"] if isinstance(p, str | int)]
        line = line_of(node, loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            name = str(loc[-1])
            message = f"unknown field '{name}'"
            close = difflib.get_close_matches(name, _field_names_at(model, loc[:-1]), n=1)
            if close:
                message += f" (did you mean '{close[0]}'?)"
        elif kind == "missing":
            message = f"missing field '{loc[-1]}'"
            if len(loc) > 1:
                message += f" in {_dotted(loc[:-1])}"
        else:
            text = str(error["msg"]).removeprefix("Value error, ")
            text = text[:1].lower() + text[1:]
            message = f"{_dotted(loc)}: {text}" if loc else text
        problems.append(Problem(line, message))
    return problems
