// Package auth is Covet's authentication plugin: JWT access tokens on
// github.com/lestrrat-go/jwx/v2 with key rotation and a JWKS endpoint,
// refresh tokens with rotation and reuse detection, revocation (one token,
// or every token of a user), API keys, HTTP Basic, server-side sessions,
// CSRF protection, argon2id passwords, and OAuth 2.0 / OpenID Connect
// login (Google, GitHub, Microsoft Entra ID, any OIDC issuer).
//
//	a := auth.New(
//		auth.WithKeys(auth.KeyEnv("2026-01", "ES256", "TOKEN_KEY")),
//		auth.WithIssuer("https://api.example.com"),
//		auth.WithAudience("tasks"),
//	)
//	app.Install(a)
//	api := app.Group("/api").With(auth.Required())
//	api.POST("/tasks", create).With(auth.Scopes("tasks:write"))
//
// Handlers read the principal with Principal:
//
//	u, _ := auth.Principal(c) // u.ID, u.Scopes, u.Roles, u.Method
//
// # Verification
//
// Tokens are checked more strictly than jwx does by default: exp is
// required, nbf and iat are checked with a leeway (default 30 s), iss and aud
// when configured; the key is chosen by kid and verifies with its own
// algorithm only (an RSA public key never verifies an HS256 token, "none"
// never verifies); crit, jku, x5u, x5c, jwk and b64 headers are refused; only
// the compact serialization is accepted; tokens over 8 KiB are refused
// before parsing; the RFC 9068 typ at+jwt can be required. A refusal is a
// 401 with WWW-Authenticate: Bearer error="invalid_token" and an RFC 9457
// body that tells nothing; the reason goes to the log.
//
// # Guards and documentation
//
// Required, Optional, Scopes and Roles are route options for an app's
// groups and routes. They set RouteInfo.Security with the scheme names the
// plugin registers (SchemeBearer, SchemeAPIKey, SchemeBasic, SchemeSession)
// so that documentation plugins describe them without importing auth.
package auth
