"""Add a team member: `manage.py adduser alice --email alice@example.com [--staff]`.

The password is generated and printed once, or read from a file (`--password-file PATH`, `-`
for standard input) so that it never stands on a command line or in the shell's history.
A name already taken (in any case) is refused and nothing changes.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import IntegrityError, transaction


def _read_password(source: str) -> str:
    """The password in the file `source` ("-": standard input), without its line ending."""
    try:
        if source == "-":
            text = sys.stdin.readline()
        else:
            with open(source, encoding="utf-8") as fh:
                text = fh.readline()
    except OSError as exc:
        raise CommandError(f"Cannot read the password file {source}: {exc.strerror}.") from None
    password = text.rstrip("\r\n")
    if not password:
        raise CommandError(f"The password file {source} is empty.")
    return password


class Command(BaseCommand):
    """Create one user, ordinary or staff; refuses a name that exists. Not repeatable by design:
    a second run with the same name changes nothing and says so."""

    help = (
        "Add a person who can sign in to VUR. Prints a generated password unless "
        "--password-file gives one. --staff makes an administrator (sees everyone's objects "
        "and uses /admin/, where they can add people too)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The name they sign in with.")
        parser.add_argument("--email", default="", help="Their e-mail address (optional).")
        parser.add_argument(
            "--staff",
            action="store_true",
            help="An administrator: staff and superuser (the admin site at /admin/).",
        )
        parser.add_argument(
            "--password-file",
            metavar="PATH",
            help="Read the password from the first line of this file; '-' reads standard input.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        username: str = options["username"].strip()
        email: str = options["email"].strip()
        staff: bool = options["staff"]
        try:
            user_model.username_validator(username)
        except ValidationError as exc:
            raise CommandError(f"'{username}' cannot be a user name: {exc.messages[0]}") from None
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"'{email}' is not an e-mail address.") from None
        taken = user_model.objects.filter(username__iexact=username)
        existing = taken.values_list("username", flat=True).first()
        if existing is not None:
            raise CommandError(self._taken(existing))
        generated = not options["password_file"]
        if generated:
            password = secrets.token_urlsafe(12)
        else:
            password = _read_password(options["password_file"])
        candidate = user_model(username=username, email=email)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise CommandError("The password is refused: " + " ".join(exc.messages)) from None
        try:
            with transaction.atomic():
                user_model.objects.create_user(
                    username=username,
                    email=email,
                    password=password,
                    is_staff=staff,
                    is_superuser=staff,
                )
        except IntegrityError:  # added by someone else since the check above
            raise CommandError(self._taken(username)) from None
        role = "staff user" if staff else "user"
        self.stdout.write(f"Added {role} {username}.")
        if generated:
            self.stdout.write(f"Password: {password}")
            self.stdout.write("Give it to them privately; it is not shown again.")
        self.stdout.write("They sign in at /accounts/login/ on this VUR's address.")

    @staticmethod
    def _taken(existing: str) -> str:
        return (
            f"A user named '{existing}' already exists; nothing was changed. Pick another "
            f"name (names differing only in case count as the same), or set that user's "
            f"password with `manage.py changepassword {existing}`."
        )
