package ec2emu_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

func runOne(t *testing.T, c *ec2.Client, in *ec2.RunInstancesInput) string {
	t.Helper()
	out := run(t, c, in)
	id := aws.ToString(out.Instances[0].InstanceId)
	testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameRunning, id)
	return id
}

func describeOne(t *testing.T, c *ec2.Client, id string) types.Instance {
	t.Helper()
	out, err := c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatalf("DescribeInstances %s: %v", id, err)
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("DescribeInstances %s: %d reservations", id, len(out.Reservations))
	}
	return out.Reservations[0].Instances[0]
}

// attrValue flattens DescribeInstanceAttribute's answer to the one value it
// carries, as a string ("<nil>" for an empty element).
func attrValue(t *testing.T, c *ec2.Client, id string, name types.InstanceAttributeName) string {
	t.Helper()
	out, err := c.DescribeInstanceAttribute(ctxT(t), &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: name})
	if err != nil {
		t.Fatalf("DescribeInstanceAttribute %s: %v", name, err)
	}
	if aws.ToString(out.InstanceId) != id {
		t.Errorf("DescribeInstanceAttribute %s: instanceId %q, want %s", name, aws.ToString(out.InstanceId), id)
	}
	str := func(v *types.AttributeValue) string {
		if v == nil {
			return "<absent>"
		}
		if v.Value == nil {
			return "<nil>"
		}
		return *v.Value
	}
	b := func(v *types.AttributeBooleanValue) string {
		if v == nil || v.Value == nil {
			return "<absent>"
		}
		if *v.Value {
			return "true"
		}
		return "false"
	}
	switch name {
	case types.InstanceAttributeNameInstanceType:
		return str(out.InstanceType)
	case types.InstanceAttributeNameUserData:
		return str(out.UserData)
	case types.InstanceAttributeNameKernel:
		return str(out.KernelId)
	case types.InstanceAttributeNameRootDeviceName:
		return str(out.RootDeviceName)
	case types.InstanceAttributeNameInstanceInitiatedShutdownBehavior:
		return str(out.InstanceInitiatedShutdownBehavior)
	case types.InstanceAttributeNameDisableApiTermination:
		return b(out.DisableApiTermination)
	case types.InstanceAttributeNameDisableApiStop:
		return b(out.DisableApiStop)
	case types.InstanceAttributeNameSourceDestCheck:
		return b(out.SourceDestCheck)
	case types.InstanceAttributeNameEbsOptimized:
		return b(out.EbsOptimized)
	case types.InstanceAttributeNameEnaSupport:
		return b(out.EnaSupport)
	case types.InstanceAttributeNameBlockDeviceMapping:
		var s []string
		for _, m := range out.BlockDeviceMappings {
			s = append(s, aws.ToString(m.DeviceName)+"="+aws.ToString(m.Ebs.VolumeId))
		}
		return strings.Join(s, ",")
	case types.InstanceAttributeNameProductCodes:
		return strings.Repeat("x", len(out.ProductCodes))
	}
	t.Fatalf("attrValue: no projection for %s", name)
	return ""
}

func TestDescribeInstanceAttributeAfterLaunch(t *testing.T) {
	srv, _ := newServer(t)
	c := srv.Client
	ud := base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hi\n"))
	plain := runOne(t, c, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeT3Micro})
	set := runOne(t, c, &ec2.RunInstancesInput{
		InstanceType: types.InstanceTypeT2Micro, UserData: aws.String(ud),
		DisableApiTermination: aws.Bool(true), DisableApiStop: aws.Bool(true), EbsOptimized: aws.Bool(true),
		InstanceInitiatedShutdownBehavior: types.ShutdownBehaviorTerminate,
	})
	root := "vol-" + strings.TrimPrefix(plain, "i-")
	tests := []struct {
		id         string
		attr       types.InstanceAttributeName
		want       string
		wantOnSet  string
		skipOnSet  bool
		skipOnMain bool
	}{
		{attr: types.InstanceAttributeNameInstanceType, want: "t3.micro", wantOnSet: "t2.micro"},
		{attr: types.InstanceAttributeNameUserData, want: "<nil>", wantOnSet: ud},
		{attr: types.InstanceAttributeNameDisableApiTermination, want: "false", wantOnSet: "true"},
		{attr: types.InstanceAttributeNameDisableApiStop, want: "false", wantOnSet: "true"},
		{attr: types.InstanceAttributeNameInstanceInitiatedShutdownBehavior, want: "stop", wantOnSet: "terminate"},
		{attr: types.InstanceAttributeNameEbsOptimized, want: "false", wantOnSet: "true"},
		{attr: types.InstanceAttributeNameSourceDestCheck, want: "true", wantOnSet: "true"},
		{attr: types.InstanceAttributeNameRootDeviceName, want: "/dev/xvda", wantOnSet: "/dev/xvda"},
		{attr: types.InstanceAttributeNameKernel, want: "<nil>", wantOnSet: "<nil>"},
		{attr: types.InstanceAttributeNameEnaSupport, want: "true", wantOnSet: "true"},
		{attr: types.InstanceAttributeNameProductCodes, want: "", wantOnSet: ""},
		{attr: types.InstanceAttributeNameBlockDeviceMapping, want: "/dev/xvda=" + root,
			wantOnSet: "/dev/xvda=vol-" + strings.TrimPrefix(set, "i-")},
	}
	for _, tt := range tests {
		t.Run(string(tt.attr), func(t *testing.T) {
			got := []string{attrValue(t, c, plain, tt.attr), attrValue(t, c, set, tt.attr)}
			if diff := cmp.Diff([]string{tt.want, tt.wantOnSet}, got); diff != "" {
				t.Errorf("%s of [default, set at launch] (-want +got):\n%s", tt.attr, diff)
			}
		})
	}
}

