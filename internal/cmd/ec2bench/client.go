package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// listen serves h on a fresh 127.0.0.1 port and returns its URL and a
// function that stops it.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close() }, nil
}

// newClient returns an SDK client for the emulator at url acting as account
// in region. Retries are off: a failed request must fail the benchmark, not
// be hidden by a second attempt (and its backoff).
func newClient(url, account, region string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:           region,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(account, "test", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: ownBody{sharedTransport}},
	})
}

var sharedTransport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}

// ownBody gives net/http a request body of its own. smithy-go closes the
// request body as soon as the response arrives, while net/http's writeLoop
// may still make its final read of it; that read then fails and net/http
// closes the connection under the response being read ("use of closed
// network connection", aws/aws-sdk-go-v2#2737). Over loopback the Server
// answers fast enough to lose that race every few requests, and the SDK's
// retry (with backoff) would then dominate the figures. The SDK still
// builds, signs and decodes every request; only the body's lifetime changes.
type ownBody struct{ rt http.RoundTripper }

func (o ownBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return o.rt.RoundTrip(req)
}

// runInstances launches n instances of ami and returns their IDs.
func runInstances(ctx context.Context, c *ec2.Client, ami string, n int) ([]string, error) {
	out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(int32(n)), MaxCount: aws.Int32(int32(n))})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(out.Instances))
	for _, inst := range out.Instances {
		ids = append(ids, aws.ToString(inst.InstanceId))
	}
	if len(ids) != n {
		return nil, fmt.Errorf("RunInstances launched %d instances, want %d", len(ids), n)
	}
	return ids, nil
}

// errTimeout is returned when instances do not reach a state in time.
var errTimeout = errors.New("timed out")

// waitState polls DescribeInstances for ids every interval until all are in
// state, and returns when the poll that saw it was sent.
//
// Each poll asks only for the instances already in state (or terminated,
// to fail fast): polling is the bench's own work, on the cores the engine
// needs too, and the SDK spends about 0.2 ms of CPU decoding each instance
// of a reply, so a 2 ms poll of every instance would itself slow what it
// measures, most of all when 20 instances launch at once.
func waitState(ctx context.Context, c *ec2.Client, ids []string, state types.InstanceStateName, interval, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	states := []string{string(state)}
	if state != types.InstanceStateNameTerminated {
		states = append(states, string(types.InstanceStateNameTerminated))
	}
	in := &ec2.DescribeInstancesInput{InstanceIds: ids,
		Filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: states}}}
	for {
		out, err := c.DescribeInstances(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("waiting for %d instances to be %s: %w", len(ids), state, errTimeout)
			}
			return err
		}
		n, bad := 0, ""
		for _, r := range out.Reservations {
			for _, inst := range r.Instances {
				switch st := inst.State.Name; st {
				case state:
					n++
				case types.InstanceStateNameTerminated:
					if state != types.InstanceStateNameTerminated {
						bad = aws.ToString(inst.InstanceId) + " terminated: " + aws.ToString(inst.StateReason.Message)
					}
				}
			}
		}
		if bad != "" {
			return errors.New(bad)
		}
		if n == len(ids) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d instances to be %s (%d are): %w", len(ids), state, n, errTimeout)
		case <-time.After(interval):
		}
	}
}

// waitNonePending polls until no instance of the client's zone is pending,
// with a filter, so it works for thousands of instances.
func waitNonePending(ctx context.Context, c *ec2.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{
			Filters:    []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending"}}},
			MaxResults: aws.Int32(5),
		})
		if err != nil {
			return err
		}
		if len(out.Reservations) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("instances still pending: %w", errTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// countInstances returns how many instances one DescribeInstances without
// arguments returns.
func countInstances(ctx context.Context, c *ec2.Client) (int, error) {
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	return n, nil
}

// launchAccounts spreads launches over accounts, a new one every 1,000
// calls, so that no account's default subnet (4,091 addresses) fills up
// however fast the Server is.
type launchAccounts struct {
	base    int64
	n       atomic.Int64
	clients sync.Map // account → *ec2.Client
}

func (a *launchAccounts) next() string { return strconv.FormatInt(a.base+a.n.Add(1)/1000, 10) }

// client returns the SDK client of the next call's account for url.
func (a *launchAccounts) client(url, region string) *ec2.Client {
	acct := a.next()
	if c, ok := a.clients.Load(url + " " + acct); ok {
		return c.(*ec2.Client)
	}
	c, _ := a.clients.LoadOrStore(url+" "+acct, newClient(url, acct, region))
	return c.(*ec2.Client)
}

// raw returns a raw-HTTP call posting form in the next call's account.
func (a *launchAccounts) raw(url, region, form string) func(ctx context.Context) error {
	return func(ctx context.Context) error { return rawPost(url, a.next(), region, form)(ctx) }
}
