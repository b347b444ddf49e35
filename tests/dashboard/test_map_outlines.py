"""The cockpit's map draws the city's districts and river under the points (a static GeoJSON
named by a setting), so a reader sees where a project is, not a bare longitude grid."""

import itertools
import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.templatetags.static import static

from dashboard import services
from projects.demo import DISTRICTS


def test_the_demo_city_has_one_outline_per_district_and_its_river(settings):
    path = finders.find(settings.PORTAL["MAP_OUTLINES"])
    geo = json.loads(Path(path).read_text(encoding="utf-8"))
    polygons = {f["properties"]["name"]: f for f in geo["features"]
                if f["geometry"]["type"] == "Polygon"}  # fmt: skip
    assert set(polygons) == set(DISTRICTS)
    for name, (lat, lng) in DISTRICTS.items():
        ring = polygons[name]["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]  # closed
        # The district's centre lies inside its outline (ray casting).
        inside = False
        for (x1, y1), (x2, y2) in itertools.pairwise(ring):
            if (y1 > lat) != (y2 > lat) and lng < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        assert inside, name
    assert any(f["geometry"]["type"] == "LineString" for f in geo["features"])


def test_the_cockpit_tells_the_map_where_the_outlines_are(group, today, client_for, settings):
    services.rollup_full(today)
    response = client_for("leader").get("/dashboard/")
    charts = response.context["charts"]
    assert charts["map"]["outlines"] == static(settings.PORTAL["MAP_OUTLINES"])
