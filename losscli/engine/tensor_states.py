"""``--save-state`` and ``losscli merge`` for N-D inputs: the AxisSums of a run on disk, merged.

A state of the N-D pass is the state file of the 2-D one (``engine/states.py``: format, version, the
inputs' digests) with ``"kind": "tensors"``: each loss with its options, its averaged axes, its weighting,
``--empty`` and ``--like``, and its :class:`~losscli.core.tensors.AxisSums` to the last bit. The sums are
exact, so the states of the shards of a batch merge, in any order, into the value and n of one run over
them all; the per-output and per-position tables are compensated sums, equal to about 1e-15. A state keeps
no samples: merged results have no per-sample values.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import __version__
from ..core import tensors as T
from ..core.registry import get_loss
from ..errors import InputError, UsageError

KIND = "tensors"


class StoredLike(NamedTuple):
    """The --like record of a state: what the result prints of it."""

    framework: str
    call: str
    data: dict

    def to_dict(self) -> dict:
        return self.data


def document(results: list, digests: list[dict]) -> dict:
    """The state of a finished N-D run: every loss's sums and what reading them back needs."""
    from .states import FORMAT, VERSION
    from .tensor_run import plain

    losses = []
    for result in results:
        if result.sums is None:
            raise UsageError(f"--save-state: {result.loss} over N-D inputs keeps no mergeable sums yet")
        losses.append(
            {
                "loss": result.loss,
                "options": {k: plain(v) for k, v in result.options.items()},
                "reduce": result.averaged,
                "weight_divisor": result.weight_divisor,
                "empty": result.empty,
                "word": result.word,
                "like": None if result.like is None else result.like.to_dict(),
                "state": result.sums.to_dict(),
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": KIND,
        "losscli": __version__,
        "losses": losses,
        "inputs": digests,
    }


def is_tensor_state(data: dict) -> bool:
    return isinstance(data, dict) and data.get("kind") == KIND


def merge(paths: list[str], documents: list[dict], allow_duplicates: bool):
    """Each loss's merged sums and its settings, from N-D states merged in the order given."""
    from .states import _refuse_duplicates

    first = documents[0]
    for path, data in zip(paths, documents, strict=True):
        if not is_tensor_state(data):
            raise UsageError(f"{path}: is a state of 2-D inputs; merge states of N-D inputs with their own kind")
        inputs = data.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(item, dict) for item in inputs):
            raise InputError(f"{path}: is a damaged state file (its inputs are not a list of files); write it again")
        mine, theirs = _settings(data, path), _settings(first, paths[0])
        if [m[:-1] for m in mine] != [t[:-1] for t in theirs]:
            raise UsageError(
                f"{path}: holds other losses or settings than {paths[0]}; merge states of one run's settings"
            )
        if mine != theirs:
            raise UsageError(
                f"{path}: holds sums of inputs shaped (N, {_dims(mine[0][-1])}), {paths[0]} of (N, "
                f"{_dims(theirs[0][-1])}): every axis but the samples must be the same"
            )
    if not allow_duplicates:
        _refuse_duplicates(paths, documents)
    merged = []
    for k, entry in enumerate(first["losses"]):
        parts = [_sums(data["losses"][k], path) for path, data in zip(paths, documents, strict=True)]
        total = parts[0]
        for part in parts[1:]:
            total.merge(part)
        merged.append((entry, total))
    return merged


def _dims(shape) -> str:
    return ", ".join(map(str, shape)) if isinstance(shape, list) else repr(shape)


def _sums(entry: dict, path: str) -> T.AxisSums:
    try:
        return T.AxisSums.from_dict(entry["state"])
    except (KeyError, ValueError, TypeError, IndexError, ZeroDivisionError, OverflowError, AttributeError) as exc:
        why = f"{type(exc).__name__}: {str(exc)[:120]}"
        raise InputError(f"{path}: is a damaged state file ({why}); write it again") from None


def _settings(data: dict, path: str) -> list:
    losses = data.get("losses")
    if not isinstance(losses, list) or not losses or not all(isinstance(e, dict) for e in losses):
        raise InputError(f"{path}: holds no loss states")
    keys = ("loss", "options", "reduce", "weight_divisor", "empty", "word")
    try:
        return [[e[k] for k in keys] + [(e.get("like") or {}).get("framework"), e["state"]["shape"]] for e in losses]
    except (KeyError, TypeError):
        raise InputError(f"{path}: is a damaged state file; write it again") from None


def results(merged: list) -> list:
    """The result of every merged loss: its value and n, its tables, every reduction."""
    from .tensor_run import result_of_sums

    out = []
    for entry, sums in merged:
        spec = get_loss(str(entry["loss"]))
        like = entry.get("like")
        stored = None if not like else StoredLike(str(like.get("framework")), str(like.get("call")), like)
        out.append(result_of_sums(spec, entry, sums, stored))
    return out
