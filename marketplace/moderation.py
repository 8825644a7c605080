"""The ``moderators`` group and its permissions, for data migrations (this app's and later ones).

A later app (e.g. negotiation) grants its own models' permissions from its own migration with
``group_grant(apps, perms=[("negotiation", "view_chatsession")])``.
"""

from __future__ import annotations

from django.apps.registry import Apps

MODERATORS = "moderators"

# Moderators review and correct listings and look at accounts; they create and delete nothing
# but photos that break the rules, and never touch users' passwords or permissions.
MODERATOR_PERMISSIONS: list[tuple[str, str]] = [
    ("marketplace", "view_listing"),
    ("marketplace", "change_listing"),
    ("marketplace", "view_listingphoto"),
    ("marketplace", "view_profile"),
    ("auth", "view_user"),
]

# The report queue (issue 17): moderators read reports and reviews and mark reports handled.
REPORT_PERMISSIONS: list[tuple[str, str]] = [
    ("marketplace", "view_report"),
    ("marketplace", "change_report"),
    ("marketplace", "view_review"),
    ("marketplace", "view_block"),
]


def _ensure_permissions(apps: Apps) -> None:
    # Permissions are normally created after all migrations (post_migrate); a fresh database
    # has none yet when this runs, so create them now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def group_grant(apps: Apps, *, perms: list[tuple[str, str]], group_name: str = MODERATORS) -> None:
    _ensure_permissions(apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=group_name)
    for app_label, codename in perms:
        group.permissions.add(
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
        )


def group_revoke(apps: Apps, *, perms: list[tuple[str, str]], group_name: str = MODERATORS) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group = group_model.objects.filter(name=group_name).first()
    if group is None:
        return
    for app_label, codename in perms:
        group.permissions.remove(
            *permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
        )
