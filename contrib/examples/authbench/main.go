// Command authbench serves one authenticated endpoint with Covet and
// plugins/auth, for the authenticated-endpoint comparison with FastAPI
// (tools/bench/scripts/auth-vs-fastapi.sh):
//
//	GET /me  Authorization: Bearer <HS256 JWT>  →  200 {"id":"<sub>"}
//
// The token is checked with every check of the plugin (signature pinned to
// the key, exp required, nbf/iat, iss, aud, typ, header policy) and the
// in-memory revocation list. `authbench -token` prints a token valid for an
// hour (the same secret, issuer and audience as the FastAPI app).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
)

// The shared configuration of both servers.
const (
	secret   = "covet-bench-secret-at-least-32-bytes!"
	issuer   = "bench"
	audience = "bench-api"
)

// Me is the endpoint's answer.
type Me struct {
	ID string `json:"id"`
}

func newApp() (*covet.App, *auth.Auth) {
	app := covet.New()
	a := auth.New(
		auth.WithKeys(auth.HMAC("k1", "HS256", []byte(secret))),
		auth.WithIssuer(issuer), auth.WithAudience(audience),
		auth.WithRevocation(auth.NewMemoryRevocation(0)),
	)
	if err := app.Install(a); err != nil {
		log.Fatal(err)
	}
	covet.Get(app, "/me", auth.Handler(func(c *covet.Context, u *auth.User, _ *struct{}) (*Me, error) {
		return &Me{ID: u.ID}, nil
	})).With(auth.Required())
	return app, a
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	token := flag.Bool("token", false, "print an access token for user 42 and exit")
	flag.Parse()
	app, a := newApp()
	if *token {
		tok, err := a.Issue("42", auth.WithTTL(time.Hour))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tok)
		return
	}
	fmt.Fprintln(os.Stderr, "authbench: listening on", *addr)
	if err := app.Run(*addr); err != nil {
		log.Fatal(err)
	}
}
