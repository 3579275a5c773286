package ws

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// NATSBroker carries broadcasts over a NATS subject (core NATS, at most
// once, like Redis pub/sub). A subscriber that falls behind its pending
// limits is a slow consumer: NATS drops messages for it; the hub counts them
// through the sequence gaps, and Dropped counts what the client library
// reported.
type NATSBroker struct {
	nc      *nats.Conn
	subject string
	own     bool
	dropped atomic.Int64
}

// NewNATSBroker returns a broker on nc publishing on subject. Close closes
// nc only if own is set.
func NewNATSBroker(nc *nats.Conn, subject string, own bool) *NATSBroker {
	return &NATSBroker{nc: nc, subject: subject, own: own}
}

// Publish publishes msg on the subject.
func (b *NATSBroker) Publish(_ context.Context, msg []byte) error {
	return b.nc.Publish(b.subject, msg)
}

// Subscribe subscribes to the subject and delivers messages, in order, until
// ctx ends.
func (b *NATSBroker) Subscribe(ctx context.Context, ready func(), deliver func([]byte)) error {
	ch := make(chan *nats.Msg, 4096)
	sub, err := b.nc.ChanSubscribe(b.subject, ch)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	if err := b.nc.Flush(); err != nil {
		return err
	}
	ready()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			deliver(m.Data)
		}
		if n, _ := sub.Dropped(); n > 0 {
			b.dropped.Store(int64(n))
		}
		if !sub.IsValid() {
			return errors.New("ws: NATS subscription closed")
		}
	}
}

// Dropped is the number of messages NATS reported dropped for this
// subscriber (slow consumer).
func (b *NATSBroker) Dropped() int64 { return b.dropped.Load() }

// Close closes the connection if the broker owns it.
func (b *NATSBroker) Close() error {
	if b.own {
		b.nc.Close()
	}
	return nil
}

var _ Broker = (*NATSBroker)(nil)
