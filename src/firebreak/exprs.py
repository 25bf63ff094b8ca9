"""Polars expressions Firebreak needs that Polars' own helpers get wrong.

``pl.format`` (Polars 2.1's native ``str_format`` kernel) panics with
``assertion failed: i < self.len()`` on a String column whose first chunk is empty,
which is what filtering a frame read in batches gives (the rows kept all lie past
the first batch). :func:`fmt` builds the same text with ``pl.concat_str``, which
handles any chunk layout. Use it for every message built from columns.
"""

from __future__ import annotations

import polars as pl


def fmt(template: str, *args: pl.Expr | str) -> pl.Expr:
    """Text from ``template`` with each ``{}`` replaced by the next of ``args``, like ``pl.format``.

    Parameters
    ----------
    template
        Text with as many ``{}`` placeholders as ``args``.
    args
        Expressions, or column names, cast to text.

    Returns
    -------
    pl.Expr
        A String expression, null on a row where any argument is null (as ``pl.format``).
    """
    pieces = template.split("{}")
    if len(pieces) - 1 != len(args):
        raise ValueError(f"template has {len(pieces) - 1} placeholders for {len(args)} arguments")
    parts: list[pl.Expr] = []
    for i, arg in enumerate(args):
        if pieces[i]:
            parts.append(pl.lit(pieces[i], dtype=pl.String))
        parts.append((pl.col(arg) if isinstance(arg, str) else arg).cast(pl.String))
    if pieces[-1]:
        parts.append(pl.lit(pieces[-1], dtype=pl.String))
    if not parts:
        return pl.lit("", dtype=pl.String)
    return pl.concat_str(parts, ignore_nulls=False)


__all__ = ["fmt"]
