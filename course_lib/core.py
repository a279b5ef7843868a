"""Small low-level helpers every package of the kit shares (no TensorFlow, no Keras import)."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Generic, Iterator, TypeVar

__all__ = ["atomic_write", "write_json_atomic", "Registry", "normalize_key", "repo_root"]

T = TypeVar("T")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and move it onto ``path``.

    The temporary name ends with the destination's (``model.save`` insists on ``.keras``). If the
    block raises it is removed and ``path`` is untouched.

    Example:
    >>> with atomic_write("results/run.png") as tmp:   # doctest: +SKIP
    ...     figure.savefig(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name ends with the whole target name: Keras checks compound suffixes
    # (``.weights.h5``) as well as ``.keras``.
    fd, tmp_name = tempfile.mkstemp(prefix=".", suffix=f".partial.{path.name}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_json_atomic(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` with :func:`atomic_write`; return the path."""
    with atomic_write(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=False, allow_nan=True)
            handle.write("\n")
    return Path(path)


def normalize_key(name: Any) -> str:
    """The lookup key of a name: case, surrounding spaces, ``_``/space vs ``-`` do not matter."""
    return str(name).strip().lower().replace("_", "-").replace(" ", "-")


class Registry(Generic[T]):
    """Names -> objects, looked up forgivingly, with suggestions for a misspelt name.

    Args:
        kind: what the entries are, for messages (``"model"``, ``"experiment"``...).
        hint: what to call for the full list, appended to the unknown-name message.

    Example:
    >>> budgets = Registry("budget")
    >>> budgets.register("quick", 1)
    1
    >>> budgets.get("QUICK")
    1
    >>> budgets.get("quik")
    Traceback (most recent call last):
    ...
    ValueError: Unknown budget 'quik'. Did you mean 'quick'? Choose from: quick.
    """

    def __init__(self, kind: str, *, hint: str = "") -> None:
        self.kind = kind
        self.hint = hint
        self._entries: dict[str, tuple[str, T]] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, item: T, *, aliases: tuple[str, ...] = ()) -> T:
        """Add ``item`` under ``name`` (and ``aliases``). Raises ``ValueError`` if taken."""
        key = normalize_key(name)
        if key in self._entries or key in self._aliases:
            raise ValueError(f"A {self.kind} named {name!r} is already registered.")
        self._entries[key] = (str(name), item)
        for alias in aliases:
            self._aliases[normalize_key(alias)] = key
        return item

    def decorator(self, name: str, **kwargs) -> Callable[[T], T]:
        """``@registry.decorator("name")`` registers the decorated object (as timm does)."""
        def wrap(item: T) -> T:
            self.register(name, item, **kwargs)
            return item
        return wrap

    def _key(self, name: Any) -> str | None:
        key = normalize_key(name)
        key = self._aliases.get(key, key)
        return key if key in self._entries else None

    def __contains__(self, name: Any) -> bool:
        return self._key(name) is not None

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def names(self) -> list[str]:
        """The registered names, as they were spelt at registration, in registration order."""
        return [display for display, _ in self._entries.values()]

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.values())

    def values(self) -> list[T]:
        return [item for _, item in self._entries.values()]

    def __getitem__(self, name: Any) -> T:
        return self.get(name)

    def canonical(self, name: Any, *, arg: str = "") -> str:
        """The registered spelling of ``name`` (raises like :meth:`get`)."""
        key = self._key(name)
        if key is None:
            raise self._unknown(name, arg)
        return self._entries[key][0]

    def get(self, name: Any, *, arg: str = "") -> T:
        """The object registered as ``name``; ``ValueError`` (with suggestions) if unknown."""
        key = self._key(name)
        if key is None:
            raise self._unknown(name, arg)
        return self._entries[key][1]

    def _unknown(self, name: Any, arg: str = "") -> ValueError:
        keys = list(self._entries) + list(self._aliases)
        close = difflib.get_close_matches(normalize_key(name), keys, n=3, cutoff=0.5)
        shown = []
        for key in close:
            display = self._entries[self._aliases.get(key, key)][0]
            if display not in shown:
                shown.append(display)
        hint = f" Did you mean {' or '.join(repr(s) for s in shown)}?" if shown else ""
        listing = ", ".join(self.names())
        if len(self._entries) > 20:
            listing = ", ".join(self.names()[:20]) + f", ... ({len(self._entries)} in all)"
        tail = (f" {self.hint}" if self.hint else "") + (f" Received: {arg}={name!r}" if arg else "")
        return ValueError(f"Unknown {self.kind} {name!r}.{hint} Choose from: {listing}.{tail}")


def repo_root() -> Path | None:
    """The git checkout the kit is imported from, or ``None`` for an installed copy."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None
