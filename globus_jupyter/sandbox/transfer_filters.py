"""
Transfer's ``filter`` and ``orderby`` query parameters, for listings and tasks.

A filter is clauses joined by ``/``, each ``field:value``, all of which must hold:
``type:file/name:~*.csv``. What a value means depends on the field:

- text (``name``, ``label``, ``user``, ...): comma-separated patterns, each
  ``=exact`` (the default), ``~glob``, ``!not-exact`` or ``!~not-glob``; an entry
  matches one of the positive patterns (if there are any) and none of the
  negative ones
- choices (``type``, ``status``, ``task_id``): a comma-separated list of values
- numbers and times (``size``, ``last_modified``, ``request_time``): comparisons
  such as ``>=100`` (several, comma-separated, must all hold), or a range
  ``FROM,TO`` where either end may be left empty

``orderby`` is comma-separated ``field [ASC|DESC]`` keys, the first most
significant.
"""

from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import operator
import typing as t

from .service import GlobusError

Document = t.Mapping[str, t.Any]
Predicate = t.Callable[[Document], bool]

_COMPARISONS: tuple[tuple[str, t.Callable[[t.Any, t.Any], bool]], ...] = (
    (">=", operator.ge),
    ("<=", operator.le),
    ("!=", operator.ne),
    (">", operator.gt),
    ("<", operator.lt),
    ("=", operator.eq),
)


@dataclasses.dataclass(frozen=True)
class FieldKinds:
    """Which fields a resource can be filtered on, and how each is read."""

    text: frozenset[str] = frozenset()
    #: text compared without regard to case (task labels)
    folded_text: frozenset[str] = frozenset()
    choices: frozenset[str] = frozenset()
    #: choices compared in upper case (statuses, task types)
    upper_choices: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    times: frozenset[str] = frozenset()

    @property
    def all(self) -> frozenset[str]:
        return (
            self.text
            | self.folded_text
            | self.choices
            | self.upper_choices
            | self.numbers
            | self.times
        )


LS_FIELDS = FieldKinds(
    text=frozenset({"name", "permissions", "user", "group"}),
    choices=frozenset({"type"}),
    numbers=frozenset({"size"}),
    times=frozenset({"last_modified"}),
)

TASK_FIELDS = FieldKinds(
    folded_text=frozenset({"label"}),
    choices=frozenset({"task_id"}),
    upper_choices=frozenset({"status", "type"}),
    times=frozenset({"request_time", "completion_time"}),
)

EVENT_FIELDS = FieldKinds(choices=frozenset({"is_error", "code"}))


def compile_filters(filters: t.Sequence[str], kinds: FieldKinds) -> Predicate:
    """
    One predicate for the ``filter`` parameters of a request.

    Several ``filter`` parameters are alternatives: an entry passes if it matches
    any of them.

    :raises GlobusError: 400 ``ClientError.BadRequest`` for a filter that cannot
        be read, naming what was expected
    """
    alternatives = [_compile_filter(text, kinds) for text in filters if text]
    if not alternatives:
        return lambda document: True
    if len(alternatives) == 1:
        return alternatives[0]
    return lambda document: any(check(document) for check in alternatives)


def _compile_filter(text: str, kinds: FieldKinds) -> Predicate:
    checks = []
    for clause in text.split("/"):
        if not clause:
            continue
        field, sep, value = clause.partition(":")
        field = field.strip()
        if not sep:
            raise bad_request(
                f"cannot read the filter clause {clause!r}: expected FIELD:VALUE"
            )
        if field not in kinds.all:
            raise bad_request(
                f"cannot filter on {field!r}: expected one of "
                + ", ".join(sorted(kinds.all))
            )
        checks.append(_compile_clause(field, value, kinds))
    return lambda document: all(check(document) for check in checks)


def _compile_clause(field: str, value: str, kinds: FieldKinds) -> Predicate:
    if field in kinds.text or field in kinds.folded_text:
        return _text_clause(field, value, fold=field in kinds.folded_text)
    if field in kinds.choices or field in kinds.upper_choices:
        upper = field in kinds.upper_choices
        wanted = {_choice(part, upper) for part in value.split(",") if part}
        return lambda document: _choice(document.get(field), upper) in wanted
    parse = _number if field in kinds.numbers else _time
    return _ordered_clause(field, value, parse)


def _choice(value: t.Any, upper: bool) -> str:
    if isinstance(value, bool):
        text = "1" if value else "0"
    else:
        text = "" if value is None else str(value)
    return text.upper() if upper else text.lower()


