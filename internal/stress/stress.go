// Package stress drives one ec2emu Server with many concurrent SDK clients
// acting on overlapping instances, then checks that EC2's view and the
// backend's agree. The mock and docker tests share it.
package stress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
)

// Config says how hard to push.
type Config struct {
	// Backend is the backend under test; Run closes it.
	Backend backend.Backend
	// ImageID is a launchable AMI.
	ImageID string
	// Clients is the number of concurrent SDK clients (each its own
	// connection pool).
	Clients int
	// Rounds is how many operations each client makes.
	Rounds int
	// MaxInstances caps launches over the whole run (docker: keep it small).
	MaxInstances int
	// MaxImages caps CreateImage calls that succeed over the whole run.
	MaxImages int
	// Settle bounds the wait for every instance and image to leave its
	// transitional state at the end.
	Settle time.Duration
	// AfterSettle, if set, runs once every instance is settled, before the
	// final clean-up, with each launched instance's final EC2 state.
	AfterSettle func(t *testing.T, states map[string]types.InstanceStateName)
	// AfterCleanup, if set, runs once every instance has been terminated.
	AfterCleanup func(t *testing.T, ids []string)
}

// legal lists the error codes each operation may answer when clients race
// on the same instances: anything else (NotFound for an ID that was
// launched, InternalError, Unavailable…) is a bug.
var legal = map[string][]string{
	"RunInstances":       nil,
	"DescribeInstances":  nil,
	"StopInstances":      {"IncorrectInstanceState"},
	"StartInstances":     {"IncorrectInstanceState"},
	"RebootInstances":    {"IncorrectInstanceState"},
	"TerminateInstances": nil,
	"CreateImage":        {"IncorrectInstanceState"},
}

var states = []types.InstanceStateName{"pending", "running", "stopping", "stopped", "shutting-down", "terminated"}

// run is the shared state of one stress run.
type run struct {
	t   *testing.T
	cfg Config

	mu       sync.Mutex
	ids      []string        // every instance ID RunInstances answered, in order
	seen     map[string]bool // the same, as a set
	amis     []string        // every AMI CreateImage answered
	launched atomic.Int64
	imaged   atomic.Int64
	codes    sync.Map // "Action code" → count, for the log
}

