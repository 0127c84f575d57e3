"""What drivers and staff read for OCPI code values (the API and the wire keep the codes)."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    # Status (of an EVSE)
    "AVAILABLE": _("Available"),
    "BLOCKED": _("Blocked"),
    "CHARGING": _("In use"),
    "INOPERATIVE": _("Inoperative"),
    "OUTOFORDER": _("Out of order"),
    "PLANNED": _("Planned"),
    "REMOVED": _("Removed"),
    "RESERVED": _("Reserved"),
    "UNKNOWN": _("Unknown"),
    # ConnectorFormat
    "SOCKET": _("socket"),
    "CABLE": _("cable"),
    # ParkingType
    "ALONG_MOTORWAY": _("Along a motorway"),
    "PARKING_GARAGE": _("Parking garage"),
    "PARKING_LOT": _("Parking lot"),
    "ON_DRIVEWAY": _("On a driveway"),
    "ON_STREET": _("On the street"),
    "UNDERGROUND_GARAGE": _("Underground garage"),
    # PowerType
    "AC_1_PHASE": _("AC, 1 phase"),
    "AC_2_PHASE": _("AC, 2 phases"),
    "AC_2_PHASE_SPLIT": _("AC, 2 phases (split)"),
    "AC_3_PHASE": _("AC, 3 phases"),
    "DC": _("DC"),
    # Facility
    "HOTEL": _("Hotel"),
    "RESTAURANT": _("Restaurant"),
    "CAFE": _("Café"),
    "MALL": _("Shopping centre"),
    "SUPERMARKET": _("Supermarket"),
    "SPORT": _("Sports"),
    "RECREATION_AREA": _("Recreation area"),
    "NATURE": _("Nature"),
    "MUSEUM": _("Museum"),
    "BIKE_SHARING": _("Bike sharing"),
    "BUS_STOP": _("Bus stop"),
    "TAXI_STAND": _("Taxi stand"),
    "TRAM_STOP": _("Tram stop"),
    "METRO_STATION": _("Metro station"),
    "TRAIN_STATION": _("Train station"),
    "AIRPORT": _("Airport"),
    "CARPOOL_PARKING": _("Carpool parking"),
    "FUEL_STATION": _("Fuel station"),
    "WIFI": _("Wi-Fi"),
    # SessionStatus
    "ACTIVE": _("Charging"),
    "COMPLETED": _("Completed"),
    "INVALID": _("Invalid"),
    "PENDING": _("Pending"),
    "RESERVATION": _("Reserved"),
}


def labelled_choices(enum: type) -> list[tuple[str, str]]:
    """Model choices of an OCPI enum: the code, and its label where drivers see it."""
    return [(member.value, LABELS.get(member.value, member.value)) for member in enum]


def code_label(code: str) -> str:
    """The label of one OCPI code; an unknown code (a newer OCPI version) readable as it is."""
    label = LABELS.get(code)
    return str(label) if label is not None else code.replace("_", " ").capitalize()
