// Package shared holds what every benchmark server has in common: the
// endpoints' data types, the listen address, the HTTP server settings and the
// measurement control port. It imports the standard library only, so a
// server binary links no framework but its own.
package shared

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// Plaintext is the body of GET /plaintext.
const Plaintext = "Hello, World!"

// AllowedOrigin is the one origin the realistic endpoint's CORS policy allows.
const AllowedOrigin = "http://localhost:3000"

// Message is the body of GET /json.
type Message struct {
	Message string `json:"message"`
}

// User is the body of GET /users/{id} and GET /api/users/{id}.
type User struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// NewUser returns the user every server answers for id.
func NewUser(id int) User { return User{ID: id, Name: "user-" + strconv.Itoa(id)} }

// Address is the nested object of the /echo body.
type Address struct {
	City string `json:"city" validate:"required,min=1,max=64" binding:"required,min=1,max=64" minLength:"1" maxLength:"64"`
	Zip  string `json:"zip" validate:"required,len=5,numeric" binding:"required,len=5,numeric" pattern:"^[0-9]{5}$"`
}

// EchoBody is the body of POST /echo: ten fields, validated, sent back.
// It carries go-playground's tags under both names its users know
// (validate: net/http, httprouter, chi, echo, fiber; binding: gin) and the
// JSON Schema tags Covet reads.
type EchoBody struct {
	Name        string   `json:"name" validate:"required,min=2,max=64" binding:"required,min=2,max=64" minLength:"2" maxLength:"64"`
	Email       string   `json:"email" validate:"required,email" binding:"required,email" format:"email"`
	Age         int      `json:"age" validate:"gte=0,lte=150" binding:"gte=0,lte=150" minimum:"0" maximum:"150"`
	Score       float64  `json:"score" validate:"gte=0,lte=100" binding:"gte=0,lte=100" minimum:"0" maximum:"100"`
	Active      bool     `json:"active"`
	Kind        string   `json:"kind" validate:"required,oneof=book movie music" binding:"required,oneof=book movie music" enum:"book,movie,music"`
	Tags        []string `json:"tags" validate:"max=5" binding:"max=5" maxItems:"5"`
	Address     Address  `json:"address"`
	SKU         string   `json:"sku" validate:"required,min=3,max=12" binding:"required,min=3,max=12" minLength:"3" maxLength:"12"`
	Description string   `json:"description,omitempty" validate:"omitempty,max=256" binding:"omitempty,max=256" maxLength:"256"`
}

// Echo2Body is the body of POST /echo2: the short two-field form of /echo
// (a bounded string and an int range), where the framework's own per-request
// cost weighs more than decoding and validation.
type Echo2Body struct {
	Name string `json:"name" validate:"required,min=2,max=64" binding:"required,min=2,max=64" minLength:"2" maxLength:"64"`
	Age  int    `json:"age" validate:"gte=0,lte=150" binding:"gte=0,lte=150" minimum:"0" maximum:"150"`
}

// UploadResult is the body of POST /upload.
type UploadResult struct {
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
}

// ErrorBody is the JSON error body of the servers that have no error format
// of their own (400 and 422 answers).
type ErrorBody struct {
	Error string `json:"error"`
}

// SaveTemp copies r to a new temporary file, closes and removes it, and
// returns the number of bytes written: what /upload does with the file.
func SaveTemp(r io.Reader) (int64, error) {
	f, err := os.CreateTemp("", "bench-upload-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// Security header values the realistic endpoint sets where the framework's
// own middleware does not choose them.
var SecurityHeaders = [][2]string{
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
	{"Content-Security-Policy", "frame-ancestors 'none'"},
	{"Referrer-Policy", "strict-origin-when-cross-origin"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
}

// DiscardLogger is the realistic endpoint's access logger: a JSON slog
// logger writing to io.Discard, so formatting is paid for and nothing is
// written.
func DiscardLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

// Server timeouts Covet's app.Run uses by default. The peers get them only
// when $BENCH_TIMEOUTS is "covet" (see Timeouts): by default they are served
// as their users deploy them, the way http.ListenAndServe does, without
// timeouts.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
)

// TimeoutsEnv names the environment variable that selects the peers' server
// configuration: unset (or "default"), the framework's usual deployment
// (http.ListenAndServe: no timeouts); "covet", the same timeouts as Covet's
// app.Run. Covet is always served by app.Serve with its own defaults.
const TimeoutsEnv = "BENCH_TIMEOUTS"

// Timeouts reports whether the peers must use Covet's timeouts
// ($BENCH_TIMEOUTS=covet).
func Timeouts() bool { return os.Getenv(TimeoutsEnv) == "covet" }

// HTTPServer returns the http.Server the peers serve with: the one
// http.ListenAndServe builds, or with Covet's timeouts when Timeouts().
func HTTPServer(h http.Handler) *http.Server {
	srv := &http.Server{Handler: h}
	if Timeouts() {
		srv.ReadHeaderTimeout = ReadHeaderTimeout
		srv.ReadTimeout = ReadTimeout
		srv.WriteTimeout = WriteTimeout
		srv.IdleTimeout = IdleTimeout
		srv.MaxHeaderBytes = 1 << 20
	}
	return srv
}

// Listen parses the -addr flag (default $ADDR, else 127.0.0.1:8080), starts
// the control port when $BENCH_CONTROL_ADDR is set, and returns the
// listener the server must serve on.
func Listen() net.Listener {
	def := os.Getenv("ADDR")
	if def == "" {
		def = "127.0.0.1:8080"
	}
	addr := flag.String("addr", def, "listen address")
	flag.Parse()
	if c := os.Getenv("BENCH_CONTROL_ADDR"); c != "" {
		if err := startControl(c); err != nil {
			fatal(err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fatal(err)
	}
	return ln
}

// Serve serves h on ln with HTTPServer until SIGINT or SIGTERM, then exits 0.
func Serve(ln net.Listener, h http.Handler) {
	srv := HTTPServer(h)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fatal(err)
		}
	}()
	WaitForSignal()
}

// WaitForSignal blocks until SIGINT or SIGTERM and exits 0.
func WaitForSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	<-ch
	os.Exit(0)
}

func fatal(err error) {
	_, _ = os.Stderr.WriteString("bench server: " + err.Error() + "\n")
	os.Exit(1)
}

// startControl listens on addr for the measurement client: every byte read
// from a connection runs a full GC and then Mark, and is answered with one
// byte. Under callgrind, --dump-before=*shared.Mark dumps the counters at
// each mark, so a phase of requests between two marks is counted alone,
// starting each time from a collected heap.
func startControl(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				b := make([]byte, 1)
				for {
					if _, err := conn.Read(b); err != nil {
						return
					}
					runtime.GC()
					Mark()
					if _, err := conn.Write(b); err != nil {
						return
					}
				}
			}()
		}
	}()
	return nil
}

// marks counts calls of Mark, so the call is not optimised away.
var marks int

// Mark does nothing but exist: callgrind dumps its counters when it is
// entered (--dump-before=*shared.Mark).
//
//go:noinline
func Mark() { marks++ }
