"""CI settings from a file: ``[tool.losscli]`` in pyproject.toml, or losscli.toml.

Every value is checked for its type here, so a setting of the wrong kind (``fail-above =
true``, ``baseline = 5``) is an error that names the file and the key, never a check
that silently does nothing.
"""

from __future__ import annotations

import math
import os

from ..errors import InputError

CONFIG_KEYS = ("fail-above", "fail-below", "baseline", "tolerance")


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc}); fix its permissions or remove it") from None


def load_config(folder: str | None = None) -> tuple[dict, str | None]:
    """``[tool.losscli]`` from losscli.toml or pyproject.toml in ``folder``, and which file."""
    folder = folder or os.getcwd()
    for name, table in (("losscli.toml", None), ("pyproject.toml", ("tool", "losscli"))):
        path = os.path.join(folder, name)
        raw = _read(path)
        if raw is None or (table and b"losscli" not in raw):
            continue  # no settings here: not worth a TOML parser's start-up
        import tomllib

        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: is not valid TOML ({exc})") from None
        for key in table or ():
            data = data.get(key, {})
            if not isinstance(data, dict):
                raise InputError(f"{path}: [{'.'.join(table)}] must be a table of settings, not {data!r}")
        if table and not data:
            continue
        return _checked(data, path), path
    return {}, None


def _checked(data: dict, path: str) -> dict:
    config = {key.replace("_", "-"): value for key, value in data.items()}
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise InputError(f"{path}: unknown key {unknown[0]!r} in the losscli settings; use {', '.join(CONFIG_KEYS)}")
    for key in ("fail-above", "fail-below"):
        value = config.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(f"{path}: {key} = {value!r} is not a number")
        if value is not None and not math.isfinite(value):
            raise InputError(f"{path}: {key} = {value!r} is not a finite number; a check against it never fails")
    if "baseline" in config and not isinstance(config["baseline"], str):
        raise InputError(f"{path}: baseline = {config['baseline']!r} is not a file name; give it in quotes")
    tolerance = config.get("tolerance")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, str | int | float)):
        raise InputError(f"{path}: tolerance = {tolerance!r}: give a number (0.01) or a percentage ('5%')")
    return config
