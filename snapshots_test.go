package ec2emu_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// volumeState is a volume's state and, when attached, its attachment's.
func volumeState(ctx context.Context, c *ec2.Client, id string) string {
	out, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	if err != nil {
		return err.Error()
	}
	v := out.Volumes[0]
	if len(v.Attachments) > 0 {
		return string(v.State) + "/" + string(v.Attachments[0].State)
	}
	return string(v.State)
}

// deleteVolume deletes a volume and waits until it is gone.
func deleteVolume(ctx context.Context, t *testing.T, c *ec2.Client, id string) {
	t.Helper()
	must(c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: &id}))
	testutil.WaitFor(t, time.Minute, id+" gone", func() (bool, string) {
		_, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
		return err != nil, fmt.Sprint(err)
	})
}

func snapshotState(ctx context.Context, c *ec2.Client, id string) string {
	out, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{id}})
	if err != nil {
		return err.Error()
	}
	if len(out.Snapshots) != 1 {
		return fmt.Sprintf("%d snapshots", len(out.Snapshots))
	}
	return string(out.Snapshots[0].State) + " " + aws.ToString(out.Snapshots[0].Progress)
}

func waitSnapshot(ctx context.Context, t *testing.T, c *ec2.Client, id string) {
	t.Helper()
	testutil.WaitFor(t, time.Minute, id+" completed", func() (bool, string) {
		got := snapshotState(ctx, c, id)
		return got == "completed 100%", got
	})
}

// newVolume makes a volume in az of size GiB (from snap if set) and waits
// until it is available.
func newVolume(ctx context.Context, t *testing.T, c *ec2.Client, az, snap string) string {
	t.Helper()
	in := &ec2.CreateVolumeInput{AvailabilityZone: &az}
	if snap != "" {
		in.SnapshotId = &snap
	} else {
		in.Size = aws.Int32(1)
	}
	v, err := c.CreateVolume(ctx, in)
	if err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	id := aws.ToString(v.VolumeId)
	waitVolume(t, c, id, types.VolumeStateAvailable, "")
	return id
}

func snapshotOf(ctx context.Context, t *testing.T, c *ec2.Client, vol string) string {
	t.Helper()
	out, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol, Description: aws.String("d")})
	if err != nil {
		t.Fatalf("CreateSnapshot: %v", err)
	}
	id := aws.ToString(out.SnapshotId)
	waitSnapshot(ctx, t, c, id)
	return id
}

// runOne launches one instance and waits until it runs; it returns the
// instance and its zone.
func runInZone(ctx context.Context, t *testing.T, c *ec2.Client) (string, string) {
	t.Helper()
	out := run(t, c, &ec2.RunInstancesInput{})
	id := aws.ToString(out.Instances[0].InstanceId)
	testutil.WaitStates(t, c, time.Minute, types.InstanceStateNameRunning, id)
	return id, aws.ToString(out.Instances[0].Placement.AvailabilityZone)
}

// gated is the mock with snapshots and volumes that wait while the test
// holds them, so that they stay pending or creating.
type gated struct {
	*mock.Backend
	snaps, vols *gate
}

// gate holds calls while it is closed.
type gate struct {
	mu sync.Mutex
	ch chan struct{} // nil: open
}

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hold makes calls wait until the returned function is called.
func (g *gate) hold(t *testing.T) func() {
	ch := make(chan struct{})
	g.mu.Lock()
	g.ch = ch
	g.mu.Unlock()
	var once sync.Once
	release := func() {
		once.Do(func() {
			g.mu.Lock()
			g.ch = nil
			g.mu.Unlock()
			close(ch)
		})
	}
	t.Cleanup(release)
	return release
}

func newGated() gated {
	return gated{mock.New(mock.WithDelay(time.Millisecond)), new(gate), new(gate)}
}

func (g gated) CreateSnapshot(ctx context.Context, volumeID, snapshotID string) error {
	if err := g.snaps.wait(ctx); err != nil {
		return err
	}
	return g.Backend.CreateSnapshot(ctx, volumeID, snapshotID)
}

func (g gated) CreateVolume(ctx context.Context, spec backend.VolumeSpec) error {
	if err := g.vols.wait(ctx); err != nil {
		return err
	}
	return g.Backend.CreateVolume(ctx, spec)
}

// Hold makes snapshots wait until the returned function is called.
func (g gated) Hold(t *testing.T) func() { return g.snaps.hold(t) }

