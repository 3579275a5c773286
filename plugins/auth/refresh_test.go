package auth_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
)

// TestAttackRefreshReplay: a refresh token used twice revokes its family.
func TestAttackRefreshReplay(t *testing.T) { authtest.RefreshStoreContract(t, auth.NewMemoryRefresh()) }

func TestMemoryStoresContracts(t *testing.T) {
	t.Run("revocation", func(t *testing.T) { authtest.RevocationStoreContract(t, auth.NewMemoryRevocation(0)) })
	t.Run("sessions", func(t *testing.T) { authtest.SessionStoreContract(t, auth.NewMemorySessions()) })
}

func TestRefreshHandler(t *testing.T) {
	ctx := context.Background()
	app3, a3, _ := newApp(t, auth.WithRefresh(auth.NewMemoryRefresh(), 0))
	app3.POST("/token", a3.RefreshHandler())
	c3 := newClient(t, app3)
	p3, err := a3.IssuePair(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var out auth.TokenPair
	c3.Post("/token").Form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p3.RefreshToken}}).Do().
		ExpectStatus(200).ExpectHeader("Cache-Control", "no-store").Decode(&out)
	if out.AccessToken == "" || out.RefreshToken == "" || out.RefreshToken == p3.RefreshToken {
		t.Fatalf("response %+v", out)
	}
	c3.Post("/token").JSON(map[string]string{"refresh_token": p3.RefreshToken}).Do().ExpectStatus(400).ExpectJSON(map[string]string{"error": "invalid_grant"})
	c3.Post("/token").JSON(map[string]string{"refresh_token": out.RefreshToken}).Do().ExpectStatus(400) // family revoked by the replay
}
