"""Which database the cockpit reads.

The cockpit's reads (the page, the API, the wall display and its version check) go through
`read_alias()`: the `replica` alias when `DATABASE_REPLICA_URL` points at a read replica, the
primary otherwise. The rollups always write, and read what they write, on the primary
(`dashboard.services`, `dashboard.rollup` use the default alias). Read at call time, never kept
in a module-level variable, so a test or a deployment can switch it without a restart.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS


def read_alias() -> str:
    return settings.PORTAL.get("COCKPIT_DATABASE") or DEFAULT_DB_ALIAS
