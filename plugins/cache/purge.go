package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Purger purges a CDN's copies of responses by tag. HTTPCache calls it
// (WithPurger) on every InvalidateTags of its Cache.
type Purger interface {
	Purge(ctx context.Context, tags []string) error
}

// PurgerFunc adapts a function to Purger.
type PurgerFunc func(ctx context.Context, tags []string) error

// Purge calls f.
func (f PurgerFunc) Purge(ctx context.Context, tags []string) error { return f(ctx, tags) }

// HTTPPurger purges by tag through an HTTP API in the shape Cloudflare's
// purge_cache takes: a POST of {"tags": [...]} with the configured headers
// (an API token). For Fastly, point URL at .../purge and set
// Surrogate-Key-style requests with a PurgerFunc instead.
type HTTPPurger struct {
	// URL receives the POST.
	URL string
	// Header is added to every request (Authorization: Bearer ...).
	Header http.Header
	// Client sends the requests; nil means a client with a 5 s timeout.
	Client *http.Client
}

var defaultPurgeClient = &http.Client{Timeout: 5 * time.Second}

// Purge posts the tags; a non-2xx answer is an error.
func (p *HTTPPurger) Purge(ctx context.Context, tags []string) error {
	body, err := json.Marshal(map[string][]string{"tags": tags})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("cache: purge: %w", err)
	}
	for k, v := range p.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	cl := p.Client
	if cl == nil {
		cl = defaultPurgeClient
	}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("cache: purge: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("cache: purge: %s answered %s", p.URL, resp.Status)
	}
	return nil
}
