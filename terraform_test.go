package ec2emu_test

// The Terraform replay test: Terraform cannot be installed here, so this
// test makes, with the Go SDK, the calls terraform-provider-aws's
// aws_instance resource makes (internal/service/ec2/ec2_instance.go, the
// aws-sdk-go-v2 version: resourceInstanceCreate/Read/Update/Delete,
// modifyInstanceAttributeWithStopStart, stopInstance/startInstance/
// terminateInstance, waitInstanceCreated/Started/Stopped/Deleted and
// findInstanceByID, findInstanceTypeByName,
// findInstanceCreditSpecificationByID, findInstanceTagValue) for
//
//	resource "aws_instance" "web" {
//	  ami           = "ami-df5de72bdb3b"
//	  instance_type = "t3.micro"
//	  user_data     = "#!/bin/sh\necho v1\n"   # then "…v2…": update in place
//	  tags          = { Name = "tf-replay" }
//	}
//
// and checks every answer. The sequence, in order:
//
// create (resourceInstanceCreate, then resourceInstanceUpdate with
// IsNewResource, which makes no call for this configuration, then Read):
//
//	RunInstances  MinCount=MaxCount=1, ClientToken, ImageId, InstanceType,
//	              UserData (base64), CreditSpecification.CpuCredits=unlimited
//	              (the provider's default for t3*), DisableApiTermination=false,
//	              EbsOptimized=false, Monitoring.Enabled=false,
//	              Placement.AvailabilityZone="", TagSpecification instance
//	DescribeInstances InstanceId.1 — polled until running (waitInstanceCreated:
//	              pending is the only state allowed on the way)
//	Read
//
// read (resourceInstanceRead; also Terraform's refresh before every plan):
//
//	DescribeInstances InstanceId.1            findInstanceByID (terminated = gone)
//	DescribeInstanceTypes InstanceType.1      findInstanceTypeByName: burstable?
//	DescribeTags resource-id=ID, key=aws:ec2launchtemplate:id   (launch template)
//	DescribeVpcs VpcId.1                      readSecurityGroups, only if vpcId set
//	DescribeInstanceAttribute instanceInitiatedShutdownBehavior
//	DescribeVolumes VolumeId.N                readBlockDevices: the mapped EBS volumes
//	DescribeInstanceAttribute disableApiStop
//	DescribeInstanceAttribute disableApiTermination
//	DescribeInstanceAttribute userData        (state keeps its SHA-1)
//	DescribeInstanceCreditSpecifications InstanceId.1   only for burstable types
//
// update user_data (refresh = Read, then resourceInstanceUpdate):
//
//	StopInstances InstanceId.1 Force=false
//	DescribeInstances — polled until stopped (pending/running/shutting-down/
//	              stopping allowed on the way)
//	ModifyInstanceAttribute UserData.Value (the SDK base64-encodes the bytes)
//	StartInstances InstanceId.1
//	DescribeInstances — polled until running (pending/stopped allowed)
//	Read
//
// destroy (refresh = Read, then resourceInstanceDelete):
//
//	ModifyInstanceAttribute DisableApiTermination.Value=false   always
//	(ModifyInstanceAttribute DisableApiStop only when disable_api_stop is set)
//	TerminateInstances InstanceId.1
//	DescribeInstances — polled until terminated
//
// and a refresh afterwards finds the instance terminated, so Terraform drops
// it from state.
//
// The configuration also sets vpc_security_group_ids to a group made
// beforehand (as an aws_security_group resource would be): RunInstances
// carries SecurityGroupId.1, and Read keeps groupSet.

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// tfConfig is the aws_instance configuration replayed.
type tfConfig struct {
	AMI, InstanceType, UserData string
	Tags                        map[string]string
	// VPCSecurityGroupIDs is vpc_security_group_ids: sent as SecurityGroupId.N
	// (no subnet_id) and read back from groupSet by readSecurityGroups.
	VPCSecurityGroupIDs []string
	// SubnetID is subnet_id: sent as SubnetId (terraform_eip_test.go).
	SubnetID string
}

// tfReplay drives one aws_instance through the provider's calls and keeps
// what Terraform would keep in state.
type tfReplay struct {
	t     *testing.T
	c     *ec2.Client
	cfg   tfConfig
	id    string
	state map[string]string // the attributes Read sets that the test checks
}

