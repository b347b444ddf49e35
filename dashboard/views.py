"""The group cockpit (驾驶舱) and its drill-down: group -> subsidiary -> project.

Thin views over dashboard.selectors. Every level shows the same figures; the reader's scope
comes from portal.access through the selectors, so a subsidiary's staff see their own company's
cockpit and a project they may not see is a 404.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.gzip import gzip_page

from dashboard import pagecache, payload, rules, selectors, services
from dashboard.models import Rag
from dashboard.scope import cache_key, resolve, scope_cache_key, scope_name
from portal import exports, figures
from portal.access import require, sees_whole_group
from portal.figures import Measures
from portal.money import Unit, from_fen, rounded, to_unit

PROJECT_ROWS = 100  # a subsidiary's project table on the page; the export has them all
COCKPIT_CACHE_SECONDS = 24 * 3600  # the key changes with every rollup run anyway


@dataclass(frozen=True)
class FunctionCard:
    """A card of a pooled function on the cockpit, fed by the measures its app registers
    (portal.figures.Measures). Until the app brings all of them the card says so instead of
    showing a made-up zero. `percent`: the first measure as a percentage of the second (paid
    of contracted: a ratio of sums, never a sum of percentages)."""

    label: str
    measures: tuple[figures.Measure, ...]
    module: str
    percent: bool = False

    def show(self, totals: dict[str, int], registered: dict[str, figures.Measure]) -> dict:
        available = all(m.key in registered for m in self.measures)
        values = [totals.get(m.key, 0) for m in self.measures]
        if available and self.percent:
            part, whole = values
            share = Decimal(part) * 100 / whole if whole else None
            text = "—" if share is None else f"{share.quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
        else:
            text = " / ".join(str(v) for v in values)
        return {"key": self.measures[0].key, "label": self.label, "module": self.module,
                "available": available, "values": values, "text": text}  # fmt: skip


FUNCTION_CARDS = [
    FunctionCard(gettext_lazy("Permits waiting / overdue"),
                 (Measures.PERMITS_WAITING, Measures.PERMITS_OVERDUE),
                 gettext_lazy("preliminary work")),
    FunctionCard(gettext_lazy("Design changes waiting / estimate overruns"),
                 (Measures.DESIGN_CHANGES_WAITING, Measures.ESTIMATE_OVERRUNS),
                 gettext_lazy("design management")),
    FunctionCard(gettext_lazy("Tenders this month"), (Measures.TENDERS_THIS_MONTH,),
                 gettext_lazy("tendering")),
    FunctionCard(gettext_lazy("Contract paid"),
                 (Measures.CONTRACTS_PAID, Measures.CONTRACTS_AMOUNT),
                 gettext_lazy("contracts"), percent=True),
    FunctionCard(gettext_lazy("Findings open / overdue"),
                 (Measures.FINDINGS_OPEN, Measures.FINDINGS_OVERDUE),
                 gettext_lazy("site supervision")),
]  # fmt: skip


def _wan(value) -> float | None:
    value = rounded(value, Unit.WAN)
    return None if value is None else float(value)


def _chart_labels() -> dict[str, str]:
    return {
        "planned": _("Annual plan"), "completed": _("Completed investment"),
        "planned_cumulative": _("Time-elapsed plan"),
        "completed_cumulative": _("Completed to date"), "unit": _("10k yuan"),
        "no_data": _("No data yet"),
    }  # fmt: skip


def _monthly(months: list[dict]) -> dict[str, list]:
    return {
        "months": [_("M%(month)d") % {"month": m["month"]} for m in months],
        "planned_cumulative": [_wan(m["planned_to_date"]) for m in months],
        "completed_cumulative": [_wan(m["completed_ytd"]) for m in months],
    }


class CockpitView(LoginRequiredMixin, View):
    """The cockpit's page. The whole page is cached for everyone with the same scope, filters,
    language and day until the next rollup run (`scope.cache_key`); a cached render reads the
    session, the user's row, the version, the page and the navigation bar from the cache (one
    round trip when the browser has the page's hint, `pagecache.prefetch`; no query), and fills
    the page's personal slots: the navigation bar, the alerts (messages; failed runs for
    administrators) and the CSRF token (dashboard.pagecache, which also compresses it)."""

    template_name = "dashboard/cockpit.html"
    prefetched: pagecache.Prefetch | None = None

    def dispatch(self, request, *args, **kwargs):
        self.today = timezone.localdate()
        if request.method == "GET" and request.GET.get("format") != "xlsx":
            self.prefetched = pagecache.prefetch(request, self.today)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        user, today = request.user, self.today
        # A user without a role reads no organisation's figures: refused, not an empty page
        # whose filter would still name every subsidiary.
        require(selectors.may_open_cockpit(user))
        if request.GET.get("format") == "xlsx":
            context = self.context(request, today, exporting=True)
            return self.export(context["cockpit"], context["projects"], context["org_sections"])
        # The version, the page and the navigation bar in one round trip to the cache. The page
        # is kept under a key without the version and says which run it shows.
        scope = scope_name(user)
        key = scope_cache_key("page", scope, request.GET, today)
        nav_key = pagecache.nav_key(request)
        pre = self.prefetched
        if pre is not None and (pre.page_key, pre.nav_key) == (key, nav_key):  # the hint was right
            (version, data_as_of), found = services.data_version_and([], found=dict(pre.found))
            if not pre.page_read:
                # Left out of the round trip for this process's own copy
                # (pagecache.LOCAL_PAGES); after a new run, or if the copy went meanwhile,
                # the shared one.
                page = pagecache.local_page(key)
                if page is None or page.version != (version, data_as_of):
                    page = cache.get(key)
                found[key] = page
        else:
            (version, data_as_of), found = services.data_version_and([key, nav_key])
        page = found.get(key)
        if page is None or page.version != (version, data_as_of):
            context = self.context(request, today, exporting=False)
            context["charts"]["map"]["points_url"] = (
                reverse("dashboard:map") + f"?{self.query(context['cockpit'].filters, v=version)}"
            )
            context.update({"data_as_of": data_as_of, "csrf_token": pagecache.CSRF_SLOT,
                            "messages": (), "nav_slot": mark_safe(pagecache.NAV_SLOT),
                            "alert_slot": mark_safe(pagecache.ALERT_SLOT)})  # fmt: skip
            status = 400 if context["form"].errors else 200
            page = pagecache.CachedPage.build(
                (version, data_as_of), status,
                render_to_string(self.template_name, context, request=request),
            )  # fmt: skip
            cache.set(key, page, COCKPIT_CACHE_SECONDS)
        pagecache.keep_local(key, page)
        response = pagecache.respond(request, page, found.get(nav_key))
        pagecache.leave_hint(request, response, scope)
        return response

    def context(self, request, today: datetime.date, exporting: bool) -> dict[str, Any]:
        user = request.user
        found = resolve(user, request.GET, today)
        filters = found.filters
        # The page loads the map's points apart (MapPointsView); the export has none.
        cockpit = selectors.cockpit(user=user, filters=filters, as_of=today, with_map=False)
        limit = settings.PORTAL["EXPORT_MAX_ROWS"] if exporting else PROJECT_ROWS
        projects = (selectors.organisation_projects(user=user, filters=filters, limit=limit)
                    if filters.organisation else None)  # fmt: skip
        # The organisation-keyed providers (the campaign's indicators): called here, on a
        # render of the body, never on a cached page.
        org_sections = selectors.org_figures(organisations=found.organisations, filters=filters,
                                             as_of=today)  # fmt: skip
        if exporting:
            return {"cockpit": cockpit, "projects": projects, "org_sections": org_sections}
        return {
            "form": found.form,
            "cockpit": cockpit,
            "projects": projects,
            "projects_cut": projects is not None and len(projects) == PROJECT_ROWS,
            "rag_counts": selectors.rag_counts(cockpit.totals),
            "pace_counts": selectors.pace_counts(cockpit.totals),
            "key_rag_counts": selectors.rag_counts(cockpit.key_totals),
            "function_cards": self.function_cards(cockpit),
            "org_sections": org_sections,
            "charts": self.charts(cockpit, filters),
            "query": self.query(filters),
            # A subsidiary's staff see only their company: no "Group" crumb leading back to it.
            "sees_group": sees_whole_group(user),
            "wall_url": reverse("dashboard:wall") + (f"?{self.query(filters)}"
                                                     if self.query(filters) else ""),
        }  # fmt: skip

    @staticmethod
    def query(filters: selectors.Filters, **changes: Any) -> str:
        params = {
            "year": filters.year,
            "organisation": filters.organisation.code if filters.organisation else "",
            "category": filters.category,
            "is_key": "" if filters.is_key is None else str(filters.is_key).lower(),
        }
        params.update(changes)
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})

    @staticmethod
    def function_cards(cockpit: selectors.Cockpit) -> list[dict]:
        registered = figures.measures()
        return [card.show(cockpit.totals.measures, registered) for card in FUNCTION_CARDS]

    def charts(self, cockpit: selectors.Cockpit, filters: selectors.Filters) -> dict:
        cockpit_url = reverse("dashboard:cockpit")
        by_org = cockpit.by_organisation
        return {
            "labels": _chart_labels(),
            "by_subsidiary": {
                "names": [org.short_name for org, _t in by_org],
                "planned": [_wan(t.planned) for _o, t in by_org],
                "completed": [_wan(t.completed_ytd) for _o, t in by_org],
                "urls": [f"{cockpit_url}?{self.query(filters, organisation=org.code)}"
                         for org, _t in by_org],
            },
            "monthly": _monthly(cockpit.months),
            "status": [{"key": key, "name": label, "value": count}
                       for key, label, count in selectors.rag_counts(cockpit.totals) if count],
            "map": {
                # The points come apart (MapPointsView, `points_url`): half the page's bytes.
                "url_template": reverse("dashboard:project", args=[0]).replace("/0/", "/{id}/")
                                + f"?year={filters.year}",
                "rag_names": {str(r.value): str(r.label) for r in Rag},
                # The city's districts and river under the points (a static GeoJSON file).
                "outlines": static(settings.PORTAL["MAP_OUTLINES"])
                if settings.PORTAL.get("MAP_OUTLINES") else "",
            },
        }  # fmt: skip

    def export(self, cockpit: selectors.Cockpit, projects, org_sections=()) -> Any:
        def pct(value):
            return None if value is None else float(value)

        summary = [
            (_("Subsidiary"), lambda row: str(getattr(row[0], "short_name", row[0]))),
            (_("Projects"), lambda row: row[1].projects),
            (_("Annual plan (10k yuan)"), lambda row: _wan(row[1].planned)),
            (_("Completed this year (10k yuan)"), lambda row: _wan(row[1].completed_ytd)),
            (_("Completion %"), lambda row: pct(row[1].completion_pct)),
            (_("Time elapsed %"), lambda row: float(cockpit.elapsed_pct)),
            (_("Red"), lambda row: row[1].rag_red),
            (_("Orange"), lambda row: row[1].rag_orange),
            (_("Amber"), lambda row: row[1].rag_amber),
            (_("Green"), lambda row: row[1].rag_green),
        ]
        group = [(_("All"), cockpit.totals)]
        project_columns = [
            (_("Project code"), "project.code"),
            (_("Project name"), "project.name"),
            (_("Subsidiary"), lambda row: row.project.owner.short_name),
            (_("Assigned leader"), lambda row: row.project.assigned_leader.get_full_name()
             if row.project.assigned_leader else ""),
            (_("Status"), lambda row: row.get_rag_display()),
            (_("Annual plan (10k yuan)"), lambda row: _wan(row.planned)),
            (_("Completed this year (10k yuan)"), lambda row: _wan(row.completed_ytd)),
            (_("Completion %"), lambda row: pct(row.completion_pct)),
            (_("Causes"), lambda row: "；".join(rules.describe(c) for c in row.causes)),
        ]  # fmt: skip
        sheets = [
            (_("Summary"), [*cockpit.by_organisation, *group], summary),
            (_("Red list"), cockpit.red_list, project_columns),
        ]
        if projects is not None:
            sheets.append((_("Projects"), projects, project_columns))
        for section in org_sections:
            sheets.append((section.title, section.raw, self.org_columns(section)))
        name = _("Cockpit %(year)s %(date)s") % {"year": cockpit.filters.year,
                                                  "date": cockpit.as_of.isoformat()}  # fmt: skip
        response = exports.HttpResponse(exports.build_workbook(sheets),
                                        content_type=exports.XLSX_CONTENT_TYPE)  # fmt: skip
        response["Content-Disposition"] = exports.content_disposition(
            f"{name}.xlsx", fallback=f"cockpit-{cockpit.filters.year}.xlsx"
        )
        return response

    @staticmethod
    def org_columns(section: selectors.OrgFigureSection) -> list:
        def value(measure):
            def getter(row):
                found = row[1].get(measure.key)
                return to_unit(from_fen(found), Unit.WAN) if measure.amount and found else found

            return getter

        return [(_("Subsidiary"), lambda row: row[0].short_name),
                *[(m.label, value(m)) for m in section.measures]]  # fmt: skip


class ProjectCockpitView(LoginRequiredMixin, View):
    """The drill-down's last level: one project's figures, colour and causes."""

    def get(self, request, pk: int):
        today = timezone.localdate()
        try:
            year = int(request.GET.get("year") or today.year)
        except ValueError:
            year = today.year
        if not 2000 <= year <= 2100:
            year = today.year
        data = selectors.project_cockpit(user=request.user, pk=pk, year=year, as_of=today)
        row = data.row
        charts = {"labels": _chart_labels(), "monthly": _monthly(data.months)}
        organisation = data.project.owner
        context = {
            "data": data,
            "row": row,
            "year": year,
            "elapsed_pct": rules.time_elapsed_pct(year, today),
            "charts": charts,
            "data_as_of": services.data_as_of(),
            "sees_group": sees_whole_group(request.user),
            "up_url": reverse("dashboard:cockpit") + "?" + urlencode(
                {"year": year, "organisation": organisation.code}),
        }  # fmt: skip
        return render(request, "dashboard/project.html", context)


WALL_POLL_SECONDS = 30  # the version check's interval: a new run shows within a minute
WALL_PARAMS = ("poll",)


class WallView(LoginRequiredMixin, View):
    """The wall display (大屏模式) for a meeting room's screen: the cockpit of the same scope and
    filters, full screen, dark, 16:9, no navigation. Its figures come as data (the API's
    summary) and are drawn by static/dashboard/wall.js, which polls the small version endpoint
    and fetches the figures again only when a rollup run has finished. `poll`: the version
    check's interval in seconds (5 to 300; tests use a shorter one through `data-poll-ms`)."""

    def get(self, request):
        user, today = request.user, timezone.localdate()
        require(selectors.may_open_cockpit(user))
        found = resolve(user, request.GET, today, allowed=WALL_PARAMS)
        errors = dict(found.errors)
        poll = WALL_POLL_SECONDS
        if "poll" in request.GET:
            try:
                poll = int(request.GET["poll"])
            except ValueError:
                poll = 0
            if not 1 <= poll <= 300:
                errors["poll"] = [_("Enter a whole number of seconds from 1 to 300.")]
        if errors:
            return render(request, "dashboard/wall_refused.html", {"errors": errors}, status=400)
        version, data_as_of = services.data_version()
        cockpit = selectors.cockpit(user=user, filters=found.filters, as_of=today, with_map=False)
        summary = payload.summary(cockpit, cards=CockpitView.function_cards(cockpit),
                                  version=version, data_as_of=data_as_of)  # fmt: skip
        query = CockpitView.query(found.filters)
        context = {
            "cockpit": cockpit,
            "filters": found.filters,
            "data": {"summary": summary, "labels": self.labels()},
            "api_url": reverse("api-cockpit") + (f"?{query}" if query else ""),
            "version_url": reverse("api-cockpit-version"),
            "cockpit_url": reverse("dashboard:cockpit") + (f"?{query}" if query else ""),
            "poll_ms": poll * 1000,
            "sees_group": sees_whole_group(user),
        }
        return render(request, "dashboard/wall.html", context)

    @staticmethod
    def labels() -> dict[str, Any]:
        return {
            **_chart_labels(),
            "yi": _("100m yuan"),
            "months": [_("M%(month)d") % {"month": m} for m in range(1, 13)],
            "rag": {str(r.value): str(r.label) for r in Rag},
            "red_total": _("projects in red or orange, worst first"),
            "no_red": _("No project is in red or orange."),
            "at_this_pace": _("At this pace: %(pct)s of plan"),
        }


