package otel

import (
	"context"
	"errors"
	"fmt"
	"sync"

	covet "github.com/covetgo/covet/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// pluginStats exports the figures of the app's plugins that implement
// covet.StatsReporter as observable instruments on the meter provider: a
// figure Name of plugin P is the instrument "covet.P.Name" (an
// ObservableCounter or ObservableGauge), its labels attributes. The
// instruments are made in Start, when every plugin is installed.
type pluginStats struct {
	reg metric.Registration

	mu   sync.Mutex
	buf  []covet.Stat
	sets map[*covet.StatLabel]attribute.Set // by the plugins' shared label slices
}

// statsSource is a reporting plugin and its instruments by figure name.
type statsSource struct {
	r   covet.StatsReporter
	obs map[string]metric.Float64Observable
}

// registerStats makes the instruments of every reporting plugin of app and
// registers the callback that reads them at each collection.
func registerStats(mp metric.MeterProvider, app *covet.App) (*pluginStats, error) {
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version))
	ps := &pluginStats{sets: map[*covet.StatLabel]attribute.Set{}}
	var sources []statsSource
	var list []metric.Observable
	for _, pl := range app.Plugins() {
		r, ok := pl.(covet.StatsReporter)
		if !ok {
			continue
		}
		src := statsSource{r: r, obs: map[string]metric.Float64Observable{}}
		for _, st := range r.AppendStats(nil) {
			if _, done := src.obs[st.Name]; done {
				continue // another series of the same figure
			}
			name := "covet." + pl.Name() + "." + st.Name
			var o metric.Float64Observable
			var err error
			switch st.Kind {
			case covet.StatCounter:
				o, err = m.Float64ObservableCounter(name, metric.WithDescription(st.Help))
			case covet.StatGauge:
				o, err = m.Float64ObservableGauge(name, metric.WithDescription(st.Help))
			default:
				err = fmt.Errorf("unknown kind %d", st.Kind)
			}
			if err != nil {
				return nil, fmt.Errorf("otel: plugin %q figure %q: %w", pl.Name(), st.Name, err)
			}
			src.obs[st.Name] = o
			list = append(list, o)
		}
		sources = append(sources, src)
	}
	if len(list) == 0 {
		return ps, nil
	}
	reg, err := m.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		for _, src := range sources {
			ps.buf = src.r.AppendStats(ps.buf[:0])
			for i := range ps.buf {
				st := &ps.buf[i]
				o, ok := src.obs[st.Name]
				if !ok {
					continue // a name it did not report at Start
				}
				if len(st.Labels) == 0 {
					ob.ObserveFloat64(o, st.Value)
					continue
				}
				ob.ObserveFloat64(o, st.Value, metric.WithAttributeSet(ps.set(st.Labels)))
			}
			clear(ps.buf)
		}
		return nil
	}, list...)
	if err != nil {
		return nil, fmt.Errorf("otel: plugin figures: %w", err)
	}
	ps.reg = reg
	return ps, nil
}

// set returns the attribute set of a label slice, made once: plugins build
// their label slices once and share them (covet.Stat's contract), so the
// first element's address identifies them.
func (ps *pluginStats) set(labels []covet.StatLabel) attribute.Set {
	if s, ok := ps.sets[&labels[0]]; ok {
		return s
	}
	kvs := make([]attribute.KeyValue, len(labels))
	for i, l := range labels {
		kvs[i] = attribute.String(l.Name, l.Value)
	}
	s := attribute.NewSet(kvs...)
	if len(ps.sets) < 10000 { // a plugin that builds labels per call: do not grow without bound
		ps.sets[&labels[0]] = s
	}
	return s
}

// unregister stops the collection of the figures.
func (ps *pluginStats) unregister() error {
	if ps == nil || ps.reg == nil {
		return nil
	}
	return errors.Join(ps.reg.Unregister())
}
