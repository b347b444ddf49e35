"""The cockpit's REST API: the page's figures for the group's own reporting tools and the wall
display (token or session authentication, as the rest of /api/v1/).

- `GET /api/v1/cockpit/`: the summary figures, each subsidiary's row, the monthly series, the red
  list with every cause, the function cards; the page's scope and filters (`year`,
  `organisation`, `category`, `is_key`).
- `GET /api/v1/cockpit/projects/{id}/`: one project's figures (`year`).
- `GET /api/v1/cockpit/version/`: the last rollup run (number and finish time): what the wall
  display polls; no query once the version is cached.

Every figure comes from dashboard.selectors, as the page's and the Excel export's do; the answer
is cached like the page (dashboard.scope.cache_key) until the next rollup run. A parameter this
endpoint does not know, or a value outside the caller's choices (another subsidiary, a year
without figures), is a 400 naming it; another subsidiary's project is a 404.
"""

from __future__ import annotations

import gzip
import json

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard import payload, rules, selectors, services
from dashboard.pagecache import accepts_gzip
from dashboard.scope import FILTER_PARAMS, cache_key, resolve
from dashboard.views import COCKPIT_CACHE_SECONDS, CockpitView
from portal.cache import count_and_get_many
from portal.throttles import UserThrottle
from projects.choices import Category

MONEY = {"max_digits": 18, "decimal_places": 2, "allow_null": True}
PCT = {"max_digits": 8, "decimal_places": 2, "allow_null": True}
YEAR_MIN, YEAR_MAX = 2000, 2100

# --- the answers' shapes (the schema; the answers themselves are built by dashboard.payload) ---


class CockpitFiltersSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    organisation = serializers.CharField(allow_null=True, help_text="Subsidiary code, or null.")
    category = serializers.CharField(allow_blank=True)
    is_key = serializers.BooleanField(allow_null=True)


class CockpitCountsSerializer(serializers.Serializer):
    green = serializers.IntegerField()
    amber = serializers.IntegerField()
    orange = serializers.IntegerField()
    red = serializers.IntegerField()
    none = serializers.IntegerField(help_text="Not assessed.")


class CockpitPaceSerializer(serializers.Serializer):
    ahead = serializers.IntegerField()
    on_track = serializers.IntegerField()
    lagging = serializers.IntegerField()
    no_plan = serializers.IntegerField()


class CockpitTotalsSerializer(serializers.Serializer):
    projects = serializers.IntegerField()
    planned = serializers.DecimalField(**MONEY, help_text="Annual plans (yuan).")
    completed_ytd = serializers.DecimalField(**MONEY, help_text="Accepted this year (yuan).")
    completion_pct = serializers.DecimalField(**PCT, help_text="Completed of plan, in %.")
    completed_cumulative = serializers.DecimalField(**MONEY, help_text="Since start (yuan).")
    rag = CockpitCountsSerializer(help_text="Projects by colour.")
    pace = CockpitPaceSerializer(help_text="Projects against the time-elapsed plan.")
    start_planned = serializers.IntegerField()
    started = serializers.IntegerField()
    start_rate = serializers.DecimalField(**PCT)
    finish_planned = serializers.IntegerField()
    finished = serializers.IntegerField()
    finish_rate = serializers.DecimalField(**PCT)


class CockpitSubsidiarySerializer(CockpitTotalsSerializer):
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()


class CockpitMonthSerializer(serializers.Serializer):
    month = serializers.IntegerField(min_value=1, max_value=12)
    completed = serializers.DecimalField(**MONEY, help_text="null: not reported yet.")
    completed_ytd = serializers.DecimalField(**MONEY)
    planned_to_date = serializers.DecimalField(**MONEY, help_text="The time-elapsed plan.")


class CockpitCauseSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="The rule, e.g. `investment_lag`, `milestone_late`.")
    level = serializers.CharField(help_text="The colour this cause gives.")
    text = serializers.CharField(help_text="The cause in the caller's language.")
    numbers = serializers.DictField(help_text="The rule's numbers (days late, points behind).")
    url = serializers.CharField(allow_blank=True, help_text="The record behind it.")


class CockpitProjectRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    owner = serializers.CharField(help_text="Code of the owning subsidiary.")
    owner_name = serializers.CharField()
    assigned_leader = serializers.CharField(allow_blank=True)
    rag = serializers.CharField()
    pace = serializers.CharField()
    planned = serializers.DecimalField(**MONEY)
    completed_ytd = serializers.DecimalField(**MONEY)
    completion_pct = serializers.DecimalField(**PCT)
    causes = CockpitCauseSerializer(many=True)
    url = serializers.CharField(help_text="The project's cockpit page.")


class CockpitMeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.IntegerField()


class CockpitFunctionCardSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The card's first measure.")
    label = serializers.CharField()
    module = serializers.CharField()
    available = serializers.BooleanField(help_text="false: the module is not in use yet.")
    values = serializers.ListField(child=serializers.IntegerField())
    text = serializers.CharField(help_text="As the page shows it.")


class CockpitSummarySerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The rollup run the figures come from.")
    data_as_of = serializers.DateTimeField(allow_null=True)
    as_of = serializers.DateField()
    filters = CockpitFiltersSerializer()
    elapsed_pct = serializers.DecimalField(**PCT, help_text="Time elapsed of the year, in %.")
    totals = CockpitTotalsSerializer()
    forecast = serializers.DecimalField(**MONEY, help_text="Year-end completion at this pace.")
    forecast_pct = serializers.DecimalField(**PCT)
    key_projects = CockpitTotalsSerializer()
    open_items = CockpitMeasureSerializer(many=True)
    function_cards = CockpitFunctionCardSerializer(many=True)
    subsidiaries = CockpitSubsidiarySerializer(many=True)
    monthly = CockpitMonthSerializer(many=True)
    red_total = serializers.IntegerField(help_text="Projects in red or orange.")
    red_list = CockpitProjectRowSerializer(many=True, help_text="The worst of them first.")


class CockpitProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    owner = serializers.CharField()
    owner_name = serializers.CharField()
    assigned_leader = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField()
    data_as_of = serializers.DateTimeField(allow_null=True)
    elapsed_pct = serializers.DecimalField(**PCT)
    rag = serializers.CharField(allow_null=True, help_text="null: no figures for the year.")
    pace = serializers.CharField(allow_null=True)
    planned = serializers.DecimalField(**MONEY)
    completed_ytd = serializers.DecimalField(**MONEY)
    completion_pct = serializers.DecimalField(**PCT)
    completed_cumulative = serializers.DecimalField(**MONEY)
    causes = CockpitCauseSerializer(many=True)
    open_items = CockpitMeasureSerializer(many=True)
    monthly = CockpitMonthSerializer(many=True)


class CockpitVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The last successful rollup run; 0: none yet.")
    data_as_of = serializers.DateTimeField(allow_null=True, help_text="When it finished.")


# --- examples ------------------------------------------------------------------------------------

_COUNTS = {"green": 1, "amber": 2, "orange": 1, "red": 2, "none": 0}
_PACE = {"ahead": 1, "on_track": 2, "lagging": 2, "no_plan": 1}
_TOTALS = {
    "projects": 6, "planned": "130000000.00", "completed_ytd": "90300000.25",
    "completion_pct": "69.46", "completed_cumulative": "107645679.65", "rag": _COUNTS,
    "pace": _PACE, "start_planned": 2, "started": 2, "start_rate": "100.00",
    "finish_planned": 1, "finished": 0, "finish_rate": "0.00",
}  # fmt: skip
_CAUSE = {"rule": "milestone_late", "level": "orange", "text": "里程碑“主桥合龙”逾期 10 天",
          "numbers": {"name": "主桥合龙", "days": 10},
          "url": "/projects/2/#battle-map"}  # fmt: skip
_MONTH = {"month": 10, "completed": "8900000.25", "completed_ytd": "90300000.25",
          "planned_to_date": "108333333.33"}  # fmt: skip
