"""A step's form, made from its request, and a posted form made back into the request's values.

A request's fields are its form's: a scalar is a radio group, a date, a number or text; a list of lines (staff ids,
case numbers) one text box, a line each; a nested record (the member record) a group of its own fields; a list of
records (SMART actions) rows of them, with a button for one more; a mapping or a list whose rows the document or the
item fixes (the spotlight's five themes, a case audit's questions) a row each, declared once in `_rows`. Labels are
the fields' titles in the document's words (`Field(title=...)` in the domain), else their names.

Form names are paths (`record[sections][culture][positives]`, `actions[0][action]`, `members[]` for lines), so a
posted form nests back into values without knowing the request; `shape` then makes rows into the request's lists.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

NOT_FIELDS = {"actor", "seen"}  # a step's request names its person and version itself
# What people write at length (domain.text.MAX_LONG and its kin); every other text is a line (an id, a name).
FREE_TEXT = {
    "summary",
    "concern",
    "rationale",
    "response",
    "reason",
    "reasons",
    "note",
    "notes",
    "oversight_note",
    "action",
    "what",
    "key_findings",
    "strengths",
    "areas_for_development",
    "recommendations",
    "pleased_with",
    "could_develop",
    "good_practice",
    "insight",
    "shared",
    "worked_well",
    "theme",
    "focus",
    "progress",
    "decisions",
    "feedback",
    "conversation",
    "observed",
    "positives",
    "development",
    "general",
    "evidence",
    "other_comments",
    "barriers",
    "comment",
}
FREE_ROWS = 3  # blank rows a list of records offers before "add another"


@dataclass(frozen=True)
class RowKey:
    key: str
    label: str
    prompts: tuple[str, ...] = ()  # "please consider the following"


@dataclass(frozen=True)
class Rows:
    """The rows a nested field offers where its type alone cannot say: the keys (from the item's state, or the
    document), and for a list of records the field each row's key fills."""

    keys: Callable[[Any], Iterable[RowKey]]
    key_field: str | None = None
    only_with_rows: bool = False  # a part the item may not ask for: left off the form when it offers no row


def _spotlight_sections(_: Any) -> list[RowKey]:
    from domain.spotlight import PROMPTS, SECTIONS

    return [
        RowKey(key, f"Section {number}: {title}", PROMPTS[key])
        for number, (key, title) in enumerate(SECTIONS.items(), start=1)
    ]


def _document_kinds(_: Any) -> list[RowKey]:
    from domain.spotlight import DOCUMENT_KINDS

    return [RowKey(key, title) for key, title in DOCUMENT_KINDS.items()]


def _voices(state: Any) -> list[RowKey]:
    """A case audit's voices, when it asks for them: the child's, then the family's."""
    if not getattr(state, "asks_voices", False):
        return []
    return [RowKey("child", "The child's voice"), RowKey("family", "The family's or carer's voice")]


def _questions(state: Any) -> list[RowKey]:
    return [RowKey(q.id, f"{q.id}: {q.text}") for q in state.questions.questions] if state is not None else []


def _discussed(state: Any) -> list[RowKey]:
    """The cycles and audits the meeting's pack reports on: the items its Measuring Progress questions are about."""
    pack = getattr(state, "pack", None)
    if pack is None:
        return []
    cycles = [
        RowKey(c.cycle_id, f"CPR cycle {c.service}, {c.start.isoformat()} ({c.cycle_id})")
        for c in (*pack.cycles_closed, *pack.cycles_in_progress)
    ]
    audits = [
        RowKey(a.audit_id, f"{a.kind.capitalize()}: {a.focus} ({a.audit_id})")
        for a in (*pack.audits_closed, *pack.audits_in_progress)
    ]
    return cycles + audits


