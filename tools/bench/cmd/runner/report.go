package main

import (
	"fmt"
	"image/color"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

type cell struct {
	rps, p99, p50, hwm []float64
	errors, non2xx     int64
	byRound            map[int]float64
}

func collect(runs []Run) map[string]map[string]*cell {
	m := map[string]map[string]*cell{}
	for _, r := range runs {
		if m[r.Endpoint] == nil {
			m[r.Endpoint] = map[string]*cell{}
		}
		c := m[r.Endpoint][r.Server]
		if c == nil {
			c = &cell{byRound: map[int]float64{}}
			m[r.Endpoint][r.Server] = c
		}
		c.rps = append(c.rps, r.RPS)
		c.p99 = append(c.p99, r.P99ms)
		c.p50 = append(c.p50, r.P50ms)
		c.hwm = append(c.hwm, float64(r.HWMKiB)/1024)
		c.errors += r.Errors
		c.non2xx += r.Non2xx
		c.byRound[r.Round] = r.RPS
	}
	return m
}

// roundRatio is the median over rounds of a's req/s divided by b's in the
// same round.
func roundRatio(a, b *cell) float64 {
	var rs []float64
	for round, v := range a.byRound {
		if w, ok := b.byRound[round]; ok && w > 0 {
			rs = append(rs, v/w)
		}
	}
	return median(rs)
}

func machine() string {
	var parts []string
	if out, err := exec.Command("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").Output(); err == nil {
		parts = append(parts, fmt.Sprintf("%d × %s", runtime.NumCPU(), strings.TrimSpace(string(out))))
	}
	if out, err := exec.Command("sh", "-c", "awk '/MemTotal/ {printf \"%.0f GiB\", $2/1048576}' /proc/meminfo").Output(); err == nil {
		parts = append(parts, string(out))
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		parts = append(parts, "kernel "+strings.TrimSpace(string(out)))
	}
	parts = append(parts, runtime.Version())
	if out, err := exec.Command("sh", "-c", "cut -d' ' -f1-3 /proc/loadavg").Output(); err == nil {
		parts = append(parts, "load average at the end "+strings.TrimSpace(string(out)))
	}
	return strings.Join(parts, ", ")
}

func renderReport(cfg config, servers []string, runs []Run, conf []string, wall time.Duration) string {
	m := collect(runs)
	var b strings.Builder
	fmt.Fprintf(&b, "Load: `wrk -t1 -c%d -d%s --latency` after a %s warm-up, server on CPU 0 (Go: GOMAXPROCS=1; Python: one worker), wrk on CPU 1; %d rounds, servers interleaved within each round, a fresh server process for every run. Wall time %s.\n\n",
		cfg.conns, cfg.duration, cfg.warmup, cfg.rounds, wall)
	fmt.Fprintf(&b, "Machine: %s.\n\n", machine())
	b.WriteString("#### Conformance\n\n| server | setup | result |\n|---|---|---|\n")
	for _, c := range conf {
		b.WriteString(c + "\n")
	}
	b.WriteString("\n#### Median req/s\n\n| server |")
	for _, e := range cfg.eps {
		fmt.Fprintf(&b, " %s |", e)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(cfg.eps)) + "\n")
	for _, s := range servers {
		fmt.Fprintf(&b, "| %s |", s)
		for _, e := range cfg.eps {
			if c := m[e][s]; c != nil {
				fmt.Fprintf(&b, " %.0f |", median(c.rps))
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	for _, e := range cfg.eps {
		ref := m[e]["httprouter"]
		fa := m[e]["fastapi"]
		fl := m[e]["flask"]
		fmt.Fprintf(&b, "\n#### %s\n\n", e)
		b.WriteString("| server | req/s median | req/s min–max | × httprouter | × FastAPI | × Flask | p99 ms median | p99 ms min–max | p50 ms | VmHWM MiB | errors / non-2xx |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range servers {
			c := m[e][s]
			if c == nil {
				continue
			}
			ratio := func(ref *cell) string {
				if ref == nil {
					return "–"
				}
				return fmt.Sprintf("%.2f", roundRatio(c, ref))
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.0f–%.0f | %s | %s | %s | %.2f | %.2f–%.2f | %.2f | %.1f | %d / %d |\n",
				s, median(c.rps), slices.Min(c.rps), slices.Max(c.rps), ratio(ref), ratio(fa), ratio(fl),
				median(c.p99), slices.Min(c.p99), slices.Max(c.p99), median(c.p50), median(c.hwm), c.errors, c.non2xx)
		}
	}
	b.WriteString("\nRatios (× httprouter, × FastAPI, × Flask) are medians of the per-round ratios: each round's req/s over the reference's in the same round.\n")
	return b.String()
}

// chart draws, per endpoint, each server's req/s as a multiple of
// httprouter's in the same round (median over rounds), one bar per server:
// every endpoint on one scale, the 1 MiB uploads included.
func chart(cfg config, servers []string, runs []Run, path string) error {
	m := collect(runs)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("req/s as a multiple of httprouter's (median of %d interleaved rounds; one server core, wrk -c%d)", cfg.rounds, cfg.conns)
	p.Y.Label.Text = "× httprouter"
	p.Y.Min = 0
	w := vg.Points(70 / float64(max(1, len(servers))))
	palette := []color.RGBA{
		{0xd6, 0x27, 0x28, 255}, {0x1f, 0x77, 0xb4, 255}, {0xae, 0xc7, 0xe8, 255}, {0x2c, 0xa0, 0x2c, 255},
		{0x98, 0xdf, 0x8a, 255}, {0xff, 0x7f, 0x0e, 255}, {0x94, 0x67, 0xbd, 255}, {0x8c, 0x56, 0x4b, 255},
		{0x7f, 0x7f, 0x7f, 255},
	}
	top := 0.0
	for i, s := range servers {
		vals := make(plotter.Values, len(cfg.eps))
		for j, e := range cfg.eps {
			c, ref := m[e][s], m[e]["httprouter"]
			if c != nil && ref != nil {
				vals[j] = roundRatio(c, ref)
				top = max(top, vals[j])
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = 0
		bars.Color = palette[i%len(palette)]
		bars.Offset = vg.Length(float64(i)-float64(len(servers)-1)/2) * w
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(one)
	p.Y.Max = top * 1.35
	var ticks []plot.Tick
	for v := 0.0; v <= p.Y.Max; v += 0.25 {
		t := plot.Tick{Value: v}
		if int(v*4)%2 == 0 {
			t.Label = strconv.FormatFloat(v, 'f', 1, 64)
		}
		ticks = append(ticks, t)
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(2)
	p.NominalX(cfg.eps...)
	p.X.Min, p.X.Max = -0.6, float64(len(cfg.eps))-0.4
	return p.Save(30*vg.Centimeter, 14*vg.Centimeter, path)
}
