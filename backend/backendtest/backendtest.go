// Package backendtest is the conformance suite every backend.Backend runs,
// in the spirit of testing/fstest.TestFS and gocloud's drivertest: it drives
// the backend through a real ec2emu.Server and the real aws-sdk-go-v2 EC2
// client, and checks both what the client sees and what the backend reports.
//
// A backend package joins it in a few lines:
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, backendtest.Harness{
//			Open:    func(ctx context.Context) (backend.Backend, error) { return mybackend.New(ctx, …) },
//			ImageID: "ami-…",
//		})
//	}
package backendtest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// Harness tells the suite how to reach one backend.
type Harness struct {
	// Open returns a fresh backend for one check. Backends opened by one Run
	// must not see each other's machines (use a unique namespace each
	// time). The suite closes them.
	Open func(ctx context.Context) (backend.Backend, error)
	// ImageID is an AMI the backend lists, to launch from.
	ImageID string
	// Drift changes machine id's state behind the backend's back (e.g.
	// `docker pause`, `docker rm -f`) to backend.StateStopped or
	// backend.StateTerminated. Nil skips the drift check.
	Drift func(ctx context.Context, b backend.Backend, id string, to backend.State) error
	// UserData returns what the machine received as user data (or what
	// running it produced, see UserDataOutput). Nil skips the check.
	UserData func(ctx context.Context, b backend.Backend, id string) ([]byte, error)
	// UserDataOutput, when true, means UserData returns the output of
	// running the script rather than the script itself.
	UserDataOutput bool
	// AuthorizedKeys returns the public keys installed for root on the
	// machine. Nil skips the check.
	AuthorizedKeys func(ctx context.Context, b backend.Backend, id string) (string, error)
	// Reopen opens another backend in b's namespace, as a second process
	// sharing the engine would, for the NamespaceLock check of backends
	// that implement backend.NamespaceLocker. Nil skips the check.
	Reopen func(ctx context.Context, b backend.Backend) (backend.Backend, error)
	// Files gives the Volumes check access to files inside backend b's
	// machines. Nil uses b itself if it is a FileAccess (as the mock is),
	// and skips the check otherwise.
	Files func(b backend.Backend) FileAccess
	// Timeout bounds each waiter. Default one minute.
	Timeout time.Duration
}

// Run runs every check as a subtest of t.
func Run(t *testing.T, h Harness) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*h.timeout())
			defer cancel()
			if err := runCheck(ctx, h, c); err != nil {
				if errors.Is(err, errSkip) {
					t.Skip(err)
				}
				t.Fatal(err)
			}
		})
	}
}

// Check runs every check and returns the failures by check name. Run is the
// usual entry point; Check is for testing the suite itself.
func Check(ctx context.Context, h Harness) map[string]error {
	out := map[string]error{}
	for _, c := range checks {
		if err := runCheck(ctx, h, c); err != nil && !errors.Is(err, errSkip) {
			out[c.name] = err
		}
	}
	return out
}

var errSkip = errors.New("skipped: the harness has no hook for this check")

func (h Harness) timeout() time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return time.Minute
}

// env is one check's world: a backend, a Server over it and a client.
type env struct {
	h   Harness
	b   backend.Backend
	srv *ec2emu.Server
	url string
	c   *ec2.Client
}

func runCheck(ctx context.Context, h Harness, c check) (err error) {
	b, err := h.Open(ctx)
	if err != nil {
		return fmt.Errorf("opening backend: %w", err)
	}
	srv := ec2emu.New(b)
	hs := httptest.NewServer(srv)
	e := &env{h: h, b: b, srv: srv, url: hs.URL, c: ec2emutest.Client(hs.URL, "us-east-1")}
	defer func() {
		e.cleanup(ctx)
		hs.Close()
		srv.Close()
		b.Close()
	}()
	return c.fn(ctx, e)
}

// cleanup terminates whatever the check left running, so real backends do
// not leak machines.
func (e *env) cleanup(ctx context.Context) {
	ms, err := e.b.Machines(ctx)
	if err != nil {
		return
	}
	for _, m := range ms {
		e.b.Terminate(ctx, m.ID)
	}
}