func userDataHash(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// poll is the provider's StateChangeConf over statusInstance: it reads the
// instance until it reaches target and fails on any state outside pending.
func (r *tfReplay) poll(what string, target types.InstanceStateName, pending ...types.InstanceStateName) types.Instance {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := r.c.DescribeInstances(ctxT(r.t), &ec2.DescribeInstancesInput{InstanceIds: []string{r.id}})
		if err != nil {
			r.t.Fatalf("%s: DescribeInstances: %v", what, err)
		}
		if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
			r.t.Fatalf("%s: DescribeInstances found %d reservations, want exactly one instance", what, len(out.Reservations))
		}
		inst := out.Reservations[0].Instances[0]
		switch s := inst.State.Name; {
		case s == target:
			return inst
		case !slices.Contains(pending, s):
			r.t.Fatalf("%s: unexpected state %s (want %s, passing only %v)", what, s, target, pending)
		case time.Now().After(deadline):
			r.t.Fatalf("%s: still %s after 30s", what, s)
		}
		time.Sleep(20 * time.Millisecond) // the provider waits 3–10s between polls
	}
}

func (r *tfReplay) create() {
	r.t.Helper()
	t, ctx := r.t, ctxT(r.t)
	in := &ec2.RunInstancesInput{
		ClientToken:           aws.String("terraform-20261127000000000000000001"),
		ImageId:               aws.String(r.cfg.AMI),
		InstanceType:          types.InstanceType(r.cfg.InstanceType),
		MinCount:              aws.Int32(1),
		MaxCount:              aws.Int32(1),
		DisableApiTermination: aws.Bool(false),
		EbsOptimized:          aws.Bool(false),
		Monitoring:            &types.RunInstancesMonitoringEnabled{Enabled: aws.Bool(false)},
		Placement:             &types.Placement{AvailabilityZone: aws.String("")},
		HibernationOptions:    &types.HibernationOptionsRequest{Configured: aws.Bool(false)},
		UserData:              aws.String(base64.StdEncoding.EncodeToString([]byte(r.cfg.UserData))),
		SecurityGroupIds:      r.cfg.VPCSecurityGroupIDs,
	}
	if r.cfg.SubnetID != "" {
		in.SubnetId = aws.String(r.cfg.SubnetID)
	}
	if strings.HasPrefix(r.cfg.InstanceType, "t3") {
		in.CreditSpecification = &types.CreditSpecificationRequest{CpuCredits: aws.String("unlimited")}
	}
	if len(r.cfg.Tags) > 0 {
		ts := types.TagSpecification{ResourceType: types.ResourceTypeInstance}
		for k, v := range r.cfg.Tags {
			ts.Tags = append(ts.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []types.TagSpecification{ts}
	}
	out, err := r.c.RunInstances(ctx, in)
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	if len(out.Instances) != 1 {
		t.Fatalf("RunInstances launched %d instances, want 1", len(out.Instances))
	}
	r.id = aws.ToString(out.Instances[0].InstanceId)
	inst := r.poll("waitInstanceCreated", types.InstanceStateNameRunning, types.InstanceStateNamePending)
	if inst.PrivateIpAddress == nil {
		t.Errorf("running instance has no private IP: the provider's connection info needs one")
	}
	r.read()
}

// read is resourceInstanceRead.
func (r *tfReplay) read() {
	r.t.Helper()
	t, ctx, id := r.t, ctxT(r.t), aws.String(r.id)
	out, err := r.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{r.id}})
	if err != nil {
		t.Fatalf("findInstanceByID: %v", err)
	}
	inst := out.Reservations[0].Instances[0]
	if inst.State.Name == types.InstanceStateNameTerminated {
		r.state = nil // gone: Terraform removes it from state
		return
	}
	if aws.ToString(inst.InstanceId) != r.id {
		t.Fatalf("findInstanceByID: got %s", aws.ToString(inst.InstanceId))
	}

	// findInstanceTypeByName: the provider reads credits only for burstable types.
	var burstable bool
	it, err := r.c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{inst.InstanceType}})
	if err != nil || len(it.InstanceTypes) != 1 {
		t.Fatalf("findInstanceTypeByName(%s): %v", inst.InstanceType, err)
	}
	burstable = aws.ToBool(it.InstanceTypes[0].BurstablePerformanceSupported)

	// flattenInstanceLaunchTemplate → findInstanceTagValue.
	lt, err := r.c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{
		{Name: aws.String("resource-id"), Values: []string{r.id}},
		{Name: aws.String("key"), Values: []string{"aws:ec2launchtemplate:id"}},
	}})
	if err != nil {
		t.Fatalf("findInstanceTagValue: %v", err)
	}
	if len(lt.Tags) != 0 {
		t.Errorf("launch template tag found on an instance launched without one: %+v", lt.Tags)
	}

	r.readSecurityGroups(inst)

	sb, err := r.c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: id, Attribute: types.InstanceAttributeNameInstanceInitiatedShutdownBehavior})
	if err != nil || sb.InstanceInitiatedShutdownBehavior == nil {
		t.Fatalf("readInstanceShutdownBehavior: %v", err)
	}

	// readBlockDevices: DescribeVolumes of the mapped EBS volumes; the root
	// one is the mapping whose device is rootDeviceName.
	var volIDs []string
	rootVol := ""
	for _, m := range inst.BlockDeviceMappings {
		if m.Ebs != nil {
			volIDs = append(volIDs, aws.ToString(m.Ebs.VolumeId))
			if aws.ToString(m.DeviceName) == aws.ToString(inst.RootDeviceName) {
				rootVol = aws.ToString(m.Ebs.VolumeId)
			}
		}
	}
	if rootVol == "" {
		t.Fatalf("no block device mapping at the root device %s: %+v", aws.ToString(inst.RootDeviceName), inst.BlockDeviceMappings)
	}
	vols, err := r.c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: volIDs})
	if err != nil || len(vols.Volumes) != len(volIDs) {
		t.Fatalf("readBlockDevices: DescribeVolumes %v: %v", volIDs, err)
	}

	stop, err := r.c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: id, Attribute: types.InstanceAttributeNameDisableApiStop})
	if err != nil {
		t.Fatalf("disableApiStop: %v", err)
	}
	term, err := r.c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: id, Attribute: types.InstanceAttributeNameDisableApiTermination})
	if err != nil {
		t.Fatalf("disableApiTermination: %v", err)
	}
	ud, err := r.c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: id, Attribute: types.InstanceAttributeNameUserData})
	if err != nil || ud.UserData == nil || ud.UserData.Value == nil {
		t.Fatalf("userData: %v (the provider keeps the old value when the answer has none)", err)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(ud.UserData.Value))
	if err != nil {
		t.Fatalf("userData is not base64: %v", err)
	}
	credits := ""
	if burstable {
		cs, err := r.c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{r.id}})
		if err != nil || len(cs.InstanceCreditSpecifications) != 1 || aws.ToString(cs.InstanceCreditSpecifications[0].InstanceId) != r.id {
			t.Fatalf("findInstanceCreditSpecificationByID: %v", err)
		}
		credits = aws.ToString(cs.InstanceCreditSpecifications[0].CpuCredits)
	}
	r.state = map[string]string{
		"instance_state":                       string(inst.State.Name),
		"instance_type":                        string(inst.InstanceType),
		"ami":                                  aws.ToString(inst.ImageId),
		"tags.Name":                            testutil.TagMap(inst.Tags)["Name"],
		"instance_initiated_shutdown_behavior": aws.ToString(sb.InstanceInitiatedShutdownBehavior.Value),
		"root_block_device.volume_id":          rootVol,
		"root_block_device.volume_size":        itoa32(vols.Volumes[0].Size),
		"root_block_device.volume_type":        string(vols.Volumes[0].VolumeType),
		"disable_api_stop":                     boolString(stop.DisableApiStop.Value),
		"disable_api_termination":              boolString(term.DisableApiTermination.Value),
		"user_data":                            userDataHash(string(raw)),
		"credit_specification.cpu_credits":     credits,
		"metadata_options.http_tokens":         string(inst.MetadataOptions.HttpTokens),
		"maintenance_options.auto_recovery":    string(inst.MaintenanceOptions.AutoRecovery),
	}
}

