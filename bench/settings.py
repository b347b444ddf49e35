"""The benchmark's settings: the portal's own, plus one URL for the bare view (bench/urls.py).

`make bench` runs gunicorn and the query probe with these; every other setting is production's
as bench/run.py sets it through the environment."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
