"""Machine-readable outputs of one or several results, and writing them safely.

``json``: one object per loss (a list for several). ``csv`` at a ``level``: element,
sample (default), output or batch. ``jsonl``: one record per sample. ``markdown``:
tables for a CI job summary. ``value``: the batch value alone (``name value`` lines for
several losses). None of them carries colour or markup.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from ..core.result import Result, short
from ..errors import InputError, UsageError


def _ids_column(ids: list[str] | None, i: int) -> list[str]:
    return [] if ids is None else [ids[i]]


def _csv_line(cells) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def to_json(results: list[Result], ids: list[str] | None) -> str:
    objects = []
    for result in results:
        data = result.to_dict()
        data["ids"] = ids
        objects.append(data)
    if len(objects) == 1:
        # One top-level key a line: readable, yet the arrays stay compact.
        fields = (f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in objects[0].items())
        return "{\n" + ",\n".join(fields) + "\n}\n"
    return json.dumps(objects) + "\n"


def to_csv(results: list[Result], level: str, ids: list[str] | None) -> str:
    names = [r.loss for r in results]
    single = len(results) == 1
    value_header = ["loss"] if single else names
    if level == "batch":
        lines = [_csv_line(["loss", "reduce", "n", "value"])]
        lines += [_csv_line([r.loss, r.reduce, repr(r.n), repr(r.value)]) for r in results]
        return "".join(lines)
    if level == "sample":
        lines = [_csv_line(["sample", *(["id"] if ids else []), *value_header])]
        for i in range(results[0].shape[0]):
            lines.append(_csv_line([i, *_ids_column(ids, i), *(repr(float(r.per_sample[i])) for r in results)]))
        return "".join(lines)
    missing = [r.loss for r in results if r.per_element is None]
    if missing:
        raise UsageError(f"--level {level}: {', '.join(missing)} exists only per sample; use --level sample or batch")
    if level == "output":
        lines = [_csv_line(["output", *value_header])]
        for j in range(results[0].shape[1]):
            lines.append(_csv_line([j, *(repr(float(r.per_output[j])) for r in results)]))
        return "".join(lines)
    lines = [_csv_line(["sample", *(["id"] if ids else []), "output", *value_header])]
    n_samples, n_outputs = results[0].shape
    for i in range(n_samples):
        for j in range(n_outputs):
            values = (repr(float(r.per_element[i, j])) for r in results)
            lines.append(_csv_line([i, *_ids_column(ids, i), j, *values]))
    return "".join(lines)


def to_jsonl(results: list[Result], ids: list[str] | None) -> str:
    lines = []
    for i in range(results[0].shape[0]):
        record = {"sample": i}
        if ids:
            record["id"] = ids[i]
        record.update({r.loss: float(r.per_sample[i]) for r in results})
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def _md_row(cells) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |\n"


def to_markdown(results: list[Result], ids: list[str] | None, max_rows: int) -> str:
    out = ["## losscli\n\n", _md_row(["loss", "--reduce", "n", "value", "formula"]), _md_row(["---"] * 5)]
    for r in results:
        out.append(_md_row([f"`{r.loss}`", r.reduce, r.n_text, short(r.value), f"`{r.batch_formula}`"]))
    n_samples = results[0].shape[0]
    shown = list(range(min(n_samples, max_rows)))
    out += ["\n", _md_row(["sample", *(["id"] if ids else []), *(r.loss for r in results)])]
    out.append(_md_row(["---"] * (1 + bool(ids) + len(results))))
    for i in shown:
        out.append(_md_row([i, *_ids_column(ids, i), *(short(float(r.per_sample[i])) for r in results)]))
    if len(shown) < n_samples:
        out.append(f"\n{len(shown)} of {n_samples:,} samples shown (--max-rows to change)\n")
    return "".join(out)


def to_value(results: list[Result]) -> str:
    if len(results) == 1:
        return repr(results[0].value) + "\n"
    return "".join(f"{r.loss} {r.value!r}\n" for r in results)


def refuse_inputs(path: str, inputs: list[str], flag: str) -> None:
    """An output never replaces an input."""
    from ..io.readers import split_key

    target = Path(path).resolve()
    for name in inputs:
        if name and name != "-" and Path(split_key(name)[0]).resolve() == target:
            raise UsageError(f"{flag} {path} is one of the inputs; losscli never overwrites an input")
    if not target.parent.is_dir():
        raise InputError(f"{flag} {path}: the folder {target.parent} does not exist")


@contextmanager
def replaced_atomically(path: str | Path):
    """A temporary path beside ``path``: write it, and on success it is renamed over ``path``.

    Readers of ``path`` see the old file or the whole new one, never a part.
    """
    import tempfile

    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix)
    os.close(handle)
    try:
        yield temporary
        # mkstemp makes the file private; give it the mode a new file would have
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, (target.stat().st_mode & 0o777) if target.exists() else 0o666 & ~mask)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_atomically(path: str, text: str) -> None:
    with replaced_atomically(path) as temporary, open(temporary, "w", encoding="utf-8") as out:
        out.write(text)
