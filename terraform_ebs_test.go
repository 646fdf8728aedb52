package ec2emu_test

// The Terraform replay of a volume attached to an instance:
//
//	resource "aws_ebs_volume" "data" {
//	  availability_zone = aws_instance.web.availability_zone
//	  size = 4, type = "gp3", tags = { Name = "tf-data" }
//	}
//	resource "aws_volume_attachment" "data" {
//	  device_name = "/dev/sdh"
//	  volume_id   = aws_ebs_volume.data.id
//	  instance_id = aws_instance.web.id
//	}
//
// aws_ebs_volume's calls (internal/service/ec2/ebs_volume.go and
// ebs_volume_attachment.go, with findEBSVolumeByID, waitVolumeCreated,
// waitVolumeDeleted, findVolumeAttachment, waitVolumeAttachmentCreated,
// waitVolumeAttachmentDeleted):
//
//	create  CreateVolume AvailabilityZone, Size, VolumeType,
//	        TagSpecification volume; DescribeVolumes VolumeId.1 until
//	        available; Read.
//	read    DescribeVolumes VolumeId.1 (InvalidVolume.NotFound: gone).
//	delete  DeleteVolume (retried on VolumeInUse); DescribeVolumes
//	        VolumeId.1 until InvalidVolume.NotFound.
//
// aws_volume_attachment's:
//
//	create  DescribeVolumes VolumeId.1, Filter attachment.device and
//	        attachment.instance-id; none: DescribeInstances until running
//	        or stopped, AttachVolume Device, InstanceId, VolumeId, then
//	        DescribeVolumes (same filters) until the attachment is
//	        attached; Read.
//	read    DescribeVolumes (same filters); none: gone.
//	delete  DetachVolume Device, InstanceId, VolumeId (IncorrectState
//	        "available" tolerated); DescribeVolumes (same filters) until
//	        none.

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

type tfEBS struct {
	t        *testing.T
	c        *ec2.Client
	inst, az string
	volID    string
	state    map[string]string
}

// findVolume is findEBSVolumeByID: nil when the volume is gone.
func (r *tfEBS) findVolume() *types.Volume {
	out, err := r.c.DescribeVolumes(ctxT(r.t), &ec2.DescribeVolumesInput{VolumeIds: []string{r.volID}})
	if apiCode(err) == "InvalidVolume.NotFound" {
		return nil
	}
	if err != nil {
		r.t.Fatalf("findEBSVolumeByID: %v", err)
	}
	return &out.Volumes[0]
}

// findAttachment is findVolumeAttachment: nil when there is none.
func (r *tfEBS) findAttachment() *types.VolumeAttachment {
	out, err := r.c.DescribeVolumes(ctxT(r.t), &ec2.DescribeVolumesInput{VolumeIds: []string{r.volID}, Filters: []types.Filter{
		{Name: aws.String("attachment.device"), Values: []string{"/dev/sdh"}},
		{Name: aws.String("attachment.instance-id"), Values: []string{r.inst}},
	}})
	if err != nil {
		r.t.Fatalf("findVolumeAttachment: %v", err)
	}
	for _, v := range out.Volumes {
		for _, a := range v.Attachments {
			if aws.ToString(a.Device) == "/dev/sdh" && aws.ToString(a.InstanceId) == r.inst {
				return &a
			}
		}
	}
	return nil
}

// until polls cond as Terraform's waiters do, failing after a minute.
func (r *tfEBS) until(what string, cond func() bool) {
	testutil.Until(r.t, time.Minute, what, cond)
}

func (r *tfEBS) createVolume() {
	out, err := r.c.CreateVolume(ctxT(r.t), &ec2.CreateVolumeInput{AvailabilityZone: &r.az, Size: aws.Int32(4),
		VolumeType: types.VolumeTypeGp3, TagSpecifications: tagSpec(types.ResourceTypeVolume, "Name", "tf-data")})
	if err != nil {
		r.t.Fatalf("CreateVolume: %v", err)
	}
	r.volID = aws.ToString(out.VolumeId)
	r.until("waitVolumeCreated", func() bool { v := r.findVolume(); return v != nil && v.State == types.VolumeStateAvailable })
	r.readVolume()
}