def map_point_rows(points: list[dict]) -> list[list]:
    """[lng, lat, colour, code, name, id]: hundreds of points, so no repeated keys."""
    return [[round(float(p["project__longitude"]), 5), round(float(p["project__latitude"]), 5),
             p["rag"], p["project__code"], p["project__name"], p["project_id"]]
            for p in points]  # fmt: skip


@method_decorator(gzip_page, name="dispatch")
class MapPointsView(LoginRequiredMixin, View):
    """The cockpit map's points, as JSON, for the page's scope and filters: loaded by
    static/dashboard/cockpit.js after the page, cached like it. `v`, the rollup run the page was
    rendered from, makes the address change with every run, so a browser may keep it."""

    def get(self, request):
        user, today = request.user, timezone.localdate()
        require(selectors.may_open_cockpit(user))
        found = resolve(user, request.GET, today, allowed=("v",))
        if found.errors:
            return JsonResponse({"errors": found.errors}, status=400)
        version = services.data_version()
        key = cache_key("map", user, request.GET, today, version)
        body = cache.get(key)
        if body is None:
            points = selectors.map_points(user=user, filters=found.filters)
            body = json.dumps({"points": map_point_rows(points)}, ensure_ascii=False,
                              separators=(",", ":"))  # fmt: skip
            cache.set(key, body, COCKPIT_CACHE_SECONDS)
        response = HttpResponse(body, content_type="application/json")
        if request.GET.get("v") == str(version[0]):
            response["Cache-Control"] = "private, max-age=3600"
        return response