// TestModifyInstanceAttributeErrors checks each refusal's code, status and,
// where given, message, and that none of them changed anything.
func TestModifyInstanceAttributeErrors(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	id := runOne(t, c, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeT3Micro})
	tests := []struct {
		name    string
		in      *ec2.ModifyInstanceAttributeInput
		code    string
		status  int
		message string
	}{
		{"instance type needs a stopped instance", &ec2.ModifyInstanceAttributeInput{InstanceType: &types.AttributeValue{Value: aws.String("t3.small")}},
			"IncorrectInstanceState", 400, "is not in the 'stopped' state"},
		{"user data needs a stopped instance", &ec2.ModifyInstanceAttributeInput{UserData: &types.SecureBlobAttributeValue{Value: []byte("echo")}},
			"IncorrectInstanceState", 400, "is not in the 'stopped' state"},
		{"ebs optimisation needs a stopped instance", &ec2.ModifyInstanceAttributeInput{EbsOptimized: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
			"IncorrectInstanceState", 400, ""},
		{"unknown attribute", &ec2.ModifyInstanceAttributeInput{Attribute: "colour", Value: aws.String("red")},
			"InvalidParameterValue", 400, "Invalid value 'colour' for Attribute."},
		{"two attributes", &ec2.ModifyInstanceAttributeInput{
			DisableApiStop: &types.AttributeBooleanValue{Value: aws.Bool(true)}, SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)}},
			"InvalidParameterCombination", 400, "Fields for multiple attribute types specified: sourceDestCheck, disableApiStop"},
		{"no attribute", &ec2.ModifyInstanceAttributeInput{}, "InvalidParameterCombination", 400, "No attributes specified."},
		{"bad shutdown behaviour", &ec2.ModifyInstanceAttributeInput{InstanceInitiatedShutdownBehavior: &types.AttributeValue{Value: aws.String("hibernate")}},
			"InvalidParameterValue", 400, "hibernate"},
		{"attribute form without value", &ec2.ModifyInstanceAttributeInput{Attribute: types.InstanceAttributeNameDisableApiTermination},
			"MissingParameter", 400, ""},
		{"not a boolean", &ec2.ModifyInstanceAttributeInput{Attribute: types.InstanceAttributeNameDisableApiTermination, Value: aws.String("maybe")},
			"InvalidParameterValue", 400, "maybe"},
		{"unknown device", &ec2.ModifyInstanceAttributeInput{BlockDeviceMappings: []types.InstanceBlockDeviceMappingSpecification{{
			DeviceName: aws.String("/dev/sdz"), Ebs: &types.EbsInstanceBlockDeviceSpecification{DeleteOnTermination: aws.Bool(false)}}}},
			"InvalidParameterValue", 400, "/dev/sdz"},
		{"unknown security group", &ec2.ModifyInstanceAttributeInput{Groups: []string{"sg-12345678"}},
			"InvalidGroup.NotFound", 400, "sg-12345678"},
		{"malformed security group", &ec2.ModifyInstanceAttributeInput{Groups: []string{"default"}},
			"InvalidGroupId.Malformed", 400, "default"},
		{"groupSet named without groups", &ec2.ModifyInstanceAttributeInput{Attribute: types.InstanceAttributeNameGroupSet},
			"MissingParameter", 400, ""},
		{"dry run", &ec2.ModifyInstanceAttributeInput{DryRun: aws.Bool(true), DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
			"DryRunOperation", 412, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.InstanceId = aws.String(id)
			_, err := c.ModifyInstanceAttribute(ctx, tt.in)
			wantAPIError(t, err, tt.code, tt.status)
			var ae smithy.APIError
			if tt.message != "" && errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), tt.message) {
				t.Errorf("message %q does not contain %q", ae.ErrorMessage(), tt.message)
			}
		})
	}
	// Nothing above changed the instance.
	got := []string{
		attrValue(t, c, id, types.InstanceAttributeNameInstanceType),
		attrValue(t, c, id, types.InstanceAttributeNameDisableApiTermination),
		attrValue(t, c, id, types.InstanceAttributeNameDisableApiStop),
		attrValue(t, c, id, types.InstanceAttributeNameInstanceInitiatedShutdownBehavior),
	}
	if diff := cmp.Diff([]string{"t3.micro", "false", "false", "stop"}, got); diff != "" {
		t.Errorf("attributes after failed modifications (-want +got):\n%s", diff)
	}

	t.Run("unknown and malformed instance", func(t *testing.T) {
		_, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String("i-0000000000000dead"), Attribute: types.InstanceAttributeNameUserData})
		wantAPIError(t, err, "InvalidInstanceID.NotFound", 400)
		_, err = c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String("i-zz"), DisableApiStop: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
		wantAPIError(t, err, "InvalidInstanceID.Malformed", 400)
		_, err = c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: "colour"})
		wantAPIError(t, err, "InvalidParameterValue", 400)
	})
}

