"""Create (or update) the demo user that `make run` prints; staff and superuser only on request."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """`manage.py ensure_demo_user --username demo --password ... [--admin]`; safe to repeat.

    Without `--admin` the user is an ordinary one (and loses admin rights it had)."""

    help = "Create or update the demo user with the given password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--admin", action="store_true", help="Make the user staff and superuser."
        )

    def handle(self, *args, username: str, password: str, admin: bool = False, **options):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        user.is_staff = admin
        user.is_superuser = admin
        user.set_password(password)
        user.save()
        role = "admin" if admin else "user"
        self.stdout.write(f"{'Created' if created else 'Updated'} {role} {username}.")