// TestSnapshotDataRoundTrip: a file written in one instance's volume is in
// the volume another instance gets from that volume's snapshot, as it was
// when the snapshot was taken.
func TestSnapshotDataRoundTrip(t *testing.T) {
	b := mock.New(mock.WithDelay(time.Millisecond))
	srv := ec2emutest.NewServer(t, b)
	c := srv.Client
	ctx := ctxT(t)
	instA, az := runInZone(ctx, t, c)
	instB, _ := runInZone(ctx, t, c)
	vol := newVolume(ctx, t, c, az, "")
	attach(t, c, vol, instA, "/dev/sdf")
	if err := b.WriteFile(instA, "/ebs/sdf/f", []byte("before")); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol, Description: aws.String("nightly"),
		TagSpecifications: tagSpec(types.ResourceTypeSnapshot, "k", "v")})
	if err != nil {
		t.Fatal(err)
	}
	snap := aws.ToString(out.SnapshotId)
	got := fmt.Sprintf("%s %s %s %d %s %v", out.State, aws.ToString(out.VolumeId), aws.ToString(out.Description),
		aws.ToInt32(out.VolumeSize), aws.ToString(out.OwnerId), testutil.TagMap(out.Tags))
	if diff := cmp.Diff(fmt.Sprintf("pending %s nightly 1 %s map[k:v]", vol, aws.ToString(out.OwnerId)), got); diff != "" || aws.ToString(out.OwnerId) == "" {
		t.Errorf("CreateSnapshot (-want +got):\n%s", diff)
	}
	waitSnapshot(ctx, t, c, snap)
	if err := b.WriteFile(instA, "/ebs/sdf/f", []byte("after")); err != nil {
		t.Fatal(err)
	}
	restored := newVolume(ctx, t, c, az, snap)
	attach(t, c, restored, instB, "/dev/sdf")
	data, err := b.ReadFile(instB, "/ebs/sdf/f")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "before" {
		t.Errorf("the restored volume holds %q, want %q (as it was when snapshotted)", data, "before")
	}
	d := must(c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{restored}}))
	if got := aws.ToString(d.Volumes[0].SnapshotId); got != snap {
		t.Errorf("the restored volume's snapshotId is %q, want %q", got, snap)
	}

	// CreateSnapshots: one snapshot per data volume of the instance, with
	// the volume's tags when asked.
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vol}, Tags: []types.Tag{{Key: aws.String("vt"), Value: aws.String("1")}}}))
	multi, err := c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &types.InstanceSpecification{
		InstanceId: &instA, ExcludeBootVolume: aws.Bool(true)}, CopyTagsFromSource: types.CopyTagsFromSourceVolume,
		TagSpecifications: tagSpec(types.ResourceTypeSnapshot, "k", "v")})
	if err != nil {
		t.Fatal(err)
	}
	if len(multi.Snapshots) != 1 || aws.ToString(multi.Snapshots[0].VolumeId) != vol {
		t.Fatalf("CreateSnapshots answered %+v, want one snapshot of %s", multi.Snapshots, vol)
	}
	if diff := cmp.Diff(map[string]string{"k": "v", "vt": "1"}, testutil.TagMap(multi.Snapshots[0].Tags)); diff != "" {
		t.Errorf("CreateSnapshots tags (-want +got):\n%s", diff)
	}
	waitSnapshot(ctx, t, c, aws.ToString(multi.Snapshots[0].SnapshotId))
	_, err = c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &types.InstanceSpecification{InstanceId: &instA}})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	none := must(c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &types.InstanceSpecification{
		InstanceId: &instA, ExcludeBootVolume: aws.Bool(true), ExcludeDataVolumeIds: []string{vol}}}))
	if len(none.Snapshots) != 0 {
		t.Errorf("CreateSnapshots excluding every volume made %d snapshots", len(none.Snapshots))
	}

	// DescribeSnapshots' filters, and tags through DescribeTags.
	ids := func(in *ec2.DescribeSnapshotsInput) []string {
		t.Helper()
		out := must(c.DescribeSnapshots(ctx, in))
		var ids []string
		for _, s := range out.Snapshots {
			ids = append(ids, aws.ToString(s.SnapshotId))
		}
		return ids
	}
	filter := func(name, value string) *ec2.DescribeSnapshotsInput {
		return &ec2.DescribeSnapshotsInput{Filters: []types.Filter{{Name: &name, Values: []string{value}}}}
	}
	for _, tt := range []struct {
		in   *ec2.DescribeSnapshotsInput
		want []string
	}{
		{filter("description", "nightly"), []string{snap}},
		{filter("tag:k", "v"), []string{snap, aws.ToString(multi.Snapshots[0].SnapshotId)}},
		{filter("tag-key", "vt"), []string{aws.ToString(multi.Snapshots[0].SnapshotId)}},
		{filter("status", "pending"), nil},
		{filter("volume-size", "2"), nil},
		{filter("progress", "100%"), []string{snap, aws.ToString(multi.Snapshots[0].SnapshotId)}},
		{&ec2.DescribeSnapshotsInput{OwnerIds: []string{"amazon"}}, nil},
		{&ec2.DescribeSnapshotsInput{RestorableByUserIds: []string{"all"}}, nil},
	} {
		if diff := cmp.Diff(tt.want, ids(tt.in)); diff != "" {
			t.Errorf("DescribeSnapshots %v (-want +got):\n%s", tt.in, diff)
		}
	}
	page := must(c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(5), OwnerIds: []string{"self"}}))
	if len(page.Snapshots) != 2 || page.NextToken != nil {
		t.Errorf("a page of 5 has %d snapshots, next %v; want 2 and none", len(page.Snapshots), page.NextToken)
	}
	tags := must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("resource-id"), Values: []string{snap}}}}))
	if len(tags.Tags) != 1 || tags.Tags[0].ResourceType != types.ResourceTypeSnapshot {
		t.Errorf("DescribeTags of %s: %+v", snap, tags.Tags)
	}
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{snap}}))
	if got := ids(filter("tag:k", "v")); slices.Contains(got, snap) {
		t.Errorf("%s keeps its tag after DeleteTags", snap)
	}
}

