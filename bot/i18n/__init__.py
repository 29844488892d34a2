"""Message catalogues (nb, en) and locale-aware formatting."""

from bot.i18n.catalog import LOCALES, format_day, t

__all__ = ["LOCALES", "format_day", "t"]
