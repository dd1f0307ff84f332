"""Read YAML while keeping the line and column of every key and value.

Hand-written annotation files are checked field by field; every problem must point
at the line a person has to fix, which plain `yaml.safe_load` forgets.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import AnnotationError, Problem


class Mapping(dict):
    """A YAML mapping that remembers where it and each of its keys and values start (1-based)."""

    line: int = 0
    column: int = 0

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.key_positions: dict[str, tuple[int, int]] = {}
        self.value_positions: dict[str, tuple[int, int]] = {}

    def line_of(self, key: str) -> int:
        return self.value_positions.get(key, self.key_positions.get(key, (self.line, self.column)))[0]

    def column_of(self, key: str) -> int:
        return self.value_positions.get(key, self.key_positions.get(key, (self.line, self.column)))[1]

    def key_line(self, key: str) -> int:
        return self.key_positions.get(key, (self.line, self.column))[0]


class Sequence(list):
    """A YAML sequence that remembers where each item starts (1-based)."""

    line: int = 0
    column: int = 0

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.item_positions: list[tuple[int, int]] = []

    def line_of(self, index: int) -> int:
        return self.item_positions[index][0] if index < len(self.item_positions) else self.line


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Loader(yaml.SafeLoader):
    """Safe loader whose scalars we construct one at a time; its messages are the ones users see."""


# libyaml parses 10x faster than the pure-Python parser (most of a large build's reading time).
# It is used only for text without tabs (libyaml accepts some tabs PyYAML refuses, e.g. "key\t:")
# or characters the Python reader refuses, and any error is reported by re-reading with the Python
# loader, so users see the same answers and messages either way.
_FastLoader = getattr(yaml, "CSafeLoader", None)


_STR_TAG = "tag:yaml.org,2002:str"


def _convert(node: yaml.Node, loader: Any, path: str) -> Any:
    if node.tag == _STR_TAG and type(node) is yaml.ScalarNode:
        return node.value  # what the constructor would return, without its bookkeeping: most values are text
    if isinstance(node, yaml.MappingNode):
        result = Mapping()
        result.line, result.column = _position(node)
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, path)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise AnnotationError(Problem(path, *_position(key_node), "a key must be a plain word", "write key: value"))
            key = str(key)
            if key in result:
                raise AnnotationError(Problem(path, *_position(key_node), f"key '{key}' appears twice in the same block", "keep one of them"))
            result[key] = _convert(value_node, loader, path)
            result.key_positions[key] = _position(key_node)
            result.value_positions[key] = _position(value_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        result = Sequence()
        result.line, result.column = _position(node)
        for item in node.value:
            result.append(_convert(item, loader, path))
            result.item_positions.append(_position(item))
        return result
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        return node.value  # e.g. 2011-13-02 looks like a date but is not one: let the date check say so


def load_yaml(path: Path, display: str) -> Any:
    """Parse one YAML file; a syntax error becomes an AnnotationError at its line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise AnnotationError(Problem(display, None, None, f"not valid UTF-8 (byte {error.start})", "save the file as UTF-8")) from None
    except OSError as error:
        raise AnnotationError(Problem(display, None, None, f"cannot read: {error.strerror}", "check the path and permissions")) from None
    return load_yaml_text(text, display)


def load_yaml_text(text: str, display: str) -> Any:
    if _FastLoader is not None and "\t" not in text and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        fast = _FastLoader(text)
        try:
            node = fast.get_single_node()
            return None if node is None else _convert(node, fast, display)
        except yaml.YAMLError:
            pass  # the Python loader below says where and why, in its words
        finally:
            fast.dispose()
    loader = None
    try:
        loader = _Loader(text)  # its reader already refuses control characters
        node = loader.get_single_node()
        if node is None:
            return None
        return _convert(node, loader, display)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = f"YAML syntax: {error.problem or error.context}"
        raise AnnotationError(Problem(display, line, column, message, "fix the indentation or quote the value", kind="yaml")) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else repr(error.character)
        raise AnnotationError(Problem(display, line, column, f"the file contains the control character {character}",
                                      "delete it: annotation files are plain text", kind="yaml")) from None
    except yaml.YAMLError as error:
        raise AnnotationError(Problem(display, None, None, f"YAML syntax: {' '.join(str(error).split())}", "fix the YAML", kind="yaml")) from None
    finally:
        if loader is not None:
            loader.dispose()
