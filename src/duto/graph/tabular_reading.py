"""Reading a tabular dataset's files into a pandas DataFrame: its read options, then its transformations in order.

Standard library at import: steps import it through `Run.get_context().input_datasets` in environments that may
lack pandas, so pandas (and pyarrow, for parquet) are imported only when a frame is asked for, with an error that
says what to install. It reads only when asked; building and validating a graph never call it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from duto.errors import ConfigError, MissingDataPackagesError

PATH_COLUMN = "Path"  # the column `include_path=True` adds, first, as v1 names it


def import_pandas(what: str = "to_pandas_dataframe()") -> Any:
    """pandas, or MissingDataPackagesError naming the extra and the packages a step's environment needs."""
    try:
        import pandas
    except ImportError as exc:
        raise MissingDataPackagesError(("pandas",), what) from exc
    return pandas


def _require_pyarrow(what: str) -> None:
    try:
        import pyarrow  # noqa: F401  (pandas reads parquet through it)
    except ImportError as exc:
        raise MissingDataPackagesError(("pandas", "pyarrow"), what) from exc


def read_frame(recipe: Mapping[str, Any], files: Sequence[tuple[str, str]]) -> Any:
    """The DataFrame of a recipe ({"format", "options", "transforms"}) over `files`.

    Args:
        recipe: how the files are read and what is done to the rows, as `TabularDataset` defines it.
        files: (where to read it: a local path or an http(s) URL, the value of its Path column), in order.

    Raises:
        MissingDataPackagesError: pandas (or, for parquet, pyarrow) cannot be imported.
        ConfigError: a column the recipe names is not in the data, or a value cannot take the type asked for.
    """
    pd = import_pandas()
    fmt, options = recipe["format"], recipe["options"]
    if fmt == "parquet":
        _require_pyarrow("reading parquet files")
    partitions = _partition_format(options)
    frames = [_labelled(pd, _read_one(pd, fmt, options, source), options, shown, partitions) for source, shown in files]
    return _finished(pd, recipe, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def read_parts(recipe: Mapping[str, Any], parts: Sequence[Mapping[str, Any]]) -> Any:
    """The DataFrame of some rows of some files of a recipe: a ParallelRunStep's tabular mini-batch.

    Args:
        recipe: as for `read_frame`; its transformations must each act on rows alone (no take, skip, random_split).
        parts: {"path": where to read, "shown": its Path column and what partition_format matches, "bytes": [begin,
            end] of a delimited or JSON lines file's rows (the header line is read too) or null for all of them,
            "rows": [start, stop] of a parquet file's rows or null}, in order.
    """
    pd = import_pandas("a ParallelRunStep over a tabular dataset")
    fmt, options = recipe["format"], recipe["options"]
    if fmt == "parquet":
        _require_pyarrow("reading parquet files")
    partitions = _partition_format(options)
    frames = []
    for part in parts:
        if fmt == "parquet":
            frame = pd.read_parquet(part["path"])
            if part.get("rows"):
                frame = frame.iloc[part["rows"][0] : part["rows"][1]].reset_index(drop=True)
        else:
            frame = _read_one(pd, fmt, options, _byte_range(fmt, options, part["path"], part.get("bytes")))
        frames.append(_labelled(pd, frame, options, part["shown"], partitions))
    return _finished(pd, recipe, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def _byte_range(fmt: str, options: Mapping[str, Any], path: str, span: Sequence[int] | None) -> Any:
    """A file, or a stream of its header line and the bytes `span` of it."""
    if span is None:
        return path
    import io

    with open(path, "rb") as handle:
        header = handle.readline() if fmt == "delimited" and options.get("header", True) else b""
        handle.seek(span[0])
        return io.BytesIO(header + handle.read(span[1] - span[0]))


def _partition_format(options: Mapping[str, Any]) -> Any:
    from duto.graph.partitions import PartitionFormat

    text = options.get("partition_format")
    return None if text is None else PartitionFormat.parse(text)


def _labelled(pd: Any, frame: Any, options: Mapping[str, Any], shown: str, partitions: Any) -> Any:
    """A file's frame with its Path column (include_path) first and its partition columns last."""
    if options.get("include_path"):
        frame.insert(0, PATH_COLUMN, shown)
    if partitions is not None:
        for key, value in partitions.values_of(shown).items():
            frame[key] = pd.Timestamp(value) if not isinstance(value, str) else value
    return frame


def _finished(pd: Any, recipe: Mapping[str, Any], frame: Any) -> Any:
    """The frame with the recipe's column types set and its transformations done."""
    for column, type_name in (recipe["options"].get("set_column_types") or {}).items():
        _check_columns(frame, [column], "set_column_types")
        frame[column] = _converted(pd, frame[column], type_name, column)
    for transform in recipe["transforms"]:
        frame = _transformed(pd, frame, transform).reset_index(drop=True)
    return frame


def _read_one(pd: Any, fmt: str, options: Mapping[str, Any], source: str) -> Any:
    if fmt == "parquet":
        return pd.read_parquet(source)
    if fmt == "json_lines":
        return pd.read_json(source, lines=True, encoding=options.get("encoding", "utf8"))
    header = bool(options.get("header", True))
    frame = pd.read_csv(
        source,
        sep=options.get("separator", ","),
        header=0 if header else None,
        dtype=None if options.get("infer_column_types", True) else str,
        encoding=options.get("encoding", "utf8"),
    )
    if not header:  # v1 names the columns of a file without a header Column1, Column2, ...
        frame.columns = [f"Column{i + 1}" for i in range(len(frame.columns))]
    return frame


def _converted(pd: Any, column: Any, type_name: str, name: str) -> Any:
    try:
        if type_name == "int":
            return pd.to_numeric(column).astype("Int64")
        if type_name == "float":
            return pd.to_numeric(column).astype("float64")
        if type_name == "str":
            return column.astype("string")
        if type_name == "bool":
            if column.dtype == bool:
                return column.astype("boolean")
            words = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
            mapped = column.map(lambda v: None if pd.isna(v) else words.get(str(v).strip().lower(), v))
            bad = [v for v in mapped.dropna() if not isinstance(v, bool)]
            if bad:
                raise ValueError(f"{bad[0]!r} is not one of {', '.join(sorted(words))}")
            return mapped.astype("boolean")
        return pd.to_datetime(column)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"set_column_types: column {name!r} cannot be read as {type_name}: {exc}") from exc


def _check_columns(frame: Any, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"{what}: the data has no column {', '.join(repr(c) for c in missing)}; "
            f"its columns are {', '.join(repr(str(c)) for c in frame.columns)}"
        )


def _transformed(pd: Any, frame: Any, transform: Mapping[str, Any]) -> Any:
    op = transform["op"]
    if op == "take":
        return frame.head(transform["count"])
    if op == "skip":
        return frame.iloc[transform["count"] :]
    if op == "keep_columns":
        _check_columns(frame, transform["columns"], "keep_columns")
        return frame[list(transform["columns"])]
    if op == "drop_columns":
        _check_columns(frame, transform["columns"], "drop_columns")
        return frame.drop(columns=list(transform["columns"]))
    if op == "filter":
        return frame[_mask(frame, transform["expression"]).fillna(False).astype(bool)]
    if op == "random_split":
        import numpy  # pandas depends on it

        draws = numpy.random.default_rng(transform["seed"]).random(len(frame))
        chosen = draws < transform["percentage"]
        return frame[chosen if transform["part"] == 0 else ~chosen]
    raise ConfigError(
        f"unknown tabular transformation {op!r}; this duto knows take, skip, keep_columns, "
        "drop_columns, filter and random_split"
    )


_COMPARISONS = {
    "==": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "starts_with": lambda c, v: c.astype("string").str.startswith(v),
    "ends_with": lambda c, v: c.astype("string").str.endswith(v),
    "contains": lambda c, v: c.astype("string").str.contains(v, regex=False),
}


def _mask(frame: Any, expression: Mapping[str, Any]) -> Any:
    op = expression["op"]
    if op == "and":
        return _mask(frame, expression["args"][0]) & _mask(frame, expression["args"][1])
    if op == "or":
        return _mask(frame, expression["args"][0]) | _mask(frame, expression["args"][1])
    if op == "not":
        return ~_mask(frame, expression["arg"]).fillna(False).astype(bool)
    _check_columns(frame, [expression["column"]], "filter")
    column = frame[expression["column"]]
    if op == "is_null":
        return column.isna()
    try:
        return _COMPARISONS[op](column, expression["value"])
    except TypeError as exc:
        raise ConfigError(
            f"filter: column {expression['column']!r} ({column.dtype}) cannot be compared with "
            f"{expression['value']!r}: {exc}; give a value of the column's type, or set_column_types"
        ) from exc