type check struct {
	name string
	fn   func(ctx context.Context, e *env) error
}

var checks = []check{
	{"LaunchDescribe", checkLaunch},
	{"StopStartReboot", checkStopStart},
	{"Terminate", checkTerminate},
	{"UserDataAndKey", checkUserDataAndKey},
	{"CreateImage", checkCreateImage},
	{"ImageLookup", checkImageLookup},
	{"Drift", checkDrift},
	{"Readopt", checkReadopt},
	{"Errors", checkErrors},
	// The seam's contract, checked on the backend itself: the Server relies
	// on it without being able to show a client when it is broken.
	{"BackendTerminateGone", checkBackendTerminateGone},
	{"BackendNotFoundErrors", checkBackendNotFound},
	{"BackendFailedLaunch", checkBackendFailedLaunch},
	{"NamespaceLock", checkNamespaceLock},
}

func (e *env) run(ctx context.Context, n int32, mod func(*ec2.RunInstancesInput)) ([]string, error) {
	in := &ec2.RunInstancesInput{ImageId: aws.String(e.h.ImageID), MinCount: aws.Int32(n), MaxCount: aws.Int32(n)}
	if mod != nil {
		mod(in)
	}
	out, err := e.c.RunInstances(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("RunInstances: %w", err)
	}
	var ids []string
	for _, i := range out.Instances {
		ids = append(ids, *i.InstanceId)
	}
	if len(ids) != int(n) {
		return nil, fmt.Errorf("RunInstances launched %d instances, want %d", len(ids), n)
	}
	return ids, nil
}

func (e *env) waitState(ctx context.Context, ids []string, want types.InstanceStateName) error {
	ctx, cancel := context.WithTimeout(ctx, e.h.timeout())
	defer cancel()
	for {
		got, err := e.states(ctx, ids)
		if err == nil && allEqual(got, want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("instances %v did not reach %s: last states %v, last error %v", ids, want, got, err)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func allEqual(m map[string]types.InstanceStateName, want types.InstanceStateName) bool {
	for _, s := range m {
		if s != want {
			return false
		}
	}
	return len(m) > 0
}

func (e *env) states(ctx context.Context, ids []string) (map[string]types.InstanceStateName, error) {
	d, err := e.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		return nil, err
	}
	out := map[string]types.InstanceStateName{}
	for _, r := range d.Reservations {
		for _, i := range r.Instances {
			out[*i.InstanceId] = i.State.Name
		}
	}
	return out, nil
}

// backendState is the backend's own view of machine id.
func (e *env) backendState(ctx context.Context, id string) (backend.State, error) {
	ms, err := e.b.Machines(ctx)
	if err != nil {
		return "", fmt.Errorf("Machines: %w", err)
	}
	for _, m := range ms {
		if m.ID == id {
			return m.State, nil
		}
	}
	return backend.StateTerminated, nil
}

func (e *env) wantBackend(ctx context.Context, id string, want backend.State) error {
	got, err := e.backendState(ctx, id)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("backend reports %s as %s, want %s", id, got, want)
	}
	return nil
}

func checkLaunch(ctx context.Context, e *env) error {
	ids, err := e.run(ctx, 2, nil)
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	d, err := e.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		return err
	}
	for _, r := range d.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.PrivateIpAddress) == "" || aws.ToString(i.PrivateDnsName) == "" {
				return fmt.Errorf("running instance %s has no private IP/DNS name", *i.InstanceId)
			}
			if *i.ImageId != e.h.ImageID {
				return fmt.Errorf("instance %s reports image %s, want %s", *i.InstanceId, *i.ImageId, e.h.ImageID)
			}
		}
	}
	for _, id := range ids {
		if err := e.wantBackend(ctx, id, backend.StateRunning); err != nil {
			return err
		}
	}
	return nil
}

