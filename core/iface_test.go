package covet

import (
	"io"
	"net/http"
)

// Compile-time checks of the interfaces the root package's types promise.
var (
	_ io.ReaderFrom = (*Response)(nil)
	_ http.Flusher  = (*Response)(nil)
	_ http.Hijacker = (*Response)(nil)
	_ http.Pusher   = (*Response)(nil)

	_ JSONCodec = StdJSON{}

	_ Router = (*App)(nil)
	_ Router = (*Group)(nil)
)
