package tmpl

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/url"
	"strings"
	"unicode"

	covet "github.com/covetgo/covet/core"
)

// Form is a submitted form as a template re-renders it after a failure:
// the values as the user sent them and a message per failing field. Its
// methods are safe on a nil *Form (an empty, valid form), so a page renders
// the same template for a new form and a rejected one.
type Form struct {
	values url.Values
	errors map[string]string
	order  []string
	secret func(string) bool
	words  []string // the engine's secret field words
}

// DefaultSecretFields are the words that make a form field secret (its
// value never echoed by a re-render) unless WithSecretFields replaces
// them. A word matches a field when it is one of the name's words (split
// at "_", "-", ".", brackets and camelCase: "card_pin", "pinCode") or,
// for words of five letters or more, when the name with only its letters
// and digits kept contains it ("new_password", "x-api-key" for "apikey",
// "cardNumber" for "cardnumber"). Short words ("pin") match whole words
// only, so "shipping" is echoed.
var DefaultSecretFields = []string{
	"password", "passwd", "passphrase", "pass", "pwd",
	"secret", "token", "apikey", "privatekey", "credential",
	"pin", "otp", "totp", "mfa", "ssn",
	"cvv", "cvv2", "cvc", "cvc2", "csc", "securitycode",
	"cardnumber", "creditcard", "ccnumber", "ccnum", "pan",
}

// maxEchoedForm bounds the body Bind keeps to echo the values back; a larger
// urlencoded body is still bound (core applies its own limit) but its
// values are not echoed.
const maxEchoedForm = 1 << 20

// Bind binds the request's form (application/x-www-form-urlencoded or
// multipart/form-data) into v, a pointer to a struct with form tags, with
// core's binder and validator: the same tags and rules as a typed
// handler's input. A failure of binding or validation (400 or 422 with
// field errors) is not an error: the returned form is not Valid and
// carries each field's message and the submitted values. Any other failure
// (415 for another media type, 413 for a body over the limit) is returned
// as the error for the handler to return.
//
// Values of secret fields are never echoed: fields matching
// DefaultSecretFields (passwords, tokens, PINs, card numbers…; see
// WithSecretFields) and those named with Form.Secret. The values of a multipart form are not echoed
// (only its errors): files cannot be, and the body is streamed.
func Bind(c *covet.Context, v any) (*Form, error) {
	f := &Form{words: DefaultSecretFields}
	if e := Of(c); e != nil && e.cfg.secretFields != nil {
		f.words = e.cfg.secretFields
	}
	r := c.Request()
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" && r.PostForm != nil {
		// A middleware parsed the form before (the auth plugin's CSRF
		// check reads csrf_token with PostFormValue), so the body is
		// consumed: bind from the parsed values.
		f.values = r.PostForm
		r.Body = io.NopCloser(strings.NewReader(r.PostForm.Encode()))
		r.ContentLength = -1
	} else if mt == "application/x-www-form-urlencoded" && r.Body != nil {
		head, err := io.ReadAll(io.LimitReader(r.Body, maxEchoedForm+1))
		if err != nil {
			return nil, err
		}
		if len(head) <= maxEchoedForm {
			f.values, _ = url.ParseQuery(string(head))
			r.Body = io.NopCloser(bytes.NewReader(head))
		} else {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		}
	}
	err := c.Bind(v)
	if err == nil {
		return f, nil
	}
	var ce *covet.Error
	if !errors.As(err, &ce) || len(ce.Errors) == 0 {
		return nil, err
	}
	for _, fe := range ce.Errors {
		f.AddError(fe.Field, fe.Message)
	}
	return f, nil
}

// Valid reports whether the form has no field errors.
func (f *Form) Valid() bool { return f == nil || len(f.errors) == 0 }

// AddError records a message for a field (the first one is kept), for
// checks a handler makes itself ("this title exists already").
func (f *Form) AddError(field, message string) {
	if f.errors == nil {
		f.errors = map[string]string{}
	}
	if _, ok := f.errors[field]; ok {
		return
	}
	f.errors[field] = message
	f.order = append(f.order, field)
}

// Error returns the field's message, or "".
func (f *Form) Error(field string) string {
	if f == nil {
		return ""
	}
	return f.errors[field]
}

// Invalid reports whether the field has an error (for aria-invalid).
func (f *Form) Invalid(field string) bool { return f.Error(field) != "" }

// Errors returns the fields with errors in the order they were found, for
// a summary at the top of a form.
func (f *Form) Errors() []string {
	if f == nil {
		return nil
	}
	return append([]string(nil), f.order...)
}

// Value returns the value the user submitted for the field, "" for a
// secret field.
func (f *Form) Value(field string) string {
	if f == nil || f.isSecret(field) {
		return ""
	}
	return f.values.Get(field)
}

// Values returns every value submitted for the field (checkboxes,
// multiple selects), none for a secret field.
func (f *Form) Values(field string) []string {
	if f == nil || f.isSecret(field) {
		return nil
	}
	return f.values[field]
}

// Has reports whether value is among the field's submitted values (to
// re-check a checkbox or re-select an option).
func (f *Form) Has(field, value string) bool {
	for _, v := range f.Values(field) {
		if v == value {
			return true
		}
	}
	return false
}

// Secret names fields whose values are never echoed, beyond those the
// engine's secret words match (DefaultSecretFields). It returns f.
func (f *Form) Secret(fields ...string) *Form {
	prev := f.secret
	f.secret = func(n string) bool {
		for _, s := range fields {
			if s == n {
				return true
			}
		}
		return prev != nil && prev(n)
	}
	return f
}

func (f *Form) isSecret(field string) bool {
	if f.secret != nil && f.secret(field) {
		return true
	}
	words := f.words
	if words == nil {
		words = DefaultSecretFields // a Form not made by Bind
	}
	return secretField(field, words)
}

// secretField reports whether one of words matches the field name (see
// DefaultSecretFields).
func secretField(name string, words []string) bool {
	var parts []string
	var joined, cur strings.Builder
	prevLower := false
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if cur.Len() > 0 {
				parts = append(parts, cur.String())
				cur.Reset()
			}
			prevLower = false
			continue
		}
		if unicode.IsUpper(r) && prevLower && cur.Len() > 0 {
			parts = append(parts, cur.String())
			cur.Reset()
		}
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		lr := unicode.ToLower(r)
		cur.WriteRune(lr)
		joined.WriteRune(lr)
	}
	if cur.Len() > 0 {
		parts = append(parts, cur.String())
	}
	all := joined.String()
	for _, w := range words {
		w = normalizeSecretWord(w)
		if w == "" {
			continue
		}
		if len(w) >= 5 && strings.Contains(all, w) {
			return true
		}
		for _, p := range parts {
			if p == w {
				return true
			}
		}
	}
	return false
}

// normalizeSecretWord keeps a word's letters and digits, lower-cased, so
// "api_key" and "apiKey" are both "apikey".
func normalizeSecretWord(w string) string {
	var b strings.Builder
	for _, r := range w {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
