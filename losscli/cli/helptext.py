"""Help screens, generated from the registry: the root help, one loss's help, usage lines.

Plain text wrapped to the width (80 columns by default): no markup to eat brackets, and
no option name ever cut.
"""

from __future__ import annotations

import textwrap

from ..core.reduce import REDUCTIONS
from ..core.registry import Loss

USAGE = (
    "losscli LOSS PREDS TARGETS [OPTIONS]",
    "losscli LOSS DATA --pred-col COLS --target-col COLS [OPTIONS]",
    "losscli list [TASK] | help LOSS | LOSS --help",
    "losscli merge STATE... [--group-by shard] [--ci LEVEL]",
)
EXIT_CODES = "0 ok, 1 a check failed, 2 usage or input error, 70 internal error (a bug), 130 interrupted."
USAGE_OPTIONS = (
    ("-r, --reduce all|samples|outputs|none", "the axes averaged (default: the loss's own)"),
    ("-f, --format table|markdown|json|jsonl|csv|value", "what to print"),
    ("--pred-col, --target-col, --id-col", "columns of one data file (or of each of two)"),
    ("--weights FILE, --weight-divisor sum|count", "sample weights and what a weighted mean divides by"),
    ("--explain, --compare, --grad", "the formulas with your numbers; each framework's number; the gradient"),
    ("--fail-above X, --baseline FILE --tolerance T", "CI checks: exit 1 when they fail"),
    ("-o, --output FILE, -q, --quiet", "write to a file atomically; print nothing"),
)


def _wrap(text: str, width: int, indent: str = "  ", hang: str | None = None) -> str:
    return textwrap.fill(
        text, width=width, initial_indent=indent, subsequent_indent=hang if hang is not None else indent
    )


def _pairs(rows, width: int, first: int = 22) -> list[str]:
    """A two-column list; a long first column puts its text on the next line."""
    lines = []
    for left, right in rows:
        if len(left) + 2 > first:
            lines.append(f"  {left}")
            lines.append(_wrap(right, width, " " * (first + 2)))
        else:
            lines.append(_wrap(right, width, f"  {left:<{first}}", " " * (first + 2)))
    return lines


def short_usage() -> str:
    lines = ["Usage: " + USAGE[0]] + [f"       {u}" for u in USAGE[1:]]
    lines.append("Try 'losscli --help' for help, 'losscli list' for the losses.")
    return "\n".join(lines) + "\n"


def root_help(width: int = 80) -> str:
    width = max(40, min(width or 80, 100))
    out = ["Usage: " + USAGE[0]] + [f"       {u}" for u in USAGE[1:]] + [""]
    out.append(_wrap("Compute a loss of predictions against targets, and say what its divisor n is.", width))
    out += ["", "Common options (every loss takes them; 'losscli LOSS --help' lists all):"]
    out += _pairs(USAGE_OPTIONS, width, first=46)
    out += ["", "Reductions (--reduce names the axes averaged; the others are summed):"]
    out += _pairs(((name, r.known_as) for name, r in REDUCTIONS.items()), width, first=9)
    out += ["", _wrap(f"Exit status: {EXIT_CODES}", width, "", "")]
    out += [
        "",
        _wrap(
            "CI settings (fail-above, fail-below, baseline, tolerance) may also come from [tool.losscli] "
            "in pyproject.toml or from losscli.toml; the command line wins.",
            width,
            "",
            "",
        ),
    ]
    out += [
        "",
        _wrap(
            "'losscli list' shows every loss; 'losscli LOSS --help' its formula, options and examples.", width, "", ""
        ),
    ]
    out += [
        "",
        "Other options:",
        "  --version                Show the version and exit.",
        "  --install-completion     Install completion for the current shell.",
        "  -h, --help               Show this message and exit.",
    ]
    return "\n".join(out) + "\n"


def examples(spec: Loss) -> tuple[str, str]:
    """Two command lines for a loss: the two-file form, and one with an option or the one-file form."""
    name = spec.name
    if spec.targets == "labels":
        first = f"losscli {name} proba.csv labels.csv"
    else:
        first = f"losscli {name} preds.csv targets.csv"
    option = next((o for o in spec.options if o.kind in ("float", "int") and not o.hidden), None)
    if option is not None:
        value = (option.default or 0.05) * 2 if option.kind == "float" else option.default or 1
        second = f"{first} --{option.name.replace('_', '-')} {value:g} --explain"
    else:
        second = f"losscli {name} data.csv --pred-col p --target-col y"
    return first, second


def loss_description(spec: Loss, width: int = 80) -> str:
    """What a loss's --help says above its options."""
    from ..core.conventions import default_calls
    from ..core.frameworks import NAMES

    reduction = REDUCTIONS[spec.default_reduce]
    term = "per-sample term L[i]" if spec.per_sample_only else "element term l[i, j]"
    rows = [
        (term, spec.formula),
        ("matches", spec.matches),
        ("default", f"--reduce {spec.default_reduce}: {reduction.known_as}"),
    ]
    rows += [
        (f"--like {framework}", f"{NAMES[framework]}: {call}") for framework, call in default_calls(spec.name).items()
    ]
    if spec.aliases:
        rows.append(("aliases", ", ".join(spec.aliases)))
    if spec.notes:
        rows.append(("note", spec.notes))
    first, second = examples(spec)
    lines = [_wrap(f"{spec.name}: {spec.title}.", width), ""] + _pairs(rows, width, first=22)
    lines += ["", "  Examples:", f"    {first}", f"    {second}"]
    return "\n".join(lines)
