// Package testutil holds the few helpers the tests of several packages
// share, so each is written once: reading tags, and waiting on a condition
// with a deadline instead of sleeping and hoping.
package testutil

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TagMap returns tags as a map from key to value, for comparing with
// cmp.Diff whatever their order.
func TagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// pollEvery is how often WaitFor asks: often enough that a test does not
// wait long past the change, rarely enough not to load a shared machine.
const pollEvery = 25 * time.Millisecond

// WaitFor polls cond until it holds, and fails the test if it does not
// within timeout, with what it waited for and cond's last description of
// what it saw.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (ok bool, saw string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last saw: %s", timeout, what, saw)
		}
		time.Sleep(pollEvery)
	}
}

// Until is WaitFor for a condition with nothing to say about what it saw.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, timeout, what, func() (bool, string) { return cond(), "" })
}

// WaitStates waits until every one of ids is in state want, as
// DescribeInstances shows it, failing the test after timeout.
func WaitStates(t testing.TB, c *ec2.Client, timeout time.Duration, want types.InstanceStateName, ids ...string) {
	t.Helper()
	WaitFor(t, timeout, fmt.Sprintf("%v to be %s", ids, want), func() (bool, string) {
		got, err := States(t.Context(), c, ids...)
		if err != nil {
			return false, err.Error()
		}
		for _, id := range ids {
			if got[id] != want {
				return false, fmt.Sprint(got)
			}
		}
		return true, ""
	})
}

// States returns the state of each of ids that DescribeInstances shows.
func States(ctx context.Context, c *ec2.Client, ids ...string) (map[string]types.InstanceStateName, error) {
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		return nil, err
	}
	got := map[string]types.InstanceStateName{}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			got[aws.ToString(i.InstanceId)] = i.State.Name
		}
	}
	return got, nil
}

// VPCRange returns a random /24 in 10.128.0.0/9 for a test's VPC: tests of
// several packages make VPCs on one Docker engine at once, the engine
// refuses overlapping networks, and 32,768 ranges make a clash unlikely.
func VPCRange() netip.Prefix {
	var b [2]byte
	rand.Read(b[:])
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 128 | b[0]>>1, b[1], 0}), 24)
}
