"""What a sheet is once its problems are derived: plain, frozen data for templates.

A :class:`Sheet` has sections, a section has problems (the lettered parts), and
a problem carries the values its template needs and the :class:`Answer` objects
that the engine derived. The same answers are what marking compares with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

__all__ = ["Answer", "Problem", "Recompute", "Section", "Sheet"]

#: The share of an answer's points given when it follows from the student's own wrong answers.
CARRIED = Fraction(1, 2)


@dataclass(frozen=True)
class Recompute:
    """How an answer follows from other answers, for errors carried forward.

    Attributes:
        function: Given a value for every key of ``known``, the answer they give.
        known: The right value of every answer it follows from, by key
            (``{"output_shape": (32, 126, 126)}``); a student's values replace them.

    >>> from math import prod
    >>> dense = Recompute(lambda given: prod(given["input_shape"]) * prod(given["output_shape"]),
    ...                   {"input_shape": (3, 8, 8), "output_shape": (4, 6, 6)})
    >>> dense.sources, dense(), dense({"output_shape": (4, 5, 5)})
    (('input_shape', 'output_shape'), 27648, 19200)
    """

    function: Callable[[Mapping[str, Any]], Any]
    known: Mapping[str, Any]

    @property
    def sources(self) -> tuple[str, ...]:
        """The keys of the answers it can follow from."""
        return tuple(self.known)

    def __call__(self, given: Mapping[str, Any] | None = None) -> Any:
        """The answer that ``given`` values (the right ones where not given) lead to."""
        return self.function({**self.known, **(given or {})})


@dataclass(frozen=True)
class Answer:
    """One derived answer.

    Attributes:
        key: Stable name within its problem (``"first"``, ``"matrix"``).
        label: What it is, for people ("first element").
        value: The SymPy object, int or tuple that was derived.
        latex: ``value`` in LaTeX, as it appears on the sheet.
        slips: Known wrong values by the name of the slip that gives them
            (``("padding_left_out", 25)``), so that marking can say what went wrong.
        depends_on: The answers it follows from, for errors carried forward: a
            key of the same problem (``"output_shape"``) or a problem's id and a
            key (``"1g.filter_shape"``). The kind gives the ones within its
            problem; a sheet's ``uses`` sets them.
        recompute: How it follows from them (``None``: it is never carried).
    """

    key: str
    label: str
    value: Any
    latex: str
    slips: tuple[tuple[str, Any], ...] = ()
    depends_on: tuple[str, ...] = ()
    recompute: Recompute | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Problem:
    """One lettered part of a section.

    Attributes:
        id: Its reference on the sheet, such as ``"1c"``.
        kind: The problem kind (the template ``problems/<kind>.tex.j2`` lays it out).
        values: Template values: LaTeX fragments and escaped text.
        answers: The derived answers, in the order the solution gives them.
        space: Room to write, in centimetres, on a handout.
        points: Points for the whole problem, shared equally by its marked
            answers; ``None`` gives one point per answer.
        partial: A matrix earns its points entry by entry, a shape axis by axis;
            ``False`` gives all or nothing.
        carried: The share of an answer's points given when it is wrong against
            the key but follows from the student's own wrong earlier answers.
    """

    id: str
    kind: str
    values: dict[str, Any]
    answers: tuple[Answer, ...]
    space: float = 4.0
    points: Fraction | None = None
    partial: bool = True
    carried: Fraction = CARRIED

    @property
    def marked_keys(self) -> list[str]:
        """Keys of the answers that are marked (a text problem's model answer is not)."""
        if self.kind == "text":
            return []
        return [answer.key for answer in self.answers if answer.value is not None]

    @property
    def worth(self) -> Fraction:
        """What the whole problem is worth: its ``points``, else one point per marked answer."""
        return Fraction(len(self.marked_keys)) if self.points is None else self.points

    @property
    def latex(self) -> dict[str, str]:
        """Each answer's LaTeX by key, for templates."""
        return {answer.key: answer.latex for answer in self.answers}

    def answer(self, key: str) -> Answer:
        """The answer called ``key``."""
        for answer in self.answers:
            if answer.key == key:
                return answer
        raise KeyError(f"problem {self.id} has no answer {key!r}")


@dataclass(frozen=True)
class Section:
    """A numbered question made of lettered parts."""

    title: str
    intro: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Sheet:
    """A whole sheet, derived for one set of parameters (one variant)."""

    name: str
    title: str
    sections: tuple[Section, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    course: str = ""
    author: str = ""
    date: str = ""

    @property
    def scored(self) -> bool:
        """Whether the author gave points: then every marked problem shows its worth."""
        return any(problem.points is not None for problem in self.problems())

    def problems(self) -> list[Problem]:
        """Every problem of every section, in order."""
        return [problem for section in self.sections for problem in section.problems]

    def problem(self, problem_id: str) -> Problem:
        """The problem with the reference ``problem_id`` (``"1a"``)."""
        for problem in self.problems():
            if problem.id == problem_id:
                return problem
        raise KeyError(f"sheet {self.name!r} has no problem {problem_id!r}")
