from django.contrib.auth.management import create_permissions
from django.db import migrations


def staff_groups_create(apps, schema_editor):
    from emsp.roles import staff_groups_sync

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    staff_groups_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("drivers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(staff_groups_create, migrations.RunPython.noop)]