func checkStopStart(ctx context.Context, e *env) error {
	ids, err := e.run(ctx, 1, nil)
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	if _, err := e.c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids}); err != nil {
		return fmt.Errorf("StopInstances: %w", err)
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameStopped); err != nil {
		return err
	}
	if err := e.wantBackend(ctx, ids[0], backend.StateStopped); err != nil {
		return err
	}
	if _, err := e.c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids}); err != nil {
		return fmt.Errorf("StartInstances: %w", err)
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	if err := e.wantBackend(ctx, ids[0], backend.StateRunning); err != nil {
		return err
	}
	if _, err := e.c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: ids}); err != nil {
		return fmt.Errorf("RebootInstances: %w", err)
	}
	// A reboot keeps the instance running, in EC2 and in the backend.
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	deadline := time.Now().Add(e.h.timeout())
	for {
		st, err := e.backendState(ctx, ids[0])
		if err != nil {
			return err
		}
		if st == backend.StateRunning {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after reboot the backend reports %s, want running", st)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func checkTerminate(ctx context.Context, e *env) error {
	ids, err := e.run(ctx, 2, nil)
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	if _, err := e.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		return fmt.Errorf("TerminateInstances: %w", err)
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameTerminated); err != nil {
		return err
	}
	ms, err := e.b.Machines(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if slices.Contains(ids, m.ID) && m.State != backend.StateTerminated && m.State != backend.StateStopped {
			return fmt.Errorf("terminated instance %s still %s in the backend", m.ID, m.State)
		}
	}
	// Terminating again succeeds: the call is idempotent.
	if _, err := e.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		return fmt.Errorf("second TerminateInstances: %w", err)
	}
	return nil
}

func checkUserDataAndKey(ctx context.Context, e *env) error {
	if e.h.UserData == nil && e.h.AuthorizedKeys == nil {
		return errSkip
	}
	kp, err := e.c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("conformance")})
	if err != nil {
		return fmt.Errorf("CreateKeyPair: %w", err)
	}
	pub, err := e.c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"conformance"}, IncludePublicKey: aws.Bool(true)})
	if err != nil {
		return err
	}
	const marker = "ec2emu-conformance-user-data"
	script := "#!/bin/sh\necho " + marker + "\n"
	ids, err := e.run(ctx, 1, func(in *ec2.RunInstancesInput) {
		in.KeyName = kp.KeyName
		in.UserData = aws.String(base64.StdEncoding.EncodeToString([]byte(script)))
	})
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	if e.h.UserData != nil {
		want := script
		if e.h.UserDataOutput {
			want = marker
		}
		deadline := time.Now().Add(e.h.timeout())
		for {
			got, err := e.h.UserData(ctx, e.b, ids[0])
			if err == nil && strings.Contains(string(got), want) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("user data on the machine = %q (err %v), want it to contain %q", got, err, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if e.h.AuthorizedKeys != nil {
		got, err := e.h.AuthorizedKeys(ctx, e.b, ids[0])
		if err != nil {
			return fmt.Errorf("reading authorized keys: %w", err)
		}
		want := aws.ToString(pub.KeyPairs[0].PublicKey)
		if want == "" || !strings.Contains(got, strings.Join(strings.Fields(want)[:2], " ")) {
			return fmt.Errorf("authorized keys %q do not hold the key pair's public key %q", got, want)
		}
	}
	return nil
}

func checkCreateImage(ctx context.Context, e *env) error {
	ids, err := e.run(ctx, 1, nil)
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	name := fmt.Sprintf("conformance image %d", time.Now().UnixNano())
	img, err := e.createImage(ctx, ids[0], name)
	if wantCode(err, "UnsupportedOperation") == nil {
		// A backend that cannot snapshot says so (e.g. kubernetes); what
		// it must not do is fail otherwise or pretend.
		return errSkip
	}
	if err != nil {
		return err
	}
	d, err := e.c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: []types.Filter{{Name: aws.String("name"), Values: []string{name}}}})
	if err != nil {
		return err
	}
	if len(d.Images) != 1 || *d.Images[0].ImageId != *img.ImageId {
		return fmt.Errorf("DescribeImages(owner self, name %q) = %d images, want %s", name, len(d.Images), *img.ImageId)
	}
	from, err := e.run(ctx, 1, func(in *ec2.RunInstancesInput) { in.ImageId = img.ImageId })
	if err != nil {
		return fmt.Errorf("launching from the new image: %w", err)
	}
	if err := e.waitState(ctx, from, types.InstanceStateNameRunning); err != nil {
		return err
	}
	if _, err := e.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: append(ids, from...)}); err != nil {
		return err
	}
	if err := e.waitState(ctx, append(ids, from...), types.InstanceStateNameTerminated); err != nil {
		return err
	}
	if _, err := e.c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
		return fmt.Errorf("DeregisterImage: %w", err)
	}
	imgs, err := e.b.Images(ctx)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(imgs, func(i backend.Image) bool { return i.ID == *img.ImageId }) {
		return fmt.Errorf("deregistered image %s is still listed by the backend", *img.ImageId)
	}
	_, err = e.c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: img.ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	return wantCode(err, "InvalidAMIID.NotFound")
}

