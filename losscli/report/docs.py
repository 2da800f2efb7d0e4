"""Documentation generated from the loss registry: ``losscli list`` and the README."""

from __future__ import annotations

import csv
import io

from ..core.registry import LOSSES, Loss


def options_text(loss: Loss) -> str:
    def one(option) -> str:
        if (option.kind == "flag" and not option.default) or option.default is None:
            return option.flag
        return f"{option.flag} (default {option.default_text})"

    return ", ".join(one(option) for option in loss.options if not option.hidden)


def loss_catalogue() -> list[dict]:
    """Every loss as a plain dict (``losscli list --format json``)."""
    return [
        {
            "name": loss.name,
            "aliases": list(loss.aliases),
            "title": loss.title,
            "default_reduce": loss.default_reduce,
            "formula": loss.formula,
            "matches": loss.matches,
            "options": {option.name: option.default for option in loss.options},
            "targets": loss.targets,
            "reductions": list(loss.reductions),
        }
        for loss in LOSSES
    ]


def loss_list_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "aliases", "default_reduce", "formula", "matches"])
    for loss in LOSSES:
        writer.writerow([loss.name, " ".join(loss.aliases), loss.default_reduce, loss.formula, loss.matches])
    return out.getvalue()


def readme_loss_table() -> str:
    """The README's loss table (kept in step by ``scripts/update_readme.py``)."""
    rows = [
        "| loss | aliases | default `--reduce` | element term `l[i, j]` | options | matches |",
        "|---|---|---|---|---|---|",
    ]
    for loss in LOSSES:
        aliases = ", ".join(f"`{a}`" for a in loss.aliases)
        formula = loss.formula.replace("|", "\\|")
        rows.append(
            f"| `{loss.name}` | {aliases} | `{loss.default_reduce}` | `{formula}` | "
            f"{options_text(loss)} | {loss.matches} |"
        )
    return "\n".join(rows) + "\n"
