package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
)

// serveChild is the -serve mode: a Server over a delay-free mock backend on
// a loopback port, printed on stdout, until stdin closes. The memory figure
// is read from this process, so the SDK and the measuring code are not in it.
func serveChild() error {
	srv := ec2emu.New(mock.New(mock.WithDelay(0)), ec2emu.WithVcpuLimit(1<<30))
	defer srv.Close()
	url, stop, err := listen(srv)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Println(url)
	io.Copy(io.Discard, os.Stdin) // the parent closes stdin when it is done
	return nil
}

// benchMemory starts a server process, fills it with o.memCount running mock
// instances in one account and region through the SDK, and reads its
// resident set size from /proc.
func benchMemory(ctx context.Context, o options, t *table) error {
	logf("memory: a server process holding %d mock instances", o.memCount)
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, "-serve")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("server process: %w", err)
	}
	url := strings.TrimSpace(line)
	pid := cmd.Process.Pid

	idle, err := medianRSS(pid)
	if err != nil {
		return err
	}
	c := newClient(url, "111111111111", "us-east-1")
	start := time.Now()
	for left := o.memCount; left > 0; left -= 1000 {
		if _, err := runInstances(ctx, c, mockAMI, min(left, 1000)); err != nil {
			return err
		}
	}
	if err := waitNonePending(ctx, c, timeoutFor(o.memCount)); err != nil {
		return err
	}
	logf("  %d instances running after %s", o.memCount, time.Since(start).Round(time.Millisecond))
	full, err := medianRSS(pid)
	if err != nil {
		return err
	}
	const target = 100 << 20
	t.add(row{
		name:   fmt.Sprintf("Resident memory, server process with %s running mock instances", num(float64(o.memCount))),
		figure: fmt.Sprintf("%s (idle server: %s)", mib(full), mib(idle)),
		target: "≤ 100 MiB", met: atMost(float64(full), target),
	})

	// Describing every instance fills the DescribeInstances cache to its
	// bound and leaves the largest reply buffers in the pool.
	if err := describeAll(ctx, url, "111111111111", "us-east-1", 1000); err != nil {
		return err
	}
	described, err := medianRSS(pid)
	if err != nil {
		return err
	}
	// No target: most of the growth is the garbage collector's headroom
	// over the replies just built (GOGC), which GOMEMLIMIT bounds.
	t.add(row{
		name:   "Resident memory, the same after DescribeInstances of them all, in pages of 1,000",
		figure: mib(described),
	})
	return nil
}

var nextTokenRe = regexp.MustCompile(`<nextToken>([^<]+)</nextToken>`)

// describeAll pages through every instance of the zone with raw HTTP.
func describeAll(ctx context.Context, url, account, region string, page int) error {
	token := ""
	for {
		form := fmt.Sprintf("Action=DescribeInstances&Version=2016-11-15&MaxResults=%d", page)
		if token != "" {
			form += "&NextToken=" + token
		}
		body, err := fetch(ctx, url, account, region, form)
		if err != nil {
			return err
		}
		m := nextTokenRe.FindSubmatch(body)
		if m == nil {
			return nil
		}
		token = string(m[1])
	}
}

// medianRSS reads VmRSS of pid five times, 100ms apart, and returns the
// median in bytes.
func medianRSS(pid int) (int64, error) {
	var xs []float64
	for i := range 5 {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		n, err := rss(pid)
		if err != nil {
			return 0, err
		}
		xs = append(xs, float64(n))
	}
	return int64(median(xs)), nil
}

// rss returns VmRSS of pid in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
