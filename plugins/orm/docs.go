package orm

import (
	"net/http"

	covet "github.com/covetgo/covet/core"
)

var usesDBKey = covet.NewMetaKey[bool]("orm.uses-db")

// UsesDB declares that the routes it is given to use the database, so that
// generated documentation lists the responses the database causes: 409 (a
// unique or foreign-key violation, a serialization failure) and 503 (no
// connection within the pool timeout). Apply it with Route.With or
// Group.With; InTransaction implies it.
func UsesDB() covet.RouteOption { return usesDBKey.Set(true) }

// InTransaction runs the route in a transaction (Transactional, as route
// middleware) and declares it (UsesDB), so its 409 and 503 are documented:
//
//	app.POST("/orders", createOrder).With(orm.InTransaction())
func InTransaction(opts ...TxOption) covet.RouteOption {
	mw := Transactional(opts...)
	return func(r *covet.Route) { r.With(usesDBKey.Set(true), covet.UseMiddleware(mw)) }
}

// documentResponses documents 409 and 503 on routes declared with UsesDB or
// InTransaction (covet.App.DocumentResponses).
func documentResponses(ri *covet.RouteInfo) []covet.ResponseDoc {
	if on, _ := usesDBKey.Get(ri); !on {
		return nil
	}
	return []covet.ResponseDoc{
		{Status: http.StatusConflict, Description: "The change conflicts with stored data (a unique or foreign-key constraint, or a concurrent transaction)."},
		{Status: http.StatusServiceUnavailable, Description: "The database is unavailable or no connection was free within the pool timeout."},
	}
}
