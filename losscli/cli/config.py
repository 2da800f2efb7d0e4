"""CI settings from files: ``[tool.losscli]`` in pyproject.toml and losscli.toml, key by key.

Every value is checked for its type here, so a setting of the wrong kind (``fail-above =
true``, ``baseline = 5``) is an error that names the file and the key, never a check
that silently does nothing, and one key spelled two ways (``fail-above`` and ``fail_above``)
is an error that names both.
"""

from __future__ import annotations

import math
import os

from ..errors import InputError

CONFIG_KEYS = ("fail-above", "fail-below", "baseline", "tolerance")


def _read(path: str) -> bytes | None:
    from ..io.documents import SETTINGS_LIMIT, read_document

    try:
        return read_document(path, path, "a settings file", SETTINGS_LIMIT)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc}); fix its permissions or remove it") from None


FILES = (("losscli.toml", None), ("pyproject.toml", ("tool", "losscli")))


def load_config(folder: str | None = None) -> tuple[dict, dict[str, str], list[str]]:
    """The settings of ``folder``: (key -> value, key -> the file that set it, notes to say).

    Both files are read, key by key: a key of losscli.toml wins over the same key of
    ``[tool.losscli]`` in pyproject.toml, and the command line over both. A losscli.toml
    that is empty, holds only comments or sets other keys drops nothing of pyproject.toml,
    so a gate there cannot vanish without a word; a key set in both to different values is
    said in a note (the value losscli.toml gives is the one used)."""
    folder = folder or os.getcwd()
    config: dict = {}
    sources: dict[str, str] = {}
    notes: list[str] = []
    for name, table in FILES:
        path = os.path.join(folder, name)
        settings = _settings_of(path, table)
        for key, value in settings.items():
            if key in config:
                if config[key] != value:
                    where = f"[{'.'.join(table)}] of {path}" if table else path
                    notes.append(
                        f"{sources[key]}: {key} = {config[key]!r} is used; {key} = {value!r} of {where} is not "
                        f"(losscli.toml wins key by key; the command line wins over both)"
                    )
                continue
            config[key], sources[key] = value, path
    return config, sources, notes


def _settings_of(path: str, table: tuple[str, ...] | None) -> dict:
    raw = _read(path)
    dotted = ".".join(table or ()).encode()  # "tool.losscli": a [tool] table holding losscli too
    if raw is None or (table and dotted not in raw and not (b"[tool]" in raw and b"losscli" in raw)):
        return {}  # no settings here: not worth a TOML parser's start-up
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: is not valid TOML ({exc})") from None
    for key in table or ():
        data = data.get(key, {})
        if not isinstance(data, dict):
            raise InputError(f"{path}: [{'.'.join(table)}] must be a table of settings, not {data!r}")
    return _checked(data, path)


def _check_per_loss(path: str, key: str, value) -> None:
    """A settings file's per-loss thresholds, checked as the file is read (before any note of it): every
    name a loss, every threshold a finite number."""
    from ..core.registry import get_loss
    from ..errors import LossCliError
    from ..report.checks import parse_threshold

    try:
        limits = parse_threshold(key, value, path)
        for name in limits if isinstance(limits, dict) else ():
            get_loss(name)
    except LossCliError as exc:
        raise InputError(f"{path}: {key}: {str(exc).split(': ', 1)[-1]}") from None


def _checked(data: dict, path: str) -> dict:
    config: dict = {}
    spelled: dict[str, str] = {}
    for key, value in data.items():
        name = key.replace("_", "-")
        if name in spelled:  # fail-above and fail_above: which one a reader believes is a guess
            raise InputError(f"{path}: {spelled[name]!r} and {key!r} are one setting given twice; keep one of them")
        config[name], spelled[name] = value, key
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise InputError(f"{path}: unknown key {unknown[0]!r} in the losscli settings; use {', '.join(CONFIG_KEYS)}")
    for key in ("fail-above", "fail-below"):
        value = config.get(key)
        if isinstance(value, dict | str):  # each loss's own: {mse = 5000, mae = 60} or "mse=5000,mae=60"
            _check_per_loss(path, key, value)
            continue
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(f"{path}: {key} = {value!r} is not a number")
        if value is not None and not math.isfinite(value):
            raise InputError(f"{path}: {key} = {value!r} is not a finite number; a check against it never fails")
    if "baseline" in config and (not isinstance(config["baseline"], str) or not config["baseline"].strip()):
        raise InputError(f"{path}: baseline = {config['baseline']!r} is not a file name; give it in quotes")
    tolerance = config.get("tolerance")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, str | int | float)):
        raise InputError(f"{path}: tolerance = {tolerance!r}: give a number (0.01) or a percentage ('5%')")
    return config
