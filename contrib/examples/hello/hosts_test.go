package main

import (
	"net/http"
	"testing"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/settings"
)

// Issue 13 #12: hello answers only the localhost names by default, so a
// DNS-rebinding name (evil.example resolving to 127.0.0.1) gets a 400; the
// names served are configured through the settings.
func TestDNSRebindingRefused(t *testing.T) {
	s, err := settings.Load[Settings](settings.WithPrefix("HELLO_"), settings.WithEnviron(nil), settings.WithArgs(nil))
	if err != nil {
		t.Fatal(err)
	}
	cl := covettest.New(t, newApp(s))
	for _, host := range []string{"localhost:8081", "127.0.0.1:8081", "[::1]:8081"} {
		cl.Get("/plaintext").Host(host).Do().ExpectStatus(http.StatusOK).ExpectBody("Hello, World!")
	}
	for _, host := range []string{"evil.example", "evil.example:8081", "example.com"} {
		cl.Get("/json").Host(host).Do().ExpectStatus(http.StatusBadRequest)
	}

	s, err = settings.Load[Settings](settings.WithPrefix("HELLO_"), settings.WithEnviron([]string{"HELLO_ALLOWED_HOSTS=hello.example.com"}), settings.WithArgs(nil))
	if err != nil {
		t.Fatal(err)
	}
	cl = covettest.New(t, newApp(s))
	cl.Get("/json").Host("hello.example.com").Do().ExpectStatus(http.StatusOK)
	cl.Get("/json").Host("localhost").Do().ExpectStatus(http.StatusBadRequest)
}
