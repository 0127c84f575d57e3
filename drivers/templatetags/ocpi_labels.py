from collections.abc import Iterable

from django import template

from roaming.labels import code_label

register = template.Library()


@register.filter
def ocpi_labels(codes: Iterable[str] | None) -> str:
    """OCPI codes (e.g. a Location's facilities) as the driver reads them, comma separated."""
    return ", ".join(code_label(code) for code in codes or ())
