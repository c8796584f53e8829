"""Fetches a Prometheus exposition and parses it with prometheus_client's
parser (Debian's python3-prometheus-client); prints one JSON object a sample:
{"name", "labels", "value"}. Exit 1 if the text does not parse."""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
    content_type = r.headers.get("Content-Type", "")
    text = r.read().decode("utf-8")
print(json.dumps({"content_type": content_type}))
for family in text_string_to_metric_families(text):
    for s in family.samples:
        print(json.dumps({"name": s.name, "type": family.type,
                          "labels": s.labels, "value": s.value},
                         ensure_ascii=False))
