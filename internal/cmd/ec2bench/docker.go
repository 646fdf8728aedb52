package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

const (
	// pollInterval is how often the emulator is asked whether a change is
	// done; it bounds the measurement error of each emulator figure.
	pollInterval = 2 * time.Millisecond
	// manyPollInterval is the same for MaxCount=20, whose figure is
	// seconds: 20ms is under 1% of it, and spares the engine's cores the
	// bench's own polling (see waitState).
	manyPollInterval = 20 * time.Millisecond
	// gap separates the steps of one instance's lifecycle, on both sides:
	// the docker backend keeps a pause and the next unpause of one
	// container 200ms apart (Docker's late containerd event would otherwise
	// undo the second), and a user's stop and start are seconds apart.
	gap = 300 * time.Millisecond
	// rawLabel marks the containers made for the raw-engine baselines.
	rawLabel = "ec2bench.raw"
)

// benchDocker measures the docker backend through the Server and the SDK,
// side by side with the raw Docker Engine API doing the same through the same
// Go client, in the same run.
func benchDocker(ctx context.Context, o options, t *table) error {
	cli, err := dockertest.Connect(ctx)
	if err != nil {
		return fmt.Errorf("no Docker daemon answers (%w); run scripts/ensure-docker.sh", err)
	}
	defer cli.Close()
	if _, err := exec.LookPath("docker"); err != nil {
		return fmt.Errorf("the docker CLI is needed for the `docker run -d` reference: %w", err)
	}
	ns := "ec2bench-" + randHex(6)
	amiID := "ami-" + randHex(6)
	ref, err := dockertest.TagAMI(ctx, cli, "ec2bench", amiID)
	if err != nil {
		return err
	}
	logf("docker backend vs the raw engine (%d runs per figure; namespace %s, image %s)", o.runs, ns, ref)
	// Everything this run made goes, whatever happens: its containers (by
	// label) and its AMI tag (the base image keeps its own tag).
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		for _, key := range []string{docker.LabelNamespace, rawLabel} {
			if err := dockertest.RemoveContainers(cctx, cli, key, ns); err != nil {
				logf("cleanup: %v", err)
			}
		}
		if _, err := cli.ImageRemove(cctx, ref, image.RemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			logf("cleanup: remove %s: %v", ref, err)
		}
	}()

	be, err := docker.New(ctx, docker.WithNamespace(ns))
	if err != nil {
		return err
	}
	// The bench holds 100 instances in one account, over the default quota of 20.
	srv := ec2emu.New(be, ec2emu.WithVcpuLimit(1<<30))
	defer func() {
		srv.Close()
		be.Close()
	}()
	url, stop, err := listen(srv)
	if err != nil {
		return err
	}
	defer stop()
	c := newClient(url, "111111111111", "us-east-1")
	raw := &rawEngine{cli: cli, ref: ref, ns: ns}
	// One untimed launch of each warms the image and the client caches.
	if err := warmUp(ctx, c, raw, amiID); err != nil {
		return err
	}

	var emu, eng lifecycle
	var cliRun, direct []time.Duration
	for i := range o.runs {
		// Alternate who goes first, so neither always meets a busier engine.
		first, second := func() error { return emu.add(emuLifecycle(ctx, c, amiID)) }, func() error { return eng.add(raw.lifecycle(ctx)) }
		if i%2 == 1 {
			first, second = second, first
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		d, err := raw.cliRun(ctx)
		if err != nil {
			return err
		}
		cliRun = append(cliRun, d)
		b, err := backendLaunch(ctx, be, amiID, fmt.Sprintf("i-%s%05d", randHex(6), i))
		if err != nil {
			return err
		}
		direct = append(direct, b)
		logf("  run %d/%d: launch %s vs %s, stop %s vs %s, start %s vs %s, terminate %s vs %s, docker run -d %s, backend Launch %s", i+1, o.runs,
			dur(emu.launch[i]), dur(eng.launch[i]), dur(emu.stop[i]), dur(eng.stop[i]),
			dur(emu.start[i]), dur(eng.start[i]), dur(emu.terminate[i]), dur(eng.terminate[i]), dur(d), dur(b))
	}
	oneLaunch := medianDur(emu.launch)
	for _, s := range []struct {
		name       string
		emu, eng   []time.Duration
		engName    string
		limit      float64
		targetText string
	}{
		{"RunInstances → running (1 instance)", emu.launch, eng.launch, "create+start", 1.1, "≤ 1.1× raw"},
		{"StopInstances → stopped", emu.stop, eng.stop, "pause", 2, "≤ 2× raw"},
		{"StartInstances → running", emu.start, eng.start, "unpause", 2, "≤ 2× raw"},
		{"TerminateInstances → terminated", emu.terminate, eng.terminate, "remove -f", 0, ""},
	} {
		e, r := medianDur(s.emu), medianDur(s.eng)
		rw := row{name: "docker: " + s.name, figure: dur(e), baseline: s.engName + " " + dur(r), ratio: fmt.Sprintf("%.2f×", ratio(e, r)), target: s.targetText}
		if s.limit > 0 {
			rw.met = atMost(ratio(e, r), s.limit)
		}
		t.add(rw)
	}
	t.add(row{name: "docker: `docker run -d` CLI, for reference", figure: dur(medianDur(cliRun)),
		baseline: "create+start " + dur(medianDur(eng.launch)), ratio: fmt.Sprintf("%.2f×", ratio(medianDur(cliRun), medianDur(eng.launch)))})
	t.add(row{name: "docker: backend Launch alone (no Server, SDK or polling), for reference", figure: dur(medianDur(direct)),
		baseline: "create+start " + dur(medianDur(eng.launch)), ratio: fmt.Sprintf("%.2f×", ratio(medianDur(direct), medianDur(eng.launch)))})

	// MaxCount=20: all running, against one launch of this run.
	var many, manyRaw []time.Duration
	for i := range o.runs {
		d, err := emuMany(ctx, c, amiID, 20)
		if err != nil {
			return err
		}
		r, err := raw.many(ctx, 20)
		if err != nil {
			return err
		}
		many, manyRaw = append(many, d), append(manyRaw, r)
		logf("  MaxCount=20 run %d/%d: %s vs 20 concurrent create+start %s", i+1, o.runs, dur(d), dur(r))
	}
	m, mr := medianDur(many), medianDur(manyRaw)
	t.add(row{name: "docker: RunInstances MaxCount=20 → all running", figure: fmt.Sprintf("%s (%.2f× one launch)", dur(m), ratio(m, oneLaunch)),
		baseline: "20 concurrent create+start " + dur(mr), ratio: fmt.Sprintf("%.2f×", ratio(m, mr)),
		target: "≤ 4× one launch", met: atMost(ratio(m, oneLaunch), 4)})

	// DescribeInstances over running docker instances, in an account of
	// their own: the instances terminated above stay describable for an
	// hour and would swell the replies.
	const acct = "222222222222"
	c = newClient(url, acct, "us-east-1")
	logf("  launching %d docker instances", o.dockerSize)
	ids, err := runInstances(ctx, c, amiID, o.dockerSize)
	if err != nil {
		return err
	}
	// The engine's pace varies a lot between machines and with load (20
	// concurrent create+start took 2.9 s on a quiet day and 7.7 s on another), so
	// the deadline follows this run's MaxCount=20 figure, with room to spare.
	deadline := max(timeoutFor(o.dockerSize), 3*m*time.Duration(o.dockerSize)/20)
	if err := waitState(ctx, c, ids, types.InstanceStateNameRunning, 100*time.Millisecond, deadline); err != nil {
		return err
	}
	if got, err := countInstances(ctx, c); err != nil {
		return err
	} else if got != o.dockerSize {
		return fmt.Errorf("DescribeInstances returned %d instances, want %d", got, o.dockerSize)
	}
	const form = "Action=DescribeInstances&Version=2016-11-15"
	reply, err := fetch(ctx, url, acct, "us-east-1", form)
	if err != nil {
		return err
	}
	call := func(c *ec2.Client) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}
	}
	name := fmt.Sprintf("docker: DescribeInstances, %d running instances (%s KiB reply)", o.dockerSize, num(float64(len(reply))/1024))
	if err := sdkAndRaw(ctx, o, t, name, url, acct, "us-east-1", form, reply, call, "≥ 1,000 req/s", 1000); err != nil {
		return err
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		return err
	}
	return waitState(ctx, c, ids, types.InstanceStateNameTerminated, 100*time.Millisecond, deadline)
}

