package auth_test

import (
	"errors"
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

// TestPasswordParamBounds: a stored hash (read from a database an attacker
// may write to) asking for more than MaxPasswordMemory, say 4 GiB, is
// refused before any allocation with an error naming the bound, and so
// are a hasher's own out-of-bounds parameters.
func TestPasswordParamBounds(t *testing.T) {
	cheap := auth.NewPasswordHasher(auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	for name, tc := range map[string]struct {
		params string
		want   string
	}{
		"4 GiB":         {"m=4194304,t=1,p=1", "memory 4194304 KiB"},
		"just over":     {"m=262145,t=1,p=1", "memory 262145 KiB"},
		"too many runs": {"m=64,t=101,p=1", "101 passes"},
		"no threads":    {"m=64,t=1,p=0", "0 threads"},
		"many threads":  {"m=8192,t=1,p=65", "65 threads"},
		"tiny memory":   {"m=8,t=1,p=4", "memory 8 KiB"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := cheap.Verify("$argon2id$v=19$"+tc.params+"$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "x")
			if !errors.Is(err, auth.ErrPasswordParams) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrPasswordParams naming %q", err, tc.want)
			}
		})
	}
	// At the bound: accepted (hash a cheap one, then check the limit is inclusive through Validate).
	if err := (auth.PasswordParams{Memory: auth.MaxPasswordMemory, Time: 1, Threads: 1}).Validate(); err != nil {
		t.Fatalf("MaxPasswordMemory refused: %v", err)
	}
	for name, p := range map[string]auth.PasswordParams{
		"4 GiB":     {Memory: 4 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		"no passes": {Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		"no salt":   {Memory: 64, Time: 1, Threads: 1, SaltLen: 0, KeyLen: 32},
		"short key": {Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 4},
	} {
		if _, err := auth.NewPasswordHasher(p).Hash("pw"); !errors.Is(err, auth.ErrPasswordParams) {
			t.Errorf("%s: Hash err = %v, want ErrPasswordParams", name, err)
		}
	}
}
