// Package compress compresses Covet responses with zstd, Brotli and gzip,
// serves precompressed static files, and (opt-in) decompresses request
// bodies with a limit on their decoded size.
//
//	app := covet.New()
//	err := app.Install(compress.New()) // zstd, br, gzip; bodies ≥ 1 KiB
//
// gzip and zstd come from github.com/klauspost/compress, Brotli from
// github.com/andybalholm/brotli (klauspost has no Brotli encoder); encoders
// are pooled per level.
//
// What is compressed: a response whose client accepts a coding the server
// produces (Accept-Encoding with q-values, "*" and "identity;q=0" as RFC 9110
// §12.5.3 says; ties go to the server's order, WithEncodings), whose media
// type is in the allowlist (WithContentTypes), whose body reaches the minimum
// size (WithMinSize; decided after the first bytes, never by buffering the
// whole body), and that is not already coded, not a Range request or 206,
// not text/event-stream, not Cache-Control: no-transform, and whose route
// was not opted out (Disable, Skip). A HEAD request gets the headers the
// GET would (Content-Encoding, Vary, the suffixed ETag), decided from the
// handler's Content-Length and Content-Type, and no body.
//
// Every response it sees gets Vary: Accept-Encoding. A coded response loses
// Content-Length and Accept-Ranges, and its strong ETag gets a suffix naming
// the coding ("v1" becomes "v1-br"); a request's If-None-Match carrying that
// suffix reaches the handler without it, so its own 304 logic works, and so
// does an If-Match (a PUT's check against the tag of a coded GET). When the
// client excludes identity and accepts none of the server's codings, the
// answer is 406 (problem+json).
//
// Flushes pass through (c.Stream keeps streaming, coded); Hijack passes
// through (WebSockets); panics and errors go through it to the app's
// recovery and error handler.
//
// BREACH: over TLS, compressing a response that contains both a secret (a
// CSRF token, a session identifier) and input an attacker chooses (a
// reflected query parameter) lets the attacker learn the secret from the
// coded length. Mark such routes with Disable (or call Skip for one
// response), or keep secrets out of responses that reflect input.
// plugins/auth masks its CSRF tokens per render, so they are safe to compress.
package compress
