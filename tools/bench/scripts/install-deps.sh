#!/usr/bin/env bash
# Installs what the load benchmark needs from Debian packages (as root):
# wrk and hey, the Python servers' stack (FastAPI under uvicorn with uvloop
# and httptools, Flask under gunicorn), and valgrind for the instruction
# counts. Packages already installed are left as they are.
set -euo pipefail
pkgs=(wrk hey valgrind python3-fastapi python3-uvicorn python3-uvloop python3-httptools
      python3-multipart python3-flask python3-flask-cors gunicorn)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
