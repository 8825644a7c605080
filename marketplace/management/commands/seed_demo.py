"""``manage.py seed_demo``: a believable Korean marketplace to click through (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from marketplace.demo import ACCOUNTS, demo_seed


class Command(BaseCommand):
    help = "Create demo users and ≥30 Korean listings with drawn photos (safe to run again)."

    def add_arguments(self, parser: object) -> None:
        parser.add_argument("--no-photos", action="store_true", help="skip the drawn placeholder photos")

    def handle(self, *args: object, **options: object) -> None:
        seeded = demo_seed(photos=not options["no_photos"])
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_demo: {seeded.created} new listings, {seeded.total} demo listings "
                f"in {seeded.categories} categories."
            )
        )
        seller, buyer = ACCOUNTS["seller"], ACCOUNTS["buyer"]
        self.stdout.write(f"  demo seller: {seller['username']} / {seller['password']}")
        self.stdout.write(f"  demo buyer:  {buyer['username']} / {buyer['password']}")
        neighbours = ", ".join(n["username"] for n in ACCOUNTS["neighbours"])
        self.stdout.write(f"  neighbours:  {neighbours} / {ACCOUNTS['neighbour_password']}")
