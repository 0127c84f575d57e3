"""{{ tariff|tariff_describe }} and {{ tariff|tariff_describe:"nl" }}: a tariff in words."""

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils import translation

from tariffs import pricing

register = template.Library()


@register.filter(name="tariff_describe")
def tariff_describe(tariff: pricing.Tariff | Mapping[str, Any], language: str | None = None) -> str:
    """The tariff (OCPI dict or parsed Tariff) in words, in `language` or the active one.
    A tariff that cannot be read shows its own alternative text, or nothing."""
    language = language or translation.get_language() or "en"
    try:
        return pricing.tariff_describe(tariff, language)
    except pricing.PricingError:
        return _alt_text(tariff, language)


def _alt_text(tariff: Any, language: str) -> str:
    texts = tariff.get("tariff_alt_text") if isinstance(tariff, Mapping) else None
    if not isinstance(texts, list):
        return ""
    readable = [t for t in texts if isinstance(t, Mapping) and isinstance(t.get("text"), str)]
    for text in readable:
        if str(text.get("language", ""))[:2].lower() == language[:2].lower():
            return text["text"]
    return readable[0]["text"] if readable else ""
