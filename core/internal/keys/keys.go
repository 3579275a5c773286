// Package keys owns the storage behind covet's typed request keys
// (covet.Key): the values a request carries, first in the Context's pooled
// slice, then in a Store of their own that is also the layer of the
// request's context.Context that makes them visible to code holding only
// the context (Key.FromContext). It does not import covet.
package keys

import (
	"context"
	"net/http"

	"github.com/covetgo/covet/core/internal/logx"
)

// Value is one key's value on a request.
type Value struct {
	Key, Val any
}

// Store holds a request's key values. It is allocated for a request the
// first time its values must be visible from its context, never pooled (a
// goroutine may keep the request's context after the request), and it is
// the context layer that makes the values visible from the request's
// context.
type Store struct {
	context.Context
	Vals      []Value
	buf       [4]Value
	RequestID string // covet.Context.SetRequestID's, for covet.RequestIDFrom
}

// storeKey finds the Store in a context.
type storeKey struct{}

// Value implements context.Context.
func (s *Store) Value(key any) any {
	switch key {
	case storeKey{}:
		return s
	case logx.RequestIDKey{}:
		if s.RequestID != "" {
			return s.RequestID
		}
	}
	return s.Context.Value(key)
}

// layer puts a request's store back on a context derived from one that did
// not carry it (SetRequest with an older request).
type layer struct {
	context.Context
	s *Store
}

// Value implements context.Context.
func (l *layer) Value(key any) any {
	switch key {
	case storeKey{}:
		return l.s
	case logx.RequestIDKey{}:
		if l.s.RequestID != "" {
			return l.s.RequestID
		}
	}
	return l.Context.Value(key)
}

// NewStore moves vals (the Context's pooled slice, cleared here) to a
// store of their own, which a goroutine keeping the context may read after
// the request.
func NewStore(requestID string, vals []Value) *Store {
	s := &Store{RequestID: requestID}
	s.Vals = append(s.buf[:0], vals...)
	clear(vals)
	return s
}

// From returns the store ctx carries, or nil.
func From(ctx context.Context) *Store {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(storeKey{}).(*Store)
	return s
}

// Attach returns r with s on its context: r itself when ctx (r's context,
// or the pending one SetContext gave) already carries s; else a copy of r
// whose context is ctx with s as a layer (s itself on the first attach).
// attached reports whether r was copied.
func Attach(r *http.Request, ctx context.Context, s *Store) (_ *http.Request, attached bool) {
	if From(ctx) == s {
		return r, false
	}
	if s.Context == nil {
		// The store itself is the layer, on the first attach.
		s.Context = ctx
		return r.WithContext(s), true
	}
	return r.WithContext(&layer{Context: ctx, s: s}), true
}

// Set stores v under k in vals, replacing an existing value; added reports
// that vals grew.
func Set(vals []Value, k, v any) (_ []Value, added bool) {
	for i := range vals {
		if vals[i].Key == k {
			vals[i].Val = v
			return vals, false
		}
	}
	return append(vals, Value{Key: k, Val: v}), true
}

// Lookup returns the value stored under k.
func Lookup(vals []Value, k any) (any, bool) {
	for i := range vals {
		if vals[i].Key == k {
			return vals[i].Val, true
		}
	}
	return nil, false
}

// Delete removes the value stored under k, clearing the freed slot.
func Delete(vals *[]Value, k any) {
	for i := range *vals {
		if (*vals)[i].Key == k {
			*vals = append((*vals)[:i], (*vals)[i+1:]...)
			(*vals)[len(*vals) : len(*vals)+1][0] = Value{}
			return
		}
	}
}

// State is a request's key values and the context SetContext gave, as
// covet.Context keeps them: values in a pooled slice until the request's
// context must carry them, then in a Store attached to it when the request
// or its context is next asked for (not at Set: middleware holding the
// request may still change it).
type State struct {
	vals    []Value         // Set values until the context needs them (pooled)
	store   *Store          // the values once visible from the context (not pooled)
	pending bool            // the request's context may lack the store
	ctx     context.Context // SetContext's, not yet on the request
}

