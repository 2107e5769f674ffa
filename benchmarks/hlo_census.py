"""Count the kernels of an optimised XLA HLO module (the text of ``compiled.as_text()``).

XLA runs each fusion as one kernel that reads its operands and writes its result once; an
instruction left outside any fusion (a ``copy``, ``transpose``, ``concatenate``,
``dynamic-update-slice``, ...) is a kernel of its own that materialises a whole array. So
the number of unfused data-movement instructions is a direct measure of avoidable memory
traffic. ``census`` returns, over every non-fused computation (the entry, loop bodies,
called computations), the number of instructions per opcode.
"""

from __future__ import annotations

import re
from collections import Counter

_HEADER = re.compile(r"^(?:ENTRY\s+)?%?([\w.\-]+)\s+\(.*\)\s+->\s+.*\{\s*$")
_INSTR = re.compile(r"^\s*(?:ROOT\s+)?%?[\w.\-]+\s*=\s*(?:\S+|\([^=]*\))\s+([\w\-]+)\(")
_CALLS = re.compile(r"calls=%?([\w.\-]+)")

# data movement that costs a full read and write of an array when it is not fused
MOVEMENT = ("copy", "transpose", "concatenate", "dynamic-update-slice", "slice", "pad", "reverse")


def _computations(text: str) -> dict[str, list[str]]:
    comps, name = {}, None
    for line in text.splitlines():
        m = _HEADER.match(line)
        if m:
            name = m.group(1)
            comps[name] = []
        elif line.strip() == "}":
            name = None
        elif name is not None:
            comps[name].append(line)
    return comps


def census(text: str) -> dict[str, int]:
    """``{opcode: count}`` over instructions outside fusions, plus ``"fused_computations"``."""
    comps = _computations(text)
    fused = set()
    for lines in comps.values():
        for line in lines:
            if " fusion(" in line:
                fused.update(_CALLS.findall(line))
    counts: Counter = Counter()
    for name, lines in comps.items():
        if name in fused:
            continue
        for line in lines:
            m = _INSTR.match(line)
            if m:
                counts[m.group(1)] += 1
    counts["fused_computations"] = len(fused)
    return dict(counts)


def summary(text: str) -> dict[str, int]:
    """The counts that matter for memory traffic: fusions, FFTs and unfused data movement."""
    c = census(text)
    out = {"fusion": c.get("fusion", 0), "fft": c.get("fft", 0)}
    for op in MOVEMENT:
        out[op] = c.get(op, 0)
    out["unfused_movement"] = sum(out[op] for op in MOVEMENT)
    out["array_copy"] = array_copies(text)
    return out


def array_copies(text: str) -> int:
    """Unfused ``copy`` instructions whose result is an array (not a scalar): each one
    materialises a full field."""
    comps = _computations(text)
    fused = {c for lines in comps.values() for line in lines if " fusion(" in line for c in _CALLS.findall(line)}
    pattern = re.compile(r"=\s*\w+\[(\d[\d,]*)\]\S*\s+copy\(")
    return sum(1 for name, lines in comps.items() if name not in fused for line in lines if pattern.search(line))
