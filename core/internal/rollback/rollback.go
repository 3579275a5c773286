// Package rollback records how to undo changes to an app's state: covet
// takes a snapshot before each plugin's Install and runs it backwards when
// the Install fails. It does not import covet.
package rollback

import (
	"maps"
	"slices"
)

// Undo is a list of restore steps; Run runs them last first.
type Undo []func()

// Run restores what the steps saved.
func (u Undo) Run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

// Do adds a restore step of its own.
func (u *Undo) Do(f func()) { *u = append(*u, f) }

// Slice saves a copy of the slice at p (restored as the copy).
func Slice[S ~[]E, E any](u *Undo, p *S) {
	v := slices.Clone(*p)
	u.Do(func() { *p = v })
}

// Map saves a copy of the map at p (restored as the copy).
func Map[M ~map[K]V, K comparable, V any](u *Undo, p *M) {
	v := maps.Clone(*p)
	u.Do(func() { *p = v })
}

// Value saves the value at p.
func Value[T any](u *Undo, p *T) {
	v := *p
	u.Do(func() { *p = v })
}

// Len saves the length of the append-only slice at p: restoring cuts it
// back (capacity included, so later appends do not write into what was
// cut).
func Len[S ~[]E, E any](u *Undo, p *S) {
	n := len(*p)
	u.Do(func() { *p = (*p)[:n:n] })
}