// checkImageLookup checks a backend.ImageLooker against Images: the same
// image for every listed ID, ErrNotFound for an unknown one, and an image
// made and deregistered seen at once.
func checkImageLookup(ctx context.Context, e *env) error {
	l, ok := e.b.(backend.ImageLooker)
	if !ok {
		return errSkip
	}
	agree := func(when string) error {
		imgs, err := e.b.Images(ctx)
		if err != nil {
			return err
		}
		for _, want := range imgs {
			got, err := l.LookupImage(ctx, want.ID)
			if err != nil {
				return fmt.Errorf("%s: LookupImage(%s): %w", when, want.ID, err)
			}
			if !sameImage(want, got) {
				return fmt.Errorf("%s: LookupImage(%s) = %+v, Images lists %+v", when, want.ID, got, want)
			}
		}
		return nil
	}
	gone := func(id string) error {
		if img, err := l.LookupImage(ctx, id); !errors.Is(err, backend.ErrNotFound) {
			return fmt.Errorf("LookupImage(%s) = %+v, %v; want ErrNotFound", id, img, err)
		}
		return nil
	}
	if err := agree("at start"); err != nil {
		return err
	}
	if err := gone("ami-0000000000000dead"); err != nil {
		return err
	}
	ids, err := e.run(ctx, 1, nil)
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	img, err := e.createImage(ctx, ids[0], fmt.Sprintf("lookup image %d", time.Now().UnixNano()))
	if wantCode(err, "UnsupportedOperation") == nil {
		return nil // a backend that makes no images: what it has is checked above
	}
	if err != nil {
		return err
	}
	if err := agree("after CreateImage"); err != nil {
		return err
	}
	if _, err := e.c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
		return fmt.Errorf("DeregisterImage: %w", err)
	}
	if err := gone(*img.ImageId); err != nil {
		return fmt.Errorf("after DeregisterImage: %w", err)
	}
	return agree("after DeregisterImage")
}

// sameImage compares two images, their times by instant.
func sameImage(a, b backend.Image) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Description == b.Description && a.Architecture == b.Architecture &&
		a.CreationDate.Equal(b.CreationDate) && a.State == b.State && maps.Equal(a.Metadata, b.Metadata)
}

