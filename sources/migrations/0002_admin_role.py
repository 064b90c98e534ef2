"""Admins edit sources: give the admin role group the source permissions."""

from django.db import migrations


def grant(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    create_permissions(global_apps.get_app_config("sources"), verbosity=0, apps=global_apps)
    from sources.roles import SOURCE_PERMISSIONS

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in SOURCE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in sorted(perms):
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0001_initial"),
        ("squads", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
