"""A free-text question with a model answer (both may use the sheet's variables and $math$)."""

from __future__ import annotations

from typing import Any

from symconv.errors import SymconvError
from symconv.sheets.kinds.base import Derived, Kind
from symconv.sheets.model import Answer


def derive(params: dict[str, Any]) -> Derived:
    # The loader has filled in the variables and made the texts LaTeX (escaped, math checked).
    question, answer = params["question"], params["answer"]
    if not isinstance(question, str) or not isinstance(answer, str):
        raise SymconvError("question and answer must be text")
    plain = str(params.get("answer_source", answer)).replace(r"\$", "$")
    return Derived(
        {"question": question, "answer": answer},
        (Answer("text", "model answer", plain, answer),),
    )


KIND = Kind(
    "text",
    "a free-text question with a model answer",
    {"question": None, "answer": None},
    ("question", "answer"),
    derive,
    4.0,
)
