"""``--compare``: the batch value as each framework's own call computes it, with n.

Every row is one call in one framework (or the textbook cost), with the ``--reduce``
that reproduces it, its n and its value. Each framework's call is computed with that
framework's constants (its clips, floors and epsilons; see ``core/conventions.py``),
in the same pass as the result; where a row differs from another by a constant rather
than by n, it says which constant.
"""

from __future__ import annotations

from ..core.finish import batch
from ..core.frameworks import NAMES, constants_text
from ..core.reduce import REDUCTIONS
from ..core.result import ComparisonRow


def compare(task, state, conventions: list) -> list[ComparisonRow]:
    """The rows: the textbook cost, then every framework's calls. ``conventions`` holds
    (convention, its task, its state, why its framework refused the data or None), from the
    same pass."""
    rows: list[ComparisonRow] = []
    if "samples" in task.spec.reductions and task.spec.ratio is None:
        figures = batch(task, state, REDUCTIONS["samples"])
        name = f"{'root of the ' if task.spec.root else ''}sum over outputs, mean over samples"
        rows.append(ComparisonRow("textbook", name, "samples", figures.n, figures.value))
    for convention, own_task, own_state, refused in conventions:
        constants = constants_text(convention.constants, task.options)
        for variant in convention.variants:
            # the constants once, on the framework's default call
            shown = constants if variant == convention.default else ""
            if variant == convention.default and convention.dtype != "float64":
                shown = "; ".join(part for part in (f"in {convention.dtype}, its default", shown) if part)
            note = "; ".join(part for part in (variant.note, shown) if part)
            if refused:
                rows.append(
                    ComparisonRow(NAMES[convention.framework], variant.call, None, None, None, f"refused: {refused}")
                )
                continue
            if variant.reduce is None:
                rows.append(ComparisonRow(NAMES[convention.framework], variant.call, None, None, None, note))
                continue
            figures = batch(own_task, own_state, REDUCTIONS[variant.reduce], variant.weight_divisor or "sum")
            framework, dtype = NAMES[convention.framework], convention.dtype
            rows.append(ComparisonRow(framework, variant.call, variant.reduce, figures.n, figures.value, note, dtype))
    return rows