func TestModifyStoppedInstance(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	id := runOne(t, c, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeT3Micro,
		UserData: aws.String(base64.StdEncoding.EncodeToString([]byte("v1")))})
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameStopped, id)
	mods := []*ec2.ModifyInstanceAttributeInput{
		{InstanceType: &types.AttributeValue{Value: aws.String("t3.small")}},
		{UserData: &types.SecureBlobAttributeValue{Value: []byte("#!/bin/sh\necho v2\n")}},
		{EbsOptimized: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{Attribute: types.InstanceAttributeNameInstanceInitiatedShutdownBehavior, Value: aws.String("terminate")},
		{SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)}},
		{BlockDeviceMappings: []types.InstanceBlockDeviceMappingSpecification{{
			DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsInstanceBlockDeviceSpecification{DeleteOnTermination: aws.Bool(false)}}}},
	}
	for _, m := range mods {
		m.InstanceId = aws.String(id)
		if _, err := c.ModifyInstanceAttribute(ctx, m); err != nil {
			t.Fatalf("ModifyInstanceAttribute %+v: %v", m, err)
		}
	}
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameRunning, id)
	inst := describeOne(t, c, id)
	got := []any{
		string(inst.InstanceType), aws.ToBool(inst.EbsOptimized), aws.ToBool(inst.BlockDeviceMappings[0].Ebs.DeleteOnTermination),
		aws.ToBool(inst.SourceDestCheck),
		attrValue(t, c, id, types.InstanceAttributeNameUserData),
		attrValue(t, c, id, types.InstanceAttributeNameInstanceInitiatedShutdownBehavior),
		attrValue(t, c, id, types.InstanceAttributeNameSourceDestCheck),
	}
	want := []any{"t3.small", true, false, false, base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho v2\n")), "terminate", "false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after stop, modify, start (-want +got):\n%s", diff)
	}
	// The backend keeps what it launched with: user data runs once, at first boot.
	if spec, _ := b.Spec(id); string(spec.UserData) != "v1" {
		t.Errorf("backend user data %q, want the launch's v1", spec.UserData)
	}
}

func TestTerminationAndStopProtection(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	free := runOne(t, c, &ec2.RunInstancesInput{})
	guarded := runOne(t, c, &ec2.RunInstancesInput{DisableApiTermination: aws.Bool(true), DisableApiStop: aws.Bool(true)})

	_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{free, guarded}})
	wantAPIError(t, err, "OperationNotPermitted", 400)
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() != "The instance '"+guarded+"' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again." {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{free, guarded}, Force: aws.Bool(true)})
	wantAPIError(t, err, "OperationNotPermitted", 400)
	if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), "may not be stopped. Modify its 'disableApiStop' instance attribute") {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	// All or nothing: neither request touched the unprotected instance.
	for _, id := range []string{free, guarded} {
		if s := describeOne(t, c, id).State.Name; s != types.InstanceStateNameRunning {
			t.Errorf("%s is %s after refused requests, want running", id, s)
		}
	}

	// Terraform's destroy: clear the flag, then terminate.
	for _, m := range []*ec2.ModifyInstanceAttributeInput{
		{DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(false)}},
		{Attribute: types.InstanceAttributeNameDisableApiStop, Value: aws.String("false")},
	} {
		m.InstanceId = aws.String(guarded)
		if _, err := c.ModifyInstanceAttribute(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{guarded}}); err != nil {
		t.Fatalf("stop after clearing disableApiStop: %v", err)
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{free, guarded}}); err != nil {
		t.Fatalf("terminate after clearing disableApiTermination: %v", err)
	}
	testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameTerminated, free, guarded)
	// A terminated instance can no longer be modified.
	_, err = c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(guarded),
		DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantAPIError(t, err, "IncorrectInstanceState", 400)
}

func TestInstanceInitiatedShutdownBehavior(t *testing.T) {
	srv, b := newServer(t)
	c := srv.Client
	stop := runOne(t, c, &ec2.RunInstancesInput{})
	term := runOne(t, c, &ec2.RunInstancesInput{InstanceInitiatedShutdownBehavior: types.ShutdownBehaviorTerminate})
	// The machines shut down from inside (the backend reports them stopped).
	for _, id := range []string{stop, term} {
		if err := b.Drift(id, backend.StateStopped); err != nil {
			t.Fatal(err)
		}
	}
	testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameTerminated, term)
	got := []string{string(describeOne(t, c, stop).State.Name), aws.ToString(describeOne(t, c, term).StateReason.Code)}
	if diff := cmp.Diff([]string{"stopped", "Client.InstanceInitiatedShutdown"}, got); diff != "" {
		t.Errorf("[stop behaviour state, terminate behaviour reason] (-want +got):\n%s", diff)
	}
	if _, ok := b.Spec(term); ok {
		t.Errorf("the terminated instance's machine still exists")
	}
	_, err := c.RunInstances(ctxT(t), &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceInitiatedShutdownBehavior: "halt"})
	wantAPIError(t, err, "InvalidParameterValue", 400)
}

