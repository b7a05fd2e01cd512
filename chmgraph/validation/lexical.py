"""Whether a literal's text is a value of its XSD datatype (its lexical space, XSD 1.1 part 2).

rdflib knows the lexical spaces of most XSD datatypes (``Literal.ill_typed``) but not of the
Gregorian ones (``"soon"^^xsd:gYear`` passes), nor of ``xsd:dateTimeStamp``, the XML name types
or ``xsd:language``, and its numbers are Python's (``"1_000"^^xsd:integer`` and
``"nan"^^xsd:double`` pass). For those, the datatype's own pattern from XSD 1.1 is checked too,
after the whitespace collapsing every one of them applies to its text.

>>> from rdflib import Literal, XSD
>>> ill_typed(Literal("soon", datatype=XSD.gYear)), ill_typed(Literal("2024", datatype=XSD.gYear))
(True, False)
>>> ill_typed(Literal("--02-30", datatype=XSD.gMonthDay))
True
"""

from __future__ import annotations

import re

import rdflib

_XSD = "http://www.w3.org/2001/XMLSchema#"
_TZ = r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"-?([1-9][0-9]{3,}|0[0-9]{3})"
_MONTH = r"(0[1-9]|1[0-2])"
_DAY = r"(0[1-9]|[12][0-9]|3[01])"
_TIME = r"(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
# XML 1.0 (fifth edition) NameStartChar and NameChar, without ':' (added back for Name).
_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME = _START + r"\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"
_B64 = "[A-Za-z0-9+/]"
_INTEGER = r"[+-]?[0-9]+"
_INTEGERS = [
    "integer",
    "nonPositiveInteger",
    "negativeInteger",
    "long",
    "int",
    "short",
    "byte",
    "nonNegativeInteger",
    "unsignedLong",
    "unsignedInt",
    "unsignedShort",
    "unsignedByte",
    "positiveInteger",
]

_PATTERNS = {
    "gYear": _YEAR + _TZ,
    "gYearMonth": f"{_YEAR}-{_MONTH}{_TZ}",
    "gMonth": f"--{_MONTH}{_TZ}",
    "gDay": f"---{_DAY}{_TZ}",
    "gMonthDay": f"--{_MONTH}-{_DAY}{_TZ}",
    "dateTimeStamp": f"{_YEAR}-{_MONTH}-{_DAY}T{_TIME}" + _TZ.removesuffix("?"),
    "language": r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*",
    "NMTOKEN": f"[:{_NAME}]+",
    "Name": f"[:{_START}][:{_NAME}]*",
    "NCName": f"[{_START}][{_NAME}]*",
    "base64Binary": (
        f"(({_B64} ?){{4}})*(({_B64} ?){{3}}{_B64}|({_B64} ?){{2}}[AEIMQUYcgkosw048] ?="
        f"|{_B64} ?[AQgw] ?= ?=)?"
    ),
    "decimal": r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)",
    "float": r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?|[+-]?INF|NaN",
    "double": r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?|[+-]?INF|NaN",
    **dict.fromkeys(_INTEGERS, _INTEGER),
}
_COMPILED = {_XSD + name: re.compile(pattern) for name, pattern in _PATTERNS.items()}
# The longest day of each month in a gMonthDay (29 February: some year has it).
_DAYS_IN = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def ill_typed(literal: rdflib.Literal) -> bool:
    """Whether ``literal`` has an XSD datatype and text that is no value of it."""
    if getattr(literal, "ill_typed", False):
        return True
    pattern = _COMPILED.get(str(literal.datatype))
    if pattern is None:
        return False
    text = " ".join(str(literal).split())  # whiteSpace="collapse"
    if pattern.fullmatch(text) is None:
        return True
    if literal.datatype == rdflib.XSD.gMonthDay:
        month, day = int(text[2:4]), int(text[5:7])
        return day > _DAYS_IN[month - 1]
    if literal.datatype == rdflib.XSD.dateTimeStamp:
        # The date's own checks (30 February) are rdflib's, on the same text as an xsd:dateTime.
        as_date_time = rdflib.Literal(str(literal), datatype=rdflib.XSD.dateTime, normalize=False)
        return bool(getattr(as_date_time, "ill_typed", False))
    return False
