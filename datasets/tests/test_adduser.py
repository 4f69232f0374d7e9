"""`manage.py adduser`: an operator adds a team member, with a generated or supplied password."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _adduser(*args: str) -> str:
    out = io.StringIO()
    call_command("adduser", *args, stdout=out)
    return out.getvalue()


def test_adds_an_ordinary_user_and_prints_a_generated_password(django_user_model):
    out = _adduser("alice", "--email", "alice@example.com")
    password = re.search(r"^Password: (\S+)$", out, re.MULTILINE).group(1)
    assert len(password) >= 12
    user = authenticate(username="alice", password=password)
    assert user is not None and user.email == "alice@example.com"
    assert not user.is_staff and not user.is_superuser
    assert "Added user alice." in out and "/accounts/login/" in out


def test_staff_is_an_administrator(django_user_model):
    _adduser("boss", "--staff")
    boss = django_user_model.objects.get(username="boss")
    assert boss.is_staff and boss.is_superuser


def test_takes_the_password_from_a_file_or_standard_input(tmp_path, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("correct horse battery staple\n")
    out = _adduser("carol", "--password-file", str(secret))
    assert "Password:" not in out  # a supplied password is never echoed
    assert authenticate(username="carol", password="correct horse battery staple")
    monkeypatch.setattr("sys.stdin", io.StringIO("another long passphrase 42\n"))
    _adduser("dave", "--password-file", "-")
    assert authenticate(username="dave", password="another long passphrase 42")


def test_an_existing_name_is_refused_and_nothing_changes(django_user_model, owner):
    before = django_user_model.objects.get(pk=owner.pk).password
    for name in ("owner", "OWNER"):
        with pytest.raises(CommandError, match="A user named 'owner' already exists"):
            _adduser(name, "--staff")
    owner.refresh_from_db()
    assert owner.password == before and not owner.is_staff
    assert django_user_model.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad name!"], "cannot be a user name"),
        (["erin", "--email", "not-an-address"], "is not an e-mail address"),
        (["erin", "--password-file", "/no/such/file"], "Cannot read the password file"),
    ],
)
def test_bad_input_is_refused_with_a_reason(django_user_model, args, message):
    with pytest.raises(CommandError, match=message):
        _adduser(*args)
    assert not django_user_model.objects.exists()


def test_a_weak_password_is_refused(django_user_model, tmp_path):
    weak = tmp_path / "pw"
    weak.write_text("password\n")
    with pytest.raises(CommandError, match="The password is refused: .*too common"):
        _adduser("frank", "--password-file", str(weak))
    assert not django_user_model.objects.exists()
