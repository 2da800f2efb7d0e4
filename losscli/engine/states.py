"""``--save-state`` and ``losscli merge``: a run's state on disk, and states merged into one result.

A state file is versioned JSON: each loss with its options, reduction and weighting, the
merged state of its sums (every float to the last bit, in hex), and the digests of the
inputs read. States merge in the order given into what one run over all the inputs
gives: any scheduler can run the shards (xargs -P, GNU parallel, a Slurm array).
"""

from __future__ import annotations

import json
import os

import numpy as np

from .. import __version__
from ..core.conventions import Constant
from ..core.frameworks import Like, Override
from ..core.state import Keep, LossState, state_from_dict, state_to_dict
from ..core.sums import Sketch
from ..core.terms import prepare
from ..errors import InputError, LossCliError, UsageError
from ..io.digests import file_digest
from ..io.shards import input_files
from .signs import LabelSigns, label_map_of

FORMAT = "losscli-state"
VERSION = 1


def _plain(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value


def document(run, request) -> dict:
    """The state of a finished pass of ``request``, as a state file holds it."""
    losses = []
    for k, (task, state, like) in enumerate(zip(run.tasks, run.states, run.likes, strict=True)):
        losses.append(
            {
                "loss": task.spec.name,
                "options": {name: _plain(value) for name, value in task.options.items()},
                "reduce": task.reduction.name,
                "weight_divisor": task.weight_divisor,
                "weighted": task.weighted,
                "labels": task.labels,
                "dtype": task.dtype,
                "like": None if like is None else like.to_dict(),
                "state": state_to_dict(state),
                **({} if run.group_sums is None else {"groups": _groups_entry(run, k)}),
                **({} if run.buckets is None else {"buckets": run.buckets[k].to_dict()}),
            }
        )
    inputs = input_digests(request.inputs.preds, request.inputs.targets, request.inputs.weights)
    return {
        "format": FORMAT,
        "version": VERSION,
        "losscli": __version__,
        "losses": losses,
        "inputs": inputs,
        "dropped": run.missing.samples,
        "label_signs": None if run.signs is None else run.signs.to_dict(),
        "columns": _prediction_names(run),
    }


def _groups_entry(run, k: int) -> dict:
    """A loss's groups in a state: what named them, their names (none for samples, numbered) and sums."""
    settings = run.settings
    numbered = run.group_index.numbered
    return {
        "by": settings.group_how,
        "kind": settings.group_by,
        "names": None if numbered else list(run.group_index.names),
        "ids": list(run.group_ids) if numbered else None,
        "sums": run.group_sums[k].trimmed(run.group_index.count).to_dict(),
    }


def merged_groups(paths: list[str], documents: list[dict], k: int, task, by_shard: bool):
    """The groups of the k-th loss over merged states: each state one group (``by_shard``: named by its
    predictions file, as one run over the shards names them), or the groups the states kept, merged by
    name (samples numbered on, state after state); None when there are none."""
    from ..core.groups import GroupIndex, GroupSums, needs_per_output

    per_output = needs_per_output(task)
    index = GroupIndex()
    if by_shard:
        sums = None
        for path, data in zip(paths, documents, strict=True):
            one = GroupSums.of_state(state_from_dict(data["losses"][k]["state"]), per_output)
            sums = sums or GroupSums(one.width)
            sums.merge(one, index.codes_of([_shard_name(path, data)]))
        return "--group-by shard", "shard", index.names, sums.trimmed(len(index.names))
    entries = [data["losses"][k].get("groups") for data in documents]
    if all(entry is None for entry in entries):
        return None
    if any(entry is None for entry in entries) or len({e["kind"] for e in entries}) > 1:  # a file of labels each
        raise UsageError(
            "these states were saved with different groups (or some without); merge states of the same grouping, "
            "or pass --group-by shard to make each state a group"
        )
    kind = entries[0]["kind"]
    sums = GroupSums(entries[0]["sums"].get("width"))
    names: list[str] = []
    offset = 0
    for data, entry in zip(documents, entries, strict=True):
        other = _loaded_groups(entry)
        if entry["names"] is None:  # samples: numbered on from the states before
            where = np.arange(offset, offset + other.count, dtype=np.intp)
            names += entry["ids"] or [str(i) for i in range(offset, offset + other.count)]
        else:
            where = index.codes_of(entry["names"])
        sums.merge(other, where)
        offset += int(data["losses"][k]["state"]["rows"])
    if kind != "sample":
        names = index.names
    kind = kind if kind in ("shard", "sample", "class") else "labels"
    return entries[0]["by"], kind, names, sums.trimmed(len(names))


def merged_buckets(documents: list[dict], k: int):
    """The k-th loss's interval sums (stats/buckets.py) of every state, added in order; None when a
    state was saved without them (by an older losscli)."""
    from ..stats.buckets import Buckets

    entries = [data["losses"][k].get("buckets") for data in documents]
    if any(entry is None for entry in entries):
        return None
    try:
        merged = Buckets.from_dict(entries[0])
        for entry in entries[1:]:
            merged.merge(Buckets.from_dict(entry))
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise InputError(
            f"a state file's interval sums are damaged ({type(exc).__name__}: {exc}); write it again"
        ) from None
    return merged


def _loaded_groups(entry: dict):
    from ..core.groups import GroupSums

    try:
        return GroupSums.from_dict(entry["sums"])
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"a state file's groups are damaged ({type(exc).__name__}: {exc}); write it again") from None