// lifecycle holds one side's timings, one per run.
type lifecycle struct {
	launch, stop, start, terminate []time.Duration
}

func (l *lifecycle) add(d [4]time.Duration, err error) error {
	if err != nil {
		return err
	}
	l.launch, l.stop = append(l.launch, d[0]), append(l.stop, d[1])
	l.start, l.terminate = append(l.start, d[2]), append(l.terminate, d[3])
	return nil
}

// emuLifecycle launches one instance and stops, starts and terminates it,
// each step timed from the request until a DescribeInstances sees the state.
func emuLifecycle(ctx context.Context, c *ec2.Client, ami string) ([4]time.Duration, error) {
	var out [4]time.Duration
	t0 := time.Now()
	ids, err := runInstances(ctx, c, ami, 1)
	if err != nil {
		return out, err
	}
	if err := waitState(ctx, c, ids, types.InstanceStateNameRunning, pollInterval, time.Minute); err != nil {
		return out, err
	}
	out[0] = time.Since(t0)
	steps := []struct {
		call func() error
		want types.InstanceStateName
	}{
		{func() error { _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids}); return err }, types.InstanceStateNameStopped},
		{func() error { _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids}); return err }, types.InstanceStateNameRunning},
		{func() error {
			_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
			return err
		}, types.InstanceStateNameTerminated},
	}
	for i, s := range steps {
		if err := sleep(ctx, gap); err != nil {
			return out, err
		}
		t0 := time.Now()
		if err := s.call(); err != nil {
			return out, err
		}
		if err := waitState(ctx, c, ids, s.want, pollInterval, time.Minute); err != nil {
			return out, err
		}
		out[i+1] = time.Since(t0)
	}
	return out, nil
}

