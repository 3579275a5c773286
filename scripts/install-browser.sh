#!/usr/bin/env bash
# Installs headless Chromium and ChromeDriver from Debian's packages for the
# browser tests (CORS, Swagger UI, WebSocket pages). Safe to run repeatedly.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
chromium --version
