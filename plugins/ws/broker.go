package ws

import (
	"context"
	"encoding/json"
)

type msgKind uint8

const (
	kindRoom msgKind = iota + 1
	kindUser
	kindAll
)

// envelope is a broadcast as it travels between instances.
type envelope struct {
	Kind   msgKind         `json:"k"`
	Target string          `json:"t,omitempty"`
	Event  string          `json:"e,omitempty"`
	Data   json.RawMessage `json:"d"`
	// From is the publishing instance, Seq its sequence number: receivers
	// skip their own messages and count gaps per publisher.
	From string `json:"f,omitempty"`
	Seq  uint64 `json:"s,omitempty"`
}

// Broker carries broadcasts and presence between the instances of an app.
// Implementations: RedisBroker (the default choice) and NATSBroker.
type Broker interface {
	// Publish sends one message to every instance (this one included; the
	// hub skips its own).
	Publish(ctx context.Context, msg []byte) error
	// Subscribe delivers every message published by any instance to
	// deliver, in the order each publisher sent them, until ctx ends or the
	// subscription breaks (then it returns the error; the hub subscribes
	// again with backoff).
	Subscribe(ctx context.Context, deliver func(msg []byte)) error
	// Close releases the broker's connections.
	Close() error
}

func (h *Hub) startBroker(ctx context.Context) {}

func (h *Hub) publishBroker(ctx context.Context, env envelope) error { return nil }

func (h *Hub) presenceChanged(room string) {}