// readSecurityGroups: an instance in a VPC makes the provider read the VPC
// (is it the default one?) and keep the groups by ID or by name.
func (r *tfReplay) readSecurityGroups(inst types.Instance) {
	r.t.Helper()
	if inst.VpcId == nil {
		r.t.Errorf("instance %s reports no vpcId: every instance is in a VPC", r.id)
		return
	}
	out, err := r.c.DescribeVpcs(ctxT(r.t), &ec2.DescribeVpcsInput{VpcIds: []string{aws.ToString(inst.VpcId)}})
	if err != nil || len(out.Vpcs) != 1 {
		r.t.Fatalf("findVPCByID(%s): %v", aws.ToString(inst.VpcId), err)
	}
	var got []string
	for _, g := range inst.SecurityGroups {
		got = append(got, aws.ToString(g.GroupId))
	}
	if len(r.cfg.VPCSecurityGroupIDs) > 0 {
		if diff := cmp.Diff(r.cfg.VPCSecurityGroupIDs, got); diff != "" {
			r.t.Errorf("vpc_security_group_ids read back (-want +got):\n%s", diff)
		}
	}
}

// updateUserData is resourceInstanceUpdate for a user_data change:
// modifyInstanceAttributeWithStopStart, then Read.
func (r *tfReplay) updateUserData(userData string) {
	r.t.Helper()
	t, ctx := r.t, ctxT(r.t)
	stop, err := r.c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{r.id}, Force: aws.Bool(false)})
	if err != nil {
		t.Fatalf("stopInstance: %v", err)
	}
	if got := stop.StoppingInstances[0].CurrentState.Name; got != types.InstanceStateNameStopping && got != types.InstanceStateNameStopped {
		t.Errorf("StopInstances current state %s", got)
	}
	r.poll("waitInstanceStopped", types.InstanceStateNameStopped, types.InstanceStateNamePending, types.InstanceStateNameRunning,
		types.InstanceStateNameShuttingDown, types.InstanceStateNameStopping)
	if _, err := r.c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(r.id),
		UserData: &types.SecureBlobAttributeValue{Value: []byte(userData)}}); err != nil {
		t.Fatalf("ModifyInstanceAttribute UserData: %v", err)
	}
	if _, err := r.c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{r.id}}); err != nil {
		t.Fatalf("startInstance: %v", err)
	}
	r.poll("waitInstanceStarted", types.InstanceStateNameRunning, types.InstanceStateNamePending, types.InstanceStateNameStopped)
	r.read()
}

