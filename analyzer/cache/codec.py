"""Bytes for extraction results: what worker processes send back and what the cache stores.

Three measured problems shape this module:

* Default pickling of frozen slotted dataclasses calls a Python ``__setstate__`` that re-reads
  ``dataclasses.fields`` for every object; facts are ~1,500 objects per parsed file, so that cost
  more than parsing. Encoding each fact class as ``(cls, field values)`` (a private dispatch
  table) makes loading call the generated ``__init__`` directly: about 2x faster.
* Even so, building every fact object of every file costs ~10 us per 100 facts, which a warm run
  (everything cached) cannot afford when it only needs, say, the imports of most files. So a
  ``PythonFacts`` is stored field by field and decoded *lazily*: ``decode`` returns an instance of
  a subclass whose fields are decoded on first access (``_lazy_class``). It is a real
  ``PythonFacts`` (``isinstance`` holds; equality, hashing, ``repr`` and pickling behave as for
  the plain value), so checks cannot tell the difference.
* Cache files live in the project tree and pickles can run code, so decoding uses an allow-list
  unpickler: only obs-lint's own dataclasses and enums (and a few inert builtins) can be built.

The allow-list covers every value a fact can hold, including every value PyYAML's safe loader
constructs (YAML facts keep constructed scalars; packs keep parameters written in YAML):
``str``, ``int``, ``float``, ``bool``, ``None``, ``bytes`` (``!!binary``), ``list``, ``dict``
and ``tuple`` are pickle opcodes; ``set`` and ``frozenset`` (``!!set``), ``datetime.date``,
``datetime.datetime`` (naive or with a ``datetime.timezone`` offset: ``!!timestamp``),
``datetime.time`` and ``datetime.timedelta`` are named in ``_SAFE_GLOBALS``
(``tests/test_cache.py`` round-trips each of them through the cache). Should a value ever
encode but not decode, the run does not stop: ``extract`` keeps the value it has and does not
store it (``CorruptEntry`` is a cache miss, never an error).
"""

from __future__ import annotations

import copyreg
import dataclasses
import enum
import io
import pickle
import sys
from typing import Any

from ..facts.model import Problem, PythonFacts

_PROTOCOL = 5
# module -> names the unpickler may build: inert value types only (constructing one runs no
# code of the cache file's choosing)
_SAFE_GLOBALS: dict[str, frozenset[str]] = {
    "builtins": frozenset({"set", "frozenset", "complex", "bytearray", "slice", "range"}),
    # YAML timestamps (``2024-01-31``, ``2024-01-31 10:00:00+02:00``) are dates and datetimes
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone"}),
    "copyreg": frozenset({"__newobj__"}),
}
_SAFE_BUILTINS = _SAFE_GLOBALS["builtins"]

# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------

_TABLE: dict[type, Any] | None = None


def _reducer(cls: type, names: tuple[str, ...]):
    def reduce(obj: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, tuple([getattr(obj, n) for n in names])
    return reduce


def _fact_classes() -> list[type]:
    """Every frozen dataclass defined in an imported obs_lint module (facts and values)."""
    out = []
    for name, mod in list(sys.modules.items()):
        if not (name == "obs_lint" or name.startswith("obs_lint.")) or mod is None:
            continue
        for obj in list(vars(mod).values()):
            if (isinstance(obj, type) and obj.__module__ == name
                    and dataclasses.is_dataclass(obj)):
                out.append(obj)
    return out


def _dispatch_table() -> dict[type, Any]:
    global _TABLE
    if _TABLE is None:
        table = dict(copyreg.dispatch_table)
        for cls in _fact_classes():
            params = getattr(cls, "__dataclass_params__", None)
            fields = dataclasses.fields(cls)
            if params is None or not params.frozen or not params.init or any(
                    not f.init for f in fields):
                continue
            table[cls] = _reducer(cls, tuple(f.name for f in fields))
        _TABLE = table
    return _TABLE


def _dumps(obj: Any) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=_PROTOCOL)
    pickler.dispatch_table = _dispatch_table()
    pickler.dump(obj)
    return buf.getvalue()


def encode(payload: object, problems: tuple[Problem, ...]) -> bytes:
    """Bytes for one file's extraction result (see ``decode``)."""
    if type(payload) is PythonFacts or isinstance(payload, PythonFacts):
        fields = tuple(f.name for f in dataclasses.fields(PythonFacts))
        blobs = tuple(_dumps(getattr(payload, name)) for name in fields)
        return _dumps(("python", problems, fields, blobs))
    return _dumps(("object", problems, payload))


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


