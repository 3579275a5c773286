// Command items is the app FastAPI's tutorial builds, on Covet: typed CRUD
// for items with validation, OpenAPI and Swagger UI, SQLite through
// plugins/orm, OAuth2 password sign-in with JWTs (plugins/auth), a provided
// value, a background task, a file upload, CORS and an HTML page.
//
//	go run ./contrib/examples/items   # http://127.0.0.1:8000/docs; sign in as johndoe / secret
package main

import (
	"crypto/rand"
	"flag"
	"log"
	"os"

	"github.com/covetgo/covet/plugins/auth"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "listen address")
	dsn := flag.String("db", "sqlite://items.db", "database")
	flag.Parse()
	secret := []byte(os.Getenv("ITEMS_SECRET"))
	if len(secret) == 0 {
		// No secret configured: a random one, so tokens end at restart.
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			log.Fatal(err)
		}
		log.Print("items: ITEMS_SECRET not set (32+ bytes); tokens end at restart")
	}
	hash, err := auth.HashPassword("secret")
	if err != nil {
		log.Fatal(err)
	}
	app, err := NewApp(Config{
		DSN:    *dsn,
		Secret: secret,
		Users:  map[string]string{"johndoe": hash},
		Origin: "http://localhost:3000",
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := app.Run(*addr); err != nil { // nil after a clean shutdown (SIGINT/SIGTERM)
		log.Fatal(err)
	}
}
