#!/usr/bin/env bash
# Installs the real programs the tests run against (Debian packages), without starting their services.
set -euo pipefail
need=()
for pair in prometheus:/usr/bin/prometheus prometheus-node-exporter:/usr/bin/prometheus-node-exporter \
            prometheus-alertmanager:/usr/bin/prometheus-alertmanager chromium:/usr/bin/chromium; do
  pkg=${pair%%:*}; bin=${pair#*:}
  [ -x "$bin" ] || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Keep the packages' own services from starting during install; the tests start them on loopback.
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null; $SUDO chmod +x "$policy"; created=1; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
[ $created -eq 1 ] && $SUDO rm -f "$policy"
# Debian starts these as services when policy allows; make sure none holds the default ports.
for svc in prometheus prometheus-node-exporter prometheus-alertmanager; do pkill -x "$svc" 2>/dev/null || true; done
exit 0
