package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// MaxPasswordLength is the longest password hashed or verified, in bytes:
// longer ones are refused before any hashing (a megabyte password must not
// cost a megabyte of hashing, and bcrypt ignores bytes past 72).
const MaxPasswordLength = 1024

// ErrPasswordTooLong is returned for a password over MaxPasswordLength.
var ErrPasswordTooLong = errors.New("auth: password too long")

// Bounds of argon2id parameters, for stored hashes (a hash from the
// database must not make a login allocate gigabytes: each concurrent
// verification allocates Memory) and for a PasswordHasher's own.
const (
	// MaxPasswordMemory is the most memory a hash may ask for, in KiB
	// (256 MiB; OWASP recommends 19-47 MiB, RFC 9106's second
	// recommendation is 64 MiB).
	MaxPasswordMemory = 256 * 1024
	// MaxPasswordTime is the most passes a hash may ask for.
	MaxPasswordTime = 100
	// MaxPasswordThreads is the most lanes a hash may ask for.
	MaxPasswordThreads = 64
)

// ErrPasswordParams is wrapped by the errors of argon2id parameters out of
// bounds (MaxPasswordMemory, MaxPasswordTime, MaxPasswordThreads), from
// PasswordHasher.Hash and from a stored hash's Verify.
var ErrPasswordParams = errors.New("auth: argon2id parameters out of bounds")

// PasswordParams are argon2id's parameters (RFC 9106).
type PasswordParams struct {
	// Memory in KiB.
	Memory uint32
	// Time is the number of passes.
	Time uint32
	// Threads is the parallelism.
	Threads uint8
	// SaltLen and KeyLen in bytes.
	SaltLen, KeyLen uint32
}

// DefaultPasswordParams are OWASP's recommended argon2id parameters (Password
// Storage Cheat Sheet, 2023): 19 MiB of memory, 2 passes, 1 thread, with a
// 16-byte salt and a 32-byte hash; about 20-40 ms per hash on one core of
// a current server. Raise them with a PasswordHasher when the machines can
// afford it: stored hashes are upgraded at the next login (NeedsRehash).
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// PasswordHasher hashes passwords with argon2id and verifies argon2id (any
// parameters) and bcrypt hashes (imported from other systems).
type PasswordHasher struct {
	params PasswordParams
	dummy  string
	once   sync.Once
}

// NewPasswordHasher returns a hasher with the given parameters; Hash
// returns an error wrapping ErrPasswordParams when they are out of bounds
// (see PasswordParams.Validate).
func NewPasswordHasher(p PasswordParams) *PasswordHasher { return &PasswordHasher{params: p} }

// Validate reports parameters out of bounds, in an error wrapping
// ErrPasswordParams: Memory from 8 KiB per thread to MaxPasswordMemory,
// Time from 1 to MaxPasswordTime, Threads from 1 to MaxPasswordThreads, a
// salt of at least 8 bytes and a key of 16 to 128 bytes (zero SaltLen and
// KeyLen are checked only for hashing; a stored hash has its own).
func (p PasswordParams) Validate() error {
	switch {
	case p.Threads < 1 || p.Threads > MaxPasswordThreads:
		return fmt.Errorf("%w: %d threads, want 1 to %d", ErrPasswordParams, p.Threads, MaxPasswordThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > MaxPasswordMemory:
		return fmt.Errorf("%w: memory %d KiB, want %d to %d KiB (MaxPasswordMemory, 256 MiB)", ErrPasswordParams, p.Memory, 8*uint32(p.Threads), MaxPasswordMemory)
	case p.Time < 1 || p.Time > MaxPasswordTime:
		return fmt.Errorf("%w: %d passes, want 1 to %d", ErrPasswordParams, p.Time, MaxPasswordTime)
	}
	return nil
}

var defaultHasher = NewPasswordHasher(DefaultPasswordParams)

// HashPassword hashes with DefaultPasswordParams.
func HashPassword(password string) (string, error) { return defaultHasher.Hash(password) }

// VerifyPassword checks a password against a stored hash with
// DefaultPasswordParams as the current parameters; see PasswordHasher.Verify.
func VerifyPassword(encoded, password string) (ok, rehash bool, err error) {
	return defaultHasher.Verify(encoded, password)
}

// Hash returns the PHC string of the password's argon2id hash:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func (h *PasswordHasher) Hash(password string) (string, error) {
	if len(password) > MaxPasswordLength {
		return "", ErrPasswordTooLong
	}
	p := h.params
	if err := p.Validate(); err != nil {
		return "", err
	}
	if p.SaltLen < 8 || p.KeyLen < 16 || p.KeyLen > 128 {
		return "", fmt.Errorf("%w: salt of %d bytes (at least 8) and key of %d bytes (16 to 128)", ErrPasswordParams, p.SaltLen, p.KeyLen)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify checks password against encoded (argon2id, or bcrypt $2a$/$2b$/$2y$)
// in constant time. rehash is true when the password matched but the hash
// should be replaced by Hash's (bcrypt, or older parameters): store the new
// hash then, while the password is at hand. An unknown hash format is an
// error.
func (h *PasswordHasher) Verify(encoded, password string) (ok, rehash bool, err error) {
	if len(password) > MaxPasswordLength {
		return false, false, ErrPasswordTooLong
	}
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		p, salt, key, err := decodeArgon2id(encoded)
		if err != nil {
			return false, false, err
		}
		got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		if subtle.ConstantTimeCompare(got, key) != 1 {
			return false, false, nil
		}
		cur := h.params
		return true, p.Memory != cur.Memory || p.Time != cur.Time || p.Threads != cur.Threads || uint32(len(key)) != cur.KeyLen || uint32(len(salt)) != cur.SaltLen, nil
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		if len(password) > 72 {
			// bcrypt would ignore the rest: a different password could match.
			return false, false, nil
		}
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, false, nil
		}
		if err != nil {
			return false, false, fmt.Errorf("auth: bcrypt hash: %w", err)
		}
		return true, true, nil
	}
	return false, false, errors.New("auth: unknown password hash format")
}

// VerifyDummy spends the time of a real verification on a password no
// account has, so that a login for an unknown user takes as long as one for
// a known user with a wrong password (no user enumeration by timing).
func (h *PasswordHasher) VerifyDummy(password string) {
	h.once.Do(func() { h.dummy, _ = h.Hash("covet-dummy-password") })
	_, _, _ = h.Verify(h.dummy, password)
}

// VerifyDummyPassword is VerifyDummy with DefaultPasswordParams.
func VerifyDummyPassword(password string) { defaultHasher.VerifyDummy(password) }

func decodeArgon2id(s string) (PasswordParams, []byte, []byte, error) {
	bad := func(why string) (PasswordParams, []byte, []byte, error) {
		return PasswordParams{}, nil, nil, fmt.Errorf("auth: malformed argon2id hash: %s", why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return bad("fields")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return bad("version")
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return bad("parameters")
	}
	// Bounds: a stored hash must not make a login allocate gigabytes.
	if err := p.Validate(); err != nil {
		return PasswordParams{}, nil, nil, fmt.Errorf("auth: argon2id hash: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return bad("salt")
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return bad("hash")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
