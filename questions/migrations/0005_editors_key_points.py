from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
# Editors keep each answer's key points: the list changes as the answer does, so unlike
# questions and scenarios a point may be deleted (its history keeps the text).
KEY_POINT_PERMISSIONS = ["view_keypoint", "add_keypoint", "change_keypoint", "delete_keypoint"]


def grant_key_points_to_editors(apps, schema_editor):
    # As in 0003: permissions are created after all migrations, so make sure these exist now.
    app_config = apps.get_app_config("questions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="questions", codename__in=KEY_POINT_PERMISSIONS
        )
    )


class Migration(migrations.Migration):
    dependencies = [("questions", "0004_key_points")]

    operations = [migrations.RunPython(grant_key_points_to_editors, migrations.RunPython.noop)]