// TestSnapshotErrors: what CreateSnapshot, DeleteSnapshot, CreateVolume
// and DescribeSnapshots refuse, over the mock.
func TestSnapshotErrors(t *testing.T) {
	b := newGated()
	srv := ec2emutest.NewServer(t, b)
	c := srv.Client
	ctx := ctxT(t)
	inst, az := runInZone(ctx, t, c)
	vol := newVolume(ctx, t, c, az, "")
	snap := snapshotOf(ctx, t, c, vol)
	d := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{inst}}))
	root := aws.ToString(d.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId)
	for _, tt := range []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"snapshot of a root volume", func() error {
			_, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &root})
			return err
		}, "UnsupportedOperation", 400},
		{"snapshot of an unknown volume", func() error {
			_, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String("vol-0123456789abcdef0")})
			return err
		}, "InvalidVolume.NotFound", 400},
		{"snapshot of a malformed volume", func() error {
			_, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String("volume-1")})
			return err
		}, "InvalidVolumeID.Malformed", 400},
		{"snapshot on an outpost", func() error {
			_, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol, OutpostArn: aws.String("arn:aws:outposts:us-east-1:123456789012:outpost/op-1")})
			return err
		}, "UnsupportedOperation", 400},
		{"snapshot tag spec for a volume", func() error {
			_, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol, TagSpecifications: tagSpec(types.ResourceTypeVolume, "k", "v")})
			return err
		}, "InvalidParameterValue", 400},
		{"snapshot dry run", func() error {
			_, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol, DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation", 412},
		{"delete an unknown snapshot", func() error {
			_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String("snap-0123456789abcdef0")})
			return err
		}, "InvalidSnapshot.NotFound", 400},
		{"delete a malformed snapshot", func() error {
			_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String("snapshot-1")})
			return err
		}, "InvalidSnapshotID.Malformed", 400},
		{"delete dry run", func() error {
			_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: &snap, DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation", 412},
		{"volume from an unknown snapshot", func() error {
			_, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: &az, SnapshotId: aws.String("snap-0123456789abcdef0")})
			return err
		}, "InvalidSnapshot.NotFound", 400},
		{"volume smaller than its snapshot", func() error {
			_, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: &az, SnapshotId: &snap, Size: aws.Int32(0)})
			return err
		}, "InvalidParameterValue", 400},
		{"describe an unknown snapshot", func() error {
			_, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{"snap-0123456789abcdef0"}})
			return err
		}, "InvalidSnapshot.NotFound", 400},
		{"describe a malformed snapshot", func() error {
			_, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{"snapshot-1"}})
			return err
		}, "InvalidSnapshotID.Malformed", 400},
		{"CreateSnapshots of an unknown instance", func() error {
			_, err := c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &types.InstanceSpecification{
				InstanceId: aws.String("i-0123456789abcdef0"), ExcludeBootVolume: aws.Bool(true)}})
			return err
		}, "InvalidInstanceID.NotFound", 400},
		{"tag an unknown snapshot", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"snap-0123456789abcdef0"}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "InvalidSnapshot.NotFound", 400},
		{"reset productCodes", func() error {
			_, err := c.ResetSnapshotAttribute(ctx, &ec2.ResetSnapshotAttributeInput{SnapshotId: &snap, Attribute: types.SnapshotAttributeNameProductCodes})
			return err
		}, "InvalidParameterValue", 400},
		{"share with a malformed account", func() error {
			_, err := c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: &snap,
				CreateVolumePermission: &types.CreateVolumePermissionModifications{Add: []types.CreateVolumePermission{{UserId: aws.String("me")}}}})
			return err
		}, "InvalidParameterValue", 400},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.status) })
	}
	// A pending snapshot cannot be restored yet: hold the backend so it
	// stays pending.
	release := b.Hold(t)
	pending := aws.ToString(must(c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol})).SnapshotId)
	_, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: &az, SnapshotId: &pending})
	wantAPIError(t, err, "IncorrectState", 400)
	release()
	waitSnapshot(ctx, t, c, pending)
}

