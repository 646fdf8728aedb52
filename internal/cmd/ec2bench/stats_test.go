package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStats(t *testing.T) {
	ms := time.Millisecond
	sorted := []time.Duration{1 * ms, 2 * ms, 3 * ms, 4 * ms, 5 * ms, 6 * ms, 7 * ms, 8 * ms, 9 * ms, 100 * ms}
	got := []any{
		median([]float64{3, 1, 2}), median([]float64{4, 1, 3, 2}), median(nil),
		percentile(sorted, 50), percentile(sorted, 99), percentile(sorted, 0), percentile(nil, 50),
		medianDur([]time.Duration{5 * ms, 1 * ms, 3 * ms}),
		num(3.14159), num(999), num(1234), num(1234567.4),
		dur(2500 * ms), dur(42 * ms), dur(1500 * time.Microsecond), dur(250 * time.Microsecond),
		atLeast(3000, 3000), atLeast(2999, 3000), atMost(1.1, 1.1), atMost(1.2, 1.1),
	}
	want := []any{
		2.0, 2.5, 0.0,
		5 * ms, 100 * ms, 1 * ms, time.Duration(0),
		3 * ms,
		"3.1", "999", "1,234", "1,234,567",
		"2.50s", "42ms", "1.50ms", "250µs",
		"yes", "NO", "yes", "NO",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
