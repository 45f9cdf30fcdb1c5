"""Column mapping: suggest which file column holds each portal field, and remember mappings.

A file's headers are first compared with the layouts of known ERP exports (the whole set of
headers decides, so "Amount" or "Name" mean what they mean in that system); a file of no known
layout is mapped header by header from synonym tables. Saved mappings are found again by a
signature of the normalised headers, whatever their order or case.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from lib.errors import PortalError
from lib.imports.mapping_layouts import (
    FIELDS,
    LAYOUTS,
    MEDIUM,
    STRONG,
    SYNONYMS,
    FieldSpec,
    LayoutSpec,
)
from lib.models import SavedMapping
from lib.store import session_scope

__all__ = [
    "DATE_ORDERS", "FIELDS", "FieldSpec", "LayoutSpec", "MappingError", "Suggestion",
    "find_saved_mapping", "get_mapping", "header_key", "header_signature", "layouts",
    "list_mappings", "mapping_for_headers", "missing_required", "normalise_header",
    "save_mapping", "saved_options", "suggest_mapping",
]

DATE_ORDERS = ("DMY", "MDY", "YMD")


class MappingError(PortalError):
    """A mapping the portal cannot save or apply, explained in plain words."""


# A wrong guess for these changes balances or kinds, so any doubt about them withholds
# confidence; a doubtful description or PO reference is only cosmetic.
_CRITICAL = frozenset({"doc_type", "due_date", "currency", "paid", "outstanding",
                       "applied_document", "applied_amount", "line_quantity", "line_unit_price",
                       "line_amount"})
_LINE_FIELDS = frozenset({"line_item_code", "line_quantity", "line_unit_price", "line_amount"})


@dataclass(frozen=True)
class Suggestion:
    """A suggested mapping (portal field -> exact file header) and how sure it is."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    confident: bool = False
    layout: str | None = None
    layout_title: str | None = None
    date_order: str | None = None
    line_level: bool = False
    missing: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()
    # The kind of file these headers are a known layout of, when it is not the kind asked for.
    looks_like: str | None = None


# ---- header normalisation -----------------------------------------------------------------

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                          "ß": "ss"})
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])"
                    r"|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
# "Document No.", "Document Number", "Doc #", "Beleg-Nr." name the same thing.
_TOKEN_ALIASES = {"number": "no", "num": "no", "nr": "no", "nbr": "no"}
_GLUED_NUMBER = re.compile(r"(num|nbr|nr)$")


def normalise_header(header: object) -> str:
    """A header reduced to lower-case ASCII words: case, accents, umlauts, punctuation ignored."""
    raw = str(header or "")
    # Split camelCase ("InvoiceAmountDue") in mixed-case headers only: all-caps stay whole.
    mixed = any(ch.islower() for ch in raw) and any(ch.isupper() for ch in raw)
    text = raw.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("#", " no ").replace("&", " and ")
    if mixed:
        text = _CAMEL.sub(" ", text)
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(_TOKEN_ALIASES.get(token, token) for token in tokens)


def header_key(header: object) -> str:
    """The comparison key of a header: its normalised words run together, so "ContactName",
    "CONTACTNAME" and "contact_name" are one header whatever camelCase survived upper-casing."""
    key = normalise_header(header).replace(" ", "").replace("number", "no")
    return _GLUED_NUMBER.sub("no", key)  # "INVOICENUM", "BELEGNR" lost their word boundary


# ---- compiled knowledge -------------------------------------------------------------------


@dataclass(frozen=True)
class _Synonym:
    score: float
    words: frozenset[str]


@dataclass(frozen=True)
class _Layout:
    spec: LayoutSpec
    fields: dict[str, tuple[str, ...]]
    markers: frozenset[str]
    signature: frozenset[str]
    must: frozenset[str]


def _compile_layout(spec: LayoutSpec) -> _Layout:
    fields = {name: tuple(header_key(h) for h in cands) for name, cands in spec.fields.items()}
    markers = frozenset(header_key(h) for h in spec.markers)
    known = {header_key(h) for h in spec.headers} | markers
    known |= {c for cands in fields.values() for c in cands}
    must = frozenset(header_key(h) for h in spec.must)
    return _Layout(spec, fields, markers, frozenset(known), must)


def _compile_synonyms(pairs: Iterable[tuple[str, float]]) -> dict[str, _Synonym]:
    table: dict[str, _Synonym] = {}
    for header, score in pairs:
        key, words = header_key(header), frozenset(normalise_header(header).split())
        if score > table.get(key, _Synonym(0.0, words)).score:
            table[key] = _Synonym(score, words)
    return table


_SYN = {kind: {name: _compile_synonyms(pairs) for name, pairs in by_field.items()}
        for kind, by_field in SYNONYMS.items()}
_LAYOUTS = {kind: tuple(_compile_layout(s) for s in LAYOUTS if s.kind == kind) for kind in FIELDS}


