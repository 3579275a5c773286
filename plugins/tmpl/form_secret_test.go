package tmpl_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/tmpl"
)

// echoApp binds any form and answers name=value for each name in the
// query's "f", as a re-render would echo them.
func echoApp(t *testing.T, opts ...tmpl.Option) *covettest.Client {
	app, _, _ := newApp(t, testFS(), opts...)
	app.POST("/echo", func(c *covet.Context) error {
		var in struct{}
		form, err := tmpl.Bind(c, &in)
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, n := range strings.Split(c.Query("f"), ",") {
			b.WriteString(n + "=" + form.Value(n) + "\n")
		}
		return c.Text(200, b.String())
	})
	return covettest.New(t, app)
}

func echoed(t *testing.T, cl *covettest.Client, names []string) map[string]bool {
	t.Helper()
	vals := url.Values{}
	for _, n := range names {
		vals.Set(n, "S3CR3T-"+n)
	}
	body := cl.Post("/echo?f=" + url.QueryEscape(strings.Join(names, ","))).Form(vals).Do().ExpectStatus(200).Text()
	got := map[string]bool{}
	for _, n := range names {
		got[n] = strings.Contains(body, n+"=S3CR3T-"+n+"\n")
	}
	return got
}

// TestFormSecretFields: a re-render never echoes passwords, PINs, card
// numbers, CVVs, API keys, tokens or secrets, however the field is spelled
// (the red team found only names containing "password" hidden); ordinary
// fields, including ones with a short secret word inside a longer word
// ("shipping" holds "pin"), are echoed.
func TestFormSecretFields(t *testing.T) {
	secret := []string{
		"password", "new_password", "PasswordConfirm", "passwd", "pass", "user-pass", "pwd",
		"pin", "card_pin", "pinCode", "otp", "totp_code", "mfa",
		"cvv", "CVV2", "cvc", "card[cvc]", "security_code",
		"card_number", "cardNumber", "cc_number", "ccnum", "credit_card",
		"api_key", "apiKey", "APIKey", "x-api-key", "token", "access_token", "csrf_token",
		"secret", "client_secret", "private_key", "credentials", "ssn", "passphrase",
	}
	plain := []string{"title", "email", "shipping", "spinner", "company", "priority", "name", "passport", "expanse"}
	cl := echoApp(t)
	for n, shown := range echoed(t, cl, append(slices.Clone(secret), plain...)) {
		if want := slices.Contains(plain, n); shown != want {
			t.Errorf("field %q echoed=%v, want %v", n, shown, want)
		}
	}
}

// TestWithSecretFields replaces the default list; Form.Secret still adds.
func TestWithSecretFields(t *testing.T) {
	cl := echoApp(t, tmpl.WithSecretFields(append(slices.Clone(tmpl.DefaultSecretFields), "maiden_name")...))
	got := echoed(t, cl, []string{"mothers_maiden_name", "maidenName", "password", "title"})
	want := map[string]bool{"mothers_maiden_name": false, "maidenName": false, "password": false, "title": true}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("field %q echoed=%v, want %v", n, got[n], w)
		}
	}
	// An empty list hides nothing but what Form.Secret names.
	got = echoed(t, echoApp(t, tmpl.WithSecretFields()), []string{"password", "title"})
	if !got["password"] || !got["title"] {
		t.Errorf("WithSecretFields() echoed %v, want both", got)
	}
}
