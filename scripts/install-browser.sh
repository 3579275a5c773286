#!/usr/bin/env bash
# Installs the three browser engines the browser tests run on, from
# Debian's packages: Chromium (+ ChromeDriver), Firefox ESR (WebDriver BiDi
# built in) and WebKitGTK's WebKitWebDriver with Xvfb for its display. Safe
# to run repeatedly: it returns at once when everything is there.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
command -v WebKitWebDriver >/dev/null 2>&1 || need+=(webkit2gtk-driver)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
chromium --version
firefox-esr --version
dpkg-query -W -f='webkit2gtk-driver ${Version}\n' webkit2gtk-driver
