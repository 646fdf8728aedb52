// Command ec2bench measures ec2emu against its performance targets and
// prints one table: `make bench`.
//
// It drives a real Server through the real aws-sdk-go-v2 EC2 client over a
// loopback listener, with the mock backend (no delay, so the figures are the
// Server's), with the docker backend side by side with the raw Docker Engine
// API doing the same thing through the same Go client, and it reads the
// resident memory of a server process holding 10,000 mock instances. Every
// figure is a median over repeated runs; a ratio is taken against a baseline
// measured in the same run.
//
//	go run ./internal/cmd/ec2bench                 # everything (needs a Docker daemon)
//	go run ./internal/cmd/ec2bench -docker=false   # mock and memory only
//
// The docker part creates its own AMI tag, namespace and containers, and
// removes all of them when it ends (also on Ctrl-C).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	rounds     int           // throughput rounds per figure
	roundTime  time.Duration // length of one throughput round
	runs       int           // latency runs per docker figure
	doMock     bool
	doDocker   bool
	doMemory   bool
	doStore    bool
	memCount   int
	dockerSize int // instances for DescribeInstances over docker
}

func main() {
	var o options
	serve := flag.Bool("serve", false, "internal: run a mock-backed server for the memory figure and print its address")
	flag.IntVar(&o.rounds, "rounds", 5, "throughput rounds per figure (the median is reported)")
	flag.DurationVar(&o.roundTime, "round-time", time.Second, "length of one throughput round")
	flag.IntVar(&o.runs, "runs", 10, "runs per docker latency figure (the median is reported)")
	flag.BoolVar(&o.doMock, "mock", true, "measure the mock backend over loopback HTTP")
	flag.BoolVar(&o.doDocker, "docker", true, "measure the docker backend against the raw engine (needs a Docker daemon)")
	flag.BoolVar(&o.doStore, "store", true, "measure the state store: writes, reads and a restart with 10,000 instances")
	flag.BoolVar(&o.doMemory, "memory", true, "measure the resident memory of a server holding -mem-instances mock instances")
	flag.IntVar(&o.memCount, "mem-instances", 10000, "instances for the memory figure")
	flag.IntVar(&o.dockerSize, "docker-instances", 100, "running docker instances for the DescribeInstances figure")
	flag.Parse()

	if *serve {
		if err := serveChild(); err != nil {
			fmt.Fprintln(os.Stderr, "ec2bench -serve:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t := &table{}
	err := run(ctx, o, t)
	t.print(os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ec2bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, t *table) error {
	note := fmt.Sprintf("%s/%s, %d CPUs, %s; load average at start: %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), loadavg())
	t.note = note
	logf("ec2bench: %s", note)
	if o.doMock {
		if err := benchMock(ctx, o, t); err != nil {
			return fmt.Errorf("mock: %w", err)
		}
	}
	if o.doStore {
		if err := benchStore(ctx, o, t); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := benchRestart(ctx, t); err != nil {
			return fmt.Errorf("store restart: %w", err)
		}
	}
	if o.doMemory {
		if err := benchMemory(ctx, o, t); err != nil {
			return fmt.Errorf("memory: %w", err)
		}
	}
	if o.doDocker {
		if err := benchDocker(ctx, o, t); err != nil {
			return fmt.Errorf("docker: %w", err)
		}
	}
	return nil
}

// logf reports progress on stderr, so stdout holds only the table.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// row is one line of the table.
type row struct {
	name     string // what is measured
	figure   string // the median
	baseline string // the raw engine doing the same, measured in the same run
	ratio    string // figure / baseline
	target   string
	met      string // "yes", "NO" or "" when there is no target
}

type table struct {
	note string
	rows []row
}

func (t *table) add(r row) {
	t.rows = append(t.rows, r)
	logf("  %-58s %s %s %s %s", r.name, r.figure, r.ratio, r.target, r.met)
}

// print writes the table in Markdown, so it pastes into docs/performance.md as is.
func (t *table) print(w io.Writer) {
	head := row{"benchmark", "median", "baseline (same run)", "ratio", "target", "met"}
	rows := append([]row{head}, t.rows...)
	width := make([]int, 6)
	cells := func(r row) []string { return []string{r.name, r.figure, r.baseline, r.ratio, r.target, r.met} }
	for _, r := range rows {
		for i, c := range cells(r) {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(cs []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cs {
			b.WriteString(" " + c + strings.Repeat(" ", width[i]-len([]rune(c))) + " |")
		}
		fmt.Fprintln(w, b.String())
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "ec2bench — %s\n\n", t.note)
	line(cells(head))
	sep := make([]string, 6)
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep)
	for _, r := range t.rows {
		line(cells(r))
	}
}

// atLeast and atMost judge a figure against its target.
func atLeast(v, target float64) string {
	if v >= target {
		return "yes"
	}
	return "NO"
}

func atMost(v, target float64) string {
	if v <= target {
		return "yes"
	}
	return "NO"
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