@functools.cache
def _rows() -> dict[tuple[type, str], Rows]:
    """The rows each nested field offers where its type cannot say; built once, on
    first use (the domain's requests are imported then, not when the pages are)."""
    from domain.case_audit import RecordAnswers
    from domain.qapm import RecordDecisions
    from domain.spotlight import MemberRecord, SendDocuments, SpotlightReport

    return {
        (MemberRecord, "sections"): Rows(_spotlight_sections),
        (SpotlightReport, "sections"): Rows(_spotlight_sections),
        (SendDocuments, "documents"): Rows(_document_kinds, key_field="kind"),
        (RecordAnswers, "answers"): Rows(_questions, key_field="question_id"),
        (RecordAnswers, "voices"): Rows(_voices, key_field="whose", only_with_rows=True),
        (RecordDecisions, "progress"): Rows(_discussed, key_field="item"),
    }


@dataclass
class FormField:
    """One field of a step's form: its form name, label and widget; for a record its fields, for rows each row's."""

    path: tuple[str, ...]
    label: str
    required: bool
    widget: str = "text"
    choices: list[tuple[str, str]] = field(default_factory=list)
    fields: list[FormField] = field(default_factory=list)  # a record's
    rows: list[tuple[RowKey, list[FormField]]] = field(default_factory=list)  # rows'
    more: bool = False  # rows a person may add to
    in_row: bool = False  # a part of a row a person may leave wholly empty, each part then needed (a SMART action)

    @property
    def optional(self) -> bool:
        """Said beside the label: may be left empty on its own."""
        return not (self.required or self.in_row or self.widget in ("record", "rows"))

    @property
    def name(self) -> str:
        head, *keys = self.path
        return head + "".join(f"[{k}]" for k in keys) + ("[]" if self.widget == "lines" else "")

    def id_in(self, step: str) -> str:
        return "-".join((step, *self.path))

    @property
    def inline(self) -> bool:
        """Choices short enough to sit side by side."""
        return len(self.choices) <= 4 and sum(len(text) for _, text in self.choices) <= 60

    @property
    def at(self) -> str:
        """The path as one word, for "add another" to name."""
        return ".".join(self.path)


def step_form(
    request_type: type[BaseModel], state: Any = None, kept: Mapping[str, Any] | None = None, more: str = ""
) -> list[FormField]:
    """The fields of a step's form, in its request's order; none chosen beforehand. `kept` (the values a refused
    form sent) keeps its rows; `more` names the rows that asked for one more."""
    return _fields(request_type, (), state, kept or {}, more, top=True)


def _fields(
    model: type[BaseModel],
    at: tuple[str, ...],
    state: Any,
    kept: Mapping[str, Any],
    more: str,
    top: bool = False,
    in_row: bool = False,
) -> list[FormField]:
    fields = [
        _field(model, name, info, (*at, name), state, kept, more)
        for name, info in model.model_fields.items()
        if not (top and name in NOT_FIELDS)
    ]
    fields = [f for f in fields if f.rows or not _unasked(model, f.path[-1])]
    for f in fields:
        f.in_row = in_row
    return fields


def _unasked(model: type, name: str) -> bool:
    rows = _rows().get((model, name))
    return rows is not None and rows.only_with_rows


def _field(
    model: type, name: str, info: FieldInfo, path: tuple[str, ...], state: Any, kept: Mapping[str, Any], more: str
) -> FormField:
    f = FormField(path, info.title or name.replace("_", " ").capitalize(), info.is_required())
    inner = _optional(info.annotation)
    origin, args = get_origin(inner), get_args(inner)
    rows = _rows().get((model, name))
    if inner is bool:
        f.widget, f.choices = "radios", [("true", "Yes"), ("false", "No")]
    elif isinstance(inner, type) and issubclass(inner, Enum):
        f.widget, f.choices = "radios", [(str(m.value), str(getattr(m, "label", m.value))) for m in inner]
    elif origin is Literal:
        f.widget, f.choices = "radios", [(str(v), str(v).capitalize()) for v in args]
    elif inner is int:
        f.widget = "number"
    elif inner is date:
        f.widget = "date"
    elif inner is str:
        f.widget = "textarea" if name in FREE_TEXT else "line"
    elif origin is tuple and args[:1] == (str,):
        f.widget = "lines"
    elif isinstance(inner, type) and issubclass(inner, BaseModel):
        f.widget, f.fields = "record", _fields(inner, path, state, kept, more)
    elif rows is not None and _row_model(inner) is not None:
        row_model = _row_model(inner)
        f.widget = "rows"
        f.rows = [
            (key, [x for x in _fields(row_model, (*path, key.key), state, kept, more) if x.path[-1] != rows.key_field])
            for key in rows.keys(state)
        ]
    elif origin is tuple and _row_model(inner) is not None:
        given = [int(k) for k in kept_value(kept, path) or {} if str(k).isdigit()]
        count = max(FREE_ROWS, max(given, default=-1) + 1) + (1 if more == ".".join(path) else 0)
        f.widget, f.more = "rows", True
        singular = name.removesuffix("s").replace("_", " ").capitalize()
        f.rows = [
            (
                RowKey(str(i), f"{singular} {i + 1}"),
                _fields(_row_model(inner), (*path, str(i)), state, kept, more, in_row=True),
            )
            for i in range(count)
        ]
    else:
        f.widget = "unsupported"
    return f


