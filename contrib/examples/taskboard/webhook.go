package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	covet "github.com/covetgo/covet/core"
)

// webhook tells another service about new tasks: a POST of
// {"event":"task.created","task":{...}} to the configured URL, signed with
// HMAC-SHA256 of the body in X-Taskboard-Signature when a secret is set.
// It is sent once the request is over (after the transaction committed and
// the client got its 201), so a slow receiver never delays the API; a
// failure is logged, not retried (durable delivery is a job queue's work).
type webhook struct {
	url    string
	secret []byte
	client *http.Client
}

// WebhookEvent is the body of a webhook call.
type WebhookEvent struct {
	Event string `json:"event"`
	Task  Task   `json:"task"`
}

const webhookTimeout = 5 * time.Second

func newWebhook(cfg Config) *webhook {
	if cfg.WebhookURL == "" {
		return nil
	}
	client := cfg.WebhookClient
	if client == nil {
		client = &http.Client{Timeout: webhookTimeout}
	}
	return &webhook{url: cfg.WebhookURL, secret: []byte(cfg.WebhookSecret), client: client}
}

// taskCreated sends the event when the request that created t succeeded.
func (w *webhook) taskCreated(c *covet.Context, t Task) {
	if w == nil {
		return
	}
	resp, log := c.Response(), c.Logger()
	c.OnDone(func() {
		if resp.Status() != http.StatusCreated {
			return // rolled back or failed: nothing happened
		}
		ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
		defer cancel()
		if err := w.send(ctx, WebhookEvent{Event: "task.created", Task: t}); err != nil {
			log.Warn("taskboard: webhook failed", "event", "task.created", "task", t.ID, "error", err)
		}
	})
}

func (w *webhook) send(ctx context.Context, ev WebhookEvent) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "taskboard/"+Version)
	req.Header.Set("X-Taskboard-Event", ev.Event)
	if len(w.secret) > 0 {
		req.Header.Set("X-Taskboard-Signature", "sha256="+sign(w.secret, body))
	}
	res, err := w.client.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		return fmt.Errorf("webhook answered %d", res.StatusCode)
	}
	return nil
}

func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
