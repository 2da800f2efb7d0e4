"""What a text cell means: a number, a boolean, a missing value, or text.

The same rules serve every text reader (CSV, TSV, whitespace, JSON Lines keys), so a
value reads the same whichever parser met it first:

- numbers as ``float()`` reads them (``1.5``, ``-2e-3``, ``inf``), but no ``_`` digit
  separators, which NumPy's and pandas' parsers refuse;
- ``True``/``False`` (any of pandas' spellings) are 1 and 0;
- pandas' default missing markers (``NA``, ``NaN``, ``null``, ``None``, an empty cell,
  ...) are missing: NaN in the values, refused unless ``--drop-missing``.

Parsing is ``float()``: linear in the cell's length, whatever the cell holds.
"""

from __future__ import annotations

# pandas.read_csv's default na_values (pandas/_libs/parsers.pyx, STR_NA_VALUES)
MISSING = frozenset(
    (
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    )
)
TRUE = frozenset(("True", "TRUE", "true"))
FALSE = frozenset(("False", "FALSE", "false"))
NAN = float("nan")


def cell_number(cell: str) -> float:
    """The number a cell holds (NaN when missing); ValueError when it holds text."""
    raw = cell.strip()
    if raw in MISSING:
        return NAN
    if raw in TRUE:
        return 1.0
    if raw in FALSE:
        return 0.0
    if "_" in raw:
        raise ValueError(raw)
    value = float(raw)
    if value != value:  # "nAn" and other spellings float() takes: missing, as pandas reads them
        return NAN
    return value


def is_number(cell: str) -> bool:
    """A number, a boolean or a missing value: anything :func:`cell_number` reads."""
    try:
        cell_number(cell)
    except ValueError:
        return False
    return True


def is_plain_number(cell: str) -> bool:
    """A number written as one (no boolean, no missing marker)."""
    raw = cell.strip()
    return raw not in MISSING and raw not in TRUE and raw not in FALSE and is_number(raw)


def is_integer_text(cell: str) -> bool:
    """``0``, ``12``, ``-3``: how pandas writes an integer column (a float column has a point)."""
    raw = cell.strip().lstrip("+-")
    return raw.isdigit() and raw.isascii()


def describe(cell: str) -> str:
    """A cell as a message quotes it."""
    raw = cell.strip()
    if not raw:
        return "an empty cell"
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def decimal_comma_hint(cell: str, delimiter: str | None) -> str:
    """A hint when a cell looks like a number with a decimal comma (``0,5``)."""
    raw = cell.strip()
    if delimiter != "," and raw.count(",") == 1 and is_plain_number(raw.replace(",", ".")):
        return "; it looks like a decimal comma: losscli reads '.' as the decimal point"
    return ""
