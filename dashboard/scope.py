"""What one cockpit request asks for: the reader's scope and filters, checked once for the page,
the API, the wall display and the Excel export alike, and the cache key of its answer.

The page shows a bad filter value at its field and falls back to the default (status 400); the
API and the wall display refuse it with the reason (400), and refuse a parameter they do not know
as well. Either way nobody reads another subsidiary's figures: a subsidiary's staff have only
their own company among the choices.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dashboard import selectors
from dashboard.forms import CockpitFilterForm
from portal.access import is_subsidiary_user, sees_whole_group
from portal.models import Organisation, User

FILTER_PARAMS = ("year", "organisation", "category", "is_key")
# The shape of what is cached under these keys: raise it when that changes, so that processes
# running the new code never read an entry the old code wrote in the shared cache.
CACHE_FORMAT = 3


@dataclass
class Scope:
    form: CockpitFilterForm
    filters: selectors.Filters
    organisations: list[Organisation]
    errors: dict[str, list[str]]  # by parameter; empty when every parameter was understood

    @property
    def own(self) -> Organisation | None:
        return self.form.own


def resolve(user: User, params: Mapping[str, str], today: datetime.date, *,
            allowed: Iterable[str] = ()) -> Scope:  # fmt: skip
    """The filters `params` ask for, within `user`'s scope. `allowed`: the other parameters
    the endpoint takes; any other is in `errors` as unknown (the page ignores those)."""
    organisations = list(selectors.visible_subsidiaries(user))
    years = selectors.years(user)
    if today.year not in years:
        years = sorted([today.year, *years], reverse=True)
    own = organisations[0] if is_subsidiary_user(user) and len(organisations) == 1 else None
    data = {k: params[k] for k in FILTER_PARAMS if k in params}
    initial = {"year": today.year, "organisation": own.code if own else ""}
    form = CockpitFilterForm(data or None, years=years, organisations=organisations,
                             initial=initial)  # fmt: skip
    form.own = own
    form.is_valid()  # a bad value is an error at its field; the others still apply
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    known = set(FILTER_PARAMS) | set(allowed)
    for name in sorted(set(params) - known):
        errors[name] = [_("Unknown parameter.")]
    cleaned = getattr(form, "cleaned_data", {})
    filters = selectors.Filters(
        year=cleaned.get("year") or today.year,
        organisation=form.organisations.get(cleaned.get("organisation") or ""),
        category=cleaned.get("category") or "",
        is_key=cleaned.get("is_key"),
    )
    if filters.organisation is None and own:
        # A subsidiary's staff read their own company's cockpit, with its project table.
        filters = dataclasses.replace(filters, organisation=own)
    return Scope(form=form, filters=filters, organisations=organisations, errors=errors)


def scope_name(user: User) -> str:
    """Who shares a cached answer: the whole group's readers, one subsidiary's staff, or one
    user (anyone else)."""
    if sees_whole_group(user):
        return "group"
    if is_subsidiary_user(user):
        return user.organisation.path
    return f"user:{user.pk}"


def cache_key(kind: str, user: User, params: Mapping[str, str], today: datetime.date,
              version=None, *extra) -> str:  # fmt: skip
    """A rendered answer is the same for everyone with the same scope, filters, language and
    day, until the next rollup run finishes. The run is in the key (`version`: its number and
    finish time, so a database made anew never gets another database's answer from a cache
    that lived on), or in the entry, checked on reading (the page, the API: one round trip for
    the version and the entry). Only shared values: no process's own state, so any web process
    may serve any key."""
    return scope_cache_key(kind, scope_name(user), params, today, version, *extra)


def scope_cache_key(kind: str, scope: str, params: Mapping[str, str], today: datetime.date,
                    version=None, *extra) -> str:  # fmt: skip
    """`cache_key` for a scope named by `scope_name`."""
    filters = sorted((k, params[k]) for k in FILTER_PARAMS if k in params)
    raw = repr((CACHE_FORMAT, kind, scope, filters, get_language(), today.isoformat(), version,
                extra))  # fmt: skip
    return f"dashboard:{kind}:" + hashlib.sha256(raw.encode()).hexdigest()
