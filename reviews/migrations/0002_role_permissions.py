"""Grant the role groups their permissions on reviews and alerts (squads.roles is the rule)."""

import importlib

from django.db import migrations


def grant(apps, schema_editor):
    importlib.import_module("squads.migrations.0002_roles").create_roles(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("alerts", "0001_initial"),
        ("squads", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
