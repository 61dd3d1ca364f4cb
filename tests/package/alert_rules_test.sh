#!/usr/bin/env bash
# The Prometheus scrape config and alert rules in docs/operations.md are valid: promtool checks
# them as an operator would paste them.
# usage: alert_rules_test.sh SOURCE_DIR
set -euo pipefail
doc="$1/docs/operations.md"
tmp=$(mktemp -d /tmp/traded-rules-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The fenced yaml blocks of the "Monitoring with Prometheus" section, in order: scrape config, rules.
awk '/^## Monitoring with Prometheus/ {on=1; next} /^## / {on=0}
     on && /^```yaml/ {n++; out=sprintf("'"$tmp"'/block%d.yaml", n); inblock=1; next}
     on && inblock && /^```/ {inblock=0; next}
     on && inblock {print > out}' "$doc"
[[ -s $tmp/block1.yaml && -s $tmp/block2.yaml ]] || { echo "FAIL: scrape config or rules block missing in $doc"; exit 1; }
promtool check rules "$tmp/block2.yaml"
# The scrape config: a complete prometheus.yml once the token file it names exists.
echo "read-token" >"$tmp/token"
sed "s|/etc/prometheus/traded_read_token|$tmp/token|" "$tmp/block1.yaml" >"$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
# Every metric the rules use is one traded exports.
for m in $(grep -o 'traded_[a-z_]*' "$tmp/block2.yaml" | sort -u); do
  grep -q "\"$m\"" "$1/metrics/catalog.hpp" || { echo "FAIL: the rules use $m, which traded does not export"; exit 1; }
done
echo "alert rules ok"
