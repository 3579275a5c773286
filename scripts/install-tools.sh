#!/usr/bin/env bash
# Installs the static-analysis tools CI runs, at pinned versions, with
# `go install` into GOPATH/bin. A tool already there at the pinned version is
# not installed again, so a second run costs about nothing. Bump a version
# here (and only here) to upgrade; scripts/lint.sh reads the same pins.
set -euo pipefail

STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2}   # honnef.co/go/tools (staticcheck 2026.x)
GOSEC_VERSION=${GOSEC_VERSION:-v2.30.0}              # github.com/securego/gosec/v2
GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}   # golang.org/x/vuln

bin="$(go env GOPATH)/bin"

# have NAME MODULE VERSION: the binary exists and was built from MODULE@VERSION.
have() {
  [ -x "$bin/$1" ] && go version -m "$bin/$1" 2>/dev/null | awk '$1=="mod"{print $2, $3}' | grep -qx "$2 $3"
}

install() { # NAME MODULE PACKAGE VERSION
  if have "$1" "$2" "$4"; then
    return
  fi
  echo "install-tools: go install $3@$4"
  # The tools are built by the Go toolchain of this machine, outside the
  # workspace (GOWORK=off) so the repository's go.work does not apply.
  GOWORK=off GOFLAGS=-mod=mod go install "$3@$4"
}

tools=${*:-staticcheck gosec govulncheck}
for t in $tools; do
  case $t in
  staticcheck) install staticcheck honnef.co/go/tools honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION" ;;
  gosec) install gosec github.com/securego/gosec/v2 github.com/securego/gosec/v2/cmd/gosec "$GOSEC_VERSION" ;;
  govulncheck) install govulncheck golang.org/x/vuln golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION" ;;
  *) echo "install-tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
