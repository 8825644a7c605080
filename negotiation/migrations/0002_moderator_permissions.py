"""Moderators may read chats and flag them (the `moderators` group comes from marketplace)."""

from __future__ import annotations

from django.db import migrations

from marketplace.moderation import group_grant, group_revoke

PERMS = [
    ("negotiation", "view_chatsession"),
    ("negotiation", "change_chatsession"),
    ("negotiation", "view_message"),
]


def grant(apps, schema_editor):
    group_grant(apps, perms=PERMS)


def revoke(apps, schema_editor):
    group_revoke(apps, perms=PERMS)


class Migration(migrations.Migration):
    dependencies = [
        ("negotiation", "0001_initial"),
        ("marketplace", "0002_moderators_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
