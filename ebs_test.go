package ec2emu_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// volumeState waits until volume id is in state want and, if want is in-use,
// its attachment is attachState.
func waitVolume(t *testing.T, c *ec2.Client, id string, want types.VolumeState, attachState types.VolumeAttachmentState) types.Volume {
	t.Helper()
	var got types.Volume
	testutil.WaitFor(t, 30*time.Second, id+" to be "+string(want)+" "+string(attachState), func() (bool, string) {
		out, err := c.DescribeVolumes(t.Context(), &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
		if err != nil {
			return false, err.Error()
		}
		got = out.Volumes[0]
		saw := string(got.State)
		if len(got.Attachments) > 0 {
			saw += "/" + string(got.Attachments[0].State)
		}
		if got.State != want {
			return false, saw
		}
		if attachState != "" && (len(got.Attachments) == 0 || got.Attachments[0].State != attachState) {
			return false, saw
		}
		return true, saw
	})
	return got
}

func createVolume(t *testing.T, c *ec2.Client, az string, size int32) string {
	t.Helper()
	out := must(c.CreateVolume(t.Context(), &ec2.CreateVolumeInput{AvailabilityZone: aws.String(az), Size: aws.Int32(size)}))
	if out.State != types.VolumeStateCreating {
		t.Errorf("CreateVolume answered state %s, want creating", out.State)
	}
	waitVolume(t, c, aws.ToString(out.VolumeId), types.VolumeStateAvailable, "")
	return aws.ToString(out.VolumeId)
}

func attach(t *testing.T, c *ec2.Client, vol, inst, dev string) {
	t.Helper()
	out := must(c.AttachVolume(t.Context(), &ec2.AttachVolumeInput{VolumeId: aws.String(vol), InstanceId: aws.String(inst), Device: aws.String(dev)}))
	if out.State != types.VolumeAttachmentStateAttaching {
		t.Errorf("AttachVolume answered %s, want attaching", out.State)
	}
	waitVolume(t, c, vol, types.VolumeStateInUse, types.VolumeAttachmentStateAttached)
}

func detach(t *testing.T, c *ec2.Client, vol string) {
	t.Helper()
	out := must(c.DetachVolume(t.Context(), &ec2.DetachVolumeInput{VolumeId: aws.String(vol)}))
	if out.State != types.VolumeAttachmentStateDetaching {
		t.Errorf("DetachVolume answered %s, want detaching", out.State)
	}
	waitVolume(t, c, vol, types.VolumeStateAvailable, "")
}

// TestVolumeDataFollowsAttachment writes through one instance and reads
// through another after detach and attach, over the mock's files.
func TestVolumeDataFollowsAttachment(t *testing.T) {
	srv, b := newServer(t)
	c := srv.Client
	out := run(t, c, &ec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2)})
	waitRunning(t, c, out)
	a, bb := aws.ToString(out.Instances[0].InstanceId), aws.ToString(out.Instances[1].InstanceId)
	az := aws.ToString(out.Instances[0].Placement.AvailabilityZone)

	vol := createVolume(t, c, az, 10)
	attach(t, c, vol, a, "/dev/sdf")
	if err := b.WriteFile(a, "/ebs/sdf/hello.txt", []byte("written by "+a)); err != nil {
		t.Fatal(err)
	}
	inst := must(c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{a}})).Reservations[0].Instances[0]
	var devs []string
	for _, m := range inst.BlockDeviceMappings {
		devs = append(devs, aws.ToString(m.DeviceName)+"="+aws.ToString(m.Ebs.VolumeId))
	}
	if diff := cmp.Diff([]string{"/dev/xvda=vol-" + a[2:], "/dev/sdf=" + vol}, devs); diff != "" {
		t.Errorf("block device mappings (-want +got):\n%s", diff)
	}

	detach(t, c, vol)
	if _, err := b.ReadFile(a, "/ebs/sdf/hello.txt"); err == nil {
		t.Error("the file is still visible in the instance the volume was detached from")
	}
	attach(t, c, vol, bb, "/dev/sdg")
	got, err := b.ReadFile(bb, "/ebs/sdg/hello.txt")
	if err != nil || string(got) != "written by "+a {
		t.Errorf("read through %s: %q, %v; want the file written through %s", bb, got, err, a)
	}

	// Stop and start keep it attached, and its data.
	must(c.StopInstances(t.Context(), &ec2.StopInstancesInput{InstanceIds: []string{bb}}))
	testutil.WaitStates(t, c, 30*time.Second, "stopped", bb)
	must(c.StartInstances(t.Context(), &ec2.StartInstancesInput{InstanceIds: []string{bb}}))
	testutil.WaitStates(t, c, 30*time.Second, "running", bb)
	if got, err := b.ReadFile(bb, "/ebs/sdg/hello.txt"); err != nil || string(got) != "written by "+a {
		t.Errorf("after stop and start: %q, %v", got, err)
	}

	// Terminating the instance leaves a volume attached by AttachVolume
	// (DeleteOnTermination false) available.
	must(c.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: []string{bb}}))
	waitVolume(t, c, vol, types.VolumeStateAvailable, "")
	must(c.DeleteVolume(t.Context(), &ec2.DeleteVolumeInput{VolumeId: aws.String(vol)}))
	testutil.Until(t, 30*time.Second, "the volume's data to be deleted", func() bool {
		vols, _ := b.VolumeIDs()
		return len(vols) == 0
	})
	_, err = c.DescribeVolumes(t.Context(), &ec2.DescribeVolumesInput{VolumeIds: []string{vol}})
	wantAPIError(t, err, "InvalidVolume.NotFound", 400)
}

