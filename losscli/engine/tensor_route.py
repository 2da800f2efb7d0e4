"""Whether a run goes through the N-D pass (engine/tensor_run.py): decided before that module, and NumPy's
rest, is imported, so that a 2-D run does not pay for them at start-up."""

from __future__ import annotations

from typing import Any

RATIO_LOSSES = ("dice", "tversky")  # a ratio of sums over --axis: read whole, summed over those axes


def wanted(request: Any, specs: list) -> bool:
    """Whether this run is over N-D inputs."""
    return why_tensors(request, specs) is not None


def why_tensors(request: Any, specs: list) -> str | None:
    """What makes this run one over N-D inputs, in the user's words: an input of rank 3 or more, a loss
    that has no 2-D pass, a reduction over positions, or a flag of axes and masks (a ratio loss's
    --axis is its own 2-D option); None for a 2-D run."""
    axes = request.axes
    exponent = [spec.name for spec in specs if spec.exponent]
    if exponent:
        return f"{exponent[0]} is computed over N-D inputs only"
    for flag, given in (("--mask", axes.mask), ("--lengths", axes.lengths), ("--empty", axes.empty)):
        if given is not None:
            return f"{flag} is given"
    if axes.axis is not None and not all(spec.name in RATIO_LOSSES for spec in specs):
        return "--axis is given"
    reduce = request.reduction.reduce
    if reduce is not None and ("," in reduce or "positions" in reduce):
        return f"--reduce {reduce} names axes"
    for given in (request.inputs.preds, request.inputs.targets):
        if isinstance(given, str) and _may_have_rank(given):
            from ..io.tensors import is_safetensors, rank_hint

            if is_safetensors(given):
                return f"{given} is a safetensors file"
            rank = rank_hint(given) or 0
            if rank >= 3:
                return f"{given} has {rank} dimensions"
        elif given is not None and not hasattr(given, "columns") and _rank(given) >= 3:  # arrays, not frames
            return f"an input array has {_rank(given)} dimensions"
    return None


def _may_have_rank(spec: str) -> bool:
    """Whether the input ``spec`` names may hold an array of rank 3 or more: its name says an array or
    JSON format (a CSV is 2-D). By name alone, so that a plain run does not load the N-D readers."""
    from ..io.source import format_from_name, split_key

    return ".safetensors" in spec.lower() or format_from_name(split_key(spec)[0]) in ("npy", "npz", "json")


def _rank(given: Any) -> int:
    import numpy as np

    return int(np.ndim(given))
