"""Negative cases generated from the cognito-idp service model (used by test_negative.py).

Each ``Case`` breaks one constraint of one member of an operation's input shape: a required
member left out, a string shorter than ``min`` / longer than ``max`` / outside its
``pattern``, a value outside an ``enum``, a JSON value of the wrong type, an integer outside
``min``/``max``, a list with too few / too many items. Nothing is generated where the model
has no constraint.

A case does not hold a request. It holds a *path* into the operation's base request and a
function from the value found there (``MISSING`` if absent) to the value to put there
(``DELETE`` to drop it), so the same case applies to the base request built at run time from
the module's fixtures. Top-level members absent from the base request still get their value
cases (set to an invalid value); nested members are only reached through members the base
request has, and only ``MAX_DEPTH`` levels down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import botocore.session

MODEL = botocore.session.get_session().get_service_model("cognito-idp")

VALIDATION_ERRORS = frozenset({"InvalidParameterException", "SerializationException"})

# How far below a top-level member the generator goes (0 = the member itself): members of a
# structure (or of the first item of a list of structures) and their members.
MAX_DEPTH = 2

INVALID_ENUM = "NOT_A_VALID_VALUE"


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING = _Sentinel("MISSING")  # the member is absent from the base request
DELETE = _Sentinel("DELETE")  # drop the member
ITEM = _Sentinel("ITEM")  # path step: the first item of a list (created if the list is empty)


# --------------------------------------------------------------------------- compatibility.md


def implemented_operations(compatibility_md: Path) -> list[str]:
    """The operations marked "implemented" or "partial" in docs/compatibility.md."""
    ops = []
    for line in compatibility_md.read_text("utf-8").splitlines():
        match = re.match(r"^\|\s*(\w+)\s*\|\s*(implemented|partial)\s*\|", line)
        if match:
            ops.append(match.group(1))
    return ops


# --------------------------------------------------------------------------- patterns
#
# For each pattern the model uses: a valid sample (used when the base request has no value to
# start from) and how to break it. Every breaking value uses a character (or a missing
# placeholder) that the pattern clearly excludes; the length stays inside min/max so the
# pattern is the only constraint broken. A pattern missing here gets no "pattern" case.

ARN = r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?"
SAMPLE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:negative-tests"


def _insert(char: str) -> Callable[[str], str]:
    """Put ``char`` in the middle of the valid value (or make ``a<char>a`` of an empty one)."""

    def breaker(value: str) -> str:
        if not value:
            return f"a{char}a"
        middle = len(value) // 2
        return value[:middle] + char + value[middle:]

    return breaker


def _replace(bad: str) -> Callable[[str], str]:
    return lambda _value: bad


# pattern -> (sample, breaker, what the breaker does)
PATTERNS: dict[str, tuple[str, Callable[[str], str], str]] = {
    r"[\w-]+_[0-9a-zA-Z]+": ("us-east-1_AbCdEfGhI", _insert(" "), "a space"),
    r"[\w-]+_[0-9a-f-]+": ("us-east-1_0123abcd-ef", _insert(" "), "a space"),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+": ("negative-sample", _insert(" "), "a space (\\p{Z})"),
    r"[\w+]+": ("abcdefghijklmnopqrstuvwxyz", _insert(" "), "a space"),
    r"[\S]+": ("Sample-Value1!", _insert(" "), "a space"),
    r"[A-Za-z0-9-_=.]+": ("eyJhbGciOiJub25lIn0.e30.c2ln", _insert(" "), "a space"),
    r"[\w+=/]+": ("c2VjcmV0aGFzaA==", _insert(" "), "a space"),
    r"[\w\s+=,.@-]+": ("negative sample", _insert("#"), "a '#'"),
    # AttributeName allows \t \n \r and space but no other control character.
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+": ("nickname", _insert("\u0001"), "U+0001 (\\p{Cc})"),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\p{Z}]+": ("COGNITO", _insert("\u0001"), "U+0001 (\\p{Cc})"),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s]+": ("Your code", _insert("\u0001"), "U+0001 (\\p{Cc})"),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*": ("Welcome aboard", _insert("\u0001"), "U+0001 (\\p{Cc})"),
    r"[\x21\x23-\x5B\x5D-\x7E]+": ("openid", _insert(" "), "a space (\\x20)"),
    r"^[a-zA-Z0-9_-]+$": ("config-set", _insert(" "), "a space"),
    r"^[0-9a-fA-F]+$": ("0123abcdef", _insert("g"), "a 'g'"),
    r".*\{####\}.*": ("Your code is {####}", _replace("Your code is ready"), "no {####}"),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*": (
        "Your code is {####}", _replace("Your code is ready"), "no {####}"),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{##[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*##\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*": (
        "Please {##verify##} now", _replace("Please click the link"), "no {##...##}"),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+@[\p{L}\p{M}\p{S}\p{N}\p{P}]+": (
        "someone@example.com", _replace("someone.example.com"), "no '@'"),
    ARN: (SAMPLE_ARN, _replace("this is not an arn at all"), "not an ARN"),
    f"({ARN})?": (SAMPLE_ARN, _replace("this is not an arn at all"), "not an ARN"),
}

# Patterns no string breaks.
ACCEPTS_ANYTHING = {r"(?s).*"}

# Patterns met that are in neither table (the summary lists them).
UNBROKEN_PATTERNS: set[str] = set()


def string_sample(shape: Any) -> str:
    """A value that satisfies the shape's constraints."""
    md = shape.metadata
    if getattr(shape, "enum", None):
        return shape.enum[0]
    pattern = md.get("pattern")
    sample = PATTERNS[pattern][0] if pattern in PATTERNS else "sample"
    low, high = md.get("min", 0), md.get("max")
    if len(sample) < low:
        sample = sample + "a" * (low - len(sample))
    if high is not None and len(sample) > high:
        sample = sample[:high]
    return sample


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    op: str
    path: tuple  # member names, ITEM for a list's first item
    kind: str  # missing, too_short, too_long, pattern, enum, wrong_type, below_min, ...
    constraint: str  # what the model says, for messages
    make: Callable[[Any], Any] = field(repr=False)  # current value (or MISSING) -> new value
    sensitive: bool = False  # the value must not be echoed in the error message
    # The answers that pass. The model documents no more specific error than these for any
    # member constraint of the implemented operations (InvalidPasswordException is for the
    # pool's password policy, not for PasswordType's pattern), so every case uses the default.
    expected: frozenset = VALIDATION_ERRORS

    @property
    def member(self) -> str:
        return ".".join("item" if step is ITEM else str(step) for step in self.path)

    @property
    def id(self) -> str:
        return f"{self.op}-{self.member}-{self.kind}"

    def apply(self, base: dict) -> tuple[dict, Any]:
        """The base request (deep-copied) with this case's change, and the value put in."""
        import copy

        body = copy.deepcopy(base)
        parent: Any = body
        steps = self.path
        for index, step in enumerate(steps[:-1]):
            if step is ITEM:
                if not parent:
                    raise AssertionError(f"{self.id}: the base request has an empty list here")
                parent = parent[0]
            else:
                if step not in parent:  # only a list the base request lacks: [invalid item]
                    assert steps[index + 1] is ITEM, f"{self.id}: no {step!r} in the base"
                    parent[step] = []
                parent = parent[step]
        last = self.path[-1]
        if last is ITEM:
            current = parent[0] if parent else MISSING
            new = self.make(current)
            if parent:
                parent[0] = new
            else:
                parent.append(new)
            return body, new
        current = parent.get(last, MISSING)
        new = self.make(current)
        if new is DELETE:
            parent.pop(last, None)
        else:
            parent[last] = new
        return body, new


