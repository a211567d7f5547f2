"""Named registries: one per kind of pluggable thing (task, model, ...).

Every entry has a qualified name ``<plugin>:<name>`` (``face_emotion:alexnet``;
built-ins are ``imgclf:<name>``) that always finds it. A bare name finds the
entry only while one plugin registers it: when two do, using the bare name is
refused with both qualified names, so installing a plugin never changes which
object an existing name runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import PluginError, did_you_mean

T = TypeVar("T")
SEP = ":"


def qualify(namespace: str, name: str) -> str:
    """``face_emotion:alexnet``: the name nothing else can take."""
    return f"{namespace}{SEP}{name}"


class Registry(Generic[T]):
    """A name -> object map that keeps clashing names apart and explains unknown ones."""

    def __init__(self, kind: str, check: Callable[[object], bool] | None = None):
        self.kind = kind
        self._items: dict[str, T] = {}  # qualified name -> object
        self._owners: dict[str, str] = {}  # qualified name -> plugin
        self._bare: dict[str, list[str]] = {}  # bare name -> its qualified names
        self._check = check

    def register(self, name: str, obj: T, owner: str = "?", namespace: str | None = None) -> None:
        """Add ``obj`` as ``<namespace>:<name>`` (namespace: the owner's name by default).

        The same plugin registering one name twice is an error; two plugins
        registering it are not (see :meth:`get`).
        """
        if not isinstance(name, str) or not name or SEP in name:
            raise PluginError(
                f"A {self.kind} name must be a non-empty string without {SEP!r} (imgclf adds "
                f"'<plugin>{SEP}' itself); received {name!r} from {owner}."
            )
        qualified = qualify(namespace or owner, name)
        if qualified in self._items:
            raise PluginError(
                f"{self.kind} {name!r} is registered twice by {self._owners[qualified]}"
                + ("." if owner == self._owners[qualified] else f" and {owner}.")
                + " Register each name once."
            )
        if self._check is not None and not self._check(obj):
            raise PluginError(f"{self.kind} {name!r} from {owner} is not valid: received {obj!r}.")
        self._items[qualified] = obj
        self._owners[qualified] = owner
        self._bare.setdefault(name, []).append(qualified)

    def resolve(self, name: str) -> str:
        """The qualified name ``name`` stands for; PluginError if unknown or ambiguous."""
        if name in self._items:
            return name
        candidates = self._bare.get(name, [])
        if len(candidates) == 1:
            return candidates[0]
        if candidates:  # sorted: the message does not depend on plugin load order
            candidates = sorted(candidates)
            owners = " and ".join(self._owners[q] for q in candidates)
            choices = " or ".join(repr(q) for q in candidates)
            raise PluginError(
                f"{self.kind} {name!r} is registered by more than one plugin ({owners}), so "
                f"the bare name is refused rather than guessed. Use {choices}."
            )
        known = ", ".join(self.names()) or "none"
        options = [*self._bare, *self._items]
        raise PluginError(
            f"Unknown {self.kind} {name!r}.{did_you_mean(name, options)} "
            f"Known {self.kind}s: {known}. Run 'imgclf list' to see them all."
        )

    def get(self, name: str) -> T:
        """The object for a qualified name, or a bare name only one plugin registers."""
        return self._items[self.resolve(name)]

    def owner(self, name: str) -> str:
        return self._owners[self.resolve(name)]

    def clashes(self, name: str) -> bool:
        """Whether ``name`` is a bare name more than one plugin registers."""
        return len(self._bare.get(name, ())) > 1

    def names(self) -> list[str]:
        """Names that work: the bare name, or each qualified name where plugins clash."""
        out = []
        for bare, qualified in self._bare.items():
            out += qualified if len(qualified) > 1 else [bare]
        return sorted(out)

    def qualified_names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        """Known at all (qualified, or bare even when ambiguous: :meth:`get` explains)."""
        return name in self._items or name in self._bare

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