// TestSnapshotSharing: a snapshot is its account's until shared with
// another (UserId) or everyone (Group=all); sharing lets them describe it
// and make volumes from it, and taking it back stops both.
func TestSnapshotSharing(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx := ctxT(t)
	a, b, c := asAccount(srv, acctA), asAccount(srv, acctB), asAccount(srv, acctC)
	_, az := runInZone(ctx, t, a)
	snap := snapshotOf(ctx, t, a, newVolume(ctx, t, a, az, ""))
	must(a.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{snap}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))

	type views struct{ Default, ByID, RestorableSelf, RestorableAll, OwnerA, Restore, Tagged bool }
	sees := func(cl *ec2.Client) views {
		t.Helper()
		in := func(in *ec2.DescribeSnapshotsInput) bool {
			out := must(cl.DescribeSnapshots(ctx, in))
			return slices.ContainsFunc(out.Snapshots, func(s types.Snapshot) bool { return aws.ToString(s.SnapshotId) == snap })
		}
		var v views
		v.Default = in(&ec2.DescribeSnapshotsInput{})
		out := must(cl.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{snap}}))
		v.ByID = len(out.Snapshots) == 1
		v.Tagged = v.ByID && len(out.Snapshots[0].Tags) > 0
		v.RestorableSelf = in(&ec2.DescribeSnapshotsInput{RestorableByUserIds: []string{"self"}})
		v.RestorableAll = in(&ec2.DescribeSnapshotsInput{RestorableByUserIds: []string{"all"}})
		v.OwnerA = in(&ec2.DescribeSnapshotsInput{OwnerIds: []string{acctA}})
		vol, err := cl.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: &az, SnapshotId: &snap})
		if err == nil {
			v.Restore = true
			waitVolume(t, cl, aws.ToString(vol.VolumeId), types.VolumeStateAvailable, "")
			must(cl.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: vol.VolumeId}))
		} else {
			wantAPIError(t, err, "InvalidSnapshot.NotFound", 400)
		}
		return v
	}
	perms := func() []string {
		out := must(a.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: &snap, Attribute: types.SnapshotAttributeNameCreateVolumePermission}))
		out2 := []string{}
		for _, p := range out.CreateVolumePermissions {
			out2 = append(out2, string(p.Group)+aws.ToString(p.UserId))
		}
		return out2
	}
	modify := func(in *types.CreateVolumePermissionModifications) {
		t.Helper()
		must(a.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: &snap, CreateVolumePermission: in}))
	}
	none := views{}
	shared := views{Default: true, ByID: true, RestorableSelf: true, OwnerA: true, Restore: true}
	public := views{Default: true, ByID: true, RestorableSelf: true, RestorableAll: true, OwnerA: true, Restore: true}
	diff := func(step string, wantB, wantC views, wantPerms []string) {
		t.Helper()
		if d := cmp.Diff([]views{wantB, wantC}, []views{sees(b), sees(c)}); d != "" {
			t.Errorf("%s: what b and c see (-want +got):\n%s", step, d)
		}
		if d := cmp.Diff(wantPerms, perms()); d != "" {
			t.Errorf("%s: createVolumePermission (-want +got):\n%s", step, d)
		}
	}
	diff("private", none, none, []string{})
	modify(&types.CreateVolumePermissionModifications{Add: []types.CreateVolumePermission{{UserId: aws.String(acctB)}}})
	diff("shared with b", shared, none, []string{acctB})
	// The flat form, as the AWS CLI's --operation-type sends it.
	must(a.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: &snap, Attribute: types.SnapshotAttributeNameCreateVolumePermission,
		OperationType: types.OperationTypeAdd, UserIds: []string{acctC}}))
	diff("shared with b and c", shared, shared, []string{acctB, acctC})
	// Only the owner may see or change who may restore it, or delete it.
	_, err := b.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: &snap, Attribute: types.SnapshotAttributeNameCreateVolumePermission})
	wantAPIError(t, err, "AuthFailure", 401)
	_, err = b.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: &snap})
	wantAPIError(t, err, "AuthFailure", 401)
	_, err = b.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{snap}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "InvalidSnapshot.NotFound", 400)
	modify(&types.CreateVolumePermissionModifications{Remove: []types.CreateVolumePermission{{UserId: aws.String(acctB)}, {UserId: aws.String(acctC)}}})
	diff("unshared", none, none, []string{})
	modify(&types.CreateVolumePermissionModifications{Add: []types.CreateVolumePermission{{Group: types.PermissionGroupAll}}})
	diff("public", public, public, []string{"all"})
	must(a.ResetSnapshotAttribute(ctx, &ec2.ResetSnapshotAttributeInput{SnapshotId: &snap, Attribute: types.SnapshotAttributeNameCreateVolumePermission}))
	diff("reset", none, none, []string{})
	if got := sees(a); got != (views{Default: true, ByID: true, RestorableSelf: true, OwnerA: true, Restore: true, Tagged: true}) {
		t.Errorf("what the owner sees: %+v", got)
	}
}

