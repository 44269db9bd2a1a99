"""Subscript ranges for the batch engine: a subscripted variable becomes one node per element.

`Pop[Region]` over Region = north, south, east is compiled into the scalar nodes
`pop[north]`, `pop[south]` and `pop[east]`, each with its own equation. That is
how PySD names the output columns (`Pop[north]`), and every backend runs the
result unchanged: NumPy keeps arrays of shape (runs,) per node, the C kernel one
register per node.

While an equation is compiled for one element, a `binding` maps each subscript
range of the left-hand side (and each `range!` of an enclosing SUM/PROD/VMIN/
VMAX) to the element in use. A reference's subscripts are resolved the way PySD
resolves them: an element names itself; a range bound on the left takes that
element; a range mapped to a bound range (`DimB: b1, b2 -> DimA`, referenced as
`x[DimB]` in an equation over DimA) takes the element at the same position.
Anything else (which PySD would turn into an extra dimension) is refused.

A range or an element used as a value (`x[dim] = dim`) is the element's position
in its *main* range, not in the range written: PySD's (and Vensim's) numbering.
With `dim: A, sub, B` and `sub: s1, s2`, `sub` at `s1` is 2, not 1; with
`d1: A, B, C` and `d3: A, C, B` (the same elements), `d3` at `C` is 3, its place
in `d1`. A main range is one that is no subset of another; of ranges with the same
elements, the alphabetically first one that is not a copy (`sub2 <-> sub1`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

from regionsoft_sd.batch.names import canon


class SubscriptError(ValueError):
    """A subscript the batch engine cannot resolve to one element."""


@dataclass
class Subscripts:
    """The model's subscript ranges: canonical name -> canonical elements, in order."""

    ranges: dict[str, list[str]] = field(default_factory=dict)
    mapping: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # canonical element -> Vensim name
    copies: set[str] = field(default_factory=set)  # ranges defined as `new <-> old`
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # see `value`

    @classmethod
    def from_abstract(cls, ranges) -> Subscripts:
        """Ranges from PySD's abstract model (copies and ranges of subranges expanded)."""
        out = cls()
        raw: dict[str, object] = {}
        for r in ranges:
            key = canon(r.name)
            out.mapping[key] = [canon(m) for m in (r.mapping or []) if isinstance(m, str)]
            if isinstance(r.subscripts, dict):
                raise SubscriptError(f"subscript range {r.name!r} is read from a file")
            raw[key] = r.subscripts
            if isinstance(r.subscripts, str):  # a copy maps to its original, as in PySD
                out.copies.add(key)
                out.mapping[key].append(canon(r.subscripts))
            if isinstance(r.subscripts, list):
                for element in r.subscripts:
                    out.names.setdefault(canon(element), element)

        def expand(key: str, seen: tuple = ()) -> list[str]:
            if key in seen:
                raise SubscriptError(f"subscript range {key!r} is defined through itself")
            value = raw[key]
            if isinstance(value, str):  # a copy of another range
                return expand(canon(value), (*seen, key))
            elements: list[str] = []
            for item in value:
                item_key = canon(item)
                if item_key in raw and item_key != key:
                    elements += expand(item_key, (*seen, key))
                else:
                    elements.append(item_key)
            return elements

        for key in raw:
            out.ranges[key] = expand(key)
        out.values = out._numbering()
        return out

    def _numbering(self) -> dict[str, dict[str, int]]:
        """Range or element -> {element: value}, built as PySD's `_get_subscript2num`
        builds it (main ranges in definition order; a later main range overwrites)."""
        sets = {k: set(v) for k, v in self.ranges.items()}
        numbering: dict[str, dict[str, int]] = {}
        for main, elements in sets.items():
            subranges: list[str] = []
            for other, others in sets.items():
                if other == main:
                    continue
                if others == elements:
                    # equal ranges: the alphabetically first one that is not a copy is main
                    if main.replace(" ", "_") < other.replace(" ", "_") and main not in self.copies:
                        subranges.append(other)
                        continue
                    break
                if others < elements:
                    subranges.append(other)
                elif others > elements:
                    break
            else:
                position = {e: i for i, e in enumerate(self.ranges[main], start=1)}
                numbering[main] = dict(position)
                for element, i in position.items():
                    numbering[element] = {element: i}
                for sub in subranges:
                    numbering[sub] = {e: position[e] for e in self.ranges[sub]}
        return numbering

    def value(self, name: str, element: str) -> int:
        """The number a range (at `element`) or an element stands for as a value."""
        number = self.values.get(canon(name), {}).get(element)
        if number is None:
            raise SubscriptError(f"subscript {name!r} has no numeric value")
        return number

    def is_range(self, name: str) -> bool:
        return canon(name).rstrip("!") in self.ranges

    def elements_of(self, sub: str) -> list[str]:
        """Elements a subscript stands for: all of a range's, or the element itself."""
        key = canon(sub)
        if key in self.ranges:
            return list(self.ranges[key])
        if key in self.names:
            return [key]
        raise SubscriptError(f"unknown subscript {sub!r}")

    def combos(self, subs: list[str], excepts: list[list[str]]) -> list[tuple[str, ...]]:
        """Element tuples of a left-hand side, in order, without the :EXCEPT: ones."""
        skip: set[tuple[str, ...]] = set()
        for ex in excepts or []:
            skip.update(product(*[self.elements_of(s) for s in ex]))
        return [c for c in product(*[self.elements_of(s) for s in subs]) if c not in skip]

    def binding(self, subs: list[str], combo: tuple[str, ...]) -> dict[str, str]:
        """Range -> element for one left-hand-side tuple (element positions bind nothing)."""
        return {canon(s): e for s, e in zip(subs, combo, strict=True) if self.is_range(s)}

    def resolve(self, sub: str, binding: dict[str, str]) -> str:
        """The element a reference's subscript `sub` stands for under `binding`."""
        key = canon(sub)
        if key.endswith("!"):
            if key in binding:
                return binding[key]
            raise SubscriptError(f"{sub!r} outside SUM, PROD, VMIN, VMAX or VECTOR SELECT")
        if key not in self.ranges:
            if key in self.names:
                return key
            raise SubscriptError(f"unknown subscript {sub!r}")
        if key in binding:
            return binding[key]
        elements = self.ranges[key]
        for bound in self.mapping.get(key, []):  # `key: ... -> bound`, bound on the left
            if bound in binding and len(self.ranges[bound]) == len(elements):
                return elements[self.ranges[bound].index(binding[bound])]
        raise SubscriptError(f"subscript {sub!r} matches no subscript of the equation")

    def order(self, elements: set[str]) -> list[str]:
        """`elements` in the order of the smallest range that holds them all."""
        holders = [r for r in self.ranges.values() if elements <= set(r)]
        if not holders:
            return sorted(elements)
        best = min(holders, key=len)
        return [e for e in best if e in elements]

    def label(self, combo: tuple[str, ...]) -> str:
        """`[north,a]` with the elements as the model spells them."""
        return "[" + ",".join(self.names.get(e, e) for e in combo) + "]"