def _is_sensitive(shape: Any) -> bool:
    return bool(shape.metadata.get("sensitive"))


def _too_long(shape: Any) -> Callable[[Any], str]:
    high = shape.metadata["max"]

    def make(current: Any) -> str:
        start = current if isinstance(current, str) and current else string_sample(shape)
        return start + "a" * (high + 1 - len(start))

    return make


def _broken(shape: Any) -> Callable[[Any], str]:
    breaker = PATTERNS[shape.metadata["pattern"]][1]

    def make(current: Any) -> str:
        start = current if isinstance(current, str) and current else string_sample(shape)
        value = breaker(start)
        high = shape.metadata.get("max")
        if high is not None and len(value) > high:  # keep the length legal
            value = breaker(start[: max(0, high - 1)])
        return value

    return make


WRONG_TYPE = {
    "string": (12345, "a number"),
    "boolean": ("true", "a string"),
    "integer": ("10", "a string"),
    "long": ("10", "a string"),
    "list": ({"not": "a list"}, "an object"),
    "structure": ("not an object", "a string"),
    "map": (["not", "an", "object"], "a list"),
}


def _value_cases(op: str, path: tuple, shape: Any, sensitive: bool) -> Iterator[Case]:
    """Cases that change a value (every shape type), without the ``missing`` case."""
    md = shape.metadata
    sensitive = sensitive or _is_sensitive(shape)
    t = shape.type_name

    def case(kind: str, constraint: str, make: Callable[[Any], Any]) -> Case:
        return Case(op, path, kind, constraint, make, sensitive)

    if t == "string":
        low, high, pattern = md.get("min"), md.get("max"), md.get("pattern")
        if low:
            yield case("too_short", f"min length {low}", lambda _c, n=low: "a" * (n - 1))
        if high is not None:
            yield case("too_long", f"max length {high}", _too_long(shape))
        if pattern is not None:
            if pattern in PATTERNS:
                yield case("pattern", f"pattern {pattern} ({PATTERNS[pattern][2]})",
                           _broken(shape))
            elif pattern not in ACCEPTS_ANYTHING:
                UNBROKEN_PATTERNS.add(pattern)
        if getattr(shape, "enum", None):
            yield case("enum", f"enum {shape.enum}", lambda _c: INVALID_ENUM)
    elif t in ("integer", "long"):
        low, high = md.get("min"), md.get("max")
        if low is not None:
            yield case("below_min", f"min {low}", lambda _c, n=low: n - 1)
        if high is not None:
            yield case("above_max", f"max {high}", lambda _c, n=high: n + 1)
    elif t == "list":
        low, high = md.get("min"), md.get("max")
        if low:
            yield case("too_few", f"min {low} items", lambda _c: [])
        if high is not None:
            yield case("too_many", f"max {high} items", _too_many(shape.member, high + 1))
        member = shape.member
        item_path = path + (ITEM,)
        if member.type_name == "structure":
            yield Case(op, item_path, "wrong_type", "a structure",
                       lambda _c: WRONG_TYPE["structure"][0], sensitive)
        else:
            yield from _value_cases(op, item_path, member, sensitive)
    elif t == "map":
        key, value = shape.key, shape.value
        # Added under an extra key, so the other entries (e.g. AuthParameters) stay intact.
        if key.metadata.get("max") is not None:
            yield case("key_too_long", f"key max length {key.metadata['max']}",
                       _extra_key(lambda: "k" * (key.metadata["max"] + 1), "v"))
        if key.metadata.get("min"):
            yield case("key_too_short", f"key min length {key.metadata['min']}",
                       _extra_key(lambda: "", "v"))
        if value.type_name == "string" and value.metadata.get("max") is not None:
            high = value.metadata["max"]
            yield case("value_too_long", f"value max length {high}",
                       _extra_key(lambda: "negative-test", "v" * (high + 1)))
        if value.type_name == "string":
            yield case("value_wrong_type", "string values",
                       _extra_key(lambda: "negative-test", 12345))
    if t in WRONG_TYPE:
        wrong, what = WRONG_TYPE[t]
        yield case("wrong_type", f"{t} ({what} sent)", lambda _c, v=wrong: v)


