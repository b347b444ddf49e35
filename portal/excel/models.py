"""The record of one Excel upload, as an abstract base: each app keeps its own table (with the
fields that say what the upload is for, e.g. the period) and the base's lifecycle runs on it."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class ImportQuerySet(models.QuerySet):
    def for_user(self, user, action: str = "view") -> ImportQuerySet:
        """An import is its uploader's alone: anyone else, whatever the role, learns nothing of
        it (portal.access.fetch answers 404)."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(uploaded_by=user)


class ExcelImport(models.Model):
    """One uploaded Excel batch: what it said row by row, what was wrong, and whether it was
    committed. The preview page reads it; the commit applies it all or nothing. `scope_fields`
    name what makes two uploads of the same file "the same upload" (re-uploading a committed
    file is noticed and changes nothing)."""

    organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.JSONField(default=list)
    errors = models.JSONField(default=list)
    committed_at = models.DateTimeField(null=True, blank=True)

    objects = ImportQuerySet.as_manager()

    scope_fields: ClassVar[tuple[str, ...]] = ("organisation",)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.file_name
