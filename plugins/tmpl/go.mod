module github.com/covetgo/covet/plugins/tmpl

go 1.25.0

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/a-h/templ v0.3.977
	github.com/covetgo/covet/core v0.2.0
	github.com/evanw/esbuild v0.28.2
	github.com/nicksnyder/go-i18n/v2 v2.6.1
	go.uber.org/goleak v1.3.0
	golang.org/x/text v0.41.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/julienschmidt/httprouter v1.3.0 // indirect
	github.com/kr/text v0.2.0 // indirect
	golang.org/x/sys v0.34.0 // indirect
)

replace github.com/covetgo/covet/core => ../../core
