// Package requestsize measures request and response body sizes per route
// and serves them as JSON. It is a small, useful Covet plugin and, above
// all, the template for writing one: it uses only core's exported API, the
// same API an application uses, and implements every optional hook
// (covet.Starter, covet.Stopper, covet.HealthChecker, covet.RouteObserver).
//
//	app := covet.New(covet.WithHealth())
//	sizes := requestsize.New()
//	if err := app.Install(sizes); err != nil {
//		log.Fatal(err)
//	}
//	// GET /debug/sizes now answers with per-route figures.
//
// The module's README walks through the hook interface step by step.
package requestsize