// destroy is resourceInstanceDelete.
func (r *tfReplay) destroy() {
	r.t.Helper()
	t, ctx := r.t, ctxT(r.t)
	if _, err := r.c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(r.id),
		DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(false)}}); err != nil {
		t.Errorf("disableInstanceAPITermination: %v (the provider only logs this)", err)
	}
	term, err := r.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{r.id}})
	if err != nil {
		t.Fatalf("terminateInstance: %v", err)
	}
	if got := aws.ToString(term.TerminatingInstances[0].InstanceId); got != r.id {
		t.Errorf("TerminateInstances answered for %s", got)
	}
	r.poll("waitInstanceDeleted", types.InstanceStateNameTerminated, types.InstanceStateNamePending, types.InstanceStateNameRunning,
		types.InstanceStateNameShuttingDown, types.InstanceStateNameStopping, types.InstanceStateNameStopped)
}

func itoa32(p *int32) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(int(*p))
}

func boolString(b *bool) string {
	if b == nil {
		return "<nil>"
	}
	if *b {
		return "true"
	}
	return "false"
}

// actionLog records the Action of every request, in order.
type actionLog struct {
	mu      sync.Mutex
	actions []string
}

func (l *actionLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body)) // the Server reads it again
		form, _ := url.ParseQuery(string(body))
		l.mu.Lock()
		l.actions = append(l.actions, form.Get("Action"))
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// sequence returns the actions since the last call, with each run of
// DescribeInstances polls collapsed to one.
func (l *actionLog) sequence() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, a := range l.actions {
		if a == "DescribeInstances" && len(out) > 0 && out[len(out)-1] == a {
			continue
		}
		out = append(out, a)
	}
	l.actions = nil
	return out
}