// createImage makes an image of instance id without a reboot and waits
// until it is available.
func (e *env) createImage(ctx context.Context, id, name string) (*ec2.CreateImageOutput, error) {
	img, err := e.c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(id), Name: aws.String(name), NoReboot: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("CreateImage: %w", err)
	}
	w := ec2.NewImageAvailableWaiter(e.c, func(o *ec2.ImageAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(ctx, &ec2.DescribeImagesInput{ImageIds: []string{*img.ImageId}}, e.h.timeout()); err != nil {
		return nil, fmt.Errorf("image-available: %w", err)
	}
	return img, nil
}

func checkDrift(ctx context.Context, e *env) error {
	if e.h.Drift == nil {
		return errSkip
	}
	if _, ok := e.b.(backend.Watcher); !ok {
		return fmt.Errorf("the harness can drift machines but the backend does not implement backend.Watcher")
	}
	ids, err := e.run(ctx, 2, nil)
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	if err := e.h.Drift(ctx, e.b, ids[0], backend.StateStopped); err != nil {
		return fmt.Errorf("drifting %s to stopped: %w", ids[0], err)
	}
	if err := e.h.Drift(ctx, e.b, ids[1], backend.StateTerminated); err != nil {
		return fmt.Errorf("drifting %s to terminated: %w", ids[1], err)
	}
	if err := e.waitState(ctx, ids[:1], types.InstanceStateNameStopped); err != nil {
		return fmt.Errorf("after drift: %w", err)
	}
	return e.waitState(ctx, ids[1:], types.InstanceStateNameTerminated)
}

func checkReadopt(ctx context.Context, e *env) error {
	// A subnet other than the first zone's and a group made by this Server:
	// both must come back with the machines, from what the backend stored.
	subnets, err := e.c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("availability-zone"), Values: []string{"us-east-1b"}}}})
	if err != nil || len(subnets.Subnets) != 1 {
		return fmt.Errorf("DescribeSubnets us-east-1b: %d subnets, %v", len(subnets.Subnets), err)
	}
	sg, err := e.c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("readopt"), Description: aws.String("readopt")})
	if err != nil {
		return err
	}
	subnetID, groupIDs := subnets.Subnets[0].SubnetId, []string{*sg.GroupId}
	ids, err := e.run(ctx, 2, func(in *ec2.RunInstancesInput) {
		in.ClientToken = aws.String("readopt-token")
		in.SubnetId, in.SecurityGroupIds = subnetID, groupIDs
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}}
	})
	if err != nil {
		return err
	}
	if err := e.waitState(ctx, ids, types.InstanceStateNameRunning); err != nil {
		return err
	}
	if _, err := e.c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids[1:]}); err != nil {
		return err
	}
	if err := e.waitState(ctx, ids[1:], types.InstanceStateNameStopped); err != nil {
		return err
	}
	before, err := e.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		return err
	}
	// A second Server over the same backend stands for a restarted process;
	// the first goes away first, as a process does, freeing the namespace.
	e.srv.Close()
	srv2 := ec2emu.New(e.b)
	defer srv2.Close()
	hs := httptest.NewServer(srv2)
	defer hs.Close()
	c2 := ec2emutest.Client(hs.URL, "us-east-1")
	after, err := c2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		return fmt.Errorf("restarted server: %w", err)
	}
	if got, want := summary(after), summary(before); got != want {
		return fmt.Errorf("restarted server sees\n%s\nwant\n%s", got, want)
	}
	// The same ClientToken after the restart launches nothing new.
	again, err := c2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(e.h.ImageID), MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		ClientToken: aws.String("readopt-token"), SubnetId: subnetID, SecurityGroupIds: groupIDs,
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}}})
	if err != nil {
		return fmt.Errorf("RunInstances retried after restart: %w", err)
	}
	if *again.ReservationId != *before.Reservations[0].ReservationId {
		return fmt.Errorf("retried RunInstances made reservation %s, want the original %s", *again.ReservationId, *before.Reservations[0].ReservationId)
	}
	return nil
}

// summary renders what must survive a restart, in a stable order.
func summary(d *ec2.DescribeInstancesOutput) string {
	var lines []string
	for _, r := range d.Reservations {
		for _, i := range r.Instances {
			var tags []string
			for _, t := range i.Tags {
				tags = append(tags, *t.Key+"="+*t.Value)
			}
			slices.Sort(tags)
			var groups []string
			for _, g := range i.SecurityGroups {
				groups = append(groups, aws.ToString(g.GroupId)+"/"+aws.ToString(g.GroupName))
			}
			eni := ""
			if len(i.NetworkInterfaces) > 0 {
				eni = aws.ToString(i.NetworkInterfaces[0].NetworkInterfaceId)
			}
			lines = append(lines, fmt.Sprintf("%s res=%s state=%s image=%s type=%s index=%d token=%s tags=%v launch=%s az=%s vpc=%s subnet=%s groups=%v eni=%s",
				*i.InstanceId, *r.ReservationId, i.State.Name, *i.ImageId, i.InstanceType, *i.AmiLaunchIndex,
				aws.ToString(i.ClientToken), tags, i.LaunchTime.UTC().Format(time.RFC3339),
				aws.ToString(i.Placement.AvailabilityZone), aws.ToString(i.VpcId), aws.ToString(i.SubnetId), groups, eni))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func checkErrors(ctx context.Context, e *env) error {
	_, err := e.c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-0000000000000dead"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err := wantCode(err, "InvalidAMIID.NotFound"); err != nil {
		return err
	}
	_, err = e.c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{"i-0000000000000dead"}})
	if err := wantCode(err, "InvalidInstanceID.NotFound"); err != nil {
		return err
	}
	ms, err := e.b.Machines(ctx)
	if err != nil {
		return err
	}
	if len(ms) != 0 {
		return fmt.Errorf("failed requests left %d machines in the backend", len(ms))
	}
	return nil
}

