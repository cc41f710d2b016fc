"""Rows of a report made when they are read: a sequence of pydantic models that is not kept in memory.

A reconciliation of a million requests, or a projection of 600,000 workload months, would hold a model
per row; :class:`ModelRows` subclasses hold the rows' values (in memory, on disk, or as a function that
computes them again) and make each model as it is read. They behave as the tuple of those models: equal
to any sequence of the same models, hashable, and a field of a pydantic model (validated from any
iterable of the models or of their dicts, serialized as a list).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

__all__ = ["ModelRows"]

M = TypeVar("M", bound=BaseModel)


class ModelRows(Sequence[M]):
    """A sequence of ``item`` models made when read. A subclass sets :attr:`item` and :attr:`what`,
    and defines :meth:`of`, ``__len__``, ``__iter__`` and ``__getitem__``."""

    __slots__ = ()

    item: ClassVar[type[BaseModel]]
    """The model each row is."""
    what: ClassVar[str]
    """What the rows are, in the plural (``requests``): for ``repr`` and validation errors."""

    @classmethod
    def of(cls, items: Iterable[M]) -> Self:
        """Rows holding ``items`` (models already made)."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ModelRows | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} {self.what})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: object, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        def validate(value: object) -> ModelRows[M]:
            if isinstance(value, cls):
                return value
            if not isinstance(value, Iterable):
                raise ValueError(f"{cls.what} must be a sequence of {cls.item.__name__}")
            return cls.of(cls.item.model_validate(v) for v in value)  # type: ignore[misc]

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda rows: [row.model_dump() for row in rows]
            ),
        )