func TestTerraformAWSInstanceReplay(t *testing.T) {
	replayTerraform(t, mock.New(mock.WithDelay(20*time.Millisecond)), ubuntuAMI)
}

// TestTerraformAWSInstanceReplayDocker makes the same calls against real
// containers: the update stops (pauses) and starts the container.
func TestTerraformAWSInstanceReplayDocker(t *testing.T) {
	t.Parallel()
	b, _, ami := dockerBackend(t)
	replayTerraform(t, b, ami)
}

// replayTerraform replays aws_instance's create, refresh, user_data update
// and destroy against a Server over b, launching AMI ami.
func replayTerraform(t *testing.T, b backend.Backend, ami string) {
	srv := ec2emu.New(b)
	log := &actionLog{}
	hs := httptest.NewServer(log.wrap(srv))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	// The group comes from another resource; make it outside the log.
	direct := httptest.NewServer(srv)
	t.Cleanup(direct.Close)
	sg, err := ec2emutest.Client(direct.URL, "us-east-1").CreateSecurityGroup(ctxT(t), &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("tf-replay-web"), Description: aws.String("Managed by Terraform"),
	})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	r := &tfReplay{t: t, c: ec2emutest.Client(hs.URL, "us-east-1"), cfg: tfConfig{
		AMI: ami, InstanceType: "t3.micro", UserData: "#!/bin/sh\necho v1\n", Tags: map[string]string{"Name": "tf-replay"},
		VPCSecurityGroupIDs: []string{aws.ToString(sg.GroupId)},
	}}
	readSeq := []string{"DescribeInstances", "DescribeInstanceTypes", "DescribeTags", "DescribeVpcs", "DescribeInstanceAttribute",
		"DescribeVolumes", "DescribeInstanceAttribute", "DescribeInstanceAttribute", "DescribeInstanceAttribute",
		"DescribeInstanceCreditSpecifications"}
	wantState := func(userData string) map[string]string {
		return map[string]string{
			"instance_state": "running", "instance_type": "t3.micro", "ami": ami, "tags.Name": "tf-replay",
			"instance_initiated_shutdown_behavior": "stop",
			"root_block_device.volume_id":          "vol-" + strings.TrimPrefix(r.id, "i-"),
			"root_block_device.volume_size":        "8", "root_block_device.volume_type": "gp3",
			"disable_api_stop": "false", "disable_api_termination": "false",
			"user_data":                        userDataHash(userData),
			"credit_specification.cpu_credits": "unlimited",
			"metadata_options.http_tokens":     "optional", "maintenance_options.auto_recovery": "default",
		}
	}

	t.Run("create", func(t *testing.T) {
		r.t = t
		r.create()
		if diff := cmp.Diff(wantState(r.cfg.UserData), r.state); diff != "" {
			t.Errorf("state after create (-want +got):\n%s", diff)
		}
		want := append([]string{"RunInstances"}, readSeq...) // the last poll and Read's first call are one run
		if diff := cmp.Diff(want, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	if r.id == "" {
		t.Fatal("create failed")
	}
	t.Run("refresh", func(t *testing.T) {
		r.t = t
		before := r.state
		r.read()
		if diff := cmp.Diff(before, r.state); diff != "" {
			t.Errorf("refresh changed state: a plan would show a diff (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(readSeq, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("update user_data", func(t *testing.T) {
		r.t = t
		v2 := "#!/bin/sh\necho v2\n"
		r.updateUserData(v2)
		if diff := cmp.Diff(wantState(v2), r.state); diff != "" {
			t.Errorf("state after update (-want +got):\n%s", diff)
		}
		want := append([]string{"StopInstances", "DescribeInstances", "ModifyInstanceAttribute", "StartInstances", "DescribeInstances"}, readSeq[1:]...)
		if diff := cmp.Diff(want, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("destroy", func(t *testing.T) {
		r.t = t
		r.read() // refresh
		r.destroy()
		r.read() // the next refresh finds it terminated
		if r.state != nil {
			t.Errorf("state after destroy %v, want the instance gone", r.state)
		}
		want := append(append([]string{}, readSeq...), "ModifyInstanceAttribute", "TerminateInstances", "DescribeInstances")
		if diff := cmp.Diff(want, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
}
