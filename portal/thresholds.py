"""One admin-editable row of an app's thresholds (DOMAIN.md: "keep each in one place").

Legal and house thresholds change (the size rule for the permit path, the design-change tiers,
the estimate's 10 % tolerance). Each app keeps its thresholds as the fields of one model deriving
from `Thresholds`, with the DOMAIN defaults as field defaults: an administrator edits the one row
in the admin, every rule reads `MyThresholds.current()`, and no threshold is spelt twice.

    class PermitRules(Thresholds):
        large_project_yuan = MoneyField(_("..."), default=Decimal("50000000"))
        history = HistoricalRecords()

    rules = PermitRules.current()   # the row, from the cache after the first read

`current()` reads the row once per cache lifetime; saving it (the admin) drops the cached copy in
every process, since the cache (Redis in production) is shared. The row is created with the
defaults on first use, so a fresh database needs no seeding. Register the model's admin with
`ThresholdsAdmin`: one row, never added twice, never deleted.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

SINGLETON_PK = 1
CACHE_SECONDS = 300


class Thresholds(models.Model):
    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def save(self, *args, **kwargs) -> None:
        self.pk = SINGLETON_PK
        super().save(*args, **kwargs)
        cache.delete(self._cache_key())

    def delete(self, *args, **kwargs):
        cache.delete(self._cache_key())
        return super().delete(*args, **kwargs)

    @classmethod
    def _cache_key(cls) -> str:
        return f"thresholds:{cls._meta.label_lower}"

    @classmethod
    def current(cls):
        """The one row, with its defaults on first use; cached across requests and processes."""
        row = cache.get(cls._cache_key())
        if row is None:
            row, _ = cls.objects.get_or_create(pk=SINGLETON_PK)
            cache.set(cls._cache_key(), row, CACHE_SECONDS)
        return row


class ThresholdsAdmin(SimpleHistoryAdmin):
    """The one row: the list opens it, it cannot be added twice or deleted."""

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not self.model.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        from django.shortcuts import redirect
        from django.urls import reverse

        row = self.model.current()
        opts = self.model._meta
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
