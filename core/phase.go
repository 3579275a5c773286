package covet

import (
	iphase "github.com/covetgo/covet/core/internal/phase"
)

// Phase says where app middleware sits, whatever the order it was added in
// (App.UseAt): lower phases wrap higher ones; within a phase, the order
// added. Any integer is a phase. The named ones, outermost first:
//
//	PhaseObserve   metrics, tracing: see every request, its final status and duration
//	PhaseEdge      CORS: its headers on every answer, preflights answered before guards
//	PhaseApp       App.Use and UseFirst: the application's own middleware
//	PhaseEncode    compression: encodes what the phases inside it answer
//	PhaseGuard     authentication, rate limits: reject before work is done
//	PhaseCache     response caching: only what passed the guards is cached or served
//	PhaseResource  per-request resources (a database transaction): opened last
//
// Pre middleware runs before routing, outside all phases; group and route
// middleware inside all of them.
type Phase int

// The named phases; see Phase.
const (
	PhaseObserve  Phase = -300
	PhaseEdge     Phase = -200
	PhaseApp      Phase = 0
	PhaseEncode   Phase = 100
	PhaseGuard    Phase = 200
	PhaseCache    Phase = 300
	PhaseResource Phase = 400
)

// String names the phase ("guard"), or gives its number and the named
// phase it follows ("guard+5").
func (p Phase) String() string { return iphase.Name(int(p), phaseNames) }

var phaseNames = []iphase.Named{
	{P: int(PhaseObserve), Name: "observe"}, {P: int(PhaseEdge), Name: "edge"}, {P: int(PhaseApp), Name: "app"},
	{P: int(PhaseEncode), Name: "encode"}, {P: int(PhaseGuard), Name: "guard"}, {P: int(PhaseCache), Name: "cache"},
	{P: int(PhaseResource), Name: "resource"},
}

// phasedMiddleware is a middleware added with UseAt (core/internal/phase).
type phasedMiddleware = iphase.Item[Middleware, Phase]

// UseAt adds app-level middleware at a phase; Use is UseAt(PhaseApp, ...).
func (a *App) UseAt(phase Phase, mw ...Middleware) {
	a.configuring("UseAt")
	if phase == PhaseApp {
		a.mw = append(a.mw, mw...)
		return
	}
	for _, m := range mw {
		a.phased = append(a.phased, phasedMiddleware{Phase: phase, M: m})
	}
}

// appChain returns the app middleware in chain order.
func (a *App) appChain() []Middleware { return iphase.Chain(a.phased, a.mw, PhaseApp) }
