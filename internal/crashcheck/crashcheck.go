// Package crashcheck drives a Server with a state directory through
// concurrent writes while it is killed, and checks what a restarted Server
// shows against what each client was told: every write answered 2xx is
// visible, no write answered with an EC2 error is, a write cut off by the
// kill (no answer) may be either, and each machine the backend runs belongs
// to exactly one instance. The in-process test and the real-process test
// share it.
package crashcheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// fate is what the store must show for one write's effect.
type fate uint8

const (
	absent  fate = iota // never acknowledged, or answered with an error
	present             // acknowledged
	either              // cut off by the kill
)

func (f fate) String() string { return [...]string{"absent", "present", "either"}[f] }

// after is the fate of an object once a write that makes it (present) or
// removes it (absent) got outcome o.
func after(prev fate, want fate, o outcome) fate {
	switch o {
	case ok:
		return want
	case cut:
		if prev == want {
			return want
		}
		return either
	}
	return prev // an error changes nothing
}

type outcome uint8

const (
	ok     outcome = iota
	failed         // an EC2 error answer
	cut            // no answer: the connection died with the server
)

func outcomeOf(err error) outcome {
	var ae smithy.APIError
	switch {
	case err == nil:
		return ok
	case errors.As(err, &ae):
		return failed
	}
	return cut
}

// Model is what the clients were told, across rounds.
type Model struct {
	// MaxLaunches bounds the RunInstances of each client in a round (0:
	// every third step), so a real engine is not swamped.
	MaxLaunches int

	mu       sync.Mutex
	keyPairs map[string]fate
	groups   map[string]fate   // by name
	rules    map[string]fate   // group name + "/" + port
	tags     map[string]fate   // group name + "/" + key
	bad      map[string]bool   // group names whose create must have failed
	runs     map[string]fate   // client token → its instance exists
	stopped  map[string]bool   // client token → a stop or terminate was acknowledged
	gone     map[string]bool   // client token → a terminate was acknowledged
	counts   map[outcome]int   // outcomes seen, for the test's log
	errs     map[string]string // unexpected EC2 errors, by request
}

// NewModel returns an empty model.
func NewModel() *Model {
	return &Model{keyPairs: map[string]fate{}, groups: map[string]fate{}, rules: map[string]fate{}, tags: map[string]fate{},
		bad: map[string]bool{}, runs: map[string]fate{}, stopped: map[string]bool{}, gone: map[string]bool{},
		counts: map[outcome]int{}, errs: map[string]string{}}
}

// Counts reports how many writes were acknowledged, failed and cut off.
func (m *Model) Counts() (acked, failed_, cutOff int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[ok], m.counts[failed], m.counts[cut]
}

// Run runs clients writers against c until each has had a write cut off
// (the server was killed) or ctx ends. Round numbers keep names unique
// across rounds. ami is the image instances launch from.
func (m *Model) Run(ctx context.Context, c *ec2.Client, round, clients int, ami string) {
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			m.client(ctx, c, fmt.Sprintf("r%d-c%d", round, i), ami, rand.New(rand.NewPCG(uint64(round), uint64(i))))
		})
	}
	wg.Wait()
}

func (m *Model) note(o outcome) {
	m.counts[o]++
}

