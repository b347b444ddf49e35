"""Set translations in a .po file from a JSON mapping {msgid: msgstr}, clearing their fuzzy flag,
then list what is still untranslated or fuzzy, so `make messages` leaves no gap unnoticed.

Usage: .venv/bin/python scripts/po_set.py locale/zh_Hans/LC_MESSAGES/django.po mapping.json
"""

import json
import sys
from pathlib import Path

import polib


def main(po_path: str, mapping_path: str | None = None) -> int:
    po = polib.pofile(po_path, wrapwidth=100)
    mapping = json.loads(Path(mapping_path).read_text("utf-8")) if mapping_path else {}
    for entry in po:
        # A message with a context (pgettext) is keyed "context\x04msgid", as gettext stores it.
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if key in mapping:
            if entry.msgid_plural:  # Chinese has one plural form
                entry.msgstr_plural = {0: mapping[key]}
            else:
                entry.msgstr = mapping[key]
            if entry.fuzzy:
                entry.flags.remove("fuzzy")
    po.save()
    gaps = [e.msgid for e in po.untranslated_entries() + po.fuzzy_entries()]
    for msgid in gaps:
        print("untranslated:", msgid)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
