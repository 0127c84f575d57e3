"""The default price plan and the VAT rates per country (tariffs.defaults)."""

from django.db import migrations

from tariffs.defaults import price_defaults_ensure


def create(apps, schema_editor):
    price_defaults_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0002_price_plans")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