// TestCopySnapshot: copies within and across regions share their source's
// data; the data goes when the last snapshot using it is deleted.
func TestCopySnapshot(t *testing.T) {
	b := mock.New(mock.WithDelay(time.Millisecond))
	srv := ec2emutest.NewServer(t, b)
	ctx := ctxT(t)
	east := srv.Client
	west := inRegion(east, "us-west-2")
	inst, az := runInZone(ctx, t, east)
	vol := newVolume(ctx, t, east, az, "")
	attach(t, east, vol, inst, "/dev/sdf")
	if err := b.WriteFile(inst, "/ebs/sdf/f", []byte("data")); err != nil {
		t.Fatal(err)
	}
	src := snapshotOf(ctx, t, east, vol)
	out, err := west.CopySnapshot(ctx, &ec2.CopySnapshotInput{SourceRegion: aws.String("us-east-1"), SourceSnapshotId: &src,
		TagSpecifications: tagSpec(types.ResourceTypeSnapshot, "k", "v")})
	if err != nil {
		t.Fatal(err)
	}
	cp := aws.ToString(out.SnapshotId)
	if diff := cmp.Diff(map[string]string{"k": "v"}, testutil.TagMap(out.Tags)); diff != "" {
		t.Errorf("CopySnapshot's tags (-want +got):\n%s", diff)
	}
	waitSnapshot(ctx, t, west, cp)
	d := must(west.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{cp}})).Snapshots[0]
	if got, want := aws.ToString(d.Description), "[Copied "+src+" from us-east-1] d"; got != want {
		t.Errorf("the copy's description is %q, want %q", got, want)
	}
	local := aws.ToString(must(east.CopySnapshot(ctx, &ec2.CopySnapshotInput{SourceRegion: aws.String("us-east-1"), SourceSnapshotId: &src,
		Description: aws.String("local")})).SnapshotId)
	waitSnapshot(ctx, t, east, local)
	if _, err := east.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{cp}}); err == nil {
		t.Errorf("the us-west-2 copy is visible in us-east-1")
	}
	_, err = west.CopySnapshot(ctx, &ec2.CopySnapshotInput{SourceRegion: aws.String("us-west-2"), SourceSnapshotId: &src})
	wantAPIError(t, err, "InvalidSnapshot.NotFound", 400)
	_, err = west.CopySnapshot(ctx, &ec2.CopySnapshotInput{SourceRegion: aws.String("xx-nowhere-1"), SourceSnapshotId: &src})
	wantAPIError(t, err, "InvalidParameterValue", 400)

	// The copy restores the same files in its region.
	instW, azW := runInZone(ctx, t, west)
	restored := newVolume(ctx, t, west, azW, cp)
	attach(t, west, restored, instW, "/dev/sdg")
	if data, err := b.ReadFile(instW, "/ebs/sdg/f"); err != nil || string(data) != "data" {
		t.Errorf("the copy's volume holds %q, %v", data, err)
	}

	held := func() []string { _, snaps := b.VolumeIDs(); return snaps }
	if diff := cmp.Diff([]string{src}, held()); diff != "" {
		t.Errorf("snapshot data held (-want +got):\n%s", diff)
	}
	must(east.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: &src}))
	must(west.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: &cp}))
	// The local copy still uses the data.
	restored2 := newVolume(ctx, t, east, az, local)
	if diff := cmp.Diff([]string{src}, held()); diff != "" {
		t.Errorf("snapshot data held while a copy remains (-want +got):\n%s", diff)
	}
	must(east.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: &local}))
	testutil.WaitFor(t, time.Minute, "the snapshot data released", func() (bool, string) {
		got := held()
		return len(got) == 0, fmt.Sprint(got)
	})
	_ = restored2
}

