"""A lean stand-in for the frozen :func:`dataclasses.dataclass` of the protocol messages.

``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``...) and
builds a ``Field`` object and six compiled methods per class: about 1.3 MB of resident
memory for the protocol's ~50 record classes, more than the rest of the protocol code.
This module gives those classes the same behaviour with one compiled ``__init__`` per
class and shared methods, for the subset they use: ``frozen=True``, optionally
``order=True``; defaults and ``field(default_factory=...)``; ``ClassVar`` annotations
skipped; fields inherited from record bases, in the order ``dataclasses`` gives them;
``__post_init__``; ``__match_args__``; methods a class defines itself are kept, as
``dataclasses`` keeps them.

Type checkers see the real ``dataclasses`` (the protocol modules import it under
``TYPE_CHECKING``). Code that introspects with ``dataclasses`` itself still works:
``__dataclass_fields__`` and ``__dataclass_params__`` are made from real ``Field``
objects the first time they are read (by ``dataclasses.fields``, ``is_dataclass``,
``asdict``, ``astuple``, ``replace``, or a real dataclass inheriting from a record), by
which time the caller has imported ``dataclasses`` anyway. Assigning to a field raises
:class:`dataclasses.FrozenInstanceError`, imported on that (error) path only.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any, ClassVar

__all__ = ["dataclass", "field", "fields"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


class _Factory:
    __slots__ = ()

    def __repr__(self) -> str:
        # What dataclasses shows, so that signatures (and the API docs) read the same.
        return "<factory>"


_MISSING: Any = _Missing()
_FACTORY: Any = _Factory()


class _Field:
    """One field, as :func:`fields` returns it (the attributes of ``dataclasses.Field``
    that the protocol uses; "no default" is a private sentinel, not
    ``dataclasses.MISSING``)."""

    __slots__ = ("default", "default_factory", "name", "type")

    def __init__(self, name: str, type_: Any, default: Any, default_factory: Any) -> None:
        self.name = name
        self.type = type_
        self.default = default
        self.default_factory = default_factory

    def __repr__(self) -> str:
        return f"Field(name={self.name!r},type={self.type!r})"


def field(*, default: Any = _MISSING, default_factory: Any = _MISSING) -> Any:
    """A field with a default made per instance by ``default_factory()``, or a plain one."""
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return _Field("", None, default, default_factory)


def fields(class_or_instance: Any) -> tuple[_Field, ...]:
    """The fields of a record class or instance, in ``__init__`` order.

    For any other dataclass this is :func:`dataclasses.fields`.
    """
    try:
        result: tuple[_Field, ...] = class_or_instance.__record_fields__
    except AttributeError:
        import dataclasses

        return dataclasses.fields(class_or_instance)  # type: ignore[return-value]
    return result


def _is_classvar(annotation: object) -> bool:
    # dataclasses recognises "ClassVar[...]" and "typing.ClassVar[...]" in string
    # annotations (these modules use `from __future__ import annotations`) too.
    if isinstance(annotation, str):
        head = annotation.partition("[")[0].strip()
        return head in ("ClassVar", "typing.ClassVar")
    return annotation is ClassVar or getattr(annotation, "__origin__", None) is ClassVar


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    cls = type(self)
    if "__record_fields__" in cls.__dict__ or name in cls.__record_names__:
        from dataclasses import FrozenInstanceError  # the error path only

        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)  # a plain subclass's own attributes


def _frozen_delattr(self: Any, name: str) -> None:
    cls = type(self)
    if "__record_fields__" in cls.__dict__ or name in cls.__record_names__:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


def _values_getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    # The field values of an instance __dict__, as the tuple dataclasses compares and
    # hashes. itemgetter is three times faster than a comprehension over the names;
    # it returns a bare value for one name, hence the closures.
    if len(names) >= 2:
        return itemgetter(*names)
    if names:
        name = names[0]
        return lambda attrs: (attrs[name],)
    return lambda attrs: ()


def _repr(self: Any) -> str:
    attrs = self.__dict__
    body = ", ".join([f"{name}={attrs[name]!r}" for name in self.__record_names__])
    return f"{self.__class__.__qualname__}({body})"


def _eq(self: Any, other: object) -> Any:
    values = self.__class__.__record_values__
    if other.__class__ is self.__class__:
        return values(self.__dict__) == values(other.__dict__)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__class__.__record_values__(self.__dict__))


def _order(compare: Callable[[tuple[Any, ...], tuple[Any, ...]], bool]) -> Any:
    def method(self: Any, other: object) -> Any:
        values = self.__class__.__record_values__
        if other.__class__ is self.__class__:
            return compare(values(self.__dict__), values(other.__dict__))
        return NotImplemented

    return method


_ORDER = {
    "__lt__": _order(lambda a, b: a < b),
    "__le__": _order(lambda a, b: a <= b),
    "__gt__": _order(lambda a, b: a > b),
    "__ge__": _order(lambda a, b: a >= b),
}


class _DataclassFields:
    """``__dataclass_fields__``, made of real ``dataclasses.Field`` objects on first read
    and then stored on the record class in place of this descriptor."""

    __slots__ = ()

    def __get__(self, instance: object, owner: type) -> dict[str, Any]:
        import dataclasses

        record = next(k for k in owner.__mro__ if k.__dict__.get("__dataclass_fields__") is self)
        result: dict[str, Any] = {}
        for item in record.__dict__["__record_fields__"]:
            real: Any = dataclasses.field(
                default=dataclasses.MISSING if item.default is _MISSING else item.default,
                default_factory=(
                    dataclasses.MISSING
                    if item.default_factory is _MISSING
                    else item.default_factory
                ),
            )
            # What dataclasses' own class processing sets on each field it collects.
            real.name = item.name
            real.type = item.type
            real.kw_only = False
            real._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            result[item.name] = real
        type.__setattr__(record, "__dataclass_fields__", result)
        return result


class _DataclassParams:
    """``__dataclass_params__``, the real object (of a throwaway dataclass) on first read."""

    __slots__ = ("order",)

    def __init__(self, order: bool) -> None:
        self.order = order

    def __get__(self, instance: object, owner: type) -> Any:
        import dataclasses

        record = next(k for k in owner.__mro__ if k.__dict__.get("__dataclass_params__") is self)
        params = dataclasses.dataclass(frozen=True, order=self.order)(
            type("_Params", (), {})
        ).__dataclass_params__  # type: ignore[attr-defined]
        type.__setattr__(record, "__dataclass_params__", params)
        return params


# Shared by every record class: nothing per class until dataclasses asks.
_DATACLASS_FIELDS = _DataclassFields()
_DATACLASS_PARAMS = {order: _DataclassParams(order) for order in (False, True)}


def _own_fields(cls: type) -> list[_Field]:
    own = []
    # Not inspect.get_annotations(): importing inspect is what this module avoids.
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, _MISSING)
        if isinstance(value, _Field):
            item = _Field(name, annotation, value.default, value.default_factory)
            if item.default is _MISSING:
                delattr(cls, name)  # as dataclasses does: no class attribute for it
            else:
                setattr(cls, name, item.default)
        else:
            item = _Field(name, annotation, value, _MISSING)
        if item.default is not _MISSING and item.default.__class__.__hash__ is None:
            raise ValueError(
                f"mutable default {type(item.default)} for field {name} is not allowed: "
                "use default_factory"
            )
        own.append(item)
    return own


def _make_init(cls: type, items: tuple[_Field, ...]) -> Callable[..., None]:
    # Generated like dataclasses' own __init__: a loop over the field names would cost
    # more per message than the whole function. Locals and globals have names no field of
    # ours uses (as dataclasses' __dataclass_self__).
    namespace: dict[str, Any] = {"__record_factory__": _FACTORY}
    params = []
    lines = []
    seen_default = False
    for item in items:
        name = item.name
        if item.default_factory is not _MISSING:
            namespace[f"__record_factory_{name}__"] = item.default_factory
            params.append(f"{name}=__record_factory__")
            value = f"__record_factory_{name}__() if {name} is __record_factory__ else {name}"
            seen_default = True
        elif item.default is not _MISSING:
            namespace[f"__record_default_{name}__"] = item.default
            params.append(f"{name}=__record_default_{name}__")
            value = name
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        else:
            params.append(name)
            value = name
        lines.append(f"\n    __record_attrs__[{name!r}] = {value}")
    if hasattr(cls, "__post_init__"):
        lines.append("\n    __record_self__.__post_init__()")
    source = (
        f"def __init__({', '.join(['__record_self__', *params])}):\n"
        f"    __record_attrs__ = __record_self__.__dict__{''.join(lines)}\n"
    )
    exec(source, namespace)  # field names of our own classes: nothing from outside
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    # As dataclasses annotates it: signatures and the API docs show the field types.
    init.__annotations__ = {item.name: item.type for item in items} | {"return": None}
    return init


def dataclass(*, frozen: bool, order: bool = False) -> Callable[[type], type]:
    """Make ``cls`` a frozen record, as ``@dataclasses.dataclass(frozen=True)`` does."""
    if not frozen:
        raise TypeError("only frozen records are supported")

    def wrap(cls: type) -> type:
        # name -> field: those of the record bases first, then ours (an overridden field
        # keeps its place), as dataclasses orders them.
        spec: dict[str, _Field] = {}
        for base in reversed(cls.__mro__[1:]):
            for item in base.__dict__.get("__record_fields__", ()):
                spec[item.name] = item
        for item in _own_fields(cls):
            spec[item.name] = item
        items = tuple(spec.values())
        names = tuple(spec)

        methods: dict[str, Any] = {
            "__init__": _make_init(cls, items),
            "__repr__": _repr,
            "__eq__": _eq,
            "__setattr__": _frozen_setattr,
            "__delattr__": _frozen_delattr,
            "__match_args__": names,
        }
        for attr, method in methods.items():
            if attr in cls.__dict__:
                if attr in ("__setattr__", "__delattr__"):
                    raise TypeError(f"Cannot overwrite attribute {attr} in class {cls.__name__}")
                continue
            setattr(cls, attr, method)
        # As dataclasses (eq and frozen): a hash of the fields, unless the class has its
        # own __hash__ (a class that defines __eq__ alone has __hash__ = None: not its own).
        own_hash = cls.__dict__.get("__hash__", _MISSING)
        if own_hash is _MISSING or (own_hash is None and "__eq__" in cls.__dict__):
            cls.__hash__ = _hash  # type: ignore[assignment]
        if order:
            for attr, method in _ORDER.items():
                if attr in cls.__dict__:
                    raise TypeError(
                        f"Cannot overwrite attribute {attr} in class {cls.__name__}. "
                        "Consider using functools.total_ordering"
                    )
                setattr(cls, attr, method)

        cls.__record_fields__ = items  # type: ignore[attr-defined]
        cls.__record_names__ = names  # type: ignore[attr-defined]
        cls.__record_values__ = _values_getter(names)  # type: ignore[attr-defined]
        cls.__dataclass_fields__ = _DATACLASS_FIELDS  # type: ignore[attr-defined]
        cls.__dataclass_params__ = _DATACLASS_PARAMS[order]  # type: ignore[attr-defined]
        return cls

    return wrap