func wantCode(err error, code string) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		return fmt.Errorf("got error %v, want %s", err, code)
	}
	return nil
}

// missingID is an instance ID no backend runs.
const missingID = "i-0000000000000dead"

// launchDirect launches one machine straight on the backend, under a fresh
// instance ID, and returns the ID.
func (e *env) launchDirect(ctx context.Context) (string, error) {
	id := fmt.Sprintf("i-%017x", time.Now().UnixNano()&(1<<64/2-1))
	m, err := e.b.Launch(ctx, backend.LaunchSpec{InstanceID: id, ImageID: e.h.ImageID, InstanceType: "t3.micro"})
	if err != nil {
		return "", fmt.Errorf("Launch: %w", err)
	}
	if m.ID != id {
		return "", fmt.Errorf("Launch returned machine %q, want the spec's ID %q", m.ID, id)
	}
	return id, nil
}

// lists reports whether Machines lists id.
func (e *env) lists(ctx context.Context, id string) (bool, error) {
	ms, err := e.b.Machines(ctx)
	if err != nil {
		return false, fmt.Errorf("Machines: %w", err)
	}
	return slices.ContainsFunc(ms, func(m backend.Machine) bool { return m.ID == id }), nil
}

// Terminating a machine that is gone, or never was, is not an error: the
// Server retries terminations and cleans up after failed launches with it.
func checkBackendTerminateGone(ctx context.Context, e *env) error {
	id, err := e.launchDirect(ctx)
	if err != nil {
		return err
	}
	for i, what := range []string{"a running machine", "the same machine again", "a machine that never was"} {
		target := id
		if i == 2 {
			target = missingID
		}
		if err := e.b.Terminate(ctx, target); err != nil {
			return fmt.Errorf("Terminate of %s: %v, want nil", what, err)
		}
	}
	if listed, err := e.lists(ctx, id); err != nil || listed {
		return fmt.Errorf("Machines still lists terminated %s (err %v)", id, err)
	}
	return nil
}

// Calls about a machine or image that does not exist fail with errors
// wrapping backend.ErrNotFound, which the Server maps to EC2's NotFound
// codes; anything else would reach a client as InternalError.
func checkBackendNotFound(ctx context.Context, e *env) error {
	calls := []struct {
		name string
		call func() error
	}{
		{"Stop", func() error { return e.b.Stop(ctx, missingID) }},
		{"Start", func() error { return e.b.Start(ctx, missingID) }},
		{"Reboot", func() error { return e.b.Reboot(ctx, missingID) }},
		{"CreateImage", func() error {
			_, err := e.b.CreateImage(ctx, missingID, backend.ImageSpec{ImageID: "ami-0000000000000dead", Name: "backendtest-missing"})
			return err
		}},
		{"DeregisterImage", func() error { return e.b.DeregisterImage(ctx, "ami-0000000000000dead") }},
		{"Launch of a missing image", func() error {
			_, err := e.b.Launch(ctx, backend.LaunchSpec{InstanceID: missingID, ImageID: "ami-0000000000000dead", InstanceType: "t3.micro"})
			return err
		}},
	}
	var errs []error
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, backend.ErrNotFound) {
			errs = append(errs, fmt.Errorf("%s: %v, want an error wrapping backend.ErrNotFound", c.name, err))
		}
	}
	return errors.Join(errs...)
}

