package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authredis"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
)

// Security scheme names the taskboard adds to the auth plugin's.
const (
	// schemePassword is the OAuth2 password flow of the token endpoint, so
	// Swagger UI's Authorize button signs in with an email and a password.
	schemePassword = "oauth2Password"
	// scopeWrite is the scope of the tokens the token endpoint issues.
	scopeWrite = "tasks:write"
)

// Paths of the token endpoint and the login providers.
const (
	tokenPath = "/api/v1/auth/token"
	loginBase = "/auth"
)

// deriveKey derives a key for one purpose from the app's secret, so one
// TASKBOARD_SECRET feeds the token, session, CSRF and login keys.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("taskboard/" + purpose))
	return m.Sum(nil)
}

// newAuth configures the auth plugin: HS256 access tokens with refresh
// rotation for the JSON API, server-side sessions with CSRF tokens for the
// browser UI, and the login providers whose client IDs are configured.
//
// With a Redis client (REDIS_URL) the revocation list, the refresh tokens
// and the sessions live in Redis (plugins/auth/authredis), so a session or
// a revocation made on one instance holds on every other; in memory
// otherwise.
func newAuth(cfg Config, db func() *bun.DB, rdb *redis.Client, prefix string) (*auth.Auth, error) {
	secret := cfg.Secret
	if len(secret) == 0 {
		// No secret configured: a random one, so tokens and sessions do not
		// survive a restart (the start-up log says so).
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
	}
	if len(secret) < auth.MinHMACSecret {
		return nil, errors.New("taskboard: TASKBOARD_SECRET must be at least 32 bytes")
	}
	opts := []auth.Option{
		auth.WithKeys(auth.HMAC("k1", "HS256", deriveKey(secret, "token"))),
		auth.WithIssuer("taskboard"),
		auth.WithAudience("taskboard-api"),
		auth.WithAccessTTL(15 * time.Minute),
		auth.WithCSRF(deriveKey(secret, "csrf")),
	}
	stores, err := authStores(rdb, prefix+"auth:", cfg.redisTimeout())
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		auth.WithRevocation(stores.revocation),
		auth.WithRefresh(stores.refresh, 30*24*time.Hour),
		auth.WithSessions(stores.sessions, deriveKey(secret, "session")))
	if !secureCookies(cfg.PublicURL) {
		opts = append(opts, auth.WithInsecureCookie())
	}
	onLogin := func(ctx context.Context, id auth.Identity) (string, error) { return linkIdentity(ctx, db(), id) }
	loginOpts := []auth.LoginOption{auth.WithLoginSecret(deriveKey(secret, "login")), auth.WithLoginPrefix(loginBase), auth.WithAfterLogin("/board")}
	if cfg.PublicURL != "" {
		loginOpts = append(loginOpts, auth.WithRedirectBase(strings.TrimRight(cfg.PublicURL, "/")))
	}
	if cfg.GitHubClientID != "" {
		opts = append(opts, auth.WithLogin(auth.GitHub(cfg.GitHubClientID, cfg.GitHubClientSecret), onLogin, loginOpts...))
	}
	if cfg.GoogleClientID != "" {
		opts = append(opts, auth.WithLogin(auth.Google(cfg.GoogleClientID, cfg.GoogleClientSecret), onLogin, loginOpts...))
	}
	for _, p := range cfg.Logins {
		opts = append(opts, auth.WithLogin(p, onLogin, append(loginOpts, cfg.LoginOptions...)...))
	}
	return auth.New(opts...), nil
}

type stores struct {
	revocation auth.RevocationStore
	refresh    auth.RefreshStore
	sessions   auth.SessionStore
}

// authStores returns the Redis stores when rdb is set (each call bounded
// by timeout), else memory ones.
func authStores(rdb *redis.Client, prefix string, timeout time.Duration) (stores, error) {
	if rdb == nil {
		return stores{auth.NewMemoryRevocation(0), auth.NewMemoryRefresh(), auth.NewMemorySessions()}, nil
	}
	rev, err := authredis.NewRevocation(rdb, authredis.WithKeyPrefix(prefix), authredis.WithTimeout(timeout))
	if err != nil {
		return stores{}, err
	}
	ref, err := authredis.NewRefresh(rdb, authredis.WithKeyPrefix(prefix), authredis.WithTimeout(timeout))
	if err != nil {
		return stores{}, err
	}
	ses, err := authredis.NewSessions(rdb, authredis.WithKeyPrefix(prefix), authredis.WithTimeout(timeout))
	if err != nil {
		return stores{}, err
	}
	return stores{rev, ref, ses}, nil
}

// secureCookies reports whether the app is reached over HTTPS; over plain
// HTTP (development on 127.0.0.1) the cookies cannot be Secure.
func secureCookies(publicURL string) bool {
	u, err := url.Parse(publicURL)
	return err == nil && u.Scheme == "https"
}

// linkIdentity finds or creates the user an identity at a provider belongs
// to: by the provider's subject, never by email (an email at GitHub says
// nothing about who owns the local account with that email).
func linkIdentity(ctx context.Context, db *bun.DB, id auth.Identity) (string, error) {
	var link Identity
	err := db.NewSelect().Model(&link).Where("provider = ? AND subject = ?", id.Provider, id.Subject).Scan(ctx)
	if err == nil {
		return strconv.FormatInt(link.UserID, 10), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	name := id.Name
	if name == "" {
		name = id.Provider + " user"
	}
	// The email column is unique; a provider account gets a local address
	// of its own so it never claims a local account's email.
	u := User{Name: name, Email: id.Provider + "-" + id.Subject + "@users.taskboard.invalid"}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&u).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&Identity{Provider: id.Provider, Subject: id.Subject, UserID: u.ID}).Exec(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(u.ID, 10), nil
}

