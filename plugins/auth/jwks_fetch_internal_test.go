package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// slowJWKS is a provider JWKS endpoint that holds each request until
// released, and counts them.
type slowJWKS struct {
	srv     *httptest.Server
	hits    atomic.Int32
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
	body    []byte
}

// free lets the held requests (and all later ones) through.
func (s *slowJWKS) free() { s.once.Do(func() { close(s.release) }) }

func newSlowJWKS(t *testing.T, kids ...string) *slowJWKS {
	t.Helper()
	set := jwk.NewSet()
	for _, kid := range kids {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k, err := jwk.FromRaw(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		_ = k.Set(jwk.KeyIDKey, kid)
		_ = set.AddKey(k)
	}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s := &slowJWKS{arrived: make(chan struct{}, 100), release: make(chan struct{}), body: body}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.arrived <- struct{}{}
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(s.body)
	}))
	t.Cleanup(s.srv.Close)
	t.Cleanup(s.free)
	return s
}

func cachedSet(t *testing.T, kids ...string) jwk.Set {
	t.Helper()
	set := jwk.NewSet()
	for _, kid := range kids {
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		k, err := jwk.FromRaw(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		_ = k.Set(jwk.KeyIDKey, kid)
		_ = set.AddKey(k)
	}
	return set
}

// within fails the test if f has not returned after a generous time: a
// lookup that waits for the held fetch would never return before release.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s waited for the provider's slow JWKS fetch", what)
	}
}

// TestJWKSFetchOutsideLock: while a fetch for an unknown kid hangs at the
// provider, tokens signed with a cached key still verify at once (the
// fetch held the lock every lookup needed), concurrent lookups of unknown
// kids share the one fetch, and a caller whose context ends stops waiting.
func TestJWKSFetchOutsideLock(t *testing.T) {
	p := newSlowJWKS(t, "a", "b")
	r := &remoteKeys{url: p.srv.URL, client: p.srv.Client(), ttl: time.Hour, set: cachedSet(t, "a"), fetched: time.Now()}
	var wg sync.WaitGroup
	results := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.lookup(context.Background(), "b")
			results <- err
		}()
	}
	<-p.arrived // the fetch is held at the provider
	within(t, "a lookup of a cached key", func() {
		if _, err := r.lookup(context.Background(), "a"); err != nil {
			t.Errorf("cached key: %v", err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	within(t, "a lookup whose context ended", func() {
		if _, err := r.lookup(ctx, "c"); !errors.Is(err, context.Canceled) {
			t.Errorf("lookup with an ended context: %v", err)
		}
	})
	p.free()
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("unknown kid b after the fetch: %v", err)
		}
	}
	if n := p.hits.Load(); n != 1 {
		t.Fatalf("%d fetches for 5 concurrent lookups of one unknown kid, want 1", n)
	}
}

// TestJWKSStaleServedWhileRefreshing: past the cache's lifetime (by the
// plugin's clock) a lookup of a cached key returns the cached key and the
// set is fetched again in the background, once.
func TestJWKSStaleServedWhileRefreshing(t *testing.T) {
	p := newSlowJWKS(t, "a", "b")
	var now atomic.Int64
	now.Store(time.Now().Add(2 * time.Hour).UnixNano()) // the cache is an hour past its ttl
	r := &remoteKeys{url: p.srv.URL, client: p.srv.Client(), ttl: time.Hour, set: cachedSet(t, "a"), fetched: time.Now(),
		now: func() time.Time { return time.Unix(0, now.Load()) }}
	for range 3 {
		within(t, "a lookup of a stale cached key", func() {
			if _, err := r.lookup(context.Background(), "a"); err != nil {
				t.Errorf("stale cached key: %v", err)
			}
		})
	}
	<-p.arrived
	p.free()
	// The refreshed set arrives: b (only in the new set) is found without another fetch.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		_, ok := r.find("b")
		r.mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background refresh never stored the new set")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := r.lookup(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	if n := p.hits.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}
