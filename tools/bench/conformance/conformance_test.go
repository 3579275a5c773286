package conformance_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/covetgo/covet/tools/bench/apps/chiapp"
	"github.com/covetgo/covet/tools/bench/apps/covetapp"
	"github.com/covetgo/covet/tools/bench/apps/echoapp"
	"github.com/covetgo/covet/tools/bench/apps/fiberapp"
	"github.com/covetgo/covet/tools/bench/apps/ginapp"
	"github.com/covetgo/covet/tools/bench/apps/httprouterapp"
	"github.com/covetgo/covet/tools/bench/apps/nethttpapp"
	"github.com/covetgo/covet/tools/bench/conformance"
	"github.com/covetgo/covet/tools/bench/suite"
)

func runChecks(t *testing.T, base string) {
	t.Helper()
	for _, r := range conformance.Run(base) {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Name, r.Err)
		}
	}
}

// TestGoServers runs every check against every Go app, served in-process
// over loopback (the server binaries run exactly these handlers).
func TestGoServers(t *testing.T) {
	apps := []struct {
		name string
		h    http.Handler
	}{
		{"covet", covetapp.New()},
		{"httprouter", httprouterapp.New()},
		{"nethttp", nethttpapp.New()},
		{"chi", chiapp.New()},
		{"gin", ginapp.New()},
		{"echo", echoapp.New()},
	}
	for _, a := range apps {
		t.Run(a.name, func(t *testing.T) {
			srv := httptest.NewServer(a.h)
			defer srv.Close()
			srv.Config.ErrorLog = nil
			runChecks(t, srv.URL)
		})
	}
	t.Run("fiber", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		app := fiberapp.New()
		go func() { _ = app.Listener(ln) }()
		defer func() { _ = app.Shutdown() }()
		runChecks(t, "http://"+ln.Addr().String())
	})
}

// TestPythonServers runs every check against the FastAPI and Flask servers
// when their Debian packages are installed (scripts/install-deps.sh); they
// are not a CI service, so the test skips, saying why, when they are not.
func TestPythonServers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Python servers take seconds to start")
	}
	dir, err := suite.ModuleDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range suite.Servers {
		if !s.Python {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			if err := suite.PythonAvailable(s); err != nil {
				t.Skip(err)
			}
			addr, err := suite.FreeAddr()
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Start(suite.StartOptions{ModuleDir: dir, Addr: addr, CPU: -1, Log: os.Stderr})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Stop()
			runChecks(t, "http://"+addr)
		})
	}
}
