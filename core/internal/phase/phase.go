// Package phase orders covet's app middleware by phase (covet.Phase,
// App.UseAt): a stable sort of the phased middleware with the PhaseApp
// list (App.Use) in its place, and the phases' names. It does not import
// covet.
package phase

import (
	"cmp"
	"fmt"
	"slices"
)

// Item is a middleware added at a phase other than the app's.
type Item[M any, P cmp.Ordered] struct {
	Phase P
	M     M
}

// Chain returns the middleware in chain order: items by phase (stable,
// so in the order they were added within a phase), with app, the
// middleware of appPhase, in its place.
func Chain[M any, P cmp.Ordered](items []Item[M, P], app []M, appPhase P) []M {
	if len(items) == 0 {
		return app
	}
	ph := slices.Clone(items)
	slices.SortStableFunc(ph, func(x, y Item[M, P]) int { return cmp.Compare(x.Phase, y.Phase) })
	out := make([]M, 0, len(ph)+len(app))
	i := 0
	for ; i < len(ph) && ph[i].Phase < appPhase; i++ {
		out = append(out, ph[i].M)
	}
	out = append(out, app...)
	for ; i < len(ph); i++ {
		out = append(out, ph[i].M)
	}
	return out
}

// Named is a phase with a name (covet's PhaseObserve...PhaseResource).
type Named struct {
	P    int
	Name string
}

// Name names phase p among named (sorted by P): its own name, or the name
// of the named phase it follows with the distance ("guard+5"), or, below
// the first, the first's name with the (negative) distance.
func Name(p int, named []Named) string {
	for i := len(named) - 1; i >= 0; i-- {
		if p == named[i].P {
			return named[i].Name
		}
		if p > named[i].P {
			return fmt.Sprintf("%s+%d", named[i].Name, p-named[i].P)
		}
	}
	return fmt.Sprintf("%s%d", named[0].Name, p-named[0].P)
}
