package auth

import (
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
// HttpOnly, Secure, SameSite=Lax by default, expiring with the token.
func (a *Auth) SetTokenCookie(c *covet.Context, token string) {
	if a.cfg.cookieName == "" {
		return
	}
	c.SetHTTPCookie(&http.Cookie{ // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
		Name: a.cfg.cookieName, Value: token, Path: "/", HttpOnly: true,
		Secure: a.cfg.cookieSecure, SameSite: a.cfg.cookieSameSite, MaxAge: int(a.cfg.accessTTL.Seconds()),
	})
}

// ClearTokenCookie removes the access-token cookie.
func (a *Auth) ClearTokenCookie(c *covet.Context) {
	if a.cfg.cookieName == "" {
		return
	}
	c.SetHTTPCookie(&http.Cookie{Name: a.cfg.cookieName, Value: "", Path: "/", HttpOnly: true, Secure: a.cfg.cookieSecure, SameSite: a.cfg.cookieSameSite, MaxAge: -1}) // #nosec G124 -- HttpOnly; Secure unless the app opts out with WithInsecureCookie (local HTTP development); SameSite from the config (Lax by default)
}