def _shard_name(path: str, data: dict) -> str:
    inputs = data.get("inputs") or []
    return str(inputs[0]["path"]) if inputs and inputs[0].get("path") else path


def input_digests(*names) -> list[dict]:
    """Each input file's path, sha256 and size: merge refuses a state whose inputs another state counted."""
    return [{"path": path, "sha256": file_digest(path), "bytes": _size(path)} for path in input_files(*names)]


def _prediction_names(run) -> list[str] | None:
    """The predictions' column names (None without a header): states merge their per-output sums
    by these names, not by position."""
    for info in run.infos[0] if run.infos else ():
        if "predictions" in info.roles:
            return None if info.header is None else list(info.used.get("predictions", []))
    return None


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def load(path: str) -> dict:
    """A state file, checked: its format, its version, and what every loss entry holds."""
    from ..io.documents import STATE_LIMIT, read_document

    try:
        data = json.loads(read_document(path, path, "a state file", STATE_LIMIT))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; write states with --save-state") from None
    except (IsADirectoryError, NotADirectoryError):
        raise InputError(f"{path}: is a directory, not a state file; name the files --save-state wrote") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: is not a losscli state file ({str(exc)[:120]})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path}: is not a losscli state file; write states with --save-state")
    if data.get("version") != VERSION:
        raise InputError(f"{path}: is a state of version {data.get('version')!r}; this losscli reads version {VERSION}")
    if data.get("kind") == "tensors":  # N-D sums: engine/tensor_states.py reads and checks them
        return data
    losses = data.get("losses")
    if not isinstance(losses, list) or not losses or not all(isinstance(x, dict) for x in losses):
        raise InputError(f"{path}: holds no loss states")
    from .state_checks import check_document

    check_document(data, path)  # whole, with bounds, before any of it is used
    return data


def _signature(entry: dict) -> str:
    keys = ("loss", "options", "reduce", "weight_divisor", "weighted", "labels", "dtype")
    like = (entry.get("like") or {}).get("framework")
    width = entry["state"].get("n_outputs")
    return json.dumps([[entry.get(k) for k in keys], like, width], sort_keys=True)


def merge(paths: list[str], allow_duplicates: bool = False, by_shard: bool = False):
    """(task, merged state, like, groups) of every loss, from state files merged in the order given
    (groups: :func:`merged_groups`'s)."""
    documents = [load(path) for path in paths]
    first = documents[0]
    for path, data in zip(paths[1:], documents[1:], strict=True):
        if [_signature(e) for e in data["losses"]] != [_signature(e) for e in first["losses"]]:
            raise UsageError(
                f"{path}: holds other losses, options or widths than {paths[0]}; merge states of the same run "
                f"settings only"
            )
    if not allow_duplicates:
        _refuse_duplicates(paths, documents)
    _check_signs(first["losses"], documents)
    orders = _column_orders(paths, documents)
    merged = []
    for k, entry in enumerate(first["losses"]):
        task, like = _task(entry, paths[0])
        try:
            states = [state_from_dict(data["losses"][k]["state"]) for data in documents]
        except (KeyError, ValueError, TypeError, OverflowError) as exc:
            raise InputError(f"a state file is damaged ({type(exc).__name__}: {exc}); write it again") from None
        for state, order in zip(states, orders, strict=True):
            if order is not None:
                state.permute(order)
        groups = merged_groups(paths, documents, k, task, by_shard)
        merged.append((task, _merged(states), like, groups, merged_buckets(documents, k)))
    return merged, sum(int(d.get("dropped", 0)) for d in documents)


def _column_orders(paths: list[str], documents: list[dict]) -> list[list[int] | None]:
    """How each state's outputs are put in the first state's order, matched by the predictions'
    column names (a shard whose header lists the classes in another order); None: as they are.
    Names that are not the same set, or a header in one state only, cannot be matched: refused."""
    names = [data.get("columns", "unknown") for data in documents]
    orders: list[list[int] | None] = [None]
    for path, own in zip(paths[1:], names[1:], strict=True):
        wanted = names[0]
        if own == wanted:
            orders.append(None)
            continue
        if (
            isinstance(own, list)
            and isinstance(wanted, list)
            and len(set(own)) == len(own)
            and sorted(own) == sorted(wanted)
        ):
            orders.append([own.index(name) for name in wanted])
            continue
        shown = (
            "no column names"
            if x is None
            else "no record of its columns (an older losscli)"
            if x == "unknown"
            else f"the columns {', '.join(map(str, x[:8]))}"
            for x in (own, wanted)
        )
        own_text, wanted_text = shown
        raise UsageError(
            f"{path}: holds {own_text} where {paths[0]} holds {wanted_text}; states merge their outputs by "
            f"the predictions' column names: write the states again from inputs with the same columns"
        )
    return orders