def _text_clause(field: str, value: str, *, fold: bool) -> Predicate:
    positive: list[t.Callable[[str], bool]] = []
    negative: list[t.Callable[[str], bool]] = []
    for pattern in value.split(","):
        if pattern.startswith("!~"):
            negative.append(_glob(pattern[2:], fold))
        elif pattern.startswith("~"):
            positive.append(_glob(pattern[1:], fold))
        elif pattern.startswith("!"):
            negative.append(_exact(pattern[1:], fold))
        else:
            positive.append(_exact(pattern.removeprefix("="), fold))

    def check(document: Document) -> bool:
        found = document.get(field)
        text = "" if found is None else str(found)
        if positive and not any(match(text) for match in positive):
            return False
        return not any(match(text) for match in negative)

    return check


def _glob(pattern: str, fold: bool) -> t.Callable[[str], bool]:
    if fold:
        folded = pattern.casefold()
        return lambda text: fnmatch.fnmatchcase(text.casefold(), folded)
    return lambda text: fnmatch.fnmatchcase(text, pattern)


def _exact(expected: str, fold: bool) -> t.Callable[[str], bool]:
    if fold:
        folded = expected.casefold()
        return lambda text: text.casefold() == folded
    return lambda text: text == expected


def _ordered_clause(
    field: str, value: str, parse: t.Callable[[str, str], t.Any]
) -> Predicate:
    parts = value.split(",")
    conditions: list[tuple[t.Callable[[t.Any, t.Any], bool], t.Any]] = []
    if len(parts) == 2 and not any(_comparison(part)[0] for part in parts):
        # FROM,TO: an inclusive range, open where an end is empty
        low, high = parts
        if low.strip():
            conditions.append((operator.ge, parse(field, low)))
        if high.strip():
            conditions.append((operator.le, parse(field, high)))
    else:
        for part in parts:
            symbol, compare = _comparison(part)
            conditions.append((compare, parse(field, part[len(symbol) :])))

    def check(document: Document) -> bool:
        found = document.get(field)
        if found is None:
            return False
        actual = parse(field, found) if isinstance(found, str) else found
        return all(compare(actual, bound) for compare, bound in conditions)

    return check


def _comparison(part: str) -> tuple[str, t.Callable[[t.Any, t.Any], bool]]:
    for symbol, compare in _COMPARISONS:
        if part.startswith(symbol):
            return symbol, compare
    return "", operator.eq


def _number(field: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise bad_request(
            f"cannot read {text!r} in the {field} filter: expected a whole number"
        ) from None


def _time(field: str, text: str) -> float:
    """A time in a filter or a document, as seconds since the epoch (UTC)."""
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise bad_request(
            f"cannot read {text!r} in the {field} filter: expected a date or time "
            "such as 2026-01-31 or 2026-01-31 12:00:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def sort_documents(
    documents: list[dict[str, t.Any]],
    orderby: str | None,
    *,
    allowed: t.Collection[str],
    default: str,
    exact: t.Mapping[str, t.Callable[[dict[str, t.Any]], t.Any]] | None = None,
) -> None:
    """
    Sort ``documents`` in place by an ``orderby`` parameter (or ``default``).

    Empty values sort last whatever the direction.

    :param exact: for fields whose shown value is coarser than the truth (times
        shown to the second), how to read the precise value
    :raises GlobusError: 400 for a field that cannot be sorted on
    """
    keys = _orderby_keys(orderby or default, allowed)
    # a stable sort applied from the least significant key up
    for field, descending in reversed(keys):
        read = (exact or {}).get(field) or operator.itemgetter(field)
        present = [d for d in documents if d.get(field) is not None]
        absent = [d for d in documents if d.get(field) is None]
        present.sort(key=read, reverse=descending)
        documents[:] = present + absent


def _orderby_keys(orderby: str, allowed: t.Collection[str]) -> list[tuple[str, bool]]:
    keys = []
    for key in orderby.split(","):
        words = key.split()
        if not words:
            continue
        field = words[0]
        direction = words[1].upper() if len(words) > 1 else "ASC"
        if field not in allowed or direction not in ("ASC", "DESC") or len(words) > 2:
            raise bad_request(
                f"cannot order by {key.strip()!r}: expected FIELD [ASC|DESC] with "
                "FIELD one of " + ", ".join(sorted(allowed))
            )
        keys.append((field, direction == "DESC"))
    return keys


def bad_request(message: str) -> GlobusError:
    return GlobusError(400, "ClientError.BadRequest", message)