// Run starts a Server over cfg.Backend on loopback, runs cfg.Clients clients
// for cfg.Rounds operations each, checks the invariants, terminates
// everything, closes the Server and the backend, and checks that no
// goroutine outlives them.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	baseline := runtime.NumGoroutine()
	// The harness bounds launches itself (MaxInstances, checked before each
	// request, so concurrent clients may overshoot by one each); the account
	// quota is not what is under test here.
	srv := ec2emu.New(cfg.Backend, ec2emu.WithVcpuLimit(cfg.MaxInstances+cfg.Clients))
	hs := httptest.NewServer(srv)
	closed := false
	closeAll := func() {
		if closed {
			return
		}
		closed = true
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Server.Close: %v", err)
		}
		if err := cfg.Backend.Close(); err != nil {
			t.Errorf("backend Close: %v", err)
		}
	}
	defer closeAll()

	r := &run{t: t, cfg: cfg, seen: map[string]bool{}}
	var transports []*http.Transport
	clients := make([]*ec2.Client, cfg.Clients)
	for i := range clients {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		transports = append(transports, tr)
		clients[i] = ec2.New(ec2.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(hs.URL),
			Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
			HTTPClient:   &http.Client{Transport: ownBody{tr}},
			// One attempt: every answer of the Server, 5xx included, must
			// reach the test, not be retried away.
			RetryMaxAttempts: 1,
		})
	}
	ctx, cancel := context.WithTimeout(t.Context(), cfg.Settle+5*time.Minute)
	defer cancel()

	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for range cfg.Rounds {
				if ctx.Err() != nil {
					return
				}
				r.step(ctx, c, rng, i)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d clients × %d rounds: %d instances, %d images in %v; errors by code: %s",
		cfg.Clients, cfg.Rounds, r.launched.Load(), r.imaged.Load(), time.Since(start).Round(time.Millisecond), r.codeSummary())
	if len(r.ids) == 0 {
		t.Fatal("the run launched no instance")
	}

	c := clients[0]
	// EC2's view and the machines agree eventually, not at once: a reboot
	// keeps the instance running while its machine restarts, and drift
	// reaches the Server through the event stream. Wait for agreement.
	var final map[string]types.InstanceStateName
	deadline := time.Now().Add(cfg.Settle)
	for {
		final = r.settle(ctx, c)
		problems := r.compare(ctx, final)
		if len(problems) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, p := range problems {
				t.Error(p)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.settleImages(ctx, c)
	if cfg.AfterSettle != nil {
		cfg.AfterSettle(t, final)
	}

	// Clean up: terminate everything, deregister every image.
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: r.ids}); err != nil {
		t.Errorf("final TerminateInstances: %v", err)
	}
	for _, st := range r.settle(ctx, c) {
		if st != types.InstanceStateNameTerminated {
			t.Errorf("after the final terminate an instance is %s", st)
			break
		}
	}
	if ms, err := cfg.Backend.Machines(ctx); err != nil || len(ms) != 0 {
		t.Errorf("after terminating everything the backend still has %d machines (err %v)", len(ms), err)
	}
	for _, ami := range r.amis {
		if _, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(ami)}); err != nil {
			t.Errorf("DeregisterImage %s: %v", ami, err)
		}
	}
	if cfg.AfterCleanup != nil {
		cfg.AfterCleanup(t, r.ids)
	}

	closeAll()
	for _, tr := range transports {
		tr.CloseIdleConnections()
	}
	waitGoroutines(t, baseline)
}

// ownBody hands the transport a copy of each request body. The SDK closes
// the body it made once the answer's headers are in, and the transport may
// still be reading it then; it then closes the connection under the answer
// being read ("use of closed network connection" with status 200,
// aws/aws-sdk-go-v2#2737). That race is the client's, not the Server's.
type ownBody struct{ rt http.RoundTripper }

func (o ownBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		r.ContentLength = int64(len(b))
	}
	return o.rt.RoundTrip(r)
}