def _merged(states: list) -> LossState:
    """States merged in order, keeping what every one of them kept: the first and last rows and
    the worst ones up to the fewest any state kept (their --max-rows and --top may differ), and
    the histogram only when every state counted one (a state of --format value counts none)."""
    keeps = [state.kept.keep for state in states]
    keep = Keep(
        min(k.head for k in keeps),
        min(k.tail for k in keeps),
        min(k.top for k in keeps),
        all(k.histogram for k in keeps),
    )
    first = states[0]
    order = None if first.order_statistic is None else first.order_statistic.empty()
    out = LossState(first.n_outputs, keep, term_columns=len(first.per_output.high), order_statistic=order)
    for state in states:
        state.shift(out.rows)  # each run numbered its samples from 0
        out.merge(state)
    if not keep.histogram:
        out.sketch = Sketch()
    return out


def _check_signs(losses: list[dict], documents: list[dict]) -> None:
    """Hinge targets mapped to -1/1 by each run's own labels: refused when all the runs' labels
    together show that a run's map was not the whole input's (see ``signs.py``)."""
    maps = {label_map_of(entry.get("options") or {}) for entry in losses} - {None}
    if not maps:
        return
    signs = LabelSigns()
    try:
        for data in documents:
            if data.get("label_signs"):
                signs.merge(LabelSigns.from_dict(data["label_signs"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"a state file is damaged ({type(exc).__name__}: {exc}); write it again") from None
    for label_map in sorted(maps):
        why = signs.problem(label_map)
        if why:
            raise InputError(why)


def _refuse_duplicates(paths: list[str], documents: list[dict]) -> None:
    seen: dict[str, tuple[int, str, str]] = {}
    for k, (path, data) in enumerate(zip(paths, documents, strict=True)):
        for item in data.get("inputs", []):
            digest = item.get("sha256")
            if not digest:
                continue
            if digest in seen and seen[digest][0] != k:
                _, other_path, other_input = seen[digest]
                same = "twice" if other_path == path else f"in {other_path} too"
                raise UsageError(
                    f"{path}: counts the input {item.get('path')} {same} (the same bytes as {other_input}); pass "
                    f"--allow-duplicates if that is meant"
                )
            seen.setdefault(digest, (k, path, item.get("path")))
    _refuse_same_sums(paths, documents)  # inputs without a digest: stdin, a FIFO


def _refuse_same_sums(paths: list[str], documents: list[dict]) -> None:
    """Two states with the same sums, to the last bit, are one run counted twice: the same file
    given twice, or a copy of it, whatever its inputs were (stdin and FIFOs have no digest to
    compare). Two different shards never give the same bits."""
    seen: dict[str, str] = {}
    for path, data in zip(paths, documents, strict=True):
        sums = json.dumps([entry["state"] for entry in data["losses"]], sort_keys=True)
        if sums in seen:
            same = (
                "is given twice"
                if os.path.abspath(seen[sums]) == os.path.abspath(path)
                else (f"holds the same sums as {seen[sums]}, to the last bit (a copy of one run)")
            )
            raise UsageError(
                f"{path}: {same}; its samples would be counted twice: pass --allow-duplicates if that is meant"
            )
        seen[sums] = path


def _task(entry: dict, path: str):
    try:
        task = prepare(
            entry["loss"],
            reduce=entry["reduce"],
            weight_divisor=entry["weight_divisor"],
            weighted=bool(entry["weighted"]),
            labels=bool(entry["labels"]),
            options=entry["options"],
        )
    except (KeyError, TypeError, LossCliError) as exc:  # a run writes only options its loss takes
        raise InputError(f"{path}: is damaged: a loss entry ({exc}); write the state again with --save-state") from None
    dtype = entry.get("dtype", "float64")  # states written before 0.4 were all float64
    if dtype not in ("float64", "float32"):
        raise InputError(f"{path}: a loss entry names the precision {dtype!r}; write the state again")
    task = task._replace(dtype=dtype)
    like = entry.get("like")
    if like:
        constants = tuple(Constant(c["option"], c["value"], c["why"]) for c in like["constants"])
        overridden = tuple(Override(o["option"], o["given"], o["framework"]) for o in like.get("overridden", ()))
        like = Like(like["framework"], like["call"], constants, overridden, like.get("dtype", "float64"))
    return task, like
