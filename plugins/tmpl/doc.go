// Package tmpl renders server-side HTML pages for Covet with Go's
// html/template (contextual auto-escaping): layouts with blocks, partials
// and components loaded from an fs.FS, reload on change in development,
// forms bound and validated by core's binder with per-field errors, CSRF
// fields from the auth plugin (without importing it), flash messages,
// htmx helpers, hashed assets built with esbuild, and i18n with go-i18n.
//
//	//go:embed templates
//	var files embed.FS
//
//	sub, _ := fs.Sub(files, "templates")
//	app := covet.New()
//	if err := app.Install(tmpl.New(sub)); err != nil { // a parse error: file:line
//		log.Fatal(err)
//	}
//	app.GET("/tasks", func(c *covet.Context) error {
//		return tmpl.Render(c, http.StatusOK, "tasks/index", page)
//	})
package tmpl
