// Command items is the app FastAPI's tutorial builds, on Covet: typed CRUD
// for items with validation, OpenAPI and Swagger UI, SQLite through
// plugins/orm, OAuth2 password sign-in with JWTs (plugins/auth), a provided
// value, a background task, a file upload, CORS and an HTML page.
//
//	go run ./contrib/examples/items   # http://127.0.0.1:8000/docs; sign in as johndoe / secret
package main

import (
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
		secret = []byte("development secret: set ITEMS_SECRET (32+ bytes)")
		log.Print("items: ITEMS_SECRET not set; using a fixed development secret")
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
