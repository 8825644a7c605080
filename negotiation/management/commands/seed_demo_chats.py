"""``manage.py seed_demo_chats``: demo negotiations on the demo listings (after ``seed_demo``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from negotiation.demo import demo_chats_seed


class Command(BaseCommand):
    help = "Play demo chats on the demo sellers' listings through the bot (once; safe to run again)."

    def handle(self, *args: object, **options: object) -> None:
        created = demo_chats_seed()
        if created:
            self.stdout.write(self.style.SUCCESS(f"seed_demo_chats: {created} demo chats."))
        else:
            self.stdout.write("seed_demo_chats: the demo chats are there already.")
