// The baseline for `vitals-bench parse`: Go's expfmt.TextParser (what Prometheus' own tools use)
// on the same exposition file, best of N runs, printing MB/s and samples/s.
//
// Built in GOPATH mode against Debian's packages (golang-go, golang-github-prometheus-common-dev):
//   GOPATH=/usr/share/gocode GO111MODULE=off go build -o /tmp/expfmt-bench Benchmarks/go/expfmt_bench.go
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/common/expfmt"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: expfmt-bench FILE [RUNS]")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runs := 5
	if len(os.Args) > 2 {
		runs, _ = strconv.Atoi(os.Args[2])
	}
	best := time.Duration(1<<63 - 1)
	samples := 0
	for i := 0; i < runs; i++ {
		var parser expfmt.TextParser
		start := time.Now()
		families, err := parser.TextToMetricFamilies(bytes.NewReader(data))
		elapsed := time.Since(start)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		samples = 0
		for _, family := range families {
			for _, metric := range family.Metric {
				if h := metric.GetHistogram(); h != nil {
					samples += len(h.Bucket) + 2
				} else if s := metric.GetSummary(); s != nil {
					samples += len(s.Quantile) + 2
				} else {
					samples++
				}
			}
		}
		if elapsed < best {
			best = elapsed
		}
	}
	seconds := best.Seconds()
	fmt.Printf("%d %d %.6f\n", len(data), samples, seconds)
}
