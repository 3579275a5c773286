// Package stdmw holds the standard-library pieces the net/http and
// httprouter apps share: JSON helpers, the hand-written /echo and /upload
// handlers (encoding/json, go-playground/validator, ParseMultipartForm), and
// the hand-written production middleware of their /api group (recover,
// request ID, slog access log, rs/cors, security headers), written the way
// a net/http user writes them.
package stdmw

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/covetgo/covet/tools/bench/internal/shared"
	"github.com/go-playground/validator/v10"
	"github.com/rs/cors"
)

// WriteJSON encodes v with encoding/json and writes it with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// Echo decodes the /echo body, validates it and writes it back: 400 for
// malformed JSON, 422 for an invalid body.
func Echo(w http.ResponseWriter, r *http.Request, v *validator.Validate) {
	EchoOf[shared.EchoBody](w, r, v)
}

// EchoOf is Echo for any body type (shared.Echo2Body for /echo2).
func EchoOf[T any](w http.ResponseWriter, r *http.Request, v *validator.Validate) {
	var b T
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		WriteJSON(w, http.StatusBadRequest, shared.ErrorBody{Error: "malformed JSON: " + err.Error()})
		return
	}
	if err := v.Struct(&b); err != nil {
		WriteJSON(w, http.StatusUnprocessableEntity, shared.ErrorBody{Error: err.Error()})
		return
	}
	WriteJSON(w, http.StatusOK, &b)
}

// Upload saves the multipart "file" field to a temporary file.
func Upload(w http.ResponseWriter, r *http.Request) {
	f, fh, err := r.FormFile("file")
	if err != nil {
		WriteJSON(w, http.StatusBadRequest, shared.ErrorBody{Error: "no file part named file"})
		return
	}
	defer f.Close()
	n, err := shared.SaveTemp(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	WriteJSON(w, http.StatusOK, shared.UploadResult{Filename: fh.Filename, Size: n})
}

// Realistic returns the /api middleware stack, outermost first: request
// ID, access log, recover, CORS, security headers.
func Realistic() func(http.Handler) http.Handler {
	logger := shared.DiscardLogger()
	c := cors.New(cors.Options{AllowedOrigins: []string{shared.AllowedOrigin}})
	return func(h http.Handler) http.Handler {
		return requestID(accessLog(logger, recoverer(c.Handler(secureHeaders(h)))))
	}
}

type ctxKey struct{}

func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" {
			var b [16]byte
			binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
			binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(contextWithID(r, id)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func accessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", idFrom(r)),
				slog.String("remote_addr", r.RemoteAddr),
				slog.String("user_agent", r.UserAgent()),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}

func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, kv := range shared.SecurityHeaders {
			h.Set(kv[0], kv[1])
		}
		next.ServeHTTP(w, r)
	})
}
