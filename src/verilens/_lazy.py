"""Lazy re-exports (PEP 562), so that importing a package does not import its heavy parts."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import ``exports[name]`` on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping
        Public name -> module (absolute, or relative to ``package`` when it starts with ".").
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*exports, *(k for k in namespace if not k.startswith("_"))})

    return __getattr__, __dir__