def _extra_key(key: Callable[[], str], value: Any) -> Callable[[Any], dict]:
    def make(current: Any) -> dict:
        out = dict(current) if isinstance(current, dict) else {}
        out[key()] = value
        return out

    return make


def _too_many(member: Any, count: int) -> Callable[[Any], list]:
    def make(current: Any) -> list:
        first = current[0] if isinstance(current, list) and current else None
        items = []
        for i in range(count):
            if member.type_name == "structure":
                item = dict(first or {})
                if isinstance(item.get("Name"), str):  # keep items distinct where named
                    item["Name"] = f"{item['Name'][:15]}{i}"
            elif getattr(member, "enum", None):
                item = member.enum[i % len(member.enum)]
            elif member.type_name == "string":
                stem = first if isinstance(first, str) else string_sample(member)
                item = f"{stem}{i}"
            else:
                item = first
            items.append(item)
        return items

    return make


def _member_cases(op: str, path: tuple, shape: Any, required: bool, base_value: Any,
                  sensitive: bool, depth: int) -> Iterator[Case]:
    sensitive = sensitive or _is_sensitive(shape)
    if required and base_value is not MISSING:
        yield Case(op, path, "missing", "required", lambda _c: DELETE, sensitive)
    yield from _value_cases(op, path, shape, sensitive)
    if depth >= MAX_DEPTH:
        return
    # Into structures the base request has (directly or as the first item of a list).
    if shape.type_name == "structure" and isinstance(base_value, dict):
        yield from _structure_cases(op, path, shape, base_value, sensitive, depth + 1)
    elif (shape.type_name == "list" and shape.member.type_name == "structure"
          and isinstance(base_value, list) and base_value and isinstance(base_value[0], dict)):
        yield from _structure_cases(op, path + (ITEM,), shape.member, base_value[0],
                                    sensitive or _is_sensitive(shape.member), depth + 1)


def _structure_cases(op: str, path: tuple, shape: Any, base: dict, sensitive: bool,
                     depth: int) -> Iterator[Case]:
    for name, member in shape.members.items():
        yield from _member_cases(op, path + (name,), member, name in shape.required_members,
                                 base.get(name, MISSING), sensitive, depth)


def operation_cases(op: str, base: dict) -> list[Case]:
    """Every case for ``op`` given the (structure of the) base request."""
    shape = MODEL.operation_model(op).input_shape
    unknown = set(base) - set(shape.members)
    assert not unknown, f"{op}: base request has members the model lacks: {sorted(unknown)}"
    missing = [m for m in shape.required_members if m not in base]
    assert not missing, f"{op}: base request lacks required members {missing}"
    cases = list(_structure_cases(op, (), shape, base, False, 0))
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), f"{op}: duplicate case ids"
    return cases


def documented_errors(op: str) -> set[str]:
    return {e.name for e in MODEL.operation_model(op).error_shapes}
