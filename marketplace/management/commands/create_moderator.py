"""``manage.py create_moderator USERNAME``: a staff account in the moderators group."""

from __future__ import annotations

import getpass
import secrets
import sys

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from marketplace.models import Profile
from marketplace.moderation import MODERATORS


class Command(BaseCommand):
    help = "Create or update a staff user in the moderators group (asks for or prints a password)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--nickname", help="profile nickname (default: 운영자_USERNAME)")
        parser.add_argument(
            "--generate-password",
            action="store_true",
            help="generate a password and print it (the default when stdin is not a terminal)",
        )
        parser.add_argument(
            "--reset-password", action="store_true", help="set a new password on an existing user"
        )

    def handle(self, *args: object, **options: object) -> None:
        username: str = options["username"]
        group = Group.objects.filter(name=MODERATORS).first()
        if group is None:
            raise CommandError("The moderators group is missing: run `manage.py migrate` first.")
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        created = user is None
        password = None
        if created or options["reset_password"]:
            password = self._password(options["generate_password"], user or user_model(username=username))
        with transaction.atomic():
            if created:
                user = user_model.objects.create_user(username=username, password=password)
            elif password:
                user.set_password(password)
            user.is_staff = True
            user.is_active = True
            user.save()
            user.groups.add(group)
            if not Profile.objects.filter(user=user).exists():
                Profile.objects.create(user=user, nickname=self._nickname(options["nickname"], username))
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} moderator {username!r} (staff, group {MODERATORS!r})."))
        if password and self._generated:
            self.stdout.write(f"Password: {password}")

    _generated = False

    def _password(self, generate: bool, user: object) -> str:
        if generate or not sys.stdin.isatty():
            self._generated = True
            return secrets.token_urlsafe(12)
        for _ in range(3):
            first = getpass.getpass("Password: ")
            if first != getpass.getpass("Password (again): "):
                self.stderr.write("Passwords do not match.")
                continue
            try:
                password_validation.validate_password(first, user)
            except ValidationError as exc:
                self.stderr.write(" ".join(exc.messages))
                continue
            return first
        raise CommandError("No valid password given.")

    @staticmethod
    def _nickname(wanted: str | None, username: str) -> str:
        base = (wanted or f"운영자_{username}")[:20]
        nickname, n = base, 1
        while Profile.objects.filter(nickname__iexact=nickname).exists():
            n += 1
            nickname = f"{base[:17]}_{n}"
        return nickname