// TestMappedVolumesAtLaunch: BlockDeviceMapping volumes hold data from the
// first boot, and DeleteOnTermination decides what terminate leaves.
func TestMappedVolumesAtLaunch(t *testing.T) {
	srv, b := newServer(t)
	c := srv.Client
	out := run(t, c, &ec2.RunInstancesInput{BlockDeviceMappings: []types.BlockDeviceMapping{
		{DeviceName: aws.String("/dev/sdf"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(4), DeleteOnTermination: aws.Bool(false)}},
		{DeviceName: aws.String("/dev/sdg"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(4)}},
	}})
	waitRunning(t, c, out)
	id := aws.ToString(out.Instances[0].InstanceId)
	if err := b.WriteFile(id, "/ebs/sdf/kept", []byte("kept")); err != nil {
		t.Fatalf("the mapped volume is not there at first boot: %v", err)
	}
	if err := b.WriteFile(id, "/ebs/sdg/gone", []byte("gone")); err != nil {
		t.Fatal(err)
	}
	vols := must(c.DescribeVolumes(t.Context(), &ec2.DescribeVolumesInput{Filters: []types.Filter{
		{Name: aws.String("attachment.instance-id"), Values: []string{id}}}})).Volumes
	byDev := map[string]string{}
	for _, v := range vols {
		byDev[aws.ToString(v.Attachments[0].Device)] = aws.ToString(v.VolumeId)
	}
	if len(byDev) != 3 {
		t.Fatalf("volumes attached to %s: %v, want the root and two mapped", id, byDev)
	}
	must(c.TerminateInstances(t.Context(), &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))
	kept := waitVolume(t, c, byDev["/dev/sdf"], types.VolumeStateAvailable, "")
	if len(kept.Attachments) != 0 {
		t.Errorf("kept volume still shows attachments %v", kept.Attachments)
	}
	testutil.Until(t, 30*time.Second, "the DeleteOnTermination volume to be gone", func() bool {
		_, err := c.DescribeVolumes(t.Context(), &ec2.DescribeVolumesInput{VolumeIds: []string{byDev["/dev/sdg"]}})
		return apiCode(err) == "InvalidVolume.NotFound"
	})
	held, _ := b.VolumeIDs()
	if diff := cmp.Diff([]string{byDev["/dev/sdf"]}, held); diff != "" {
		t.Errorf("volume data the backend holds (-want +got):\n%s", diff)
	}
	// The kept volume carries its data to another instance.
	out2 := run(t, c, &ec2.RunInstancesInput{Placement: &types.Placement{AvailabilityZone: kept.AvailabilityZone}})
	waitRunning(t, c, out2)
	id2 := aws.ToString(out2.Instances[0].InstanceId)
	attach(t, c, byDev["/dev/sdf"], id2, "/dev/sdh")
	if got, err := b.ReadFile(id2, "/ebs/sdh/kept"); err != nil || string(got) != "kept" {
		t.Errorf("read %q, %v; want kept", got, err)
	}
}

