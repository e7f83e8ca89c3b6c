"""``Result``: the grade of one submission, as the reports and ``results.json`` hold it;
``SYMBOLS``: how the reports show each state of a check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SYMBOLS", "Result"]

SYMBOLS = {
    "pass": "✅",
    "fail": "❌",
    "error": "💥",
    "not run": "⏭",
    "missing": "❓",
    "tampered": "🚫",
    "reference": "📖",
}


@dataclass
class Result:
    """The grade of one submission."""

    submission: str
    notebook: str = ""
    status: str = "ok"
    detail: str = ""
    checks: dict[str, str] = field(
        default_factory=dict
    )  # label -> pass/fail/error/not run/missing/tampered
    messages: dict[str, str] = field(default_factory=dict)  # label -> why it did not pass
    seconds: float = 0.0
    student: str = ""
    key: str = (
        ""  # the submission's bytes and the course's checks, hashed: unchanged -> not graded again
    )
    items: dict[str, list[list[Any]]] = field(
        default_factory=dict
    )  # label -> [what, earned, possible] a check printed
    seed: str = ""  # the homework's MY_SEED as the notebook set it, when its check used it

    @property
    def passed(self) -> int:
        return sum(state == "pass" for state in self.checks.values())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """A result from ``results.json`` (fields checked, so a hand-edited file cannot inject code or types)."""
        known = {f: data.get(f) for f in cls.__dataclass_fields__ if f in data}
        result = cls(submission=str(known.pop("submission", "")))
        for name in ("notebook", "status", "detail", "student", "key", "seed"):
            setattr(result, name, str(known.get(name) or ""))
        result.seconds = float(known.get("seconds") or 0.0)
        for name in ("checks", "messages"):
            value = known.get(name) or {}
            setattr(
                result,
                name,
                {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {},
            )
        items = known.get("items") if isinstance(known.get("items"), dict) else {}
        result.items = {
            str(label): [
                [str(what), float(earned), float(possible)] for what, earned, possible in rows
            ]
            for label, rows in items.items()
            if isinstance(rows, list)
            and all(
                isinstance(row, list)
                and len(row) == 3
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in row[1:])
                for row in rows
            )
        }
        return result
