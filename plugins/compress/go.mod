module github.com/covetgo/covet/plugins/compress

go 1.25.0

require (
	github.com/andybalholm/brotli v1.3.0
	github.com/covetgo/covet/core v0.2.0
	github.com/klauspost/compress v1.18.7
)

require github.com/julienschmidt/httprouter v1.3.0 // indirect

replace github.com/covetgo/covet/core => ../../core
