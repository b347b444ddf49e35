"""Draw the demo city's district outlines (static/dashboard/demo-city-districts.geojson).

The demo city is fictional (projects/demo.py, DISTRICTS), so no published boundary fits it:
each district is the area nearer its centre than any other (a Voronoi cell, distances on the
ground: a longitude degree shortened by cos(latitude)), clipped to the city's outline; and the
river that gives 江北 and 江南 their names runs between them. Run it again if DISTRICTS change:

    .venv/bin/python scripts/make_demo_districts.py
"""

import json
import math
import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()
from projects.demo import DISTRICTS  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "static/dashboard/demo-city-districts.geojson"
# The city's outline (lng, lat), counter-clockwise: wider along the river.
CITY = [(114.08, 30.42), (114.52, 30.42), (114.56, 30.62), (114.52, 30.77), (114.20, 30.74),
        (114.08, 30.62)]  # fmt: skip
RIVER = [(114.06, 30.550), (114.18, 30.565), (114.27, 30.590), (114.34, 30.595), (114.40, 30.625),
         (114.46, 30.648), (114.56, 30.675)]  # fmt: skip
COS = math.cos(math.radians(30.58))


def clip(polygon, a, b):
    """The part of `polygon` nearer to point `a` than to point `b` (ground distances)."""
    ax, ay, bx, by = a[0] * COS, a[1], b[0] * COS, b[1]
    nx, ny = bx - ax, by - ay
    mid = ((ax + bx) / 2, (ay + by) / 2)

    def inside(p):
        return (p[0] * COS - mid[0]) * nx + (p[1] - mid[1]) * ny <= 0

    def cross(p, q):
        pd = (p[0] * COS - mid[0]) * nx + (p[1] - mid[1]) * ny
        qd = (q[0] * COS - mid[0]) * nx + (q[1] - mid[1]) * ny
        t = pd / (pd - qd)
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))

    result = []
    for i, p in enumerate(polygon):
        q = polygon[(i + 1) % len(polygon)]
        if inside(p):
            result.append(p)
            if not inside(q):
                result.append(cross(p, q))
        elif inside(q):
            result.append(cross(p, q))
    return result


def main() -> None:
    centres = {name: (lng, lat) for name, (lat, lng) in DISTRICTS.items()}
    features = []
    for name, centre in centres.items():
        cell = list(CITY)
        for other, point in centres.items():
            if other != name:
                cell = clip(cell, centre, point)
        ring = [[round(x, 4), round(y, 4)] for x, y in cell]
        ring.append(ring[0])
        features.append({"type": "Feature", "properties": {"name": name, "kind": "district"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})  # fmt: skip
    features.append({"type": "Feature", "properties": {"name": "长江", "kind": "river"},
                     "geometry": {"type": "LineString",
                                  "coordinates": [list(p) for p in RIVER]}})  # fmt: skip
    OUT.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                              ensure_ascii=False, separators=(",", ":")) + "\n")  # fmt: skip
    print(f"wrote {OUT} ({len(features)} features)")


if __name__ == "__main__":
    main()
