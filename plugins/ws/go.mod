module github.com/covetgo/covet/plugins/ws

go 1.26.0

require (
	github.com/covetgo/covet/core v0.2.0
	github.com/covetgo/covet/plugins/compress v0.1.0
	github.com/gobwas/ws v1.4.0
	github.com/gorilla/websocket v1.5.3
	github.com/klauspost/compress v1.20.0
	github.com/lesismal/nbio v1.6.8
	github.com/nats-io/nats.go v1.56.0
	github.com/redis/go-redis/v9 v9.23.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/andybalholm/brotli v1.3.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/pool v0.2.1 // indirect
	github.com/julienschmidt/httprouter v1.3.0 // indirect
	github.com/lesismal/llib v1.2.2 // indirect
	github.com/nats-io/nkeys v0.4.16 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/crypto v0.57.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

replace github.com/covetgo/covet/core => ../../core

replace github.com/covetgo/covet/plugins/compress => ../compress
