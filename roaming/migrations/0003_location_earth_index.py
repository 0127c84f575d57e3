"""Geographic search of Locations on PostgreSQL: the cube and earthdistance extensions and a GiST
index on ll_to_earth(latitude, longitude), which serves radius (earth_box) and map-bounds
queries. Other databases keep using the (latitude, longitude) B-tree index."""

from django.db import migrations

INDEX = "roaming_location_earth"


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS cube")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS earthdistance")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON roaming_location USING gist "
        "(ll_to_earth(latitude::float8, longitude::float8))"
    )


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("roaming", "0002_syncrun_resume")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
