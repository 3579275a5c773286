package settings

import (
	"fmt"
	"log/slog"
)

// Redacted is what a Secret prints as, in every form.
const Redacted = "[redacted]"

// Secret is a string setting that never prints: fmt (every verb, %v, %+v,
// %#v, %s, %q, %x), slog, encoding/json and encoding.TextMarshaler all see
// "[redacted]". Reveal returns the value. A struct holding Secret fields can
// be printed or logged whole without leaking them. A field of type Secret is
// a secret whether or not it is tagged secret:"true".
type Secret string

// Reveal returns the secret's value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return Redacted }

// GoString returns "[redacted]".
func (s Secret) GoString() string { return Redacted }

// Format writes "[redacted]" for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue makes slog record "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON encodes the secret as "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText encodes the secret as "[redacted]" (YAML, TOML, XML and
// slog's text handler use it).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

var (
	_ fmt.Formatter  = Secret("")
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ slog.LogValuer = Secret("")
)