def _optional(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    return args[0] if get_origin(annotation) is not Literal and len(args) == 1 else annotation


def _row_model(annotation: Any) -> type[BaseModel] | None:
    """The record each row holds, for a list of records (`tuple[M, ...]`) or a mapping of them (`dict[str, M]`)."""
    origin, args = get_origin(annotation), get_args(annotation)
    row = args[0] if origin is tuple and args[1:] == (Ellipsis,) else args[1] if origin is dict else None
    return row if isinstance(row, type) and issubclass(row, BaseModel) else None


def kept_value(values: Mapping[str, Any] | None, path: Iterable[str]) -> Any:
    """What a refused form sent at `path` (values as `values_of` nests them), to show it again."""
    at: Any = values or {}
    for key in path:
        if not isinstance(at, Mapping) or key not in at:
            return None
        at = at[key]
    return at


_KEYS = re.compile(r"\[([^\]]*)\]")


def values_of(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A posted form's fields as nested values, by their names' paths (`a[b][c]`; `a[]` a list of the lines given); a
    field left empty is not given (so a required one is refused by name, never taken as an empty answer), and a row
    left wholly empty is no row. `shape` makes them the request's."""
    values: dict[str, Any] = {}
    for name, raw in items:
        if name == "csrf" or not isinstance(raw, str) or not raw.strip():
            continue
        head, _, rest = name.partition("[")
        path = [head, *(_KEYS.findall("[" + rest) if rest else [])]
        value: Any = raw
        if len(path) > 1 and path[-1] == "":
            path, value = path[:-1], [line.strip() for line in raw.splitlines() if line.strip()]
        at = values
        for key in path[:-1]:
            at = at.setdefault(key, {})
            if not isinstance(at, dict):
                break  # a name that is both a value and a record: not a form of ours; left out
        else:
            at[path[-1]] = value
    return values


def shape(model: type[BaseModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values nested by `values_of` as `model` takes them: rows by number become its list, in their numbers' order;
    rows by key a list whose rows carry their key (`Rows.key_field`) or a mapping; a record's its own."""
    shaped = dict(values)
    for name, info in model.model_fields.items():
        given = shaped.get(name)
        if not isinstance(given, dict):
            continue
        inner = _optional(info.annotation)
        row = _row_model(inner)
        if row is not None and get_origin(inner) is tuple:
            rows = _rows().get((model, name))
            if rows is not None and rows.key_field:
                shaped[name] = [{**_shaped(row, v), rows.key_field: k} for k, v in given.items()]
            else:
                shaped[name] = [_shaped(row, given[k]) for k in sorted(given, key=_by_number)]
        elif row is not None:
            shaped[name] = {k: _shaped(row, v) for k, v in given.items()}
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            shaped[name] = shape(inner, given)
    return shaped


def _shaped(model: type[BaseModel], value: Any) -> Any:
    return shape(model, value) if isinstance(value, Mapping) else value


def _by_number(key: str) -> tuple[bool, int, str]:
    return (not key.isdigit(), int(key) if key.isdigit() else 0, key)
