package auth

import (
	"slices"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// How a request authenticated (User.Method).
const (
	MethodBearer    = "bearer"    // Authorization: Bearer <JWT>
	MethodCookie    = "cookie"    // the access-token cookie
	MethodQuery     = "query"     // a query parameter on a WebSocket handshake
	MethodWebSocket = "websocket" // Sec-WebSocket-Protocol on a WebSocket handshake
	MethodAPIKey    = "apikey"    // an API key
	MethodBasic     = "basic"     // HTTP Basic
	MethodSession   = "session"   // a server-side session cookie
)

// User is the authenticated principal of a request. It is shared between
// requests that present the same token and must be treated as read-only.
type User struct {
	// ID is the subject: the token's sub, the API key's owner, the Basic
	// user name or the session's user.
	ID string
	// Scopes and Roles are what the credentials grant: never nil (empty
	// when none), so they encode as [] in JSON, not null.
	Scopes, Roles []string
	// Method says how the request authenticated (MethodBearer, ...).
	Method string
	// TokenID is the access token's jti (empty for other methods).
	TokenID string
	// IssuedAt and ExpiresAt bound the credentials (zero when unknown).
	// A bearer token's IssuedAt has milliseconds when it carries
	// IssuedAtMillisClaim (tokens Issue signs do), whole seconds otherwise.
	IssuedAt, ExpiresAt time.Time

	token jwt.Token
}

// noStrings is the empty list of a User granted no scopes or roles: not
// nil, so that it encodes as []. Read-only (appending copies: its
// capacity is 0).
var noStrings = []string{}

// withLists gives u empty, non-nil Scopes and Roles where it has none.
func (u *User) withLists() *User {
	if u.Scopes == nil {
		u.Scopes = noStrings
	}
	if u.Roles == nil {
		u.Roles = noStrings
	}
	return u
}

// HasScope reports whether the user was granted the scope.
func (u *User) HasScope(s string) bool { return u != nil && slices.Contains(u.Scopes, s) }

// HasRole reports whether the user has the role.
func (u *User) HasRole(r string) bool { return u != nil && slices.Contains(u.Roles, r) }

// Claim returns a claim of the user's access token (nil, false for other
// methods or a claim the token lacks).
func (u *User) Claim(name string) (any, bool) {
	if u == nil || u.token == nil {
		return nil, false
	}
	return u.token.Get(name)
}

var userKey = covet.NewKey[*User]("auth.user")

// Principal returns the request's authenticated user: set by a guard
// (Required, Scopes, Roles, Optional) or by StartSession. Auth.Authenticate
// returns a user without setting it here.
func Principal(c *covet.Context) (*User, bool) {
	u, ok := userKey.Get(c)
	return u, ok && u != nil
}

// UserID returns the authenticated user's ID, or "" when the request is
// anonymous. It fits ratelimit.User: ratelimit.User(auth.UserID).
func UserID(c *covet.Context) string {
	if u, ok := Principal(c); ok {
		return u.ID
	}
	return ""
}

// Handler adapts a typed handler that takes the principal as an argument,
// for routes behind a guard: the principal is read once, from the Context.
// A request without one (a route without a guard) is refused with 401.
//
//	covet.Get(api, "/me", auth.Handler(func(c *covet.Context, u *auth.User, in *struct{}) (*Me, error) {
//		return &Me{ID: u.ID}, nil
//	})).With(auth.Required())
//
// With Provide, a typed input field of type *auth.User does the same
// without the adapter.
func Handler[In, Out any](fn func(*covet.Context, *User, *In) (*Out, error)) func(*covet.Context, *In) (*Out, error) {
	return func(c *covet.Context, in *In) (*Out, error) {
		u, ok := Principal(c)
		if !ok {
			return nil, unauthorized(c, ErrTokenMissing, "")
		}
		return fn(c, u, in)
	}
}

// Provide makes the principal injectable into typed handlers (a core
// dependency provider, covet.Provide): an input field of type *auth.User
// is filled with the request's authenticated user, set by a guard
// (Required, Scopes, Roles, Optional). A request without one — an
// anonymous request on an Optional route, or a route without a guard — is
// refused with the plugin's 401 before the handler runs. Call it once,
// before registering the routes that use *auth.User.
//
//	auth.Provide(app)
//	type MeIn struct{ User *auth.User }
//	covet.Get(api, "/me", func(c *covet.Context, in *MeIn) (*Me, error) {
//		return &Me{ID: in.User.ID}, nil
//	}).With(auth.Required())
func Provide(app *covet.App) {
	covet.Provide(app, func(c *covet.Context) (*User, error) {
		u, ok := Principal(c)
		if !ok {
			return nil, unauthorized(c, ErrTokenMissing, "")
		}
		return u, nil
	})
}