func TestCreditSpecifications(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	t2 := runOne(t, c, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeT2Micro})
	t3 := runOne(t, c, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeT3Micro})
	t3std := runOne(t, c, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeT3aNano,
		CreditSpecification: &types.CreditSpecificationRequest{CpuCredits: aws.String("standard")}})
	m5 := runOne(t, c, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeM5Large})

	credits := func(ids ...string) map[string]string {
		t.Helper()
		out, err := c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: ids})
		if err != nil {
			t.Fatalf("DescribeInstanceCreditSpecifications: %v", err)
		}
		m := map[string]string{}
		for _, s := range out.InstanceCreditSpecifications {
			m[aws.ToString(s.InstanceId)] = aws.ToString(s.CpuCredits)
		}
		return m
	}
	want := map[string]string{t2: "standard", t3: "unlimited", t3std: "standard", m5: "standard"}
	if diff := cmp.Diff(want, credits(t2, t3, t3std, m5)); diff != "" {
		t.Errorf("credit options by ID (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{t3: "unlimited"}, credits()); diff != "" {
		t.Errorf("credit options without IDs: only unlimited ones (-want +got):\n%s", diff)
	}

	mod, err := c.ModifyInstanceCreditSpecification(ctx, &ec2.ModifyInstanceCreditSpecificationInput{
		InstanceCreditSpecifications: []types.InstanceCreditSpecificationRequest{
			{InstanceId: aws.String(t2), CpuCredits: aws.String("unlimited")},
			{InstanceId: aws.String(m5), CpuCredits: aws.String("unlimited")},
			{InstanceId: aws.String("i-0000000000000dead"), CpuCredits: aws.String("standard")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed []string
	for _, s := range mod.SuccessfulInstanceCreditSpecifications {
		ok = append(ok, aws.ToString(s.InstanceId))
	}
	for _, s := range mod.UnsuccessfulInstanceCreditSpecifications {
		failed = append(failed, aws.ToString(s.InstanceId)+" "+string(s.Error.Code))
	}
	if diff := cmp.Diff([][]string{{t2}, {m5 + " InstanceCreditSpecification.NotSupported", "i-0000000000000dead InvalidInstanceID.NotFound"}},
		[][]string{ok, failed}); diff != "" {
		t.Errorf("ModifyInstanceCreditSpecification [successful, unsuccessful] (-want +got):\n%s", diff)
	}
	if got := credits(t2)[t2]; got != "unlimited" {
		t.Errorf("t2 credits after modify: %s, want unlimited", got)
	}

	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"non-burstable type with a credit option at launch", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				InstanceType: types.InstanceTypeM5Large, CreditSpecification: &types.CreditSpecificationRequest{CpuCredits: aws.String("standard")}})
			return err
		}, "InstanceCreditSpecification.NotSupported"},
		{"bad credit option at launch", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				InstanceType: types.InstanceTypeT3Micro, CreditSpecification: &types.CreditSpecificationRequest{CpuCredits: aws.String("boundless")}})
			return err
		}, "InvalidParameterValue"},
		{"bad credit option in modify", func() error {
			_, err := c.ModifyInstanceCreditSpecification(ctx, &ec2.ModifyInstanceCreditSpecificationInput{
				InstanceCreditSpecifications: []types.InstanceCreditSpecificationRequest{{InstanceId: aws.String(t3), CpuCredits: aws.String("boundless")}}})
			return err
		}, "InvalidParameterValue"},
		{"unknown ID in describe", func() error {
			_, err := c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{"i-0000000000000dead"}})
			return err
		}, "InvalidInstanceID.NotFound"},
		{"IDs with MaxResults", func() error {
			_, err := c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{t3}, MaxResults: aws.Int32(5)})
			return err
		}, "InvalidParameterCombination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, 400) })
	}
}

