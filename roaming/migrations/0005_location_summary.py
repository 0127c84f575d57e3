"""What a Location offers drivers on its own row (roaming.services.summaries), filled in for the
stored Locations; on PostgreSQL its point on the earth as a stored generated column with the GiST
index on it (in place of the index on the ll_to_earth(...) expression): the search reads it
instead of computing it again for every Location it looks at."""

from django.db import migrations, models

from roaming.services.summaries import ConnectorOffer, EvseOffer, location_summary_values

EXPRESSION_INDEX = "roaming_location_earth"
EARTH_INDEX = "roaming_location_earth_point"
BATCH = 1000


def summaries_fill(apps, schema_editor) -> None:
    Location = apps.get_model("roaming", "Location")
    EVSE = apps.get_model("roaming", "EVSE")
    Connector = apps.get_model("roaming", "Connector")
    pks = list(Location.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        batch = pks[start : start + BATCH]
        evses = {}
        by_location = {pk: [] for pk in batch}
        for pk, location_id, status, restrictions in EVSE.objects.filter(
            location_id__in=batch
        ).values_list("pk", "location_id", "status", "parking_restrictions"):
            evses[pk] = EvseOffer(status, restrictions or [], [])
            by_location[location_id].append(evses[pk])
        for evse_pk, *columns in Connector.objects.filter(evse_id__in=list(evses)).values_list(
            "evse_id", "standard", "max_electric_power", "max_voltage", "max_amperage", "power_type"
        ):
            evses[evse_pk].connectors.append(ConnectorOffer(*columns))
        locations = []
        for pk, location_evses in by_location.items():
            location = Location(pk=pk)
            for name, value in location_summary_values(location_evses).items():
                setattr(location, name, value)
            locations.append(location)
        Location.objects.bulk_update(
            locations,
            ["evse_count", "available_count", "max_power_w", "standards", "search_keys"],
        )


def earth_column_add(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE roaming_location ADD COLUMN earth earth GENERATED ALWAYS AS "
        "(ll_to_earth(latitude::float8, longitude::float8)) STORED"
    )
    schema_editor.execute(f"CREATE INDEX {EARTH_INDEX} ON roaming_location USING gist (earth)")
    schema_editor.execute(f"DROP INDEX IF EXISTS {EXPRESSION_INDEX}")


def earth_column_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {EXPRESSION_INDEX} ON roaming_location USING gist "
        "(ll_to_earth(latitude::float8, longitude::float8))"
    )
    schema_editor.execute("ALTER TABLE roaming_location DROP COLUMN IF EXISTS earth")


class Migration(migrations.Migration):

    dependencies = [
        ('roaming', '0004_ocpi_code_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='location',
            name='available_count',
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='location',
            name='evse_count',
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='location',
            name='max_power_w',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='location',
            name='search_keys',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='location',
            name='standards',
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(summaries_fill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(earth_column_add, earth_column_drop, elidable=False),
    ]
