// The baseline for `vitals-bench checks`: the same checks done the way Consul's agent does them
// in Go, one connection per check — net.Dial for tcp, net/http with keep-alives off for https,
// grpc-go's health client on a fresh connection for grpc — by N goroutines for S seconds.
//
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build -o /tmp/checks-bench Benchmarks/go/checks_bench.go
// (Debian: golang-google-grpc-dev). Prints "<type> <completed> <failed> <seconds> <p50-ms> <p99-ms>".
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	if len(os.Args) < 6 {
		fmt.Fprintln(os.Stderr, "usage: checks-bench tcp|https|grpc TARGET CA-FILE CONCURRENCY SECONDS")
		os.Exit(2)
	}
	kind, target, caFile := os.Args[1], os.Args[2], os.Args[3]
	concurrency, _ := strconv.Atoi(os.Args[4])
	seconds, _ := strconv.Atoi(os.Args[5])

	var check func() error
	switch kind {
	case "tcp":
		check = func() error {
			conn, err := net.DialTimeout("tcp", target, 2*time.Second)
			if err == nil {
				conn.Close()
			}
			return err
		}
	case "https":
		pool := x509.NewCertPool()
		pem, err := ioutil.ReadFile(caFile)
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintln(os.Stderr, "cannot read the CA file", caFile)
			os.Exit(2)
		}
		client := &http.Client{
			Timeout:   2 * time.Second,
			Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: pool}},
		}
		check = func() error {
			response, err := client.Get(target)
			if err != nil {
				return err
			}
			io.Copy(ioutil.Discard, io.LimitReader(response.Body, 64*1024))
			response.Body.Close()
			if response.StatusCode/100 != 2 {
				return fmt.Errorf("status %d", response.StatusCode)
			}
			return nil
		}
	case "grpc":
		check = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			conn, err := grpc.DialContext(ctx, target, grpc.WithInsecure(), grpc.WithBlock())
			if err != nil {
				return err
			}
			defer conn.Close()
			answer, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err != nil {
				return err
			}
			if answer.Status != healthpb.HealthCheckResponse_SERVING {
				return fmt.Errorf("%v", answer.Status)
			}
			return nil
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown check type", kind)
		os.Exit(2)
	}

	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var mutex sync.Mutex
	var latencies []float64
	failed := 0
	var group sync.WaitGroup
	start := time.Now()
	for i := 0; i < concurrency; i++ {
		group.Add(1)
		go func() {
			defer group.Done()
			var mine []float64
			bad := 0
			for time.Now().Before(deadline) {
				began := time.Now()
				if err := check(); err != nil {
					bad++
					continue
				}
				mine = append(mine, float64(time.Since(began).Microseconds())/1000)
			}
			mutex.Lock()
			latencies = append(latencies, mine...)
			failed += bad
			mutex.Unlock()
		}()
	}
	group.Wait()
	elapsed := time.Since(start).Seconds()
	sort.Float64s(latencies)
	quantile := func(q float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(q*float64(len(latencies)-1))]
	}
	fmt.Printf("%s %d %d %.3f %.3f %.3f\n", kind, len(latencies), failed, elapsed, quantile(0.5), quantile(0.99))
}
