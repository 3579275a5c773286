package orm_test

import (
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/sqlite"
)

// TestDocumentsDatabaseResponses: routes declared with UsesDB or
// InTransaction document 409 and 503; others do not.
func TestDocumentsDatabaseResponses(t *testing.T) {
	h := func(c *covet.Context) error { return nil }
	app := covet.New()
	app.POST("/orders", h).With(orm.InTransaction())
	app.GET("/orders", h).With(orm.UsesDB())
	app.GET("/ping", h)
	if err := app.Install(orm.New(orm.WithDriver(sqlite.Driver()), orm.WithDSN("file::memory:"))); err != nil {
		t.Fatal(err)
	}
	for _, ri := range app.Routes() {
		var statuses []int
		for _, rd := range ri.Responses {
			statuses = append(statuses, rd.Status)
		}
		want := ri.Pattern == "/orders"
		if got := len(statuses) == 2 && statuses[0] == 409 && statuses[1] == 503; got != want {
			t.Errorf("%s %s documents %v", ri.Method, ri.Pattern, statuses)
		}
	}
}
