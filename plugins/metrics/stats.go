package metrics

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	covet "github.com/covetgo/covet/core"
	"github.com/prometheus/client_golang/prometheus"
)

// pluginStats exports, at each scrape, the figures of every plugin of the
// app that implements covet.StatsReporter (core's hook), so plugins need not
// import Prometheus and nothing is wired by hand. A figure Name of plugin P
// is namespace_P_Name (a "-" in P becomes "_"), with "_total" added to a
// counter; its labels are Prometheus labels.
type pluginStats struct {
	ns  string
	app *covet.App

	mu    sync.Mutex
	buf   []covet.Stat          // reused between scrapes
	descs map[descKey]*statDesc // built once per series shape
}

type descKey struct {
	plugin, name string
	labels       int
}

type statDesc struct {
	desc   *prometheus.Desc
	labels []string // label names, in the order of the Stat's Labels
	err    error    // the names or help were refused
}

// Describe sends nothing: the collector is unchecked, as its names are
// known only when the plugins answer.
func (*pluginStats) Describe(chan<- *prometheus.Desc) {}

// Collect reads each reporting plugin's figures and sends them.
func (s *pluginStats) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.descs == nil {
		s.descs = map[descKey]*statDesc{}
	}
	var values []string
	for _, pl := range s.app.Plugins() {
		r, ok := pl.(covet.StatsReporter)
		if !ok {
			continue
		}
		name := pl.Name()
		s.buf = r.AppendStats(s.buf[:0])
		for i := range s.buf {
			st := &s.buf[i]
			d := s.desc(name, st)
			if d.err != nil {
				ch <- prometheus.NewInvalidMetric(d.desc, d.err)
				continue
			}
			values = values[:0]
			for _, l := range st.Labels {
				values = append(values, l.Value)
			}
			t := prometheus.GaugeValue
			if st.Kind == covet.StatCounter {
				t = prometheus.CounterValue
			}
			m, err := prometheus.NewConstMetric(d.desc, t, st.Value, values...)
			if err != nil {
				m = prometheus.NewInvalidMetric(d.desc, err)
			}
			ch <- m
		}
		clear(s.buf) // drop references to the plugins' label slices
	}
}

// desc returns the Desc of a figure, made on first sight of its name and
// label names and kept.
func (s *pluginStats) desc(plugin string, st *covet.Stat) *statDesc {
	k := descKey{plugin: plugin, name: st.Name, labels: len(st.Labels)}
	if d, ok := s.descs[k]; ok && sameLabels(d.labels, st.Labels) {
		return d
	}
	name := st.Name
	if st.Kind == covet.StatCounter {
		name += "_total"
	}
	fq := prometheus.BuildFQName(s.ns, strings.ReplaceAll(plugin, "-", "_"), name)
	labels := make([]string, len(st.Labels))
	for i, l := range st.Labels {
		labels[i] = l.Name
	}
	d := &statDesc{desc: prometheus.NewDesc(fq, st.Help, labels, nil), labels: labels}
	if err := d.desc.Err(); err != nil {
		d.err = fmt.Errorf("metrics: plugin %q figure %q: %w", plugin, st.Name, err)
	}
	if st.Kind != covet.StatCounter && st.Kind != covet.StatGauge {
		d.err = fmt.Errorf("metrics: plugin %q figure %q: unknown kind %d", plugin, st.Name, st.Kind)
	}
	s.descs[k] = d
	return d
}

func sameLabels(names []string, labels []covet.StatLabel) bool {
	return slices.EqualFunc(names, labels, func(n string, l covet.StatLabel) bool { return n == l.Name })
}
