package auth

import (
	"context"
	"errors"
	"net/http"

	covet "github.com/covetgo/covet/core"
)

// TokenRequest is the form a client posts to a token endpoint (RFC 6749
// §4.3.2 and §6), what FastAPI calls OAuth2PasswordRequestForm. GrantType
// defaults to "password"; Username and Password are that grant's,
// RefreshToken the refresh grant's. Scope is the space-separated list the
// client asks for; the PasswordFunc decides what is granted.
type TokenRequest struct {
	GrantType    string `form:"grant_type" enum:"password,refresh_token" default:"password" doc:"password, or refresh_token to rotate a refresh token"`
	Username     string `form:"username" maxLength:"1024"`
	Password     string `form:"password" maxLength:"1024" format:"password"`
	Scope        string `form:"scope" maxLength:"1024" doc:"space-separated scopes asked for"`
	RefreshToken string `form:"refresh_token" maxLength:"1024"`
}

// PasswordFunc checks the user name and password of a password grant and
// returns the subject of the tokens to issue with their options
// (WithScopes, WithRoles, WithTTL, WithClaim); req is the whole request
// (its Scope, for example). Wrong credentials return an error wrapping
// ErrBadCredentials, answered 400 invalid_grant; any other error is the
// request's error (a 500, or its own status). Spend the same time on an
// unknown user as on a wrong password (VerifyDummyPassword) so that timing
// does not tell which user names exist.
type PasswordFunc func(ctx context.Context, req *TokenRequest) (subject string, opts []TokenOption, err error)

// PasswordGrant returns a typed token endpoint for the OAuth 2.0 password
// grant, FastAPI's "OAuth2 with Password and Bearer" tutorial in one route:
//
//	covet.Post(app, "/token", a.PasswordGrant(func(ctx context.Context, r *auth.TokenRequest) (string, []auth.TokenOption, error) {
//		u, err := users.Check(ctx, r.Username, r.Password) // auth.VerifyPassword inside
//		if err != nil {
//			return "", nil, err // wraps auth.ErrBadCredentials for a wrong password
//		}
//		return u.ID, []auth.TokenOption{auth.WithScopes("items:write")}, nil
//	}))
//
// The form is bound and documented like any typed input (so the OpenAPI
// document shows it). It answers a TokenPair (access_token, token_type,
// expires_in, and a refresh_token when WithRefresh is configured) with
// Cache-Control: no-store. grant_type=refresh_token rotates a refresh token
// as RefreshHandler does. Refusals are 400 problems with the OAuth 2.0 error
// code as the member "error" (RFC 6749 §5.2): invalid_request (a missing
// field), invalid_grant (wrong credentials, or a refresh token unknown,
// expired, revoked or reused), unsupported_grant_type (a refresh without
// WithRefresh). For Swagger UI's Authorize dialog to ask for a user name and
// password, register an "oauth2" security scheme with a password flow whose
// TokenURL is this route and name it on the guarded routes (README, "Token
// endpoint").
func (a *Auth) PasswordGrant(check PasswordFunc) func(*covet.Context, *TokenRequest) (*TokenPair, error) {
	return func(c *covet.Context, in *TokenRequest) (*TokenPair, error) {
		c.SetHeader("Cache-Control", "no-store")
		var (
			p   TokenPair
			err error
		)
		switch in.GrantType {
		case "refresh_token":
			if a.cfg.refresh == nil {
				return nil, grantError("unsupported_grant_type", "this endpoint issues no refresh tokens")
			}
			if in.RefreshToken == "" {
				return nil, grantError("invalid_request", "refresh_token is required")
			}
			p, err = a.Refresh(c.Context(), in.RefreshToken)
			if errors.Is(err, ErrRefreshInvalid) || errors.Is(err, ErrRefreshReused) || errors.Is(err, ErrRefreshRevoked) {
				logRefusal(c, "auth: refresh refused", err)
				return nil, grantError("invalid_grant", "the refresh token is not valid")
			}
		default: // "password", the binder's default
			if in.Username == "" || in.Password == "" {
				return nil, grantError("invalid_request", "username and password are required")
			}
			subject, opts, cerr := check(c.Context(), in)
			if errors.Is(cerr, ErrBadCredentials) {
				a.stats.refused.Add(1)
				a.stats.refusedBy[refusalReason(ErrBadCredentials)].Add(1)
				logRefusal(c, "auth: password grant refused", cerr)
				return nil, grantError("invalid_grant", "incorrect username or password")
			}
			if cerr != nil {
				return nil, cerr
			}
			if subject == "" {
				return nil, errors.New("auth: PasswordGrant: the PasswordFunc returned no subject and no error")
			}
			p, err = a.IssuePair(c.Context(), subject, opts...)
		}
		if err != nil {
			return nil, err
		}
		return &p, nil
	}
}

// grantError is a token endpoint's refusal: a 400 problem carrying the
// OAuth 2.0 error code (RFC 6749 §5.2) as the member "error".
func grantError(code, detail string) *covet.Error {
	return covet.NewError(http.StatusBadRequest, detail).WithExtension("error", code)
}
