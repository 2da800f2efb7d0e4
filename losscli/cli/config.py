"""CI settings from a file: ``[tool.losscli]`` in pyproject.toml, or losscli.toml."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

CONFIG_KEYS = ("fail-above", "fail-below", "baseline", "tolerance")


def load_config(folder: Path) -> tuple[dict, str | None]:
    """``[tool.losscli]`` from losscli.toml or pyproject.toml in ``folder``, and which file."""
    for name, table in (("losscli.toml", None), ("pyproject.toml", ("tool", "losscli"))):
        path = folder / name
        if not path.is_file() or (table and b"[tool.losscli]" not in path.read_bytes()):
            continue  # no settings here: not worth a TOML parser's start-up
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: is not valid TOML ({exc})") from None
        for key in table or ():
            data = data.get(key, {})
        if table and not data:
            continue
        config = {key.replace("_", "-"): value for key, value in data.items()}
        unknown = sorted(set(config) - set(CONFIG_KEYS))
        if unknown:
            raise InputError(
                f"{path}: unknown key {unknown[0]!r} in the losscli settings; use {', '.join(CONFIG_KEYS)}"
            )
        return config, str(path)
    return {}, None
