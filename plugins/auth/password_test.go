package auth_test

import (
	"strings"
	"testing"

	"github.com/covetgo/covet/plugins/auth"
	"golang.org/x/crypto/bcrypt"
)

func TestPasswords(t *testing.T) {
	cheap := auth.NewPasswordHasher(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	h, err := cheap.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if ok, rehash, err := cheap.Verify(h, "correct horse"); !ok || rehash || err != nil {
		t.Fatalf("verify: %v %v %v", ok, rehash, err)
	}
	if ok, _, _ := cheap.Verify(h, "correct horsE"); ok {
		t.Fatal("wrong password accepted")
	}
	// The default parameters are stronger: the old hash matches and asks to be replaced.
	if ok, rehash, err := auth.VerifyPassword(h, "correct horse"); !ok || !rehash || err != nil {
		t.Fatalf("verify with new params: %v %v %v", ok, rehash, err)
	}
	// bcrypt imports verify and ask for a rehash.
	bh, _ := bcrypt.GenerateFromPassword([]byte("imported"), bcrypt.MinCost)
	if ok, rehash, err := cheap.Verify(string(bh), "imported"); !ok || !rehash || err != nil {
		t.Fatalf("bcrypt: %v %v %v", ok, rehash, err)
	}
	if ok, _, _ := cheap.Verify(string(bh), "imported!"); ok {
		t.Fatal("bcrypt wrong password accepted")
	}
	// Length limit before hashing.
	long := strings.Repeat("a", auth.MaxPasswordLength+1)
	if _, err := cheap.Hash(long); err != auth.ErrPasswordTooLong {
		t.Fatalf("long hash: %v", err)
	}
	if _, _, err := cheap.Verify(h, long); err != auth.ErrPasswordTooLong {
		t.Fatalf("long verify: %v", err)
	}
	// Hostile stored hashes do not make a login allocate gigabytes.
	if _, _, err := cheap.Verify("$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "x"); err == nil {
		t.Fatal("absurd memory parameter accepted")
	}
	if _, _, err := cheap.Verify("plain", "plain"); err == nil {
		t.Fatal("unknown format accepted")
	}
	cheap.VerifyDummy("whatever")
}
