package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	covet "github.com/covetgo/covet/core"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// QueueView is one queue in the operator view.
type QueueView struct {
	// Name is the queue's name.
	Name string `json:"name"`
	// Paused is set when the queue is paused (River's QueuePause).
	Paused bool `json:"paused"`
	// Counts is the number of jobs per state.
	Counts map[string]int64 `json:"counts"`
	// UpdatedAt is when a client last reported on the queue.
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// JobView is one job in the operator view.
type JobView struct {
	ID          int64                    `json:"id"`
	Kind        string                   `json:"kind"`
	Queue       string                   `json:"queue"`
	State       rivertype.JobState       `json:"state"`
	Priority    int                      `json:"priority"`
	Attempt     int                      `json:"attempt"`
	MaxAttempts int                      `json:"max_attempts"`
	Args        json.RawMessage          `json:"args"`
	Tags        []string                 `json:"tags,omitempty"`
	Errors      []rivertype.AttemptError `json:"errors,omitempty"`
	CreatedAt   time.Time                `json:"created_at"`
	ScheduledAt time.Time                `json:"scheduled_at"`
	AttemptedAt *time.Time               `json:"attempted_at,omitempty"`
	FinalizedAt *time.Time               `json:"finalized_at,omitempty"`
}

func jobView(r *rivertype.JobRow) JobView {
	return JobView{
		ID: r.ID, Kind: r.Kind, Queue: r.Queue, State: r.State, Priority: r.Priority,
		Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, Args: json.RawMessage(r.EncodedArgs),
		Tags: r.Tags, Errors: r.Errors, CreatedAt: r.CreatedAt, ScheduledAt: r.ScheduledAt,
		AttemptedAt: r.AttemptedAt, FinalizedAt: r.FinalizedAt,
	}
}

// maxListed bounds one page of GET path/jobs.
const maxListed = 200

// registerView adds the read-only routes of WithView.
func (p *Plugin) registerView(app *covet.App) {
	g := app.Group(strings.TrimSuffix(p.cfg.viewPath, "/"), p.cfg.viewMW...)
	g.GET("/queues", p.viewQueues)
	g.GET("/jobs", p.viewJobs)
	g.GET("/jobs/{id:int}", p.viewJob)
}

// viewQueues answers every queue River knows of, with its job counts.
func (p *Plugin) viewQueues(c *covet.Context) error {
	cl, _, err := p.clients()
	if err != nil {
		return covet.NewError(http.StatusServiceUnavailable, err.Error())
	}
	ctx := c.Context()
	counts, err := queueCounts(ctx, p.Pool(), p.cfg.schema, nil)
	if err != nil {
		return err
	}
	res, err := cl.QueueList(ctx, river.NewQueueListParams().First(10000))
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	out := []QueueView{}
	for _, q := range res.Queues {
		seen[q.Name] = true
		u := q.UpdatedAt
		out = append(out, QueueView{Name: q.Name, Paused: q.PausedAt != nil, Counts: orEmpty(counts[q.Name]), UpdatedAt: &u})
	}
	for name, cs := range counts {
		if !seen[name] {
			out = append(out, QueueView{Name: name, Counts: cs})
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"queues": out})
}

func orEmpty(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// viewJobs lists jobs, newest first, filtered by ?state=, ?queue=, ?kind=
// (each repeatable or comma-separated) and bounded by ?limit= (default 50,
// at most 200).
func (p *Plugin) viewJobs(c *covet.Context) error {
	cl, _, err := p.clients()
	if err != nil {
		return covet.NewError(http.StatusServiceUnavailable, err.Error())
	}
	q := c.QueryValues()
	limit := 50
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListed {
			return covet.NewError(http.StatusBadRequest, "limit must be an integer from 1 to 200")
		}
		limit = n
	}
	params := river.NewJobListParams().First(limit).OrderBy(river.JobListOrderByID, river.SortOrderDesc)
	if states := list(q["state"]); len(states) > 0 {
		js := make([]rivertype.JobState, 0, len(states))
		known := map[rivertype.JobState]bool{}
		for _, s := range rivertype.JobStates() {
			known[s] = true
		}
		for _, s := range states {
			if !known[rivertype.JobState(s)] {
				return covet.NewError(http.StatusBadRequest, "unknown job state "+strconv.Quote(s))
			}
			js = append(js, rivertype.JobState(s))
		}
		params = params.States(js...)
	}
	qs, ks := list(q["queue"]), list(q["kind"])
	if err := checkNames("queue", qs); err != nil {
		return err
	}
	if err := checkNames("kind", ks); err != nil {
		return err
	}
	if len(qs) > 0 {
		params = params.Queues(qs...)
	}
	if len(ks) > 0 {
		params = params.Kinds(ks...)
	}
	res, err := cl.JobList(c.Context(), params)
	if err != nil {
		return err
	}
	out := make([]JobView, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		out = append(out, jobView(j))
	}
	return c.JSON(http.StatusOK, map[string]any{"jobs": out})
}

// maxNames bounds the queues or kinds one listing filters by.
const maxNames = 100

// checkNames refuses filter values PostgreSQL would refuse (a NUL byte,
// invalid UTF-8: a 500 from the query otherwise) and more than maxNames of
// them, with a 400 naming the parameter.
func checkNames(param string, names []string) error {
	if len(names) > maxNames {
		return covet.NewError(http.StatusBadRequest, fmt.Sprintf("at most %d values of %s", maxNames, param))
	}
	for _, n := range names {
		if !utf8.ValidString(n) || strings.IndexByte(n, 0) >= 0 {
			return covet.NewError(http.StatusBadRequest, param+" must be UTF-8 text without NUL characters")
		}
	}
	return nil
}

func list(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// viewJob answers one job by ID.
func (p *Plugin) viewJob(c *covet.Context) error {
	cl, _, err := p.clients()
	if err != nil {
		return covet.NewError(http.StatusServiceUnavailable, err.Error())
	}
	id, err := c.ParamInt64("id")
	if err != nil {
		return err
	}
	row, err := cl.JobGet(c.Context(), id)
	if errors.Is(err, river.ErrNotFound) {
		return covet.NewError(http.StatusNotFound, "no job with that ID")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, jobView(row))
}
