// Command echometrics serves the echo benchmark app with echo-contrib's
// Prometheus middleware (echoprometheus, defaults) and its /metrics handler:
// the peer to compare plugins/metrics (server covetmetrics) with.
package main

import (
	"github.com/covetgo/covet/tools/bench/apps/echoapp"
	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
)

func main() {
	ln := shared.Listen()
	e := echoapp.New().(*echo.Echo)
	e.Use(echoprometheus.NewMiddleware("echo"))
	e.GET("/metrics", echoprometheus.NewHandler())
	shared.Serve(ln, e)
}