// checkPassword returns the user with this email and password, or nil. An
// unknown email costs the same time as a wrong password; a hash with old
// parameters is replaced.
func checkPassword(ctx context.Context, db bun.IDB, email, password string) (*User, error) {
	var u User
	err := db.NewSelect().Model(&u).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || err == nil && u.PasswordHash == "" {
		auth.VerifyDummyPassword(password)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ok, rehash, err := auth.VerifyPassword(u.PasswordHash, password)
	if err != nil && !errors.Is(err, auth.ErrPasswordTooLong) {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	if rehash {
		if h, err := auth.HashPassword(password); err == nil {
			u.PasswordHash = h
			_, _ = db.NewUpdate().Model(&u).Column("password_hash").WherePK().Exec(ctx)
		}
	}
	return &u, nil
}

// tokenEndpoint is POST /api/v1/auth/token, an OAuth 2.0 token endpoint
// (RFC 6749): the password grant (username is the email) issues an access
// token and a refresh token; the refresh_token grant rotates them (a
// refresh token used twice revokes its family).
func tokenEndpoint(a *auth.Auth) covet.HandlerFunc {
	refresh := a.RefreshHandler()
	return func(c *covet.Context) error {
		r := c.Request()
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			return refresh(c) // {"refresh_token": "..."}
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			return covet.NewError(http.StatusBadRequest, "the body is not a form")
		}
		switch r.PostForm.Get("grant_type") {
		case "refresh_token":
			return refresh(c)
		case "password":
		default:
			return oauthError(c, "unsupported_grant_type")
		}
		db, err := orm.DB(c)
		if err != nil {
			return err
		}
		u, err := checkPassword(c.Context(), db, r.PostForm.Get("username"), r.PostForm.Get("password"))
		if err != nil {
			return err
		}
		if u == nil {
			return oauthError(c, "invalid_grant")
		}
		pair, err := a.IssuePair(c.Context(), strconv.FormatInt(u.ID, 10), auth.WithScopes(scopeWrite))
		if err != nil {
			return err
		}
		c.SetHeader("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, pair)
	}
}

// revokeEndpoint is POST /api/v1/auth/revoke (signed in): it revokes the
// request's access token, or with all=true every token and session of its
// user, in the revocation store shared by the instances.
func revokeEndpoint(a *auth.Auth) covet.HandlerFunc {
	return func(c *covet.Context) error {
		u, ok := auth.Principal(c)
		if !ok {
			return covet.NewError(http.StatusUnauthorized, "authentication required")
		}
		var err error
		switch all, _ := strconv.ParseBool(c.Query("all")); {
		case all:
			err = a.RevokeAll(c.Context(), u.ID)
		case u.Method == auth.MethodSession:
			err = a.EndSession(c) // a browser session has no access token
		default:
			err = a.Revoke(c.Context(), u)
		}
		if err != nil {
			return err
		}
		c.SetHeader("Cache-Control", "no-store")
		return c.NoContent(http.StatusNoContent)
	}
}

func oauthError(c *covet.Context, code string) error {
	c.SetHeader("Cache-Control", "no-store")
	return c.JSON(http.StatusBadRequest, map[string]string{"error": code})
}

// principalID returns the signed-in user's ID (guarded routes only).
func principalID(c *covet.Context) (int64, error) {
	u, ok := auth.Principal(c)
	if !ok {
		return 0, covet.NewError(http.StatusUnauthorized, "authentication required")
	}
	id, err := strconv.ParseInt(u.ID, 10, 64)
	if err != nil {
		return 0, covet.NewError(http.StatusForbidden, "not a taskboard user")
	}
	return id, nil
}

// userKey is what write limits count by: the signed-in user (the request's
// principal, or its valid credentials when no guard ran yet), so a team
// behind one NAT address does not share a budget. Anonymous writes count by
// IP (see NewApp).
func userKey(a *auth.Auth, c *covet.Context) (string, bool) {
	if u, ok := auth.Principal(c); ok {
		return u.ID, true
	}
	// The limiter asks once per key and request (the policy's two limits
	// share it); the answer is also kept for the request, so its credentials
	// cost one revocation check (a Redis round trip) here whoever asks. The
	// route's guard still checks them itself (Authenticate sets no
	// principal: the guard's CSRF check must not be skipped).
	if k, ok := rateKey.Get(c); ok {
		return k.id, k.ok
	}
	var k rateUser
	if u, err := a.Authenticate(c, auth.SchemeBearer, auth.SchemeSession); err == nil {
		k = rateUser{id: u.ID, ok: true}
	}
	rateKey.Set(c, k)
	return k.id, k.ok
}

// rateUser is userKey's answer, kept for the request under rateKey.
type rateUser struct {
	id string
	ok bool
}

var rateKey = covet.NewKey[rateUser]("taskboard.rateUser")

// writesPolicy limits writes per signed-in user (authn's, read at request
// time: the plugin is created after the policy), anonymous ones per client
// IP.
func writesPolicy(authn func() *auth.Auth, limit ratelimit.Limit) *ratelimit.Policy {
	return ratelimit.NewPolicy("writes",
		ratelimit.WithKey(ratelimit.FirstOf(ratelimit.User(func(c *covet.Context) (string, bool) { return userKey(authn(), c) }), ratelimit.IP())),
		ratelimit.WithLimits(limit, ratelimit.PerDay(10000)),
		ratelimit.WithMethods(http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete))
}

// me is GET /api/v1/users/me.
func me(c *covet.Context, _ *struct{}) (*User, error) {
	id, err := principalID(c)
	if err != nil {
		return nil, err
	}
	return getUser(c, &ByID{ID: id})
}
