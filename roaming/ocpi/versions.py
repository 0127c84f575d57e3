"""Versions module objects and version negotiation (version_information_endpoint.asciidoc)."""

from collections.abc import Iterable

from roaming.ocpi.enums import InterfaceRole
from roaming.ocpi.types import OcpiModel, String, Url

# The versions we speak, best first. 2.1.1 and 2.3.0 join here when their modules exist.
SUPPORTED_VERSIONS: tuple[str, ...] = ("2.2.1",)


class Version(OcpiModel):
    # A plain string, not the VersionNumber enum: an unknown future version must not make the
    # whole list unreadable, it is just not chosen.
    version: String(10)
    url: Url


class Endpoint(OcpiModel):
    identifier: String(64)  # ModuleID, or a custom module such as "nltnm-tokens"
    role: InterfaceRole
    url: Url


class VersionDetails(OcpiModel):
    version: String(10)
    endpoints: list[Endpoint]

    def endpoint_url(self, identifier: str, role: InterfaceRole) -> str | None:
        for endpoint in self.endpoints:
            if endpoint.identifier == identifier and endpoint.role == role:
                return endpoint.url
        return None


def highest_common_version(
    theirs: Iterable[Version], ours: Iterable[str] = SUPPORTED_VERSIONS
) -> Version | None:
    """Their Version entry for the highest version both sides speak, or None."""
    by_number = {version.version: version for version in theirs}
    for number in sorted(ours, key=_version_key, reverse=True):
        if number in by_number:
            return by_number[number]
    return None


def _version_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in number.split("."))