// client writes in its own objects, one request at a time, so at most its
// last request is cut off.
func (m *Model) client(ctx context.Context, c *ec2.Client, me string, ami string, rnd *rand.Rand) {
	var lastToken string
	launches := 0
	for n := 0; ctx.Err() == nil; n++ {
		kp := fmt.Sprintf("%s-k%d", me, n)
		grp := fmt.Sprintf("%s-g%d", me, n)
		steps := []func() outcome{
			func() outcome {
				_, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String(kp), KeyType: types.KeyTypeEd25519})
				return m.record("CreateKeyPair "+kp, err, func(o outcome) { m.keyPairs[kp] = after(m.keyPairs[kp], present, o) })
			},
			func() outcome {
				_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(grp), Description: aws.String("crash test")})
				return m.record("CreateSecurityGroup "+grp, err, func(o outcome) { m.groups[grp] = after(m.groups[grp], present, o) })
			},
			func() outcome {
				// Must fail: the VPC does not exist. Nothing may be left.
				bad := grp + "-bad"
				_, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(bad), Description: aws.String("x"),
					VpcId: aws.String("vpc-0000000000000dead")})
				o := outcomeOf(err)
				m.mu.Lock()
				defer m.mu.Unlock()
				m.note(o)
				if o == ok {
					m.errs["CreateSecurityGroup "+bad] = "succeeded in a VPC that does not exist"
				}
				if o == failed {
					m.bad[bad] = true
				}
				return o
			},
			func() outcome {
				port := int32(1000 + n)
				_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupName: aws.String(grp),
					IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
						IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}})
				k := grp + "/" + strconv.Itoa(int(port))
				return m.record("Authorize "+k, err, func(o outcome) { m.rules[k] = after(m.rules[k], present, o) })
			},
			func() outcome {
				id, err := m.groupID(ctx, c, grp)
				if err != nil {
					return m.record("DescribeSecurityGroups "+grp, err, func(outcome) {})
				}
				_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("n"), Value: aws.String(strconv.Itoa(n))}}})
				k := grp + "/n"
				return m.record("CreateTags "+k, err, func(o outcome) { m.tags[k] = after(m.tags[k], present, o) })
			},
			func() outcome {
				if n == 0 {
					return ok
				}
				prev := fmt.Sprintf("%s-k%d", me, n-1)
				_, err := c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String(prev)})
				return m.record("DeleteKeyPair "+prev, err, func(o outcome) { m.keyPairs[prev] = after(m.keyPairs[prev], absent, o) })
			},
		}
		if n%3 == 0 && (m.MaxLaunches == 0 || launches < m.MaxLaunches) {
			launches++
			token := fmt.Sprintf("%s-t%d", me, n)
			steps = append(steps, func() outcome {
				_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
					ClientToken: aws.String(token), InstanceType: types.InstanceTypeT3Nano})
				o := m.record("RunInstances "+token, err, func(o outcome) { m.runs[token] = after(m.runs[token], present, o) })
				if o == ok {
					if lastToken != "" {
						m.stopOrTerminate(ctx, c, lastToken, rnd.IntN(2) == 0)
					}
					lastToken = token
				}
				return o
			})
		}
		for _, step := range steps {
			if ctx.Err() != nil || step() == cut {
				return
			}
		}
	}
}

// stopOrTerminate stops (or terminates) the instance launched with token,
// once it runs.
func (m *Model) stopOrTerminate(ctx context.Context, c *ec2.Client, token string, terminate bool) {
	id, err := instanceOf(ctx, c, token)
	if err != nil || id == "" {
		return // cut off, or not found yet: not a write
	}
	if terminate {
		_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
		m.record("TerminateInstances "+token, err, func(o outcome) {
			if o == ok {
				m.gone[token] = true
			}
		})
		return
	}
	_, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	m.record("StopInstances "+token, err, func(o outcome) {
		if o == ok {
			m.stopped[token] = true
		}
	})
}

// record notes a write's outcome and applies it with set, under the lock.
// An EC2 error is unexpected for every write but the bad group's.
func (m *Model) record(what string, err error, set func(outcome)) outcome {
	o := outcomeOf(err)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.note(o)
	if o == failed {
		// Stop can fail with IncorrectInstanceState while pending: that
		// is an honest answer, not a fault.
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() != "IncorrectInstanceState" {
			m.errs[what] = err.Error()
		}
	}
	set(o)
	return o
}

func (m *Model) groupID(ctx context.Context, c *ec2.Client, name string) (string, error) {
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{name}})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.SecurityGroups[0].GroupId), nil
}

func instanceOf(ctx context.Context, c *ec2.Client, token string) (string, error) {
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{
		{Name: aws.String("client-token"), Values: []string{token}},
		{Name: aws.String("instance-state-name"), Values: []string{"running"}}}})
	if err != nil {
		return "", err
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			return aws.ToString(i.InstanceId), nil
		}
	}
	return "", nil
}

