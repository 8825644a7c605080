"""The moderators group with only the permissions moderators need."""

from django.db import migrations

from marketplace.moderation import MODERATOR_PERMISSIONS, MODERATORS, group_grant


def forwards(apps, schema_editor):
    group_grant(apps, perms=MODERATOR_PERMISSIONS)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MODERATORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