// step makes one random operation.
func (r *run) step(ctx context.Context, c *ec2.Client, rng *rand.Rand, client int) {
	pick := func(n int) []string {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.ids) == 0 {
			return nil
		}
		out := make([]string, 0, n)
		for range n {
			id := r.ids[rng.IntN(len(r.ids))]
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		return out
	}
	var action string
	var err error
	switch op := rng.IntN(16); {
	case op < 3 || len(pick(1)) == 0:
		action = "RunInstances"
		n := int64(1 + rng.IntN(3))
		if r.launched.Add(n) > int64(r.cfg.MaxInstances) {
			r.launched.Add(-n)
			action = "DescribeInstances"
			err = r.describe(ctx, c, nil)
			break
		}
		var out *ec2.RunInstancesOutput
		out, err = c.RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: aws.String(r.cfg.ImageID), MinCount: aws.Int32(1), MaxCount: aws.Int32(int32(n)),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
				Tags: []types.Tag{{Key: aws.String("client"), Value: aws.String(fmt.Sprint(client))}}}},
		})
		if err == nil {
			r.mu.Lock()
			for _, inst := range out.Instances {
				id := aws.ToString(inst.InstanceId)
				if r.seen[id] {
					r.t.Errorf("RunInstances answered instance ID %s twice", id)
				}
				r.seen[id] = true
				r.ids = append(r.ids, id)
			}
			r.mu.Unlock()
			if len(out.Instances) != int(n) {
				r.t.Errorf("RunInstances MaxCount=%d launched %d", n, len(out.Instances))
			}
		} else {
			r.launched.Add(-n)
		}
	case op < 6:
		action = "DescribeInstances"
		// Mostly by ID: a full listing of every instance costs the SDK far
		// more to decode than anything costs the Server.
		var ids []string
		if rng.IntN(8) != 0 {
			ids = pick(1 + rng.IntN(4))
		}
		err = r.describe(ctx, c, ids)
	case op < 8:
		action = "StopInstances"
		var out *ec2.StopInstancesOutput
		if out, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: pick(1 + rng.IntN(2))}); err == nil {
			r.checkChanges(action, out.StoppingInstances)
		}
	case op < 10:
		action = "StartInstances"
		var out *ec2.StartInstancesOutput
		if out, err = c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: pick(1 + rng.IntN(2))}); err == nil {
			r.checkChanges(action, out.StartingInstances)
		}
	case op < 12:
		action = "RebootInstances"
		_, err = c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: pick(1 + rng.IntN(2))})
	case op < 13:
		action = "TerminateInstances"
		var out *ec2.TerminateInstancesOutput
		if out, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: pick(1)}); err == nil {
			r.checkChanges(action, out.TerminatingInstances)
		}
	default:
		action = "CreateImage"
		if r.imaged.Add(1) > int64(r.cfg.MaxImages) {
			r.imaged.Add(-1)
			action = "DescribeInstances"
			err = r.describe(ctx, c, nil)
			break
		}
		var out *ec2.CreateImageOutput
		out, err = c.CreateImage(ctx, &ec2.CreateImageInput{
			InstanceId: aws.String(pick(1)[0]), Name: aws.String(fmt.Sprintf("stress-%d-%d", client, rng.Uint32())), NoReboot: aws.Bool(true),
		})
		if err == nil {
			r.mu.Lock()
			r.amis = append(r.amis, aws.ToString(out.ImageId))
			r.mu.Unlock()
		} else {
			r.imaged.Add(-1)
		}
	}
	r.checkErr(action, err)
}