func TestVolumeErrors(t *testing.T) {
	srv, _ := newServer(t)
	c := srv.Client
	out := run(t, c, &ec2.RunInstancesInput{Placement: &types.Placement{AvailabilityZone: aws.String("us-east-1a")}})
	waitRunning(t, c, out)
	inst := aws.ToString(out.Instances[0].InstanceId)
	vol := createVolume(t, c, "us-east-1a", 1)
	other := createVolume(t, c, "us-east-1b", 1)
	attach(t, c, vol, inst, "/dev/sdf")
	root := "vol-" + inst[2:]
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		call func(context.Context) error
		code string
	}{
		{"no zone", func(ctx context.Context) error {
			return second(c.CreateVolume(ctx, &ec2.CreateVolumeInput{Size: aws.Int32(1)}))
		}, "MissingParameter"},
		{"bad zone", func(ctx context.Context) error {
			return second(c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1z"), Size: aws.Int32(1)}))
		}, "InvalidParameterValue"},
		{"no size", func(ctx context.Context) error {
			return second(c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a")}))
		}, "MissingParameter"},
		{"too small for st1", func(ctx context.Context) error {
			return second(c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(1), VolumeType: types.VolumeTypeSt1}))
		}, "InvalidParameterValue"},
		{"iops on gp2", func(ctx context.Context) error {
			return second(c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(1), Iops: aws.Int32(3000)}))
		}, "InvalidParameterCombination"},
		{"unknown snapshot", func(ctx context.Context) error {
			return second(c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), SnapshotId: aws.String("snap-0123456789abcdef0")}))
		}, "InvalidSnapshot.NotFound"},
		{"delete attached", func(ctx context.Context) error {
			return second(c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(vol)}))
		}, "VolumeInUse"},
		{"delete root", func(ctx context.Context) error {
			return second(c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(root)}))
		}, "VolumeInUse"},
		{"delete unknown", func(ctx context.Context) error {
			return second(c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String("vol-0123456789abcdef0")}))
		}, "InvalidVolume.NotFound"},
		{"delete malformed", func(ctx context.Context) error {
			return second(c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String("volume-1")}))
		}, "InvalidVolumeID.Malformed"},
		{"attach twice", func(ctx context.Context) error {
			return second(c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String(vol), InstanceId: aws.String(inst), Device: aws.String("/dev/sdg")}))
		}, "VolumeInUse"},
		{"other zone", func(ctx context.Context) error {
			return second(c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String(other), InstanceId: aws.String(inst), Device: aws.String("/dev/sdg")}))
		}, "InvalidVolume.ZoneMismatch"},
		{"bad device", func(ctx context.Context) error {
			return second(c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String(vol), InstanceId: aws.String(inst), Device: aws.String("/dev/foo")}))
		}, "InvalidParameterValue"},
		{"device in use", func(ctx context.Context) error {
			v := createVolume(t, c, "us-east-1a", 1)
			return second(c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String(v), InstanceId: aws.String(inst), Device: aws.String("/dev/sdf")}))
		}, "InvalidParameterValue"},
		{"unknown instance", func(ctx context.Context) error {
			return second(c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String(other), InstanceId: aws.String("i-0123456789abcdef0"), Device: aws.String("/dev/sdg")}))
		}, "InvalidInstanceID.NotFound"},
		{"detach available", func(ctx context.Context) error {
			return second(c.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: aws.String(other)}))
		}, "IncorrectState"},
		{"detach from another instance", func(ctx context.Context) error {
			return second(c.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: aws.String(vol), InstanceId: aws.String("i-0123456789abcdef0")}))
		}, "InvalidAttachment.NotFound"},
		{"detach root", func(ctx context.Context) error {
			return second(c.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: aws.String(root)}))
		}, "OperationNotPermitted"},
		{"shrink", func(ctx context.Context) error {
			must(c.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String(other), Size: aws.Int32(2)}))
			return second(c.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String(other), Size: aws.Int32(1)}))
		}, "InvalidParameterValue"},
		{"multi-attach", func(ctx context.Context) error {
			return second(c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(4), VolumeType: types.VolumeTypeIo2, Iops: aws.Int32(100), MultiAttachEnabled: aws.Bool(true)}))
		}, "UnsupportedOperation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(ctx)
			wantAPIError(t, err, tc.code, 400)
		})
	}
	// Nothing was half-applied: the volumes are as they were.
	got := waitVolume(t, c, vol, types.VolumeStateInUse, types.VolumeAttachmentStateAttached)
	if aws.ToString(got.Attachments[0].Device) != "/dev/sdf" {
		t.Errorf("attachment changed: %+v", got.Attachments[0])
	}
	if got := waitVolume(t, c, other, types.VolumeStateAvailable, ""); aws.ToInt32(got.Size) != 2 {
		t.Errorf("size after a refused shrink = %d, want 2", aws.ToInt32(got.Size))
	}
}