// Pending reports whether the request must be updated before it or its
// context is handed out.
func (s *State) Pending() bool { return s.pending || s.ctx != nil }

// Context returns the request's context, r updated with the store.
func (s *State) Context(r *http.Request, requestID string) (*http.Request, context.Context) {
	if s.pending {
		r = s.attach(r, requestID)
	}
	if s.ctx != nil {
		return r, s.ctx
	}
	return r, r.Context()
}

// Request returns r with the store and SetContext's context on it.
func (s *State) Request(r *http.Request, requestID string) *http.Request {
	if s.pending {
		r = s.attach(r, requestID)
	}
	return s.Apply(r)
}

// Apply returns r with SetContext's context on it (a copy), if any.
func (s *State) Apply(r *http.Request) *http.Request {
	if s.ctx != nil {
		r = r.WithContext(s.ctx)
		s.ctx = nil
	}
	return r
}

// attach puts the store on the request's context (SetContext's when given:
// the one request copy carries both).
func (s *State) attach(r *http.Request, requestID string) *http.Request {
	s.pending = false
	ctx := r.Context()
	if s.ctx != nil {
		ctx = s.ctx
	}
	if s.store == nil {
		// The first attach: the store and the request copy that carries
		// it in one allocation.
		s.ctx = nil
		return s.firstAttach(r, ctx, requestID)
	}
	r, attached := Attach(r, ctx, s.store)
	if attached {
		s.ctx = nil
	}
	return r
}

// storeRequest is a new store and the request copy whose context it is,
// allocated together (the store keeps the request's memory alive and the
// request the store's: they end together anyway).
type storeRequest struct {
	Store
	req http.Request
}

// firstAttach makes the request's store from s.vals, layered over ctx, and
// returns a copy of r with it as its context: Attach(r, ctx, NewStore(...))
// with one allocation instead of two.
func (s *State) firstAttach(r *http.Request, ctx context.Context, requestID string) *http.Request {
	sr := &storeRequest{Store: Store{Context: ctx, RequestID: requestID}}
	st := &sr.Store
	st.Vals = append(st.buf[:0], s.vals...)
	clear(s.vals)
	s.vals = s.vals[:0]
	s.store = st
	// WithContext is inlined and its copy does not escape: it is copied
	// into sr, and the compiler keeps it on the stack
	// (TestFirstAttachAllocatesOnce).
	sr.req = *r.WithContext(st)
	return &sr.req
}

// RequestReplaced records that SetRequest replaced the request: it has its
// own context, from which the values must stay visible.
func (s *State) RequestReplaced() {
	s.ctx = nil
	s.pending = s.pending || s.store != nil || len(s.vals) > 0
}

// SetContext records SetContext's context, from which the values must stay
// visible.
func (s *State) SetContext(ctx context.Context) {
	s.ctx = ctx
	s.pending = s.pending || s.store != nil || len(s.vals) > 0
}

// SetRequestID gives the store the request's ID and marks it to be
// attached again.
func (s *State) SetRequestID(id string) {
	if s.store != nil {
		s.store.RequestID = id
	}
	s.pending = true
}

// Set stores v under k; dirty reports the first value of the request.
func (s *State) Set(k, v any) (dirty bool) {
	if st := s.store; st != nil {
		st.Vals, _ = Set(st.Vals, k, v)
		return false
	}
	var added bool
	if s.vals, added = Set(s.vals, k, v); added {
		s.pending = true
	}
	return added
}

// Get returns the value stored under k.
func (s *State) Get(k any) (any, bool) {
	if st := s.store; st != nil {
		return Lookup(st.Vals, k)
	}
	return Lookup(s.vals, k)
}

// Delete removes the value stored under k.
func (s *State) Delete(k any) {
	if st := s.store; st != nil {
		Delete(&st.Vals, k)
		return
	}
	Delete(&s.vals, k)
}

// Reset clears the state for the next request, keeping the pooled slice.
func (s *State) Reset() {
	clear(s.vals)
	*s = State{vals: s.vals[:0]}
}

// DropContext forgets SetContext's context (the request was replaced).
func (s *State) DropContext() { s.ctx = nil }