// TestAMIRootSnapshots: an AMI the account made shows its root snapshot,
// which holds no data: it cannot be restored or deleted while the AMI
// lives, but RegisterImage makes another AMI of it.
func TestAMIRootSnapshots(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx := ctxT(t)
	a, b := asAccount(srv, acctA), asAccount(srv, acctB)
	ami, inst := ownImage(ctx, t, a, ubuntuAMI, "with-root")
	snap := "snap-" + ami[len("ami-"):]
	out := must(a.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}}))
	if len(out.Snapshots) != 1 {
		t.Fatalf("a's snapshots: %+v, want the AMI's root snapshot", out.Snapshots)
	}
	s := out.Snapshots[0]
	got := fmt.Sprintf("%s %s %s %d %s %s", aws.ToString(s.SnapshotId), s.State, aws.ToString(s.Description), aws.ToInt32(s.VolumeSize),
		aws.ToString(s.VolumeId), aws.ToString(s.OwnerId))
	want := fmt.Sprintf("%s completed Created by CreateImage(%s) for %s 8 vol-%s %s", snap, inst, ami, inst[len("i-"):], acctA)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the AMI's root snapshot (-want +got):\n%s", diff)
	}
	img := must(a.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami}})).Images[0]
	if got := aws.ToString(img.BlockDeviceMappings[0].Ebs.SnapshotId); got != snap {
		t.Errorf("the AMI's mapping names %s, want %s", got, snap)
	}
	_, azA := runInZone(ctx, t, a)
	_, err := a.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: &azA, SnapshotId: &snap})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	_, err = a.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: &snap})
	wantAPIError(t, err, "InvalidSnapshot.InUse", 400)
	if err != nil && !containsAll(err.Error(), "The snapshot "+snap+" is currently in use by "+ami) {
		t.Errorf("InUse message: %v", err)
	}
	_, err = b.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{snap}})
	wantAPIError(t, err, "InvalidSnapshot.NotFound", 400)
	_, err = a.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: &snap,
		CreateVolumePermission: &types.CreateVolumePermissionModifications{Add: []types.CreateVolumePermission{{Group: types.PermissionGroupAll}}}})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	attr := must(a.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: &snap, Attribute: types.SnapshotAttributeNameCreateVolumePermission}))
	if len(attr.CreateVolumePermissions) != 0 {
		t.Errorf("the root snapshot's createVolumePermission: %+v", attr.CreateVolumePermissions)
	}

	// RegisterImage from the root snapshot: another AMI of the same image.
	root := func(snap string) []types.BlockDeviceMapping {
		return []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{SnapshotId: &snap}}}
	}
	reg, err := a.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("from-root-snapshot"), RootDeviceName: aws.String("/dev/xvda"),
		BlockDeviceMappings: root(snap)})
	if err != nil {
		t.Fatal(err)
	}
	again := aws.ToString(reg.ImageId)
	launchable(ctx, t, a, again)
	d := must(a.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{"snap-" + again[len("ami-"):]}})).Snapshots[0]
	if got, want := aws.ToString(d.Description), "Created by RegisterImage for "+again+" from "+snap; got != want {
		t.Errorf("the registered AMI's root snapshot says %q, want %q", got, want)
	}
	// Amazon's public AMIs are launchable, so their root snapshots register too.
	must(b.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("from-public"), BlockDeviceMappings: root("snap-" + ubuntuAMI[len("ami-"):])}))
	_, err = b.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("not-shared"), BlockDeviceMappings: root(snap)})
	wantAPIError(t, err, "InvalidSnapshot.NotFound", 400)

	// A data volume's snapshot is no bootable image.
	data := snapshotOf(ctx, t, a, newVolume(ctx, t, a, azA, ""))
	_, err = a.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("from-data"), BlockDeviceMappings: root(data)})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	_, err = a.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("data-device"), BlockDeviceMappings: []types.BlockDeviceMapping{
		{DeviceName: aws.String("/dev/sdf"), Ebs: &types.EbsBlockDevice{SnapshotId: &snap}}}})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	_, err = a.CopySnapshot(ctx, &ec2.CopySnapshotInput{SourceRegion: aws.String("us-east-1"), SourceSnapshotId: &snap})
	wantAPIError(t, err, "UnsupportedOperation", 400)

	// Once the AMI is gone, so is its root snapshot.
	must(a.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: &ami}))
	_, err = a.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{snap}})
	wantAPIError(t, err, "InvalidSnapshot.NotFound", 400)
}

