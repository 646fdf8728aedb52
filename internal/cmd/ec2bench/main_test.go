package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as its own -serve child for the
// memory figure, as the ec2bench binary does.
func TestMain(m *testing.M) {
	if os.Getenv("EC2BENCH_TEST_SERVE") == "1" {
		if err := serveChild(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The mock and memory parts run end to end with tiny settings and fill the
// table: one row per figure, each with a measured value. Speed is not
// judged here; that is the benchmark's job.
func TestMockAndMemoryRows(t *testing.T) {
	if testing.Short() {
		t.Skip("launches 1,400 instances and runs every mock figure briefly")
	}
	t.Setenv("EC2BENCH_TEST_SERVE", "1") // inherited by the child started below
	o := options{rounds: 1, roundTime: 50 * time.Millisecond, runs: 1, memCount: 300}
	tb := &table{}
	if err := benchMock(t.Context(), o, tb); err != nil {
		t.Fatal(err)
	}
	if err := benchMemory(t.Context(), o, tb); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range tb.rows {
		names = append(names, r.name)
		if r.figure == "" || strings.HasPrefix(r.figure, "0 req/s") || strings.HasPrefix(r.figure, "0.0 req/s") {
			t.Errorf("row %q has no measured figure: %q", r.name, r.figure)
		}
		if (r.target == "") != (r.met == "") {
			t.Errorf("row %q: target %q but met %q", r.name, r.target, r.met)
		}
	}
	if len(tb.rows) != 14 {
		t.Errorf("got %d rows, want 14:\n%s", len(tb.rows), strings.Join(names, "\n"))
	}
	var out bytes.Buffer
	tb.print(&out)
	if lines := strings.Count(out.String(), "\n| "); lines != 2+14 { // header, separator, rows
		t.Errorf("table has %d row lines:\n%s", lines, out.String())
	}
}
