from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
# Least privilege: editors revise the bank and work the flag queue; questions are retired with
# is_active, never deleted; users and interview data stay out of reach.
EDITOR_PERMISSIONS = [
    "view_category", "add_category", "change_category",
    "view_question", "add_question", "change_question",
    "view_scenario", "add_scenario", "change_scenario",
    "view_answerflag", "add_answerflag", "change_answerflag",
]  # fmt: skip


def create_editors_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure ours exist now. The
    # historical app config is a stub that create_permissions skips unless it has models.
    app_config = apps.get_app_config("questions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    permissions = Permission.objects.filter(
        content_type__app_label="questions", codename__in=EDITOR_PERMISSIONS
    )
    group.permissions.set(permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0002_historicalcategory_historicalquestion_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors_group, migrations.RunPython.noop)]
