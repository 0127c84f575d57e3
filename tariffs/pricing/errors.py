"""The one exception type of the pricing engine."""


class PricingError(ValueError):
    """Input the engine cannot price: a tariff that breaks OCPI 2.2.1, or malformed session data.

    `path` names the offending field the way the OCPI object spells it, e.g.
    ``elements[1].price_components[0].price``; str() is ``"<path>: <message>"``.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class TariffError(PricingError):
    """A Tariff that breaks the spec (bad time format, unknown dimension, negative price...)."""


class SessionError(PricingError):
    """Session data that cannot be priced (malformed charging periods, bad time zone...)."""
