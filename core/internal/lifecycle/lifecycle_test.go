package lifecycle

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

type plug struct {
	name     string
	after    []string
	startErr error
	log      *[]string
}

func (p *plug) Name() string         { return p.name }
func (p *plug) StartAfter() []string { return p.after }
func (p *plug) Cleanup() error       { *p.log = append(*p.log, "cleanup "+p.name); return nil }
func (p *plug) Stop(context.Context) error {
	*p.log = append(*p.log, "stop "+p.name)
	return nil
}
func (p *plug) Start(context.Context) error {
	*p.log = append(*p.log, "start "+p.name)
	return p.startErr
}

func names(ps []*plug) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.name)
	}
	return out
}

func TestOrder(t *testing.T) {
	var log []string
	a := &plug{name: "a", after: []string{"c"}, log: &log}
	b := &plug{name: "b", log: &log}
	c := &plug{name: "c", after: []string{"missing"}, log: &log}
	got, err := Order([]*plug{a, b, c})
	if err != nil || !slices.Equal(names(got), []string{"b", "c", "a"}) {
		t.Fatalf("got %v, %v", names(got), err)
	}
	c.after = []string{"a"}
	if _, err := Order([]*plug{a, b, c}); err == nil || !strings.Contains(err.Error(), "StartAfter cycle") {
		t.Fatalf("cycle: got %v", err)
	}
}

func TestFailedStartStopsAndCleansUp(t *testing.T) {
	var log []string
	boom := errors.New("boom")
	ps := []*plug{{name: "a", log: &log}, {name: "b", startErr: boom, log: &log}, {name: "c", log: &log}}
	var l Lifecycle[*plug]
	err := l.Start(context.Background(), ps, func() {}, func() { t.Error("started hook ran after a failed start") })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	want := []string{"start a", "start b", "stop a", "cleanup c", "cleanup b", "cleanup a"}
	if !slices.Equal(log, want) {
		t.Fatalf("log %v, want %v", log, want)
	}
	if err := l.Stop(context.Background(), ps); err != nil || len(log) != len(want) {
		t.Fatalf("second cleanup: %v, log %v", err, log)
	}
}