func TestModifyVolumeAndAttributes(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, t.Context()
	vol := createVolume(t, c, "us-east-1a", 10)
	mod := must(c.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), Size: aws.Int32(20), VolumeType: types.VolumeTypeGp3})).VolumeModification
	want := types.VolumeModification{
		VolumeId: aws.String(vol), ModificationState: types.VolumeModificationStateCompleted, Progress: aws.Int64(100),
		OriginalSize: aws.Int32(10), OriginalIops: aws.Int32(100), OriginalVolumeType: types.VolumeTypeGp2,
		TargetSize: aws.Int32(20), TargetIops: aws.Int32(3000), TargetVolumeType: types.VolumeTypeGp3, TargetThroughput: aws.Int32(125),
		OriginalMultiAttachEnabled: aws.Bool(false), TargetMultiAttachEnabled: aws.Bool(false),
	}
	mod.StartTime, mod.EndTime = nil, nil
	if diff := cmp.Diff(want, *mod, cmpopts.IgnoreUnexported(types.VolumeModification{})); diff != "" {
		t.Errorf("ModifyVolume (-want +got):\n%s", diff)
	}
	mods := must(c.DescribeVolumesModifications(ctx, &ec2.DescribeVolumesModificationsInput{VolumeIds: []string{vol}})).VolumesModifications
	if len(mods) != 1 || aws.ToInt32(mods[0].TargetSize) != 20 {
		t.Errorf("DescribeVolumesModifications = %+v", mods)
	}
	v := waitVolume(t, c, vol, types.VolumeStateAvailable, "")
	if aws.ToInt32(v.Size) != 20 || v.VolumeType != types.VolumeTypeGp3 || aws.ToInt32(v.Iops) != 3000 {
		t.Errorf("volume after ModifyVolume: size %d type %s iops %d", aws.ToInt32(v.Size), v.VolumeType, aws.ToInt32(v.Iops))
	}

	must(c.ModifyVolumeAttribute(ctx, &ec2.ModifyVolumeAttributeInput{VolumeId: aws.String(vol), AutoEnableIO: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))
	attr := must(c.DescribeVolumeAttribute(ctx, &ec2.DescribeVolumeAttributeInput{VolumeId: aws.String(vol), Attribute: types.VolumeAttributeNameAutoEnableIO}))
	if !aws.ToBool(attr.AutoEnableIO.Value) {
		t.Error("autoEnableIO not kept")
	}
	st := must(c.DescribeVolumeStatus(ctx, &ec2.DescribeVolumeStatusInput{VolumeIds: []string{vol}})).VolumeStatuses
	if len(st) != 1 || st[0].VolumeStatus.Status != types.VolumeStatusInfoStatusOk {
		t.Errorf("DescribeVolumeStatus = %+v", st)
	}
}