func TestVolumes(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	id := runOne(t, c, &ec2.RunInstancesInput{
		BlockDeviceMappings: []types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(20), DeleteOnTermination: aws.Bool(false)}},
			{DeviceName: aws.String("/dev/sdf"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(10), VolumeType: types.VolumeTypeGp2}},
			{DeviceName: aws.String("/dev/sdb"), VirtualName: aws.String("ephemeral0")},
		},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("db")}}}},
	})
	other := runOne(t, c, &ec2.RunInstancesInput{})
	inst := describeOne(t, c, id)
	var bdm []string
	for _, m := range inst.BlockDeviceMappings {
		bdm = append(bdm, aws.ToString(m.DeviceName)+"="+aws.ToString(m.Ebs.VolumeId))
	}
	rootID := "vol-" + strings.TrimPrefix(id, "i-")
	if len(bdm) != 2 || bdm[0] != "/dev/xvda="+rootID || !strings.HasPrefix(bdm[1], "/dev/sdf=vol-") {
		t.Fatalf("instance block device mappings %v, want the root volume and /dev/sdf", bdm)
	}
	dataID := strings.TrimPrefix(bdm[1], "/dev/sdf=")

	type vol struct {
		ID, State, Type, Instance, Device, Attach, Snapshot, Team string
		Size, Iops                                                int32
		DeleteOnTermination                                       bool
	}
	volumes := func(in *ec2.DescribeVolumesInput) []vol {
		t.Helper()
		out, err := c.DescribeVolumes(ctx, in)
		if err != nil {
			t.Fatalf("DescribeVolumes: %v", err)
		}
		var vs []vol
		for _, v := range out.Volumes {
			x := vol{ID: aws.ToString(v.VolumeId), State: string(v.State), Type: string(v.VolumeType), Size: aws.ToInt32(v.Size),
				Iops: aws.ToInt32(v.Iops), Snapshot: aws.ToString(v.SnapshotId)}
			for _, tg := range v.Tags {
				if aws.ToString(tg.Key) == "team" {
					x.Team = aws.ToString(tg.Value)
				}
			}
			for _, a := range v.Attachments {
				x.Instance, x.Device, x.Attach, x.DeleteOnTermination = aws.ToString(a.InstanceId), aws.ToString(a.Device), string(a.State), aws.ToBool(a.DeleteOnTermination)
			}
			vs = append(vs, x)
		}
		return vs
	}
	filter := func(name string, values ...string) []types.Filter {
		return []types.Filter{{Name: aws.String(name), Values: values}}
	}
	snap := "snap-" + strings.TrimPrefix(ubuntuAMI, "ami-")
	rootVol := vol{ID: rootID, State: "in-use", Type: "gp3", Instance: id, Device: "/dev/xvda", Attach: "attached", Snapshot: snap, Team: "db", Size: 20, Iops: 3000}
	dataVol := vol{ID: dataID, State: "in-use", Type: "gp2", Instance: id, Device: "/dev/sdf", Attach: "attached", Team: "db", Size: 10, Iops: 100, DeleteOnTermination: true}
	tests := []struct {
		name string
		in   *ec2.DescribeVolumesInput
		want []vol
	}{
		{"Terraform's attachment.instance-id", &ec2.DescribeVolumesInput{Filters: filter("attachment.instance-id", id)}, []vol{rootVol, dataVol}},
		{"by ID", &ec2.DescribeVolumesInput{VolumeIds: []string{dataID}}, []vol{dataVol}},
		{"attachment.device", &ec2.DescribeVolumesInput{Filters: append(filter("attachment.device", "/dev/sdf"), filter("attachment.instance-id", id)...)}, []vol{dataVol}},
		{"tag", &ec2.DescribeVolumesInput{Filters: filter("tag:team", "d?")}, []vol{rootVol, dataVol}},
		{"volume-type and size", &ec2.DescribeVolumesInput{Filters: append(filter("volume-type", "gp3"), filter("size", "20")...)}, []vol{rootVol}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, volumes(tt.in)); diff != "" {
				t.Errorf("DescribeVolumes (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(volumes(&ec2.DescribeVolumesInput{})); n != 3 {
		t.Errorf("DescribeVolumes lists %d volumes, want 3 (two of %s, one of %s)", n, id, other)
	}

	// Volume tags through CreateTags and DescribeTags.
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{dataID}, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("data")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: append(filter("resource-type", "volume"), filter("key", "Name")...)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].ResourceId) != dataID || aws.ToString(tags.Tags[0].Value) != "data" {
		t.Errorf("DescribeTags of volumes: %+v", tags.Tags)
	}

	// Terminating deletes the DeleteOnTermination volume and detaches the other.
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 30*time.Second, types.InstanceStateNameTerminated, id)
	kept := rootVol
	kept.State, kept.Instance, kept.Device, kept.Attach = "available", "", "", ""
	if diff := cmp.Diff([]vol{kept}, volumes(&ec2.DescribeVolumesInput{VolumeIds: []string{rootID}})); diff != "" {
		t.Errorf("root volume with DeleteOnTermination=false after terminate (-want +got):\n%s", diff)
	}
	_, err = c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{dataID}})
	wantAPIError(t, err, "InvalidVolume.NotFound", 400)

	errs := []struct {
		name string
		call func() error
		code string
	}{
		{"malformed volume ID", func() error {
			_, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{"vol-xyz"}})
			return err
		}, "InvalidVolumeID.Malformed"},
		{"unknown filter", func() error {
			_, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: filter("colour", "red")})
			return err
		}, "InvalidParameterValue"},
		{"root volume smaller than its snapshot", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(4)}}}})
			return err
		}, "InvalidBlockDeviceMapping"},
		{"bad volume type", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/sdf"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(4), VolumeType: "floppy"}}}})
			return err
		}, "InvalidParameterValue"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, 400) })
	}
}

