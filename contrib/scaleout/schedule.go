package scaleout

import "time"

// Schedule returns the standard fault plan for a run of duration d over n
// instances: an instance SIGKILLed, PostgreSQL backends terminated, Redis
// paused, Redis restarted (runs of 45 s and more) and a rolling restart of
// every instance, spread over the run with quiet time between them.
func Schedule(d time.Duration, n int) []Fault {
	at := func(f float64) time.Duration { return time.Duration(f * float64(d)) }
	fs := []Fault{
		{Kind: FaultKill, At: at(0.08), Instance: 1 + 1%n},
		{Kind: FaultPGTerminate, At: at(0.25)},
		{Kind: FaultRedisPause, At: at(0.35), Pause: time.Second},
	}
	if d >= 45*time.Second {
		fs = append(fs, Fault{Kind: FaultRedisRestart, At: at(0.45), Pause: time.Second})
	}
	return append(fs, Fault{Kind: FaultRolling, At: at(0.6)})
}
