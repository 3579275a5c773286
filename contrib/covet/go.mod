module github.com/covetgo/covet/contrib/covet

go 1.25.0

require (
	github.com/covetgo/covet/core v0.2.0
	github.com/fsnotify/fsnotify v1.10.1
)

require (
	github.com/goccy/go-json v0.12.0 // indirect
	github.com/julienschmidt/httprouter v1.3.0 // indirect
	golang.org/x/sys v0.13.0 // indirect
)

replace github.com/covetgo/covet/core => ../../core