class CorruptEntry(Exception):
    """The bytes are not an encoding this version wrote (corrupt, foreign, or older): a cache
    miss, never an error. (Not ``facts.source.DecodeError``, which is a source file's bytes that
    are not text.)"""


class _Unpickler(pickle.Unpickler):
    """Builds only obs-lint's dataclasses and enums and a few inert builtins."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: D102
        if name in _SAFE_GLOBALS.get(module, ()):
            return getattr(__import__(module), name)
        if module == "obs_lint" or module.startswith("obs_lint."):
            mod = sys.modules.get(module)
            if mod is None:
                __import__(module)
                mod = sys.modules[module]
            obj = getattr(mod, name, None)
            if isinstance(obj, type) and (dataclasses.is_dataclass(obj)
                                          or issubclass(obj, enum.Enum)):
                return obj
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the cache")


def _loads(data: bytes) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


def decode(body: bytes) -> tuple[object, tuple[Problem, ...]]:
    """(payload, problems) from ``encode``'s bytes. Raises CorruptEntry for anything else."""
    try:
        top = _loads(body)
        if not isinstance(top, tuple) or not top:
            raise CorruptEntry("not an obs-lint extraction result")
        if top[0] == "python" and len(top) == 4:
            _, problems, fields, blobs = top
            if tuple(fields) != _PY_FIELDS or len(blobs) != len(fields) or not all(
                    isinstance(b, bytes) for b in blobs):
                raise CorruptEntry("stored with a different PythonFacts layout")
            payload: object = _lazy_python(dict(zip(fields, blobs)))
        elif top[0] == "object" and len(top) == 3:
            _, problems, payload = top
        else:
            raise CorruptEntry("not an obs-lint extraction result")
        if not isinstance(problems, tuple) or not all(isinstance(p, Problem) for p in problems):
            raise CorruptEntry("malformed problems")
        return payload, problems
    except CorruptEntry:
        raise
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not usable"
        raise CorruptEntry(f"{type(exc).__name__}: {exc}") from None


def encode_object(obj: object) -> bytes:
    """Bytes for any value made of obs-lint dataclasses, enums and builtins (e.g. a Pack)."""
    return _dumps(("value", obj))


def decode_object(body: bytes) -> object:
    """The value ``encode_object`` encoded. Raises CorruptEntry for anything else."""
    try:
        top = _loads(body)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not usable"
        raise CorruptEntry(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(top, tuple) or len(top) != 2 or top[0] != "value":
        raise CorruptEntry("not an obs-lint value")
    return top[1]


# ---------------------------------------------------------------------------------------------
# Lazily decoded PythonFacts
# ---------------------------------------------------------------------------------------------

_PY_FIELDS = tuple(f.name for f in dataclasses.fields(PythonFacts))


def _lazy_class(base: type) -> type:
    """A subclass of the frozen slotted dataclass ``base`` whose fields decode on first access.

    Each field becomes a property over the base class's slot: the getter returns the slot if
    set, else decodes the field's bytes from ``_blobs`` and fills the slot. The setter fills the
    slot, so the inherited ``__init__`` (and ``dataclasses.replace``) still work.
    """
    names = tuple(f.name for f in dataclasses.fields(base))
    ns: dict[str, Any] = {"__slots__": ("_blobs",)}

    def make(name: str) -> property:
        slot = base.__dict__[name]

        def get(self: Any) -> Any:
            try:
                return slot.__get__(self, base)
            except AttributeError:
                value = _loads(object.__getattribute__(self, "_blobs")[name])
                slot.__set__(self, value)
                return value

        def set_(self: Any, value: Any) -> None:
            slot.__set__(self, value)

        return property(get, set_, doc=f"{name} (decoded on first access)")

    for name in names:
        ns[name] = make(name)

    def __eq__(self: Any, other: Any) -> Any:
        if not isinstance(other, base):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in names)

    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in names))

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return base, tuple(getattr(self, n) for n in names)

    ns["__eq__"] = __eq__
    ns["__hash__"] = __hash__
    ns["__reduce__"] = __reduce__
    ns["__module__"] = __name__
    ns["__doc__"] = f"A {base.__name__} decoded field by field on first access."
    return type(f"Lazy{base.__name__}", (base,), ns)


_LazyPythonFacts = _lazy_class(PythonFacts)


def _lazy_python(blobs: dict[str, bytes]) -> PythonFacts:
    obj = object.__new__(_LazyPythonFacts)
    object.__setattr__(obj, "_blobs", blobs)
    return obj  # type: ignore[return-value]
