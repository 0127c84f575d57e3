"""Our OCPI 2.2.1 endpoints (EMSP): thin views over roaming's services and selectors.

URLs and names are in roaming/urls.py; the machinery (auth, envelope, errors) in endpoint.py.
"""

from typing import Any

from roaming import selectors
from roaming.endpoint import OcpiCall, OcpiView, Reply
from roaming.ocpi.enums import InterfaceRole, ModuleID
from roaming.ocpi.pagination import page_headers, page_request
from roaming.services import cdrs, commands, locations, partners, sessions, tokens
from roaming.services.common import StoreResult
from tariffs import selectors as tariff_selectors
from tariffs import services as tariff_services

VERSION = "2.2.1"
# Our endpoints for 2.2.1: (module, interface role, URL name).
ENDPOINTS = (
    (ModuleID.CREDENTIALS, InterfaceRole.SENDER, "ocpi-credentials"),
    (ModuleID.LOCATIONS, InterfaceRole.RECEIVER, "ocpi-locations"),
    (ModuleID.SESSIONS, InterfaceRole.RECEIVER, "ocpi-sessions"),
    (ModuleID.CDRS, InterfaceRole.RECEIVER, "ocpi-cdrs"),
    (ModuleID.TARIFFS, InterfaceRole.RECEIVER, "ocpi-tariffs"),
    (ModuleID.TOKENS, InterfaceRole.SENDER, "ocpi-tokens"),
    (ModuleID.COMMANDS, InterfaceRole.SENDER, "ocpi-commands"),
)


def _stored(result: StoreResult[Any]) -> Reply:
    """PUT answer: 201 created, 200 updated; a stale (older) object is acknowledged, not stored."""
    if result.stale:
        return Reply(status_message="Older than the stored object (last_updated); kept ours.")
    return Reply(http_status=201 if result.created else 200)


class VersionsView(OcpiView):
    functional = False
    token_a_allowed = True

    def get(self, call: OcpiCall) -> Reply:
        return Reply([{"version": VERSION, "url": selectors.ocpi_url("ocpi-version-details")}])


class VersionDetailsView(OcpiView):
    functional = False
    token_a_allowed = True

    def get(self, call: OcpiCall) -> Reply:
        endpoints = [
            {"identifier": module, "role": role, "url": selectors.ocpi_url(name)}
            for module, role, name in ENDPOINTS
        ]
        return Reply({"version": VERSION, "endpoints": endpoints})


class CredentialsView(OcpiView):
    functional = False
    token_a_allowed = True

    def get(self, call: OcpiCall) -> Reply:
        return Reply(partners.credentials_ours(token=call.token))

    def post(self, call: OcpiCall) -> Reply:
        return Reply(partners.credentials_register(partner=call.partner, data=call.json_object()))

    def put(self, call: OcpiCall) -> Reply:
        return Reply(partners.credentials_update(partner=call.partner, data=call.json_object()))

    def delete(self, call: OcpiCall) -> Reply:
        partners.credentials_unregister(partner=call.partner)
        return Reply()


class LocationsModuleView(OcpiView):
    """The module's base URL: we are a Receiver, there is no list to GET here."""


class LocationView(OcpiView):
    def get(self, call: OcpiCall, country_code: str, party_id: str, location_id: str) -> Reply:
        selectors.partner_party_check(
            partner=call.partner, country_code=country_code, party_id=party_id, parties=call.parties
        )
        location = selectors.location_get(
            country_code=country_code, party_id=party_id, location_id=location_id
        )
        return Reply(selectors.location_object(location))

    def put(self, call: OcpiCall, **ids: str) -> Reply:
        return _stored(locations.location_put(partner=call.partner, data=call.json_object(), **ids))

    def patch(self, call: OcpiCall, **ids: str) -> Reply:
        locations.location_patch(partner=call.partner, patch=call.json_object(), **ids)
        return Reply()


class EvseView(OcpiView):
    def get(
        self, call: OcpiCall, country_code: str, party_id: str, location_id: str, evse_uid: str
    ) -> Reply:
        selectors.partner_party_check(
            partner=call.partner, country_code=country_code, party_id=party_id, parties=call.parties
        )
        location = selectors.location_get(
            country_code=country_code, party_id=party_id, location_id=location_id
        )
        return Reply(
            selectors.evse_object(selectors.evse_get(location=location, evse_uid=evse_uid))
        )

    def put(self, call: OcpiCall, **ids: str) -> Reply:
        return _stored(locations.evse_put(partner=call.partner, data=call.json_object(), **ids))

    def patch(self, call: OcpiCall, **ids: str) -> Reply:
        locations.evse_patch(partner=call.partner, patch=call.json_object(), **ids)
        return Reply()