func TestMaintenanceAndMetadataOptions(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	id := runOne(t, c, &ec2.RunInstancesInput{
		MetadataOptions:    &types.InstanceMetadataOptionsRequest{HttpTokens: types.HttpTokensStateRequired, HttpPutResponseHopLimit: aws.Int32(2)},
		MaintenanceOptions: &types.InstanceMaintenanceOptionsRequest{AutoRecovery: types.InstanceAutoRecoveryStateDisabled},
		Monitoring:         &types.RunInstancesMonitoringEnabled{Enabled: aws.Bool(true)},
	})
	view := func() []string {
		i := describeOne(t, c, id)
		m := i.MetadataOptions
		return []string{string(m.State), string(m.HttpTokens), strconv.Itoa(int(aws.ToInt32(m.HttpPutResponseHopLimit))),
			string(m.HttpEndpoint), string(m.InstanceMetadataTags), string(i.MaintenanceOptions.AutoRecovery), string(i.Monitoring.State)}
	}
	if diff := cmp.Diff([]string{"applied", "required", "2", "enabled", "disabled", "disabled", "enabled"}, view()); diff != "" {
		t.Errorf("options set at launch (-want +got):\n%s", diff)
	}
	mo, err := c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(id),
		HttpTokens: types.HttpTokensStateOptional, InstanceMetadataTags: types.InstanceMetadataTagsStateEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{string(mo.InstanceMetadataOptions.State), string(mo.InstanceMetadataOptions.HttpTokens)}; !slices.Equal(got, []string{"pending", "optional"}) {
		t.Errorf("ModifyInstanceMetadataOptions answered %v, want [pending optional] for a running instance", got)
	}
	ma, err := c.ModifyInstanceMaintenanceOptions(ctx, &ec2.ModifyInstanceMaintenanceOptionsInput{InstanceId: aws.String(id), AutoRecovery: types.InstanceAutoRecoveryStateDefault})
	if err != nil {
		t.Fatal(err)
	}
	if ma.AutoRecovery != types.InstanceAutoRecoveryStateDefault || aws.ToString(ma.InstanceId) != id {
		t.Errorf("ModifyInstanceMaintenanceOptions answered %s for %s", ma.AutoRecovery, aws.ToString(ma.InstanceId))
	}
	if diff := cmp.Diff([]string{"applied", "optional", "2", "enabled", "enabled", "default", "enabled"}, view()); diff != "" {
		t.Errorf("options after modify (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		name string
		call func() error
		code string
	}{
		{"hop limit out of range", func() error {
			_, err := c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(id), HttpPutResponseHopLimit: aws.Int32(65)})
			return err
		}, "InvalidParameterValue"},
		{"bad http tokens", func() error {
			_, err := c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(id), HttpTokens: "sometimes"})
			return err
		}, "InvalidParameterValue"},
		{"bad auto recovery", func() error {
			_, err := c.ModifyInstanceMaintenanceOptions(ctx, &ec2.ModifyInstanceMaintenanceOptionsInput{InstanceId: aws.String(id), AutoRecovery: "always"})
			return err
		}, "InvalidParameterValue"},
		{"unknown instance", func() error {
			_, err := c.ModifyInstanceMaintenanceOptions(ctx, &ec2.ModifyInstanceMaintenanceOptionsInput{InstanceId: aws.String("i-0000000000000dead"), AutoRecovery: "disabled"})
			return err
		}, "InvalidInstanceID.NotFound"},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, 400) })
	}
	if diff := cmp.Diff([]string{"applied", "optional", "2", "enabled", "enabled", "default", "enabled"}, view()); diff != "" {
		t.Errorf("options after refused modifications (-want +got):\n%s", diff)
	}
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{
		{Name: aws.String("metadata-options.http-put-response-hop-limit"), Values: []string{"2"}},
		{Name: aws.String("monitoring-state"), Values: []string{"enabled"}},
	}})
	if err != nil || len(out.Reservations) != 1 {
		t.Errorf("DescribeInstances by hop limit and monitoring: %d reservations, %v", len(out.Reservations), err)
	}
}

