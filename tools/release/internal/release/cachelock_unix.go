//go:build unix

package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CacheLease is a run's claim on this repository's module versions in the
// go command's module cache; Release ends it.
type CacheLease struct{ f *os.File }

// Release ends the lease.
func (l *CacheLease) Release() {
	if l != nil && l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
	}
}

// LeaseCache makes the module cache hold exactly this proxy's versions of
// our modules for as long as the lease lasts. An unreleased version keeps
// its number while its files change, so two runs over different trees (two
// clones, or a clone and a work tree being edited) would otherwise replace
// each other's copies mid-run. Runs over the same contents share the cache;
// a run over different contents waits (logging through wait) until the
// others end, then purges the stale copies (PurgeStaleCache).
func (p *Proxy) LeaseCache(wait func(string)) (*CacheLease, error) {
	cache := goEnv("GOMODCACHE")
	if cache == "" {
		return nil, fmt.Errorf("release: go env GOMODCACHE is empty")
	}
	dir := filepath.Join(cache, "cache", "download", "github.com", "covetgo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "release-checks.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(p.GoSum()))
	want := hex.EncodeToString(sum[:])
	marker := filepath.Join(dir, "release-checks.contents")
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, err
	}
	if b, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(b)) == want {
		return &CacheLease{f}, nil // same contents as the runs in progress
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	for told := false; syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil; told = true {
		if wait != nil && !told {
			wait("release: another run of the release checks uses other contents of our modules in the module cache; waiting for it to end")
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err := p.PurgeStaleCache(); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.WriteFile(marker, []byte(want+"\n"), 0o644); err != nil {
		f.Close()
		return nil, err
	}
	// Downgrade to shared: runs over the same contents may join.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, err
	}
	return &CacheLease{f}, nil
}