class ConnectorView(OcpiView):
    def get(
        self,
        call: OcpiCall,
        country_code: str,
        party_id: str,
        location_id: str,
        evse_uid: str,
        connector_id: str,
    ) -> Reply:
        selectors.partner_party_check(
            partner=call.partner, country_code=country_code, party_id=party_id, parties=call.parties
        )
        location = selectors.location_get(
            country_code=country_code, party_id=party_id, location_id=location_id
        )
        evse = selectors.evse_get(location=location, evse_uid=evse_uid)
        return Reply(
            selectors.connector_object(
                selectors.connector_get(evse=evse, connector_id=connector_id)
            )
        )

    def put(self, call: OcpiCall, **ids: str) -> Reply:
        return _stored(
            locations.connector_put(partner=call.partner, data=call.json_object(), **ids)
        )

    def patch(self, call: OcpiCall, **ids: str) -> Reply:
        locations.connector_patch(partner=call.partner, patch=call.json_object(), **ids)
        return Reply()


class SessionsModuleView(OcpiView):
    """The module's base URL: we are a Receiver, there is no list to GET here."""


class SessionView(OcpiView):
    def get(self, call: OcpiCall, country_code: str, party_id: str, session_id: str) -> Reply:
        selectors.partner_party_check(
            partner=call.partner, country_code=country_code, party_id=party_id, parties=call.parties
        )
        session = selectors.session_get(
            country_code=country_code, party_id=party_id, session_id=session_id
        )
        return Reply(selectors.session_object(session))

    def put(self, call: OcpiCall, **ids: str) -> Reply:
        return _stored(sessions.session_put(partner=call.partner, data=call.json_object(), **ids))

    def patch(self, call: OcpiCall, **ids: str) -> Reply:
        sessions.session_patch(partner=call.partner, patch=call.json_object(), **ids)
        return Reply()


class CdrsView(OcpiView):
    def post(self, call: OcpiCall) -> Reply:
        result = cdrs.cdr_post(partner=call.partner, data=call.json_object())
        location = {"Location": selectors.cdr_url(result.obj)}
        if not result.created:
            return Reply(headers=location, status_message="CDR already received; stored once.")
        return Reply(http_status=201, headers=location)


class CdrView(OcpiView):
    def get(self, call: OcpiCall, country_code: str, party_id: str, cdr_id: str) -> Reply:
        selectors.partner_party_check(
            partner=call.partner, country_code=country_code, party_id=party_id, parties=call.parties
        )
        cdr = selectors.cdr_get(country_code=country_code, party_id=party_id, cdr_id=cdr_id)
        return Reply(cdr.raw)


class TariffsModuleView(OcpiView):
    """The module's base URL: we are a Receiver, there is no list to GET here."""


class TariffView(OcpiView):
    def get(self, call: OcpiCall, country_code: str, party_id: str, tariff_id: str) -> Reply:
        selectors.partner_party_check(
            partner=call.partner, country_code=country_code, party_id=party_id, parties=call.parties
        )
        tariff = tariff_selectors.tariff_get(
            country_code=country_code, party_id=party_id, tariff_id=tariff_id
        )
        return Reply(tariff_selectors.tariff_object(tariff))

    def put(self, call: OcpiCall, **ids: str) -> Reply:
        return _stored(
            tariff_services.tariff_put(partner=call.partner, data=call.json_object(), **ids)
        )

    def delete(self, call: OcpiCall, **ids: str) -> Reply:
        tariff_services.tariff_delete(partner=call.partner, **ids)
        return Reply()


class TokensView(OcpiView):
    def get(self, call: OcpiCall) -> Reply:
        page = page_request(call.request.GET)
        tokens = selectors.token_list(date_from=page.date_from, date_to=page.date_to)
        total = tokens.count()
        data = [
            selectors.token_object(token)
            for token in tokens[page.offset : page.offset + page.limit]
        ]
        headers = page_headers(base_url=selectors.ocpi_url("ocpi-tokens"), page=page, total=total)
        return Reply(data, headers=headers)


class TokenAuthorizeView(OcpiView):
    def post(self, call: OcpiCall, token_uid: str) -> Reply:
        info = tokens.token_authorize(
            partner=call.partner,
            token_uid=token_uid,
            token_type=call.request.GET.get("type"),
            data=call.json_optional(),
        )
        return Reply(info)


class CommandsModuleView(OcpiView):
    """The module's base URL; results arrive on the per-command response_url below it."""


class CommandResultView(OcpiView):
    def post(self, call: OcpiCall, command: str, uid: str) -> Reply:
        commands.command_result_record(
            partner=call.partner, command_type=command, uid=uid, data=call.json_object()
        )
        return Reply()
