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
	rs, err := interleaved(ctx, conc, rounds, d, []func(){before}, op)
	if err != nil {
		return rate{}, err
	}
	return rs[0], nil
}

// interleaved measures several ops round by round in turn (op 0's round 1,
// op 1's round 1, op 0's round 2, …), so that a figure and its baseline see
// the same changes in the machine's load. before[i], when given and not
// nil, is called before each of op i's rounds.
func interleaved(ctx context.Context, conc, rounds int, d time.Duration, before []func(), ops ...func(ctx context.Context) error) ([]rate, error) {
	type acc struct{ rps, p50, p99 []float64 }
	accs := make([]acc, len(ops))
	for r := -1; r < rounds; r++ {
		for i, op := range ops {
			if i < len(before) && before[i] != nil {
				before[i]()
			}
			lat, elapsed, err := round(ctx, conc, d, op)
			if err != nil {
				return nil, err
			}
			if r < 0 {
				continue // warm-up: connections, caches, the first GC cycles
			}
			slices.Sort(lat)
			a := &accs[i]
			a.rps = append(a.rps, float64(len(lat))/elapsed.Seconds())
			a.p50 = append(a.p50, float64(percentile(lat, 50)))
			a.p99 = append(a.p99, float64(percentile(lat, 99)))
		}
	}
	out := make([]rate, len(ops))
	for i, a := range accs {
		out[i] = rate{rps: median(a.rps), p50: time.Duration(median(a.p50)), p99: time.Duration(median(a.p99)), rounds: rounds}
	}
	return out, nil
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
