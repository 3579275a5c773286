#!/usr/bin/env bash
# install-peers.sh installs what the FastAPI peer of the comparison needs
# from Debian packages (as root): the bench's Python stack (FastAPI, uvicorn
# with uvloop and httptools; tools/bench/scripts/install-deps.sh) and
# asyncpg. up.sh runs it for SCALEOUT_APP=fastapi. Packages already
# installed are left as they are.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/../../../tools/bench/scripts/install-deps.sh"
if ! dpkg-query -W -f='${Status}' python3-asyncpg 2>/dev/null | grep -q "install ok installed"; then
  echo "installing: python3-asyncpg"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-asyncpg
fi
