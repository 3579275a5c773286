module github.com/covetgo/covet/tools/browsertest

go 1.25.0

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/coder/websocket v1.8.14
	github.com/covetgo/covet/core v0.2.0
	github.com/covetgo/covet/plugins/compress v0.1.0
)

require (
	github.com/andybalholm/brotli v1.3.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/julienschmidt/httprouter v1.3.0 // indirect
	github.com/klauspost/compress v1.18.7 // indirect
)

replace github.com/covetgo/covet/core => ../../core

replace github.com/covetgo/covet/plugins/compress => ../../plugins/compress
