package scaleout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// Fault kinds.
const (
	FaultKill         = "kill"          // SIGKILL one instance, start it again after Restart
	FaultRolling      = "rolling"       // SIGTERM, drain and start every instance in turn
	FaultPGTerminate  = "pg-terminate"  // pg_terminate_backend of the app's connections
	FaultRedisPause   = "redis-pause"   // CLIENT PAUSE ALL for Pause
	FaultRedisRestart = "redis-restart" // Redis shut down, started again after Pause
)

// Fault is one fault to inject during a run.
type Fault struct {
	// Kind is one of the Fault* constants.
	Kind string
	// At is when, from the start of the traffic.
	At time.Duration
	// Instance is the instance a kill hits (1-based; default 1).
	Instance int
	// Pause is how long Redis stays paused or down (default 1 s).
	Pause time.Duration
	// Restart is how long a killed instance stays down (default 2 s).
	Restart time.Duration
}

// Window is a fault as it happened: from its injection to the end of its
// action (a killed instance started again and ready, the last instance of a
// rolling restart ready, Redis back).
type Window struct {
	Fault
	From, To time.Time
	// Err is the injection's failure, if any.
	Err string
}

// Config configures Run.
type Config struct {
	// Duration is how long the traffic runs at least (default 30 s); it
	// goes on until the last fault's action has ended, plus 3 s.
	Duration time.Duration
	// Rate is the requests per second sent (default 50).
	Rate float64
	// Mix is the share of each kind (default 10 % gets, 20 % creates, 2 % logins, the rest lists).
	Mix Mix
	// Users is the number of signed-in clients (default 8).
	Users int
	// SSE and WS are the numbers of live-update subscribers of each kind (default 2 each).
	SSE, WS int
	// NoLive runs no subscribers (the peers of the comparison have no live updates).
	NoLive bool
	// Faults are injected in order of At.
	Faults []Fault
	// MaxInFlight bounds outstanding requests (default 256).
	MaxInFlight int
	// Grace is added after each fault window when requests are accounted
	// to it (default 5 s: the recovery bound after an instance kill).
	Grace time.Duration
	// OnTraffic, when set, is called with true just before the traffic
	// starts (after the users' set-up) and with false once its last request
	// was answered: the window a CPU sample (Topology.Sample) should cover.
	OnTraffic func(begin bool)
}

func (c *Config) defaults() {
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.Rate == 0 {
		c.Rate = 50
	}
	if c.Mix == (Mix{}) {
		c.Mix = Mix{Get: 10, Create: 20, Login: 2}
	}
	if c.Users == 0 {
		c.Users = 8
	}
	if c.NoLive {
		c.SSE, c.WS = 0, 0
	} else if c.SSE == 0 && c.WS == 0 {
		c.SSE, c.WS = 2, 2
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 256
	}
	if c.Grace == 0 {
		c.Grace = 5 * time.Second
	}
}

// Result is everything a run recorded.
type Result struct {
	Config      Config
	RunID       string
	Start, End  time.Time
	Records     []Record
	Windows     []Window
	Subscribers []*Subscriber
	// Dropped counts requests the generator could not send (MaxInFlight reached).
	Dropped int64
}

// Run drives traffic through the topology's load balancer for
// cfg.Duration while injecting cfg.Faults, and returns what it recorded;
// Check judges it.
func Run(ctx context.Context, t *Topology, cfg Config) (*Result, error) {
	cfg.defaults()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	tr := &traffic{lb: t.LB, run: "so" + hex.EncodeToString(b)}
	if err := tr.setupUsers(ctx, cfg.Users); err != nil {
		return nil, fmt.Errorf("scaleout: set-up: %w", err)
	}
	res := &Result{Config: cfg, RunID: tr.run}

	subCtx, stopSubs := context.WithCancel(ctx)
	var subWG sync.WaitGroup
	var subMu sync.Mutex
	startSub := func(kind string, u *user) {
		subWG.Add(1)
		go func() {
			defer subWG.Done()
			s := subscribe(subCtx, t.LB, kind, u)
			subMu.Lock()
			res.Subscribers = append(res.Subscribers, s)
			subMu.Unlock()
		}()
	}
	for i := range cfg.SSE {
		startSub("sse", tr.users[i%len(tr.users)])
	}
	for i := range cfg.WS {
		startSub("ws", tr.users[(i+cfg.SSE)%len(tr.users)])
	}
	time.Sleep(500 * time.Millisecond) // let them connect before the first write

	res.Start = time.Now()
	// The traffic runs for Duration, and on until every fault has run its
	// course and a few seconds more, so each fault is seen to its end.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	faultCtx, stopFaults := context.WithCancel(ctx)
	defer stopFaults()
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		res.Windows = inject(faultCtx, t, res.Start, cfg.Faults)
	}()
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(cfg.Duration):
		}
		select {
		case <-ctx.Done():
			return
		case <-faultsDone:
		}
		if tail := time.Until(lastWindowEnd(res.Windows).Add(3 * time.Second)); tail > 0 {
			time.Sleep(tail)
		}
		cancel()
	}()
	if cfg.OnTraffic != nil {
		cfg.OnTraffic(true)
	}
	res.Dropped = tr.drive(runCtx, cfg.Rate, cfg.Mix, cfg.MaxInFlight)
	tr.closeIdle()
	if cfg.OnTraffic != nil {
		cfg.OnTraffic(false)
	}
	stopFaults()
	<-faultsDone
	res.End = time.Now()
	// The last broadcasts reach the subscribers.
	time.Sleep(2 * time.Second)
	stopSubs()
	subWG.Wait()
	res.Records = tr.records
	return res, nil
}

func lastWindowEnd(ws []Window) time.Time {
	var t time.Time
	for _, w := range ws {
		if w.To.After(t) {
			t = w.To
		}
	}
	return t
}

// inject runs the faults at their times and returns their windows. A fault
// runs to its end even when the traffic ends first, so every instance is
// up again afterwards.
func inject(ctx context.Context, t *Topology, start time.Time, faults []Fault) []Window {
	var out []Window
	actx := context.WithoutCancel(ctx)
	for _, f := range faults {
		if d := time.Until(start.Add(f.At)); d > 0 {
			select {
			case <-ctx.Done():
				return out
			case <-time.After(d):
			}
		}
		if f.Instance == 0 {
			f.Instance = 1
		}
		if f.Pause == 0 {
			f.Pause = time.Second
		}
		if f.Restart == 0 {
			f.Restart = 2 * time.Second
		}
		w := Window{Fault: f, From: time.Now()}
		var err error
		switch f.Kind {
		case FaultKill:
			if err = t.Kill(actx, f.Instance); err == nil {
				time.Sleep(f.Restart)
				err = t.Start(actx, f.Instance)
			}
		case FaultRolling:
			for i := 1; i <= t.Instances && err == nil; i++ {
				if err = t.Term(actx, i); err == nil {
					err = t.Start(actx, i)
				}
			}
		case FaultPGTerminate:
			_, err = t.TerminateBackends(actx)
		case FaultRedisPause:
			if err = t.PauseRedis(actx, f.Pause); err == nil {
				time.Sleep(f.Pause)
			}
		case FaultRedisRestart:
			err = t.RestartRedis(actx, f.Pause)
		default:
			err = fmt.Errorf("unknown fault %q", f.Kind)
		}
		w.To = time.Now()
		if err != nil {
			w.Err = err.Error()
		}
		out = append(out, w)
	}
	return out
}