def layouts(kind: str) -> tuple[LayoutSpec, ...]:
    """The known ERP layouts for one kind of file, with where their headers were checked."""
    _check_kind(kind)
    return tuple(layout.spec for layout in _LAYOUTS[kind])


def _check_kind(kind: str) -> None:
    if kind not in FIELDS:
        raise MappingError(f"Unknown kind of file {kind!r}: choose one of {', '.join(FIELDS)}.")


def missing_required(kind: str, fields: Mapping[str, str]) -> tuple[str, ...]:
    """Required portal fields that a mapping leaves out (a total may come from line amounts)."""
    _check_kind(kind)
    has_lines = "line_amount" in fields or {"line_quantity", "line_unit_price"} <= fields.keys()
    return tuple(spec.name for spec in FIELDS[kind] if spec.required and spec.name not in fields
                 and not (spec.name == "total" and has_lines))


# ---- suggestions --------------------------------------------------------------------------


def _columns(headers: Sequence[str]) -> dict[str, list[str]]:
    """Normalised header -> the file's original headers with that name, in file order."""
    columns: dict[str, list[str]] = {}
    for header in headers:
        key = header_key(header)
        if key:
            columns.setdefault(key, []).append(header)
    return columns


def _recognise(kind: str, present: set[str]) -> tuple[_Layout | None, bool]:
    """The layout whose headers fit the file best, or None; True when two fit equally well."""
    scored: list[tuple[int, _Layout]] = []
    for layout in _LAYOUTS[kind]:
        hits = len(layout.markers & present)
        if not layout.must <= present or hits < min(layout.spec.min_markers, len(layout.markers)):
            continue
        found = {name: "" for name, cands in layout.fields.items() if present.intersection(cands)}
        if not missing_required(kind, found):
            scored.append((2 * hits + len(layout.signature & present), layout))
    if not scored:
        return None, False
    scored.sort(key=lambda item: -item[0])
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None, True
    return scored[0][1], False


def _layout_fields(layout: _Layout,
                   columns: dict[str, list[str]]) -> tuple[dict[str, str], set[str]]:
    fields: dict[str, str] = {}
    uncertain: set[str] = set()
    for name, candidates in layout.fields.items():
        found = next((c for c in candidates if c in columns), None)
        if found is not None:
            fields[name] = columns[found][0]
            if len(columns[found]) > 1:  # two columns of that name: which one is meant?
                uncertain.add(name)
    return fields, uncertain


def _score(synonyms: dict[str, _Synonym], key: str, header: str) -> float:
    """How well a header names a field: an exact synonym, or one inside a longer header."""
    if key in synonyms:
        return synonyms[key].score
    words = set(normalise_header(header).split())
    partial = [s.score for s in synonyms.values() if len(s.words) > 1 and s.words <= words]
    return max(partial, default=0.0) * 0.5  # "Invoice Date (UTC)": plausible, never sure


def _generic_fields(kind: str, columns: dict[str, list[str]], done: Iterable[str] = (),
                    used: Iterable[str] = (), minimum: float = 0.0,
                    ) -> tuple[dict[str, str], dict[str, float]]:
    """Best header per field by synonym score; each header used once, best scores first.

    `done` names fields already mapped, `used` the keys of headers already taken.
    """
    order = sorted(FIELDS[kind], key=lambda spec: not spec.required)
    rank = {spec.name: i for i, spec in enumerate(order)}
    done, used = set(done), set(used)
    pairs = [(score, rank[name], pos, name, key)
             for name, synonyms in _SYN[kind].items() if name not in done
             for pos, key in enumerate(columns) if key not in used
             if (score := _score(synonyms, key, columns[key][0])) > 0 and score >= minimum]
    fields: dict[str, str] = {}
    scores: dict[str, float] = {}
    for score, _, _, name, key in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if name not in fields and key not in used:
            fields[name], scores[name] = columns[key][0], score
            used.add(key)
    return fields, scores


def _generic_uncertain(kind: str, columns: dict[str, list[str]], fields: dict[str, str],
                       scores: dict[str, float]) -> set[str]:
    """Fields matched weakly, by a duplicated header, or by a header tied with another one."""
    chosen = {header_key(h) for h in fields.values()}
    uncertain = set()
    for name, header in fields.items():
        key = header_key(header)
        rivals = [k for k in columns if k != key and k not in chosen
                  and _score(_SYN[kind][name], k, columns[k][0]) >= scores[name]]
        if scores[name] < MEDIUM or rivals or len(columns[key]) > 1:
            uncertain.add(name)
    return uncertain


