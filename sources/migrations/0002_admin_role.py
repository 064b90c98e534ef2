"""Admins edit sources: the role groups get their permissions from `squads.roles` again."""

import importlib

from django.db import migrations


def grant(apps, schema_editor):
    importlib.import_module("squads.migrations.0002_roles").create_roles(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0001_initial"),
        ("squads", "0002_roles"),
        ("metrics", "0002_change"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