SUMMARY_EXAMPLE = {
    "version": 42, "data_as_of": "2026-11-23T10:00:00+08:00", "as_of": "2026-11-23",
    "filters": {"year": 2026, "organisation": None, "category": "", "is_key": None},
    "elapsed_pct": "83.33", "totals": _TOTALS, "forecast": "108360000.30",
    "forecast_pct": "83.35", "key_projects": _TOTALS,
    "open_items": [{"key": "problems_open", "label": "未解决问题", "value": 1}],
    "function_cards": [{"key": "permits_waiting", "label": "待办证照 / 逾期", "module": "前期工作",
                        "available": True, "values": [3, 1], "text": "3 / 1"}],
    "subsidiaries": [{"code": "infra", "name": "滨江基础设施建设有限公司",
                      "short_name": "基础设施公司", **_TOTALS}],
    "monthly": [_MONTH], "red_total": 3,
    "red_list": [{"id": 2, "code": "JC-B", "name": "滨河大桥", "owner": "infra",
                  "owner_name": "基础设施公司", "assigned_leader": "王强", "rag": "red",
                  "pace": "lagging", "planned": "40000000.00", "completed_ytd": "20300000.25",
                  "completion_pct": "50.75", "causes": [_CAUSE],
                  "url": "/dashboard/projects/2/?year=2026"}],
}  # fmt: skip
PROJECT_EXAMPLE = {
    "id": 2, "code": "JC-B", "name": "滨河大桥", "owner": "infra", "owner_name": "基础设施公司",
    "assigned_leader": "王强", "year": 2026, "data_as_of": "2026-11-23T10:00:00+08:00",
    "elapsed_pct": "83.33", "rag": "red", "pace": "lagging", "planned": "40000000.00",
    "completed_ytd": "20300000.25", "completion_pct": "50.75",
    "completed_cumulative": "20300000.25", "causes": [_CAUSE], "open_items": [],
    "monthly": [_MONTH],
}  # fmt: skip

FILTERS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="A year with figures; default: this "
                     "year. Another is refused (400)."),
    OpenApiParameter("organisation", OpenApiTypes.STR, description="A subsidiary's code, within "
                     "your scope (a subsidiary's staff: their own); default: all you see."),
    OpenApiParameter("category", OpenApiTypes.STR, enum=[c for c, _l in Category.choices],
                     description="Project category."),
    OpenApiParameter("is_key", OpenApiTypes.STR, enum=["true", "false"],
                     description="Key projects only (`true`) or the others (`false`)."),
]  # fmt: skip


class CockpitThrottle(UserThrottle):
    """The API's rate per user (scope `user`: the same rate as the rest of the API, counted
    apart), in fixed windows of the rate's period, in the same round trip to the cache as the
    view's own reads (`counted_reads`, which each GET calls before anything else): a cached
    answer then costs one trip for the caller's token and one for everything else, where DRF's
    sliding window read and wrote a list of every call's time (two more trips,
    bench/README.md). Any other method is counted here."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.window_end = (int(self.timer() // self.duration) + 1) * self.duration
        request.cockpit_counter = (self, f"{self.key}:{int(self.window_end)}")
        if request.method == "GET":
            return True  # counted by counted_reads, with the reads
        count, _found = count_and_get_many(request.cockpit_counter[1], int(self.duration) + 1, [])
        return count <= self.num_requests

    def wait(self):
        return max(0.0, self.window_end - self.timer())


def counted_reads(request, keys: list[str]) -> tuple[tuple, dict]:
    """The rollups' version and these cache entries, with the call counted against the
    caller's rate (CockpitThrottle), in one round trip; 429 over the rate."""
    counter = getattr(request, "cockpit_counter", None)
    if counter is None:  # no rate, or no user to count
        return services.data_version_and(keys)
    throttle, key = counter
    count, found = count_and_get_many(key, int(throttle.duration) + 1,
                                      [services.VERSION_KEY, *keys])  # fmt: skip
    if count > throttle.num_requests:
        raise exceptions.Throttled(wait=throttle.wait())
    return services.data_version_and(keys, found=found)


def refuse_unknown(params, allowed) -> None:
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise exceptions.ValidationError({name: [_("Unknown parameter.")] for name in unknown})