// A launch that fails leaves nothing behind: the Server shows the instance
// terminated and would otherwise never release the machine.
func checkBackendFailedLaunch(ctx context.Context, e *env) error {
	ids := []string{"i-00000000000000bad", "i-0000000000000cace"}
	if _, err := e.b.Launch(ctx, backend.LaunchSpec{InstanceID: ids[0], ImageID: "ami-0000000000000dead", InstanceType: "t3.micro"}); err == nil {
		return fmt.Errorf("Launch of a missing image succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.b.Launch(cancelled, backend.LaunchSpec{InstanceID: ids[1], ImageID: e.h.ImageID, InstanceType: "t3.micro"}); err == nil {
		return fmt.Errorf("Launch with a cancelled context succeeded")
	}
	for _, id := range ids {
		if listed, err := e.lists(ctx, id); err != nil || listed {
			return fmt.Errorf("a failed launch left machine %s behind (err %v)", id, err)
		}
	}
	return nil
}

// checkNamespaceLock: while a Server holds the namespace, another backend in
// it cannot lock it and the Server keeps serving; once the Server is closed,
// of two backends racing for it exactly one wins, and the other gets it
// after the winner releases it.
func checkNamespaceLock(ctx context.Context, e *env) error {
	if e.h.Reopen == nil {
		return errSkip
	}
	if _, ok := e.b.(backend.NamespaceLocker); !ok {
		return fmt.Errorf("%w (the backend is no backend.NamespaceLocker)", errSkip)
	}
	if err := e.srv.Err(); err != nil {
		return fmt.Errorf("the Server over the backend could not lock its namespace: %w", err)
	}
	reopen := func() (backend.NamespaceLocker, func(), error) {
		b, err := e.h.Reopen(ctx, e.b)
		if err != nil {
			return nil, nil, fmt.Errorf("Reopen: %w", err)
		}
		l, ok := b.(backend.NamespaceLocker)
		if !ok {
			b.Close()
			return nil, nil, fmt.Errorf("Reopen gave a %T, no backend.NamespaceLocker", b)
		}
		return l, func() { b.Close() }, nil
	}
	b2, close2, err := reopen()
	if err != nil {
		return err
	}
	defer close2()
	if l, err := b2.LockNamespace(ctx); err == nil {
		l.Release(ctx)
		return errors.New("a second backend locked the namespace a Server holds")
	} else if !errors.Is(err, backend.ErrNamespaceLocked) {
		return fmt.Errorf("a second LockNamespace: %w; want an error wrapping backend.ErrNamespaceLocked", err)
	}
	if _, err := e.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}); err != nil {
		return fmt.Errorf("the Server holding the namespace stopped serving after a refused second lock: %w", err)
	}

	e.srv.Close() // releases the namespace
	b3, close3, err := reopen()
	if err != nil {
		return err
	}
	defer close3()
	type result struct {
		l   backend.NamespaceLock
		err error
	}
	res := make(chan result, 2)
	for _, b := range []backend.NamespaceLocker{b2, b3} {
		go func() {
			l, err := b.LockNamespace(ctx)
			res <- result{l, err}
		}()
	}
	r1, r2 := <-res, <-res
	var won backend.NamespaceLock
	switch {
	case r1.err == nil && r2.err == nil:
		r1.l.Release(ctx)
		r2.l.Release(ctx)
		return errors.New("two backends racing for a free namespace both locked it")
	case r1.err == nil:
		won, err = r1.l, r2.err
	case r2.err == nil:
		won, err = r2.l, r1.err
	default:
		return fmt.Errorf("two backends racing for a free namespace both failed: %w; %w", r1.err, r2.err)
	}
	if !errors.Is(err, backend.ErrNamespaceLocked) {
		won.Release(ctx)
		return fmt.Errorf("the loser of the race: %w; want an error wrapping backend.ErrNamespaceLocked", err)
	}
	select {
	case <-won.Lost():
		return errors.New("the lock won in the race reports itself lost")
	default:
	}
	if err := won.Release(ctx); err != nil {
		return fmt.Errorf("Release: %w", err)
	}
	// Released, the namespace is free at once, for either backend.
	for _, b := range []backend.NamespaceLocker{b2, b3} {
		l, err := b.LockNamespace(ctx)
		if err != nil {
			return fmt.Errorf("LockNamespace after the holder released it: %w", err)
		}
		if err := l.Release(ctx); err != nil {
			return fmt.Errorf("Release: %w", err)
		}
	}
	return nil
}
