// Package jobs is Covet's durable background jobs plugin, on River
// (github.com/riverqueue/river), a PostgreSQL job queue: typed jobs,
// enqueued inside the request's database transaction when one is open (the
// job exists if and only if the request's writes commit), unique,
// scheduled and periodic jobs, retries with backoff, timeouts, priorities
// and queues. Workers start and stop with the app; River's migrations run
// once at start under an advisory lock; readiness reports the queues; an
// optional read-only JSON view lists queues and jobs for operators.
//
// River does the queueing: this package wires it to the app's lifecycle,
// its transactions and its logger. River's own types (river.JobArgs,
// river.Worker, river.InsertOpts, river.PeriodicJob) are used as they are.
package jobs