func (r *tfEBS) readVolume() {
	v := r.findVolume()
	if v == nil {
		r.t.Fatal("the volume is gone")
	}
	tags := map[string]string{}
	for _, tg := range v.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	r.state = map[string]string{
		"availability_zone": aws.ToString(v.AvailabilityZone), "size": strconv.Itoa(int(aws.ToInt32(v.Size))),
		"type": string(v.VolumeType), "iops": strconv.Itoa(int(aws.ToInt32(v.Iops))), "throughput": strconv.Itoa(int(aws.ToInt32(v.Throughput))),
		"encrypted": strconv.FormatBool(aws.ToBool(v.Encrypted)), "kms_key_id": aws.ToString(v.KmsKeyId),
		"multi_attach_enabled": strconv.FormatBool(aws.ToBool(v.MultiAttachEnabled)), "snapshot_id": aws.ToString(v.SnapshotId),
		"outpost_arn": aws.ToString(v.OutpostArn), "tags.Name": tags["Name"],
	}
}

func (r *tfEBS) createAttachment() {
	if r.findAttachment() == nil {
		r.until("the instance to be running or stopped", func() bool {
			out, err := r.c.DescribeInstances(ctxT(r.t), &ec2.DescribeInstancesInput{InstanceIds: []string{r.inst}})
			if err != nil {
				return false
			}
			s := out.Reservations[0].Instances[0].State.Name
			return s == types.InstanceStateNameRunning || s == types.InstanceStateNameStopped
		})
		if _, err := r.c.AttachVolume(ctxT(r.t), &ec2.AttachVolumeInput{Device: aws.String("/dev/sdh"), InstanceId: &r.inst, VolumeId: &r.volID}); err != nil {
			r.t.Fatalf("AttachVolume: %v", err)
		}
	}
	r.until("waitVolumeAttachmentCreated", func() bool {
		a := r.findAttachment()
		return a != nil && a.State == types.VolumeAttachmentStateAttached
	})
	if r.findAttachment() == nil {
		r.t.Fatal("the attachment is gone")
	}
}

func (r *tfEBS) deleteAttachment() {
	_, err := r.c.DetachVolume(ctxT(r.t), &ec2.DetachVolumeInput{Device: aws.String("/dev/sdh"), InstanceId: &r.inst, VolumeId: &r.volID})
	if err != nil && !(apiCode(err) == "IncorrectState" && strings.Contains(err.Error(), "available")) {
		r.t.Fatalf("DetachVolume: %v", err)
	}
	r.until("waitVolumeAttachmentDeleted", func() bool { return r.findAttachment() == nil })
}

func (r *tfEBS) deleteVolume() {
	r.until("DeleteVolume (retried on VolumeInUse)", func() bool {
		_, err := r.c.DeleteVolume(ctxT(r.t), &ec2.DeleteVolumeInput{VolumeId: &r.volID})
		if err != nil && apiCode(err) != "VolumeInUse" {
			r.t.Fatalf("DeleteVolume: %v", err)
		}
		return err == nil
	})
	r.until("waitVolumeDeleted", func() bool { return r.findVolume() == nil })
}

func TestTerraformEBSReplay(t *testing.T) {
	b := mock.New(mock.WithDelay(20 * time.Millisecond))
	replayEBS(t, b, ubuntuAMI, func(t *testing.T, inst string) {
		if err := b.WriteFile(inst, "/ebs/sdh/terraform", []byte("ok")); err != nil {
			t.Errorf("the attached volume is not in the instance: %v", err)
		}
	})
}