func TestDescribeTagsFilters(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	a := run(t, c, &ec2.RunInstancesInput{TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
		Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}, {Key: aws.String("env"), Value: aws.String("dev")}}}}})
	b := run(t, c, &ec2.RunInstancesInput{TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
		Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("db")}}}}})
	ia, ib := aws.ToString(a.Instances[0].InstanceId), aws.ToString(b.Instances[0].InstanceId)
	f := func(kv ...string) []types.Filter {
		var out []types.Filter
		for i := 0; i < len(kv); i += 2 {
			out = append(out, types.Filter{Name: aws.String(kv[i]), Values: []string{kv[i+1]}})
		}
		return out
	}
	tests := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"Terraform's launch-template lookup: resource-id and key, no match", f("resource-id", ia, "key", "aws:ec2launchtemplate:id"), nil},
		{"resource-id and key", f("resource-id", ia, "key", "env"), []string{ia + " instance env=dev"}},
		{"value", f("value", "db"), []string{ib + " instance Name=db"}},
		{"tag:KEY", f("tag:Name", "w*"), []string{ia + " instance Name=web"}},
		{"resource-type", f("resource-type", "instance", "key", "Name", "resource-id", ib), []string{ib + " instance Name=db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: tt.filters})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range out.Tags {
				got = append(got, aws.ToString(tg.ResourceId)+" "+string(tg.ResourceType)+" "+aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DescribeTags (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAttributesSurviveRestart: what RunInstances set is stored with the
// machine, so a new Server over the same backend answers the same.
func TestAttributesSurviveRestart(t *testing.T) {
	b := mock.New(mock.WithDelay(10 * time.Millisecond))
	t.Cleanup(func() { b.Close() })
	start := func() (*ec2emu.Server, *ec2.Client) {
		srv := ec2emu.New(b)
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		t.Cleanup(func() { srv.Close() })
		select {
		case <-srv.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("server not ready")
		}
		return srv, ec2emutest.Client(hs.URL, "us-east-1")
	}
	first, c := start()
	ud := base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho persisted\n"))
	id := runOne(t, c, &ec2.RunInstancesInput{
		InstanceType: types.InstanceTypeT3Micro, UserData: aws.String(ud), DisableApiTermination: aws.Bool(true),
		InstanceInitiatedShutdownBehavior: types.ShutdownBehaviorTerminate,
		CreditSpecification:               &types.CreditSpecificationRequest{CpuCredits: aws.String("standard")},
		MetadataOptions:                   &types.InstanceMetadataOptionsRequest{HttpTokens: types.HttpTokensStateRequired},
		BlockDeviceMappings:               []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/xvda"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(30)}}},
	})
	snapshot := func(c *ec2.Client) []string {
		t.Helper()
		cs, err := c.DescribeInstanceCreditSpecifications(ctxT(t), &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		vs, err := c.DescribeVolumes(ctxT(t), &ec2.DescribeVolumesInput{Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{id}}}})
		if err != nil || len(vs.Volumes) != 1 {
			t.Fatalf("DescribeVolumes: %v (%d volumes)", err, len(vs.Volumes))
		}
		return []string{
			attrValue(t, c, id, types.InstanceAttributeNameUserData),
			attrValue(t, c, id, types.InstanceAttributeNameDisableApiTermination),
			attrValue(t, c, id, types.InstanceAttributeNameInstanceInitiatedShutdownBehavior),
			aws.ToString(cs.InstanceCreditSpecifications[0].CpuCredits),
			string(describeOne(t, c, id).MetadataOptions.HttpTokens),
			aws.ToString(vs.Volumes[0].VolumeId), strconv.Itoa(int(aws.ToInt32(vs.Volumes[0].Size))),
		}
	}
	before := snapshot(c)
	want := []string{ud, "true", "terminate", "standard", "required", "vol-" + strings.TrimPrefix(id, "i-"), "30"}
	if diff := cmp.Diff(want, before); diff != "" {
		t.Fatalf("before restart (-want +got):\n%s", diff)
	}
	first.Close()
	_, c2 := start()
	if diff := cmp.Diff(before, snapshot(c2)); diff != "" {
		t.Errorf("after restart (-before +after):\n%s", diff)
	}
}

// TestGroupSetAttribute: groupSet reads the primary interface's groups and
// ModifyInstanceAttribute GroupId.N replaces them on a running instance.
func TestGroupSetAttribute(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	id := runOne(t, c, &ec2.RunInstancesInput{InstanceType: types.InstanceTypeT3Micro})
	groups := func() []string {
		t.Helper()
		out, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: types.InstanceAttributeNameGroupSet})
		if err != nil {
			t.Fatalf("DescribeInstanceAttribute groupSet: %v", err)
		}
		var names []string
		for _, g := range out.Groups {
			names = append(names, aws.ToString(g.GroupName))
		}
		return names
	}
	if diff := cmp.Diff([]string{"default"}, groups()); diff != "" {
		t.Errorf("groupSet at launch (-want +got):\n%s", diff)
	}
	var ids []string
	for _, name := range []string{"web", "ssh"} {
		sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(sg.GroupId))
	}
	if _, err := c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), Groups: ids}); err != nil {
		t.Fatalf("ModifyInstanceAttribute groupSet: %v", err)
	}
	if diff := cmp.Diff([]string{"web", "ssh"}, groups()); diff != "" {
		t.Errorf("groupSet after modify (-want +got):\n%s", diff)
	}
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range out.Reservations[0].Instances[0].SecurityGroups {
		got = append(got, aws.ToString(g.GroupId))
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("DescribeInstances groups after modify (-want +got):\n%s", diff)
	}
	// The groups are now in use: deleting one is refused.
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(ids[0])})
	wantAPIError(t, err, "DependencyViolation", 400)
}