// checkErr fails the test on an error the action may not answer.
func (r *run) checkErr(action string, err error) {
	if err == nil {
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		r.t.Errorf("%s: %v (not an EC2 error)", action, err)
		return
	}
	n, _ := r.codes.LoadOrStore(action+" "+ae.ErrorCode(), new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	if !slices.Contains(legal[action], ae.ErrorCode()) {
		var re *awshttp.ResponseError
		status := 0
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
		r.t.Errorf("%s answered %d %s: %s", action, status, ae.ErrorCode(), ae.ErrorMessage())
	}
}

func (r *run) codeSummary() string {
	var parts []string
	r.codes.Range(func(k, v any) bool {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	slices.Sort(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

func (r *run) checkChanges(action string, changes []types.InstanceStateChange) {
	for _, ch := range changes {
		if !slices.Contains(states, ch.CurrentState.Name) || !slices.Contains(states, ch.PreviousState.Name) {
			r.t.Errorf("%s: %s went %q → %q", action, aws.ToString(ch.InstanceId), ch.PreviousState.Name, ch.CurrentState.Name)
		}
	}
}

// describe calls DescribeInstances and checks that no instance appears twice
// and every state is one of EC2's.
func (r *run) describe(ctx context.Context, c *ec2.Client, ids []string) error {
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		return err
	}
	_, err = r.index(out)
	return err
}

// index maps the instances of a DescribeInstances answer to their states,
// failing on duplicates and unknown states.
func (r *run) index(out *ec2.DescribeInstancesOutput) (map[string]types.InstanceStateName, error) {
	got := map[string]types.InstanceStateName{}
	for _, res := range out.Reservations {
		for _, inst := range res.Instances {
			id := aws.ToString(inst.InstanceId)
			if _, dup := got[id]; dup {
				r.t.Errorf("DescribeInstances lists %s twice", id)
			}
			if inst.State == nil || !slices.Contains(states, inst.State.Name) {
				r.t.Errorf("DescribeInstances: %s has state %+v", id, inst.State)
				continue
			}
			got[id] = inst.State.Name
		}
	}
	return got, nil
}

// settle waits until no launched instance is in a transitional state and
// returns every launched instance's state; each must be listed exactly once.
func (r *run) settle(ctx context.Context, c *ec2.Client) map[string]types.InstanceStateName {
	r.t.Helper()
	deadline := time.Now().Add(r.cfg.Settle)
	for {
		out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
		if err != nil {
			r.t.Fatalf("DescribeInstances: %v", err)
		}
		got, _ := r.index(out)
		busy := []string{}
		for id, st := range got {
			if st == "pending" || st == "stopping" || st == "shutting-down" {
				busy = append(busy, id+"="+string(st))
			}
		}
		if len(busy) == 0 {
			if len(got) != len(r.ids) {
				r.t.Errorf("DescribeInstances lists %d instances, %d were launched", len(got), len(r.ids))
			}
			for _, id := range r.ids {
				if _, ok := got[id]; !ok {
					r.t.Errorf("launched instance %s is not described", id)
				}
			}
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("after %v instances are still in transition: %v", r.cfg.Settle, busy)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// compare checks EC2's settled view against the backend's machines: a
// running or stopped instance has a machine in that state, a terminated one
// has none, and the backend has no machine EC2 does not know. It returns
// what disagrees.
func (r *run) compare(ctx context.Context, final map[string]types.InstanceStateName) []string {
	r.t.Helper()
	ms, err := r.cfg.Backend.Machines(ctx)
	if err != nil {
		r.t.Fatalf("Machines: %v", err)
	}
	var problems []string
	machines := map[string]backend.State{}
	for _, m := range ms {
		if _, dup := machines[m.ID]; dup {
			problems = append(problems, fmt.Sprintf("backend lists machine %s twice", m.ID))
		}
		machines[m.ID] = m.State
		if _, ok := final[m.ID]; !ok {
			problems = append(problems, fmt.Sprintf("backend runs machine %s (%s) that EC2 does not describe", m.ID, m.State))
		}
	}
	counts := map[types.InstanceStateName]int{}
	for id, st := range final {
		counts[st]++
		m, ok := machines[id]
		switch st {
		case types.InstanceStateNameTerminated:
			if ok {
				problems = append(problems, fmt.Sprintf("%s is terminated but the backend still has its machine (%s)", id, m))
			}
		case types.InstanceStateNameRunning, types.InstanceStateNameStopped:
			if !ok || string(m) != string(st) {
				problems = append(problems, fmt.Sprintf("%s is %s but the backend's machine is %q (exists %v)", id, st, m, ok))
			}
		default:
			problems = append(problems, fmt.Sprintf("%s settled in %s", id, st))
		}
	}
	if len(problems) == 0 {
		r.t.Logf("settled: %v", counts)
	}
	return problems
}

// settleImages waits until no image made by CreateImage is pending; each
// must end available.
func (r *run) settleImages(ctx context.Context, c *ec2.Client) {
	r.t.Helper()
	if len(r.amis) == 0 {
		return
	}
	deadline := time.Now().Add(r.cfg.Settle)
	for {
		out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: r.amis})
		if err != nil {
			r.t.Fatalf("DescribeImages: %v", err)
		}
		pending := 0
		for _, img := range out.Images {
			switch img.State {
			case types.ImageStatePending:
				pending++
			case types.ImageStateAvailable:
			default:
				r.t.Errorf("image %s ended %s (%v)", aws.ToString(img.ImageId), img.State, img.StateReason)
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("after %v %d images are still pending", r.cfg.Settle, pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGoroutines waits until the goroutine count is back to baseline, and
// fails with every goroutine's stack if it does not come back in time.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Errorf("%d goroutines 15s after Close, %d before the Server started:\n%s", n, baseline, b.String())
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