def require_cockpit(user) -> None:
    if not selectors.may_open_cockpit(user):
        raise exceptions.PermissionDenied(_("Your role does not read the cockpit."))


def json_response(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="application/json")


def dumps(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class CockpitSummaryView(APIView):
    throttle_classes = [CockpitThrottle]

    @extend_schema(
        operation_id="cockpit_summary", tags=["cockpit"], parameters=FILTERS,
        responses=CockpitSummarySerializer,
        examples=[OpenApiExample("The group in 2026", value=SUMMARY_EXAMPLE,
                                 response_only=True)],
        summary="The cockpit's figures in your scope",
    )  # fmt: skip
    def get(self, request):
        user, today = request.user, timezone.localdate()
        key = cache_key("api", user, request.query_params, today)
        # Counted first, so that refused calls count too; one round trip with the reads.
        (version, data_as_of), found = counted_reads(request, [key])
        require_cockpit(user)
        refuse_unknown(request.query_params, FILTER_PARAMS)
        bodies = found.get(key)
        if bodies is None or bodies[0] != (version, data_as_of):
            scope = resolve(user, request.query_params, today)
            if scope.errors:  # never cached: a cached answer was asked for with good values
                raise exceptions.ValidationError(scope.errors)
            cockpit = selectors.cockpit(user=user, filters=scope.filters, as_of=today,
                                        with_map=False)  # fmt: skip
            body = dumps(payload.summary(cockpit, cards=CockpitView.function_cards(cockpit),
                                         version=version, data_as_of=data_as_of))  # fmt: skip
            # Compressed once, not per call; with the run it shows.
            bodies = ((version, data_as_of), body, gzip.compress(body, mtime=0))
            cache.set(key, bodies, COCKPIT_CACHE_SECONDS)
        if accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            response = json_response(bodies[2])
            response["Content-Encoding"] = "gzip"
        else:
            response = json_response(bodies[1])
        patch_vary_headers(response, ("Accept-Encoding",))
        return response


class CockpitProjectView(APIView):
    @extend_schema(
        operation_id="cockpit_project", tags=["cockpit"],
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description=f"{YEAR_MIN}–"
                                     f"{YEAR_MAX}; default: this year.")],
        responses=CockpitProjectSerializer,
        examples=[OpenApiExample("A red project", value=PROJECT_EXAMPLE, response_only=True)],
        summary="One project's cockpit figures",
    )  # fmt: skip
    def get(self, request, pk: int):
        user, today = request.user, timezone.localdate()
        require_cockpit(user)
        refuse_unknown(request.query_params, ["year"])
        raw = request.query_params.get("year", "").strip()
        year = today.year
        if raw:
            try:
                year = int(raw)
            except ValueError:
                year = 0
            if not YEAR_MIN <= year <= YEAR_MAX:
                message = _("Enter a year from %(min)d to %(max)d.") % {
                    "min": YEAR_MIN, "max": YEAR_MAX}  # fmt: skip
                raise exceptions.ValidationError({"year": [message]})
        data = selectors.project_cockpit(user=user, pk=pk, year=year, as_of=today)
        elapsed = rules.time_elapsed_pct(year, today)
        return Response(payload.project(data, year=year, data_as_of=services.data_as_of(),
                                        elapsed_pct=elapsed))  # fmt: skip


class CockpitVersionView(APIView):
    throttle_classes = [CockpitThrottle]  # the wall display polls it

    @extend_schema(
        operation_id="cockpit_version", tags=["cockpit"], responses=CockpitVersionSerializer,
        examples=[OpenApiExample("After run 42", response_only=True,
                                 value={"version": 42,
                                        "data_as_of": "2026-11-23T10:00:00+08:00"})],
        summary="The last rollup run: poll this, fetch the figures when it changes",
    )  # fmt: skip
    def get(self, request):
        (version, data_as_of), _found = counted_reads(request, [])  # counted first
        require_cockpit(request.user)
        refuse_unknown(request.query_params, ())
        response = json_response(dumps({"version": version,
                                        "data_as_of": data_as_of.isoformat()
                                        if data_as_of else None}))  # fmt: skip
        response["Cache-Control"] = "private, max-age=5"
        return response
