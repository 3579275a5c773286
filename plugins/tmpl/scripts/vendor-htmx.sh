#!/usr/bin/env bash
# Vendors htmx, which the tmpl plugin embeds and serves itself (no CDN),
# from the npm registry at a pinned version, and records where the files
# came from in assets/SOURCES.json (package, version, tarball integrity and
# shasum, each vendored file's sha256). Needs npm, tar, sha256sum, python3.
# Rerun after changing the version, then review and commit assets/.
#
# htmx 2.0.x is pinned, not 4.x: 2.x is the line htmx's documentation and
# the ecosystem (extensions, tutorials) describe, and its header protocol
# (HX-Request, HX-Target, HX-Location, ...) is what the helpers implement.
set -euo pipefail

HTMX_VERSION=2.0.11

here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent --json "htmx.org@$HTMX_VERSION" >pack.json
mkdir htmx
tar -xzf "htmx.org-$HTMX_VERSION.tgz" -C htmx
rm -rf "$out/htmx"
mkdir -p "$out/htmx"
cp htmx/package/dist/htmx.min.js htmx/package/LICENSE "$out/htmx/"

python3 - "$out" <<'PY'
import hashlib, json, os, sys
out = sys.argv[1]
p = json.load(open("pack.json"))[0]
files = {}
for f in sorted(os.listdir(os.path.join(out, "htmx"))):
    files["htmx/" + f] = hashlib.sha256(open(os.path.join(out, "htmx", f), "rb").read()).hexdigest()
json.dump({"htmx.org": {"version": p["version"], "integrity": p["integrity"], "shasum": p["shasum"],
           "from": "package/dist/htmx.min.js, package/LICENSE", "files": files}},
          open(os.path.join(out, "SOURCES.json"), "w"), indent=2)
open(os.path.join(out, "SOURCES.json"), "a").write("\n")
PY
echo "vendored htmx.org@$HTMX_VERSION into $out/htmx"
