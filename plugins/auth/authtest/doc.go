// Package authtest is the test kit of the auth plugin: it mints access
// tokens for test users, sets them on covettest requests, and runs a fake
// OpenID Connect provider on a real loopback listener (discovery, JWKS,
// authorize, token) for login-flow tests, with switches that make it
// misbehave the ways attackers and broken providers do.
//
//	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", secret)))
//	app.Install(a)
//	alice := authtest.User(t, a, "alice", "tasks:write")
//	client.Post("/tasks").Header(alice.Authorization()).JSON(task).Do().ExpectStatus(201)
package authtest
