#!/usr/bin/env bash
# Installs HAProxy (Debian's package), the load balancer of contrib/scaleout's
# topology. Safe to run repeatedly: it returns at once when haproxy is there.
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq haproxy >/dev/null
# The package enables a system service on port 80 where an init runs; the
# topology starts its own haproxy with its own configuration instead.
haproxy -v | sed -n 1p # sed reads to the end: head would close the pipe early, and pipefail turn its SIGPIPE into exit 141