// TestLaunchOptionsShown: RunInstances' hibernation, CPU, enclave and
// placement options are kept and shown where DescribeInstances shows
// them, on the raw wire too, and survive a restart of the Server.
func TestLaunchOptionsShown(t *testing.T) {
	b := mock.New(mock.WithDelay(10 * time.Millisecond))
	t.Cleanup(func() { b.Close() })
	start := func() (*ec2emu.Server, string, *ec2.Client) {
		srv := ec2emu.New(b)
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		t.Cleanup(func() { srv.Close() })
		<-srv.Ready()
		return srv, hs.URL, ec2emutest.Client(hs.URL, "us-east-1")
	}
	first, endpoint, c := start()
	id := runOne(t, c, &ec2.RunInstancesInput{
		HibernationOptions: &types.HibernationOptionsRequest{Configured: aws.Bool(true)},
		CpuOptions:         &types.CpuOptionsRequest{CoreCount: aws.Int32(2), ThreadsPerCore: aws.Int32(1)},
		Placement: &types.Placement{HostId: aws.String("h-0123456789abcdef0"), Affinity: aws.String("host"),
			GroupName: aws.String("pg"), PartitionNumber: aws.Int32(3)},
	})
	plain := runOne(t, c, &ec2.RunInstancesInput{})
	view := func(c *ec2.Client, id string) string {
		i := describeOne(t, c, id)
		cpu := "none"
		if i.CpuOptions != nil {
			cpu = fmt.Sprintf("%d/%d", aws.ToInt32(i.CpuOptions.CoreCount), aws.ToInt32(i.CpuOptions.ThreadsPerCore))
		}
		p := i.Placement
		return fmt.Sprintf("hibernation=%t enclave=%t cpu=%s tenancy=%s host=%s affinity=%s group=%s partition=%d",
			aws.ToBool(i.HibernationOptions.Configured), aws.ToBool(i.EnclaveOptions.Enabled), cpu, p.Tenancy,
			aws.ToString(p.HostId), aws.ToString(p.Affinity), aws.ToString(p.GroupName), aws.ToInt32(p.PartitionNumber))
	}
	want := "hibernation=true enclave=false cpu=2/1 tenancy=host host=h-0123456789abcdef0 affinity=host group=pg partition=3"
	if diff := cmp.Diff(want, view(c, id)); diff != "" {
		t.Errorf("launch options (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("hibernation=false enclave=false cpu=none tenancy=default host= affinity= group= partition=0", view(c, plain)); diff != "" {
		t.Errorf("an instance launched without them (-want +got):\n%s", diff)
	}
	// The raw wire: element names the SDK would forgive.
	resp, err := http.Get(endpoint + "/?" + url.Values{"Action": {"DescribeInstances"}, "InstanceId.1": {id}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, el := range []string{"<hibernationOptions>", "<configured>true</configured>", "<hostId>h-0123456789abcdef0</hostId>",
		"<tenancy>host</tenancy>", "<partitionNumber>3</partitionNumber>", "<cpuOptions>", "<coreCount>2</coreCount>",
		"<threadsPerCore>1</threadsPerCore>", "<enclaveOptions>"} {
		if !strings.Contains(string(raw), el) {
			t.Errorf("DescribeInstances lacks %s", el)
		}
	}
	// Filters by them.
	out := must(c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{Filters: []types.Filter{
		{Name: aws.String("host-id"), Values: []string{"h-0123456789abcdef0"}}, {Name: aws.String("hibernation-options.configured"), Values: []string{"true"}}}}))
	if len(out.Reservations) != 1 || aws.ToString(out.Reservations[0].Instances[0].InstanceId) != id {
		t.Errorf("filter host-id and hibernation-options.configured: %d reservations", len(out.Reservations))
	}
	// Refused combinations change nothing.
	for _, tt := range []struct {
		name string
		in   ec2.RunInstancesInput
		code string
	}{
		{"hibernation and enclaves", ec2.RunInstancesInput{HibernationOptions: &types.HibernationOptionsRequest{Configured: aws.Bool(true)},
			EnclaveOptions: &types.EnclaveOptionsRequest{Enabled: aws.Bool(true)}}, "InvalidParameterCombination"},
		{"three threads per core", ec2.RunInstancesInput{CpuOptions: &types.CpuOptionsRequest{ThreadsPerCore: aws.Int32(3)}}, "InvalidParameterValue"},
		{"host ID with dedicated tenancy", ec2.RunInstancesInput{Placement: &types.Placement{HostId: aws.String("h-0123456789abcdef0"),
			Tenancy: types.TenancyDedicated}}, "InvalidParameterCombination"},
	} {
		in := tt.in
		in.ImageId, in.MinCount, in.MaxCount = aws.String(ubuntuAMI), aws.Int32(1), aws.Int32(1)
		_, err := c.RunInstances(ctxT(t), &in)
		if apiCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	if n := len(must(c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{})).Reservations); n != 2 {
		t.Errorf("%d reservations after refused launches, want 2", n)
	}
	before := view(c, id)
	first.Close()
	_, _, c2 := start()
	testutil.WaitStates(t, c2, time.Minute, "running", id)
	if diff := cmp.Diff(before, view(c2, id)); diff != "" {
		t.Errorf("after restart (-before +after):\n%s", diff)
	}
}
