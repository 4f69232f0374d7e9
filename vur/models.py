"""Shared abstract model pieces. `vur` owns no tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OwnedModel(models.Model):
    """An object that belongs to one user; selectors limit every read to its owner (or staff)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def owned_by(queryset: models.QuerySet, user) -> models.QuerySet:
    """Limit `queryset` to what `user` may see: their own rows, or everything for staff."""
    if not user or not user.is_authenticated:
        return queryset.none()
    if user.is_staff:
        return queryset
    return queryset.filter(owner=user)
