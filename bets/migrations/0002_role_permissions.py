"""Grant the bet permissions to the role groups (squads.roles) on databases whose groups exist already."""

import importlib

from django.db import migrations


def grant(apps, schema_editor):
    importlib.import_module("squads.migrations.0002_roles").create_roles(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("bets", "0001_initial"),
        ("squads", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
