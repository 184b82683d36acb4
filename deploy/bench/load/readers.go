package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// endpoint is one read the API clients make.
type endpoint struct{ name, path string }

// readEndpoints are the main read endpoints a dashboard or an analyst
// calls, with the paging a UI would ask for.
var readEndpoints = []endpoint{
	{"inventory/summary", "/api/v1/inventory/summary"},
	{"assets", "/api/v1/assets?limit=100"},
	{"findings", "/api/v1/findings?limit=100"},
	{"datamap", "/api/v1/datamap"},
	{"principals", "/api/v1/principals?limit=100"},
	{"risk/assets", "/api/v1/risk/assets?limit=20"},
}

// latencies collects request durations by endpoint.
type latencies struct {
	mu     sync.Mutex
	by     map[string][]time.Duration
	errors map[string]int
	sample map[string]string // first error per endpoint
}

func newLatencies() *latencies {
	return &latencies{by: map[string][]time.Duration{}, errors: map[string]int{}, sample: map[string]string{}}
}

func (l *latencies) add(name string, d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errors[name]++
		if _, ok := l.sample[name]; !ok {
			l.sample[name] = err.Error()
		}
		return
	}
	l.by[name] = append(l.by[name], d)
}

// readLoop calls the endpoints in turn, starting at offset, until ctx is
// done. A request cut off by the end of the window is not counted.
func readLoop(ctx context.Context, client *http.Client, base, token string, offset int, l *latencies) {
	for i := offset; ctx.Err() == nil; i++ {
		e := readEndpoints[i%len(readEndpoints)]
		d, err := get(ctx, client, base+e.path, token)
		if ctx.Err() != nil {
			return
		}
		l.add(e.name, d, err)
	}
}

func get(ctx context.Context, client *http.Client, url, token string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start) // the whole answer read, as a client sees it
	if err != nil {
		return 0, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %s", resp.Status)
	}
	return d, nil
}

// Percentiles of a set of durations (nearest rank).
type Percentiles struct {
	N             int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(pct int) time.Duration {
		// Nearest rank: the smallest value with at least pct% of the set
		// at or below it, ceil(pct*n/100) in integers (no float rounding).
		k := (pct*len(s)+99)/100 - 1
		return s[min(max(k, 0), len(s)-1)]
	}
	return Percentiles{N: len(s), P50: rank(50), P95: rank(95), P99: rank(99), Max: s[len(s)-1]}
}

// EndpointLatency is one row of the API report.
type EndpointLatency struct {
	Name string
	Percentiles
	Errors     int
	FirstError string
}

// report returns each endpoint's percentiles, in readEndpoints order, and
// the overall ones.
func (l *latencies) report() ([]EndpointLatency, EndpointLatency) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rows []EndpointLatency
	var all []time.Duration
	overall := EndpointLatency{Name: "overall"}
	for _, e := range readEndpoints {
		ds := l.by[e.name]
		all = append(all, ds...)
		rows = append(rows, EndpointLatency{Name: e.name, Percentiles: percentiles(ds), Errors: l.errors[e.name], FirstError: l.sample[e.name]})
		overall.Errors += l.errors[e.name]
		if overall.FirstError == "" {
			overall.FirstError = l.sample[e.name]
		}
	}
	overall.Percentiles = percentiles(all)
	return rows, overall
}
