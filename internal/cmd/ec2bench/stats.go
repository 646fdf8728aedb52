package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile returns the p-th percentile (0..100, nearest rank) of sorted ds.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// medianDur is the median of ds.
func medianDur(ds []time.Duration) time.Duration {
	f := make([]float64, len(ds))
	for i, d := range ds {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}

// rate is the outcome of a throughput measurement: each figure the median
// over its rounds.
type rate struct {
	rps      float64
	p50, p99 time.Duration
	rounds   int
	requests int
}

func (r rate) String() string {
	return fmt.Sprintf("%s req/s  p50 %s  p99 %s", num(r.rps), dur(r.p50), dur(r.p99))
}

// throughput runs op from conc goroutines for rounds rounds of d each (after
// one discarded warm-up round) and returns the median req/s, p50 and p99
// over the rounds. Any error from op aborts the measurement: a figure built
// on failed requests would be a lie.
func throughput(ctx context.Context, conc, rounds int, d time.Duration, op func(ctx context.Context) error) (rate, error) {
	return throughputWith(ctx, conc, rounds, d, nil, op)
}

// throughputWith is throughput with before, when not nil, called before
// each round (the warm-up included).
func throughputWith(ctx context.Context, conc, rounds int, d time.Duration, before func(), op func(ctx context.Context) error) (rate, error) {
	var rpss, p50s, p99s []float64
	total := 0
	for r := -1; r < rounds; r++ {
		if before != nil {
			before()
		}
		lat, elapsed, err := round(ctx, conc, d, op)
		if err != nil {
			return rate{}, err
		}
		if r < 0 {
			continue // warm-up: connections, caches, the first GC cycles
		}
		slices.Sort(lat)
		rpss = append(rpss, float64(len(lat))/elapsed.Seconds())
		p50s = append(p50s, float64(percentile(lat, 50)))
		p99s = append(p99s, float64(percentile(lat, 99)))
		total += len(lat)
	}
	return rate{rps: median(rpss), p50: time.Duration(median(p50s)), p99: time.Duration(median(p99s)), rounds: rounds, requests: total}, nil
}

// round runs op from conc workers until d has passed and returns every
// request's latency and the time the round took (until the last worker
// finished its last request).
func round(ctx context.Context, conc int, d time.Duration, op func(ctx context.Context) error) ([]time.Duration, time.Duration, error) {
	var (
		mu    sync.Mutex
		all   []time.Duration
		first error
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	deadline := start.Add(d)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := op(ctx); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
					return
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, time.Since(start), first
}

// num formats n with thousands separators and no decimals (one below 10).
func num(n float64) string {
	if n < 10 {
		return fmt.Sprintf("%.1f", n)
	}
	s := fmt.Sprintf("%.0f", n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// dur formats d with three significant figures in a fitting unit.
func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	}
}

// timeoutFor is a generous deadline for n instances to change state.
func timeoutFor(n int) time.Duration {
	return 30*time.Second + time.Duration(n)*100*time.Millisecond
}