// TestVolumesSurviveRestart: volumes, their attachments and their data are
// there after the emulator restarts over the same backend.
func TestVolumesSurviveRestart(t *testing.T) {
	b := mock.New(mock.WithDelay(5 * time.Millisecond))
	st := newStateful(t, b)
	out := run(t, st.c, &ec2.RunInstancesInput{})
	waitRunning(t, st.c, out)
	inst := aws.ToString(out.Instances[0].InstanceId)
	az := aws.ToString(out.Instances[0].Placement.AvailabilityZone)
	vol := createVolume(t, st.c, az, 5)
	attach(t, st.c, vol, inst, "/dev/sdf")
	if err := b.WriteFile(inst, "/ebs/sdf/f", []byte("x")); err != nil {
		t.Fatal(err)
	}
	spare := createVolume(t, st.c, az, 6)
	before := describeAll(t, st.c)
	st.stop(true)
	st.start()
	if diff := cmp.Diff(before, describeAll(t, st.c)); diff != "" {
		t.Errorf("after restart (-before +after):\n%s", diff)
	}
	detach(t, st.c, vol)
	must(st.c.DeleteVolume(t.Context(), &ec2.DeleteVolumeInput{VolumeId: aws.String(spare)}))
	_, err := st.c.DescribeVolumes(t.Context(), &ec2.DescribeVolumesInput{VolumeIds: []string{spare}})
	wantAPIError(t, err, "InvalidVolume.NotFound", 400)
}

// plainBackend hides the mock's optional capabilities, as a backend that
// keeps no volume data.
type plainBackend struct{ backend.Backend }

// TestVolumesWithoutVolumeData: on a backend without volume data, the
// volume actions that need data answer UnsupportedOperation, and mappings
// at launch are records that can still be detached and deleted.
func TestVolumesWithoutVolumeData(t *testing.T) {
	srv := ec2emutest.NewServer(t, plainBackend{mock.New(mock.WithDelay(time.Millisecond))})
	c, ctx := srv.Client, t.Context()
	_, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(1)})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	out := run(t, c, &ec2.RunInstancesInput{BlockDeviceMappings: []types.BlockDeviceMapping{
		{DeviceName: aws.String("/dev/sdf"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(2), DeleteOnTermination: aws.Bool(false)}}}})
	waitRunning(t, c, out)
	id := aws.ToString(out.Instances[0].InstanceId)
	vols := must(c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []types.Filter{
		{Name: aws.String("attachment.device"), Values: []string{"/dev/sdf"}}}})).Volumes
	if len(vols) != 1 || aws.ToString(vols[0].Attachments[0].InstanceId) != id {
		t.Fatalf("mapped volume: %+v", vols)
	}
	vol := aws.ToString(vols[0].VolumeId)
	detach(t, c, vol)
	_, err = c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: &vol, InstanceId: &id, Device: aws.String("/dev/sdf")})
	wantAPIError(t, err, "UnsupportedOperation", 400)
	must(c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: &vol}))
	_, err = c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{vol}})
	wantAPIError(t, err, "InvalidVolume.NotFound", 400)
}

// gatedVolumes holds the mock's volume creates and deletes until its
// context ends: a server killed meanwhile never hears back.
type gatedVolumes struct{ *mock.Backend }

func (g gatedVolumes) CreateVolume(ctx context.Context, spec backend.VolumeSpec) error {
	<-ctx.Done()
	return ctx.Err()
}

func (g gatedVolumes) DeleteVolume(ctx context.Context, id string) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestVolumeWorkResumesAfterRestart: a create and a delete the server
// acknowledged but had not finished when it stopped are finished by the
// next start.
func TestVolumeWorkResumesAfterRestart(t *testing.T) {
	b := mock.New(mock.WithDelay(5 * time.Millisecond))
	st := newStateful(t, b)
	ctx := t.Context()
	gone := createVolume(t, st.c, "us-east-1a", 1)
	st.stop(false)
	st.b = gatedVolumes{b}
	st.start()
	made := aws.ToString(must(st.c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(2)})).VolumeId)
	must(st.c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(gone)}))
	st.stop(false) // Close cuts the backend calls short
	st.b = b
	st.start()
	waitVolume(t, st.c, made, types.VolumeStateAvailable, "")
	testutil.Until(t, 30*time.Second, gone+" to be deleted", func() bool {
		_, err := st.c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{gone}})
		return apiCode(err) == "InvalidVolume.NotFound"
	})
	if vols, _ := b.VolumeIDs(); !cmp.Equal(vols, []string{made}) {
		t.Errorf("the backend holds data of %v, want only %s", vols, made)
	}
}
