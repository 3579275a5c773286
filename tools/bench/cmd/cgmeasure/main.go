// Command cgmeasure measures instructions per request under callgrind for
// the named servers and endpoints, and prints a markdown table with each
// server's ratio to the first one.
//
//	go run ./cmd/cgmeasure -servers covet,httprouter,gin,echo -endpoints plaintext,json
//	go run ./cmd/cgmeasure -servers pageraw,pagecovet,pagetempl -endpoints page -ref pageraw -gogc 100
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/covetgo/covet/tools/bench/callgrind"
	"github.com/covetgo/covet/tools/bench/suite"
)

func main() {
	servers := flag.String("servers", "covet,httprouter,nethttp,chi,gin,echo,fiber", "servers, comma-separated; ratios are to -ref; a peer's name+timeouts (gin+timeouts) serves it with Covet's timeouts instead of its default configuration")
	endpoints := flag.String("endpoints", "plaintext,json,users,echo,upload,realistic", "endpoints, comma-separated")
	out := flag.String("out", "/tmp/covet-callgrind", "output directory (dumps, logs)")
	parallel := flag.Int("parallel", 2, "servers measured at once")
	scale := flag.Float64("scale", 1, "multiply every endpoint's request count")
	gogc := flag.String("gogc", "off", "the servers' GOGC (off: only the full GC at each mark is counted; 100: a real server's collections too)")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound of each server's whole measurement")
	ref := flag.String("ref", "httprouter", "the server every ratio is to (pageraw for -endpoints page)")
	flag.Parse()
	dir, err := suite.ModuleDir()
	check(err)
	check(callgrind.Available())
	names := strings.Split(*servers, ",")
	bin := filepath.Join(*out, "bin")
	var bins []string
	for _, n := range names {
		b, _, _ := strings.Cut(n, "+")
		if !slices.Contains(bins, b) {
			bins = append(bins, b)
		}
	}
	check(suite.Build(context.Background(), dir, bin, bins...))
	var eps []callgrind.Endpoint
	for _, n := range strings.Split(*endpoints, ",") {
		e, ok := callgrind.EndpointByName(n)
		if !ok {
			check(fmt.Errorf("unknown endpoint %q", n))
		}
		e.N = max(1, int(float64(e.N)**scale))
		eps = append(eps, e)
	}
	start := time.Now()
	var mu sync.Mutex
	var all []callgrind.Result
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for _, s := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rs, err := callgrind.Measure(context.Background(), s, eps, callgrind.Options{BinDir: bin, OutDir: *out, GOGC: *gogc, Timeout: *timeout, Progress: func(m string) { fmt.Fprintln(os.Stderr, m) }})
			check(err)
			mu.Lock()
			all = append(all, rs...)
			mu.Unlock()
			for _, r := range rs {
				fmt.Fprintf(os.Stderr, "%s %s: %.0f instructions/request (I(N)=%d, I(2N)=%d, N=%d)\n", r.Server, r.Endpoint, r.PerRequest, r.IN, r.I2N, r.N)
			}
		}()
	}
	wg.Wait()
	callgrind.SortResults(all)
	fmt.Print(callgrind.Table(all, names, *ref))
	fmt.Fprintf(os.Stderr, "took %s\n", time.Since(start).Round(time.Second))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
