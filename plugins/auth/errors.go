package auth

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// Problem type URIs of the plugin's refusals (RFC 9457).
const (
	ProblemUnauthorized = "https://covet.dev/problems/auth/unauthorized"
	ProblemForbidden    = "https://covet.dev/problems/auth/forbidden"
	ProblemUnavailable  = "https://covet.dev/problems/auth/unavailable"
	ProblemCSRF         = "https://covet.dev/problems/auth/csrf"
)

// unauthorized is the 401 answer: a problem that says nothing of why, and
// an RFC 6750 challenge (error="invalid_token" when credentials were
// presented). Why goes to the log.
//
// The challenge is set through covet.Error.WithHeader; when core lets
// plugins translate errors (error translators), the plugin will map its
// sentinel errors there instead of building responses here.
func unauthorized(c *covet.Context, cause error, challenge string) error {
	e := covet.NewError(http.StatusUnauthorized, "authentication required").WithType(ProblemUnauthorized).WithCause(cause)
	realm := "api"
	if a := authOf(c); a != nil {
		realm = a.cfg.realm
	}
	if challenge == "" {
		challenge = "Bearer"
	}
	for _, ch := range strings.Split(challenge, ",") {
		v := ch + ` realm="` + realm + `"`
		if ch == "Bearer" && !errors.Is(cause, ErrTokenMissing) {
			v += `, error="invalid_token"`
		}
		e.WithHeader("WWW-Authenticate", v)
	}
	if cause != nil && !errors.Is(cause, ErrTokenMissing) {
		logRefusal(c, "auth: credentials refused", cause)
	}
	return e
}

// forbidden is the 403 answer for a principal that lacks a scope or role.
func forbidden(c *covet.Context, u *User, scopes []string, why string) error {
	e := covet.NewError(http.StatusForbidden, "insufficient permissions").WithType(ProblemForbidden)
	if len(scopes) > 0 {
		e.WithHeader("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+strings.Join(scopes, " ")+`"`)
	}
	logRefusal(c, "auth: access refused", errors.New(why), slog.String("user", u.ID))
	return e
}

func logRefusal(c *covet.Context, msg string, cause error, attrs ...slog.Attr) {
	l := c.Logger()
	ctx := c.Context()
	if !l.Enabled(ctx, slog.LevelInfo) {
		return
	}
	all := []slog.Attr{slog.String("reason", cause.Error()), slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path), slog.String("remote", c.RemoteIP())}
	l.LogAttrs(ctx, slog.LevelInfo, msg, append(all, attrs...)...)
}

// unavailable is the answer when a failing store keeps the plugin from
// deciding (fail closed).
func unavailable(cause error) error {
	return covet.NewError(http.StatusServiceUnavailable, "authentication is temporarily unavailable").
		WithType(ProblemUnavailable).WithHeader("Retry-After", "1").WithCause(cause)
}

func slogProvider(name string) slog.Attr { return slog.String("provider", name) }
