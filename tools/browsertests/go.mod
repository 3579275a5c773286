module github.com/covetgo/covet/tools/browsertests

go 1.25.0

require (
	github.com/chromedp/cdproto v0.160.5
	github.com/chromedp/chromedp v0.23.0
	github.com/covetgo/covet/core v0.2.0
	github.com/covetgo/covet/plugins/cors v0.1.0
	github.com/covetgo/covet/plugins/openapi v0.1.0
	github.com/covetgo/covet/plugins/tmpl v0.1.0
	github.com/covetgo/covet/tools/browsertest v0.1.0
	github.com/google/uuid v1.6.0
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/coder/websocket v1.8.14 // indirect
	github.com/evanw/esbuild v0.28.2 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/julienschmidt/httprouter v1.3.0 // indirect
	github.com/nicksnyder/go-i18n/v2 v2.6.1 // indirect
	golang.org/x/sys v0.34.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace github.com/covetgo/covet/core => ../../core

replace github.com/covetgo/covet/tools/browsertest => ../../tools/browsertest

replace github.com/covetgo/covet/plugins/cors => ../../plugins/cors

replace github.com/covetgo/covet/plugins/openapi => ../../plugins/openapi

replace github.com/covetgo/covet/plugins/tmpl => ../../plugins/tmpl