// Check compares what c shows with the model. machines lists the IDs of
// the machines the backend runs (not terminated); it is polled until
// reconciliation has settled or the deadline passes. It returns every
// discrepancy.
func (m *Model) Check(ctx context.Context, c *ec2.Client, machines func(context.Context) ([]string, error)) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var bad []string
	for what, e := range m.errs {
		bad = append(bad, fmt.Sprintf("%s: unexpected answer: %s", what, e))
	}
	v, err := observe(ctx, c)
	if err != nil {
		return append(bad, err.Error())
	}
	for name := range v.groups {
		if m.bad[name] {
			bad = append(bad, "group "+name+" exists though its create failed")
		}
	}
	bad = append(bad, compare("key pair", m.keyPairs, v.keyPairs)...)
	bad = append(bad, compare("group", m.groups, v.groups)...)
	bad = append(bad, compare("rule", m.rules, v.rules)...)
	bad = append(bad, compare("tag", m.tags, v.tags)...)

	// Instances: each acknowledged token has exactly one instance, in a
	// state its acknowledged stop or terminate allows; each machine
	// belongs to one instance that is not terminated, and the other way
	// round, once reconciliation settles.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ib := m.checkInstances(ctx, c, machines)
		if len(ib) == 0 || time.Now().After(deadline) {
			return append(bad, ib...)
		}
		select {
		case <-ctx.Done():
			return append(bad, ib...)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (m *Model) checkInstances(ctx context.Context, c *ec2.Client, machines func(context.Context) ([]string, error)) []string {
	var bad []string
	byToken := map[string][]types.Instance{}
	live := map[string]bool{}
	states := map[string]string{}
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return []string{"DescribeInstances: " + err.Error()}
		}
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				byToken[aws.ToString(i.ClientToken)] = append(byToken[aws.ToString(i.ClientToken)], i)
				states[aws.ToString(i.InstanceId)] = string(i.State.Name)
				if i.StateReason != nil {
					states[aws.ToString(i.InstanceId)] += " (" + aws.ToString(i.StateReason.Message) + ")"
				}
				if s := i.State.Name; s != types.InstanceStateNameTerminated && s != types.InstanceStateNameShuttingDown {
					live[aws.ToString(i.InstanceId)] = true
				}
			}
		}
	}
	for token, f := range m.runs {
		got := byToken[token]
		switch {
		case len(got) > 1:
			bad = append(bad, fmt.Sprintf("token %s has %d instances", token, len(got)))
		case f == present && len(got) == 0:
			bad = append(bad, "token "+token+": acknowledged launch has no instance")
		case f == absent && len(got) > 0:
			bad = append(bad, "token "+token+": failed launch has an instance")
		}
		if len(got) != 1 {
			continue
		}
		st := got[0].State.Name
		if m.gone[token] && st != types.InstanceStateNameTerminated && st != types.InstanceStateNameShuttingDown {
			bad = append(bad, fmt.Sprintf("token %s: acknowledged terminate, state %s", token, st))
		}
		if m.stopped[token] && (st == types.InstanceStateNameRunning || st == types.InstanceStateNamePending) {
			bad = append(bad, fmt.Sprintf("token %s: acknowledged stop, state %s", token, st))
		}
	}
	for token := range byToken {
		if _, ok := m.runs[token]; !ok && token != "" {
			bad = append(bad, "instance with token "+token+" that no client sent")
		}
	}
	ms, err := machines(ctx)
	if err != nil {
		return append(bad, "listing machines: "+err.Error())
	}
	slices.Sort(ms)
	for i, id := range ms {
		if i > 0 && ms[i-1] == id {
			bad = append(bad, "machine "+id+" listed twice")
		}
		if !live[id] {
			bad = append(bad, "machine "+id+" has no live instance (orphaned); instance: "+cmp.Or(states[id], "none"))
		}
	}
	for id := range live {
		if _, found := slices.BinarySearch(ms, id); !found {
			bad = append(bad, "instance "+id+" is live but has no machine")
		}
	}
	return bad
}

func compare(kind string, want map[string]fate, have map[string]bool) []string {
	var bad []string
	for name, f := range want {
		switch {
		case f == present && !have[name]:
			bad = append(bad, fmt.Sprintf("%s %s: acknowledged, missing after the restart", kind, name))
		case f == absent && have[name]:
			bad = append(bad, fmt.Sprintf("%s %s: not acknowledged (or deleted), present after the restart", kind, name))
		}
	}
	return bad
}

// Settle replaces each "either" with what the server shows now, so the
// next round starts from a known state. Call it after a Check that passed.
func (m *Model) Settle(ctx context.Context, c *ec2.Client) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := observe(ctx, c)
	if err != nil {
		return err
	}
	settle(m.keyPairs, v.keyPairs)
	settle(m.groups, v.groups)
	settle(m.rules, v.rules)
	settle(m.tags, v.tags)
	return nil
}

// seen is what the server shows of the objects the clients write, by the
// keys the model uses.
type seen struct{ keyPairs, groups, rules, tags map[string]bool }

func observe(ctx context.Context, c *ec2.Client) (seen, error) {
	v := seen{keyPairs: map[string]bool{}, groups: map[string]bool{}, rules: map[string]bool{}, tags: map[string]bool{}}
	kps, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	if err != nil {
		return v, fmt.Errorf("DescribeKeyPairs: %w", err)
	}
	for _, k := range kps.KeyPairs {
		v.keyPairs[aws.ToString(k.KeyName)] = true
	}
	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		return v, fmt.Errorf("DescribeSecurityGroups: %w", err)
	}
	for _, g := range sgs.SecurityGroups {
		name := aws.ToString(g.GroupName)
		v.groups[name] = true
		for _, p := range g.IpPermissions {
			v.rules[name+"/"+strconv.Itoa(int(aws.ToInt32(p.FromPort)))] = true
		}
		for _, t := range g.Tags {
			v.tags[name+"/"+aws.ToString(t.Key)] = true
		}
	}
	return v, nil
}

func settle(model map[string]fate, have map[string]bool) {
	for k, f := range model {
		if f == either {
			model[k] = map[bool]fate{true: present, false: absent}[have[k]]
		}
	}
}
