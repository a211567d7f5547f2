"""Named registries: one per kind of pluggable thing (task, model, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import PluginError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object map that refuses clashes and explains unknown names."""

    def __init__(self, kind: str, check: Callable[[object], bool] | None = None):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self._check = check

    def register(self, name: str, obj: T, owner: str = "?") -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"A {self.kind} name must be a non-empty string; received {name!r}.")
        if name in self._items:
            raise PluginError(
                f"{self.kind} {name!r} is registered twice: by {self._owners[name]} and by "
                f"{owner}. Uninstall one of the plugins or pick another name."
            )
        if self._check is not None and not self._check(obj):
            raise PluginError(f"{self.kind} {name!r} from {owner} is not valid: received {obj!r}.")
        self._items[name] = obj
        self._owners[name] = owner

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise PluginError(
                f"Unknown {self.kind} {name!r}.{did_you_mean(name, self._items)} "
                f"Known {self.kind}s: {known}. Run 'imgclf list' to see them all."
            ) from None

    def owner(self, name: str) -> str:
        return self._owners[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