// emuMany launches n instances in one request and times it until all run;
// then it terminates them and waits for that, untimed.
func emuMany(ctx context.Context, c *ec2.Client, ami string, n int) (time.Duration, error) {
	t0 := time.Now()
	ids, err := runInstances(ctx, c, ami, n)
	if err != nil {
		return 0, err
	}
	if err := waitState(ctx, c, ids, types.InstanceStateNameRunning, manyPollInterval, timeoutFor(n)); err != nil {
		return 0, err
	}
	d := time.Since(t0)
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		return 0, err
	}
	return d, waitState(ctx, c, ids, types.InstanceStateNameTerminated, 20*time.Millisecond, timeoutFor(n))
}

// backendLaunch times the docker backend's own Launch of one instance, to
// running with its address, as the Server calls it; then it terminates the
// instance, untimed. Beside the RunInstances figure it shows what of that
// is the backend's and what the request, the polling and the Server's.
func backendLaunch(ctx context.Context, be *docker.Backend, ami, id string) (time.Duration, error) {
	t0 := time.Now()
	_, err := be.Launch(ctx, backend.LaunchSpec{InstanceID: id, ImageID: ami, InstanceType: "t3.micro"})
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	return d, be.Terminate(ctx, id)
}

func warmUp(ctx context.Context, c *ec2.Client, raw *rawEngine, ami string) error {
	ids, err := runInstances(ctx, c, ami, 1)
	if err != nil {
		return err
	}
	if err := waitState(ctx, c, ids, types.InstanceStateNameRunning, pollInterval, time.Minute); err != nil {
		return err
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		return err
	}
	if err := waitState(ctx, c, ids, types.InstanceStateNameTerminated, pollInterval, time.Minute); err != nil {
		return err
	}
	_, err = raw.lifecycle(ctx)
	return err
}

// rawEngine is the baseline: the Docker Engine API through the same Go
// client the backend uses, doing what `docker run -d`, `docker pause`,
// `docker unpause` and `docker rm -f` do.
type rawEngine struct {
	cli *client.Client
	ref string
	ns  string
}

func (r *rawEngine) config() *container.Config {
	// The image's own CMD (/bin/sh) would exit at once; a sleeping
	// container is the running one an instance is compared with.
	return &container.Config{Image: r.ref, Cmd: []string{"sleep", "3600"}, Labels: map[string]string{rawLabel: r.ns}}
}

func (r *rawEngine) launch(ctx context.Context) (string, error) {
	created, err := r.cli.ContainerCreate(ctx, r.config(), nil, nil, nil, "")
	if err != nil {
		return "", err
	}
	return created.ID, r.cli.ContainerStart(ctx, created.ID, container.StartOptions{})
}

func (r *rawEngine) lifecycle(ctx context.Context) ([4]time.Duration, error) {
	var out [4]time.Duration
	t0 := time.Now()
	id, err := r.launch(ctx)
	if err != nil {
		return out, err
	}
	out[0] = time.Since(t0)
	steps := []func() error{
		func() error { return r.cli.ContainerPause(ctx, id) },
		func() error { return r.cli.ContainerUnpause(ctx, id) },
		func() error { return r.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}) },
	}
	for i, step := range steps {
		if err := sleep(ctx, gap); err != nil {
			return out, err
		}
		t0 := time.Now()
		if err := step(); err != nil {
			return out, err
		}
		out[i+1] = time.Since(t0)
	}
	return out, nil
}

// many creates and starts n containers at once and returns when all run;
// then it removes them, untimed.
func (r *rawEngine) many(ctx context.Context, n int) (time.Duration, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ids   []string
		first error
	)
	t0 := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := r.launch(ctx)
			mu.Lock()
			defer mu.Unlock()
			if id != "" {
				ids = append(ids, id)
			}
			if err != nil && first == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	d := time.Since(t0)
	for _, id := range ids {
		if err := r.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}); err != nil && first == nil {
			first = err
		}
	}
	return d, first
}

// cliRun times `docker run -d` of the same image and command, then removes
// the container, untimed.
func (r *rawEngine) cliRun(ctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	out, err := exec.CommandContext(ctx, "docker", "run", "-d", "--label", rawLabel+"="+r.ns, r.ref, "sleep", "3600").CombinedOutput()
	d := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("docker run -d: %w: %s", err, out)
	}
	id := strings.TrimSpace(string(out))
	if err := r.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}); err != nil {
		return 0, err
	}
	return d, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
