"""The cockpit's chart data in the page: compact UTF-8 JSON that no value can break out of."""

import json
import re

from dashboard.templatetags.cockpit import json_data


def test_chart_data_keeps_chinese_and_cannot_close_the_script_element():
    html = str(json_data({"name": "滨河大道</script><script>alert(1)</script>&"}, "charts"))
    assert html.startswith('<script id="charts" type="application/json">')
    assert html.count("</script>") == 1  # only the element's own end
    assert "滨河大道" in html  # UTF-8, not \\u escapes
    body = re.match(r'<script id="charts" type="application/json">(.*)</script>$', html).group(1)
    assert json.loads(body) == {"name": "滨河大道</script><script>alert(1)</script>&"}