// TestPendingSnapshotFinishesAfterRestart: a snapshot still pending when
// the process stopped (gracefully or killed) is made by the next start.
func TestPendingSnapshotFinishesAfterRestart(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%t", crash), func(t *testing.T) {
			b := newGated()
			st := newStateful(t, b)
			ctx := ctxT(t)
			inst, az := runInZone(ctx, t, st.c)
			vol := newVolume(ctx, t, st.c, az, "")
			attach(t, st.c, vol, inst, "/dev/sdf")
			if err := b.WriteFile(inst, "/ebs/sdf/f", []byte("kept")); err != nil {
				t.Fatal(err)
			}
			release := b.Hold(t)
			snap := aws.ToString(must(st.c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol})).SnapshotId)
			st.restart(crash)
			if got := snapshotState(ctx, st.c, snap); got != "pending 0%" {
				t.Errorf("after the restart %s is %s, want pending", snap, got)
			}
			release()
			waitSnapshot(ctx, t, st.c, snap)
			if _, snaps := b.VolumeIDs(); !slices.Contains(snaps, snap) {
				t.Errorf("the backend holds snapshots %v, not %s", snaps, snap)
			}
		})
	}
}

// TestDeleteSnapshotWhileRestoring: a snapshot deleted while a volume is
// still being made from it keeps its data until the volume is made.
func TestDeleteSnapshotWhileRestoring(t *testing.T) {
	b := newGated()
	srv := ec2emutest.NewServer(t, b)
	c := srv.Client
	ctx := ctxT(t)
	inst, az := runInZone(ctx, t, c)
	vol := newVolume(ctx, t, c, az, "")
	attach(t, c, vol, inst, "/dev/sdf")
	if err := b.WriteFile(inst, "/ebs/sdf/f", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	snap := snapshotOf(ctx, t, c, vol)
	release := b.vols.hold(t)
	restored := aws.ToString(must(c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: &az, SnapshotId: &snap})).VolumeId)
	must(c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: &snap}))
	if _, snaps := b.VolumeIDs(); !slices.Contains(snaps, snap) {
		t.Errorf("the data of %s went while a volume was being made from it", snap)
	}
	release()
	waitVolume(t, c, restored, types.VolumeStateAvailable, "")
	attach(t, c, restored, inst, "/dev/sdg")
	if data, err := b.ReadFile(inst, "/ebs/sdg/f"); err != nil || string(data) != "kept" {
		t.Errorf("the restored volume holds %q, %v", data, err)
	}
	testutil.WaitFor(t, time.Minute, "the snapshot data released", func() (bool, string) {
		_, snaps := b.VolumeIDs()
		return len(snaps) == 0, fmt.Sprint(snaps)
	})
}
