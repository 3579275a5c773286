package auth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	covet "github.com/covetgo/covet/core"
)

// bearerToken returns the token of an Authorization: Bearer header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header["Authorization"]
	if len(h) == 0 {
		return "", false
	}
	v := h[0]
	if len(v) < 7 {
		return "", false
	}
	if v[:7] != "Bearer " && !strings.EqualFold(v[:7], "Bearer ") {
		return "", false
	}
	v = v[7:]
	if len(v) > 0 && (v[0] == ' ' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = strings.TrimSpace(v)
	}
	return v, true
}

// oneAuthorization refuses a request with more than one Authorization
// header: the field is not a list (RFC 9110 section 11.6.2), and which one
// counts differs between a proxy or WAF in front (often the last) and Go
// (the first), so credentials checked by one could be swapped for others
// read by the app. Refused, not skipped: a guard where signing in is
// optional does not pass the request on as anonymous.
func oneAuthorization(r *http.Request) error {
	if len(r.Header["Authorization"]) > 1 {
		return fmt.Errorf("%w: more than one Authorization header", ErrTokenMalformed)
	}
	return nil
}

// isWebSocketHandshake reports an RFC 6455 opening handshake: the only
// requests a query parameter or Sec-WebSocket-Protocol may carry a token
// on (browsers cannot set Authorization on a WebSocket).
func isWebSocketHandshake(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// accessToken finds the request's access token in the enabled transports,
// in order: the Authorization header, the cookie, then (WebSocket
// handshakes only) the query parameter and Sec-WebSocket-Protocol.
func (a *Auth) accessToken(c *covet.Context) (tok, method string) {
	r := c.Request()
	if t, ok := bearerToken(r); ok {
		return t, MethodBearer
	}
	if a.cfg.cookieName != "" {
		if ck, err := r.Cookie(a.cfg.cookieName); err == nil && ck.Value != "" {
			return ck.Value, MethodCookie
		}
	}
	if (a.cfg.queryParam != "" || a.cfg.wsProtocolPrefix != "") && isWebSocketHandshake(r) {
		if a.cfg.queryParam != "" {
			if t := r.URL.Query().Get(a.cfg.queryParam); t != "" {
				return t, MethodQuery
			}
		}
		if p := a.cfg.wsProtocolPrefix; p != "" {
			for _, line := range r.Header.Values("Sec-WebSocket-Protocol") {
				for _, proto := range strings.Split(line, ",") {
					if t, ok := strings.CutPrefix(strings.TrimSpace(proto), p); ok && t != "" {
						return t, MethodWebSocket
					}
				}
			}
		}
	}
	return "", ""
}

// SetTokenCookie sends the access token as the plugin's cookie (WithCookie):
// HttpOnly, Secure, SameSite=Lax by default, expiring with the token. Unless
// the request's principal is the token's subject already (a renewal on a
// guarded route), this is a sign-in and the CSRF token cookie is replaced
// (RotateCSRF).
func (a *Auth) SetTokenCookie(c *covet.Context, token string) {
	if a.cfg.cookieName == "" {
		return
	}
	if u, ok := Principal(c); !ok || u.ID == "" || u.ID != tokenSubject(token) {
		a.RotateCSRF(c)
	}
	c.SetHTTPCookie(&http.Cookie{ // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
		Name: a.cfg.cookieName, Value: token, Path: "/", HttpOnly: true,
		Secure: a.cfg.cookieSecure, SameSite: a.cfg.cookieSameSite, MaxAge: int(a.cfg.accessTTL.Seconds()),
	})
}

// ClearTokenCookie removes the access-token cookie (a sign-out) and
// replaces the CSRF token cookie (RotateCSRF).
func (a *Auth) ClearTokenCookie(c *covet.Context) {
	if a.cfg.cookieName == "" {
		return
	}
	a.RotateCSRF(c)
	c.SetHTTPCookie(&http.Cookie{Name: a.cfg.cookieName, Value: "", Path: "/", HttpOnly: true, Secure: a.cfg.cookieSecure, SameSite: a.cfg.cookieSameSite, MaxAge: -1}) // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
}

// tokenSubject returns the sub claim of a compact JWS the app hands to
// SetTokenCookie, unverified (the app just issued it), or "".
func tokenSubject(tok string) string {
	_, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return ""
	}
	payload, _, ok := strings.Cut(rest, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return ""
	}
	return claims.Sub
}
