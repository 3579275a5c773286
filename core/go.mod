module github.com/covetgo/covet/core

go 1.25.0

require (
	github.com/goccy/go-json v0.12.0
	github.com/julienschmidt/httprouter v1.3.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
)

require golang.org/x/text v0.14.0 // indirect
