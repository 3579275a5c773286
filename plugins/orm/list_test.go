package orm_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestTaskListGolden walks every keyset page of 200 Task-shaped rows through
// the plugin (the taskboard's list, BenchmarkTaskList's via=plugin) and
// compares the responses byte for byte with testdata/list_tasks.golden,
// written before the scan path was tuned: whatever the driver and scanning
// do, the same rows answer the same bytes. The first page must also equal
// the one scanned by hand on pgx.
func TestTaskListGolden(t *testing.T) {
	apps, stop := listApps(t)
	defer stop()
	get := func(via, cursor string) []byte {
		t.Helper()
		rec := httptest.NewRecorder()
		apps[via].ServeHTTP(rec, httptest.NewRequest("GET", "/tasks?limit=20&cursor="+url.QueryEscape(cursor), nil))
		if rec.Code != 200 {
			t.Fatalf("GET /tasks via %s cursor %q: %d %s", via, cursor, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	var all bytes.Buffer
	cursor, pages := "", 0
	for {
		body := get("plugin", cursor)
		if pages == 0 {
			if raw := get("pgx", ""); !bytes.Equal(body, raw) {
				t.Errorf("first page via plugin and via pgx differ:\nplugin %s\npgx    %s", body, raw)
			}
		}
		if other := get("plugin-pgdriver", cursor); !bytes.Equal(body, other) {
			t.Errorf("page after %q via pgx and via pgdriver differ:\npgx      %s\npgdriver %s", cursor, body, other)
		}
		all.Write(body)
		all.WriteByte('\n')
		pages++
		var p struct {
			Next string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if pages != 10 {
		t.Errorf("%d pages, want 10", pages)
	}
	golden := filepath.Join("testdata", "list_tasks.golden")
	if *updateGolden {
		must(t, os.WriteFile(golden, all.Bytes(), 0o600))
	}
	want, err := os.ReadFile(golden) // #nosec G304 -- fixed test path
	must(t, err)
	if !bytes.Equal(all.Bytes(), want) {
		t.Errorf("pages differ from %s (go test -run TestTaskListGolden -update rewrites it)\ngot:\n%s", golden, all.Bytes())
	}
}
