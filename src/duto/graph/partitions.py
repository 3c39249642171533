"""v1's `partition_format`: the values a dataset's file paths carry, such as '{country}/{date:yyyy/MM/dd}/*.csv'.

A format is matched against a file's path relative to the dataset's path (the part before its first glob
character); `{name}` takes a string, `{name:yyyy/MM/dd}` (with HH, mm, ss too) a datetime. Pure: no disk, so
the graph validates formats when a dataset is made and the runner and a step's reader share the matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from duto.errors import ConfigError

# v1's date parts: what each matches, and the datetime field it sets
_DATE_PARTS = {"yyyy": ("year", 4), "MM": ("month", 2), "dd": ("day", 2), "HH": ("hour", 2), "mm": ("minute", 2)}
_DATE_PARTS["ss"] = ("second", 2)
_DATE_TOKEN = re.compile("|".join(_DATE_PARTS))
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

PartitionValue = str | datetime


def _date_pattern(key: str, layout: str, fmt: str) -> tuple[str, list[str]]:
    """The regex of a date layout such as 'yyyy/MM/dd', and the fields its groups set, in order."""
    pattern, at = "", 0
    fields: list[str] = []
    for token in _DATE_TOKEN.finditer(layout):
        literal = layout[at : token.start()]
        if any(c.isalpha() for c in literal):
            break
        field, digits = _DATE_PARTS[token.group()]
        if field in fields:
            raise ConfigError(f"partition_format {fmt!r}: {{{key}:{layout}}} names {token.group()} twice")
        pattern += re.escape(literal) + f"(?P<_{len(fields)}_{key}>\\d{{{digits}}})"
        fields.append(field)
        at = token.end()
    rest = layout[at:]
    if not fields or any(c.isalpha() for c in rest) or "year" not in fields:
        raise ConfigError(
            f"partition_format {fmt!r}: {{{key}:{layout}}} is not a date layout; write one of yyyy, MM, dd, HH, mm, "
            "ss with separators, such as {" + key + ":yyyy/MM/dd}"
        )
    return pattern + re.escape(rest), fields


@dataclass(frozen=True)
class PartitionFormat:
    """A parsed `partition_format`: its keys in order and the regex a file's relative path must match."""

    text: str
    keys: tuple[str, ...]
    dates: dict[str, list[str]]  # a datetime key's fields (year, month, ...) in the order its layout gives them
    regex: re.Pattern[str]

    @classmethod
    def parse(cls, text: Any) -> PartitionFormat:
        """Parse a format such as '{country}/{year}/*.csv' or '/{Dept}/{PartitionDate:yyyy/MM/dd}/*.parquet'.

        Raises:
            ConfigError: not a string, no `{key}` in it, a brace left open, a key named twice, or a date layout
                that is not made of yyyy, MM, dd, HH, mm and ss.
        """
        if not isinstance(text, str) or not text.strip("/ "):
            raise ConfigError(f"partition_format must be a path pattern such as '{{country}}/*.csv', not {text!r}")
        body = text.strip().lstrip("/")
        pattern, keys, dates, at = "", [], {}, 0
        while at < len(body):
            char = body[at]
            if char == "{":
                end = body.find("}", at)
                if end == -1:
                    raise ConfigError(f"partition_format {text!r}: a '{{' has no '}}'; write keys as {{name}}")
                key, _, layout = body[at + 1 : end].partition(":")
                key = key.strip()
                if not _NAME.fullmatch(key):
                    raise ConfigError(
                        f"partition_format {text!r}: {{{key}}} is not a column name; use letters, digits and '_'"
                    )
                if key in keys:
                    raise ConfigError(f"partition_format {text!r}: the key {key!r} is named twice")
                if layout:
                    piece, dates[key] = _date_pattern(key, layout, text)
                    pattern += piece
                else:
                    pattern += f"(?P<{key}>[^/]+?)"
                keys.append(key)
                at = end + 1
            elif char == "}":
                raise ConfigError(f"partition_format {text!r}: a '}}' has no '{{'")
            elif body.startswith("**", at):
                pattern, at = pattern + ".*", at + 2
            else:
                pattern += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
                at += 1
        if not keys:
            raise ConfigError(f"partition_format {text!r} names no key; write one as {{name}}, such as '{{country}}/*'")
        return cls(text, tuple(keys), dates, re.compile(pattern))

    def values_of(self, path: str) -> dict[str, PartitionValue]:
        """The partition values of a file, from its path relative to the dataset's path.

        Raises:
            ConfigError: the path does not match the format, or a date in it is not a date.
        """
        found = self.regex.fullmatch(path.lstrip("/"))
        if found is None:
            raise ConfigError(
                f"file {path!r} does not match partition_format {self.text!r} (matched against the file's path "
                "relative to the dataset's path); fix the format or leave the file out of the dataset"
            )
        values: dict[str, PartitionValue] = {}
        for key in self.keys:
            if key not in self.dates:
                values[key] = found.group(key)
                continue
            parts = {f: int(found.group(f"_{i}_{key}")) for i, f in enumerate(self.dates[key])}
            try:
                values[key] = datetime(
                    parts["year"],
                    parts.get("month", 1),
                    parts.get("day", 1),
                    parts.get("hour", 0),
                    parts.get("minute", 0),
                    parts.get("second", 0),
                )
            except ValueError as exc:
                raise ConfigError(
                    f"file {path!r}: the {key!r} of partition_format {self.text!r} is not a date: {exc}"
                ) from None
        return values


def partition_keys_of(text: str | None) -> list[str]:
    """The keys a dataset's `partition_format` names, in order; [] when it has none."""
    return [] if text is None else list(PartitionFormat.parse(text).keys)