// replayEBS replays aws_ebs_volume and aws_volume_attachment over b: create,
// refresh, destroy. inside checks the volume from inside the instance while
// it is attached.
func replayEBS(t *testing.T, b backend.Backend, ami string, inside func(t *testing.T, inst string)) {
	srv := ec2emu.New(b)
	log := &actionLog{}
	hs := httptest.NewServer(log.wrap(srv))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	// The instance is another resource's; make it outside the log.
	direct := httptest.NewServer(srv)
	t.Cleanup(direct.Close)
	dc := ec2emutest.Client(direct.URL, "us-east-1")
	out := run(t, dc, &ec2.RunInstancesInput{ImageId: aws.String(ami)})
	waitRunning(t, dc, out)
	r := &tfEBS{t: t, c: ec2emutest.Client(hs.URL, "us-east-1"), inst: aws.ToString(out.Instances[0].InstanceId),
		az: aws.ToString(out.Instances[0].Placement.AvailabilityZone)}
	t.Cleanup(func() {
		// Terminated before the server closes, so that its machine goes
		// the way EC2's does rather than in the middle of Close.
		if _, err := dc.TerminateInstances(ctxT(t), &ec2.TerminateInstancesInput{InstanceIds: []string{r.inst}}); err != nil {
			t.Errorf("TerminateInstances: %v", err)
			return
		}
		// t.Context is done by now: wait with a context of our own.
		testutil.Until(t, time.Minute, r.inst+" to be terminated", func() bool {
			out, err := dc.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{r.inst}})
			return err == nil && out.Reservations[0].Instances[0].State.Name == types.InstanceStateNameTerminated
		})
	})
	wantState := map[string]string{
		"availability_zone": r.az, "size": "4", "type": "gp3", "iops": "3000", "throughput": "125", "encrypted": "false",
		"kms_key_id": "", "multi_attach_enabled": "false", "snapshot_id": "", "outpost_arn": "", "tags.Name": "tf-data",
	}
	seq := func() string {
		// Runs of the same poll are one: how many a waiter makes is timing.
		var out []string
		for _, a := range log.sequence() {
			if len(out) == 0 || out[len(out)-1] != a {
				out = append(out, a)
			}
		}
		return fmt.Sprint(out)
	}

	t.Run("create", func(t *testing.T) {
		r.t = t
		r.createVolume()
		if diff := cmp.Diff(wantState, r.state); diff != "" {
			t.Errorf("aws_ebs_volume state (-want +got):\n%s", diff)
		}
		r.createAttachment()
		want := "[CreateVolume DescribeVolumes DescribeInstances AttachVolume DescribeVolumes]"
		if got := seq(); got != want {
			t.Errorf("calls = %s, want %s", got, want)
		}
		inside(t, r.inst)
	})
	if r.volID == "" {
		t.Fatal("create failed")
	}
	t.Run("refresh", func(t *testing.T) {
		r.t = t
		before := r.state
		r.readVolume()
		if r.findAttachment() == nil {
			t.Error("refresh lost the attachment: a plan would recreate it")
		}
		if diff := cmp.Diff(before, r.state); diff != "" {
			t.Errorf("refresh changed state (-before +after):\n%s", diff)
		}
		if got := seq(); got != "[DescribeVolumes]" {
			t.Errorf("calls = %s", got)
		}
	})
	t.Run("destroy", func(t *testing.T) {
		r.t = t
		r.deleteAttachment()
		r.deleteVolume()
		if got, want := seq(), "[DetachVolume DescribeVolumes DeleteVolume DescribeVolumes]"; got != want {
			t.Errorf("calls = %s, want %s", got, want)
		}
	})
}

// TestTerraformEBSReplayDocker makes the same calls against real containers:
// the attached volume is a directory in the container, and writable.
func TestTerraformEBSReplayDocker(t *testing.T) {
	t.Parallel()
	b, _, ami := dockerBackend(t)
	if err := b.VolumesAvailable(); err != nil {
		t.Skipf("volumes do not work here: %v", err)
	}
	replayEBS(t, b, ami, func(t *testing.T, inst string) {
		var out bytes.Buffer
		code, err := b.Exec(ctxT(t), inst, backend.ExecSpec{Cmd: []string{"sh", "-c", "echo ok > /ebs/sdh/terraform && cat /ebs/sdh/terraform"},
			Stdout: &out, Stderr: &out})
		if err != nil || code != 0 || strings.TrimSpace(out.String()) != "ok" {
			t.Errorf("writing to the attached volume inside the container: exit %d, %v\n%s", code, err, out.String())
		}
	})
}