def suggest_mapping(kind: str, headers: Sequence[str]) -> Suggestion:
    """Suggest a column for each portal field from a file's headers, recognising known layouts."""
    _check_kind(kind)
    columns = _columns(headers)
    layout, clash = _recognise(kind, set(columns))
    looks_like = None
    if layout is None:
        fields, scores = _generic_fields(kind, columns)
        uncertain = _generic_uncertain(kind, columns, fields, scores)
        looks_like = next((k for k in FIELDS if k != kind and _recognise(k, set(columns))[0]),
                          None)
    else:
        fields, uncertain = _layout_fields(layout, columns)
        used = {header_key(h) for h in fields.values()}
        extra, _ = _generic_fields(kind, columns, done=fields, used=used, minimum=STRONG)
        fields.update(extra)
    missing = missing_required(kind, fields)
    required = {spec.name for spec in FIELDS[kind] if spec.required}
    doubtful = uncertain & (required | _CRITICAL)
    spec = layout.spec if layout else None
    return Suggestion(
        kind=kind, fields=fields, confident=not (missing or doubtful or clash or looks_like),
        layout=spec.key if spec else None, layout_title=spec.title if spec else None,
        date_order=spec.date_order if spec else None,
        line_level=spec.line_level if spec else bool(_LINE_FIELDS & fields.keys()),
        missing=missing, uncertain=tuple(sorted(uncertain)), looks_like=looks_like,
    )


# ---- saved mappings -----------------------------------------------------------------------


def header_signature(headers: Iterable[str]) -> str:
    """A stable hash of a file's normalised headers, independent of their order and case."""
    names = sorted({key for key in map(header_key, headers) if key})
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


def _validated(name: str, kind: str, headers: Sequence[str], fields: Mapping[str, str],
               options: Mapping[str, Any]) -> tuple[str, str]:
    """The cleaned name and options JSON, or a MappingError saying what is wrong."""
    _check_kind(kind)
    clean = " ".join(str(name).split())
    if not clean or len(clean) > 100:
        raise MappingError("Give the mapping a name of 1 to 100 characters.")
    known = {spec.name for spec in FIELDS[kind]}
    unknown = sorted(set(fields) - known)
    absent = sorted(h for h in fields.values() if h not in headers)
    if unknown or absent:
        raise MappingError(f"Unknown portal fields {unknown} or columns not in the file {absent}.")
    if missing := missing_required(kind, fields):
        raise MappingError(f"Choose a column for every required field: {', '.join(missing)}.")
    if options.get("date_order") not in (None, *DATE_ORDERS):
        raise MappingError(f"Date order must be one of {', '.join(DATE_ORDERS)}.")
    try:
        return clean, json.dumps(dict(options), sort_keys=True)
    except (TypeError, ValueError):
        raise MappingError("The mapping's options must be plain text, numbers or lists.") from None


def save_mapping(url: str, name: str, kind: str, headers: Sequence[str],
                 fields: Mapping[str, str], options: Mapping[str, Any] | None = None) -> None:
    """Save (or replace) a named mapping, recognised later by the file's header signature."""
    clean, options_json = _validated(name, kind, headers, fields, options or {})
    values = {"kind": kind, "header_signature": header_signature(headers),
              "mapping_json": json.dumps(dict(sorted(fields.items()))),
              "options_json": options_json}
    with session_scope(url) as session:
        row = session.exec(select(SavedMapping).where(SavedMapping.name == clean)).first()
        row = row or SavedMapping(name=clean, kind=kind, header_signature="", mapping_json="{}")
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)


def find_saved_mapping(url: str, headers: Sequence[str],
                       kind: str | None = None) -> SavedMapping | None:
    """The most recent saved mapping for files with these headers (any order or case)."""
    query = select(SavedMapping).where(SavedMapping.header_signature == header_signature(headers))
    if kind is not None:
        query = query.where(SavedMapping.kind == kind)
    with session_scope(url) as session:
        return session.exec(query.order_by(col(SavedMapping.id).desc())).first()


def list_mappings(url: str) -> list[SavedMapping]:
    """Every saved mapping, by name."""
    with session_scope(url) as session:
        return list(session.exec(select(SavedMapping).order_by(col(SavedMapping.name))).all())


def get_mapping(url: str, name: str) -> SavedMapping | None:
    """The saved mapping of that name, or None."""
    clean = " ".join(str(name).split())
    with session_scope(url) as session:
        return session.exec(select(SavedMapping).where(SavedMapping.name == clean)).first()


def mapping_for_headers(saved: SavedMapping, headers: Sequence[str]) -> dict[str, str]:
    """A saved mapping re-pointed at this file's exact headers (which may differ in case)."""
    columns = _columns(headers)
    stored: dict[str, str] = json.loads(saved.mapping_json)
    fields: dict[str, str] = {}
    for name, header in stored.items():
        found = columns.get(header_key(header))
        if not found:
            raise MappingError(f"Mapping {saved.name!r} needs a column {header!r}; "
                               "this file has none.")
        fields[name] = found[0]
    return fields


def saved_options(saved: SavedMapping) -> dict[str, Any]:
    """The options stored with a mapping (date order, snapshot flag ...)."""
    options: dict[str, Any] = json.loads(saved.options_json or "{}")
    return options
