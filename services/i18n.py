"""Texts the tenant keeps in several languages."""

from __future__ import annotations

FALLBACK_ORDER = ("en", "fa", "ru", "kk")


def localized(names: dict[str, str] | None, locale: str) -> str:
    """The name in `locale`, else the first one kept in the fallback order."""
    if not names:
        return ""
    if names.get(locale):
        return names[locale]
    for fallback in FALLBACK_ORDER:
        if names.get(fallback):
            return names[fallback]
    return next(iter(names.values()), "")
