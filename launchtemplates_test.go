package ec2emu_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/internal/testutil"
)

// ltVersions lists a template's versions as "number:type:default".
func ltVersions(t *testing.T, c *ec2.Client, in *ec2.DescribeLaunchTemplateVersionsInput) []string {
	t.Helper()
	out := must(c.DescribeLaunchTemplateVersions(ctxT(t), in))
	got := []string{}
	for _, v := range out.LaunchTemplateVersions {
		got = append(got, fmt.Sprintf("%d:%s:%t", aws.ToInt64(v.VersionNumber), v.LaunchTemplateData.InstanceType, aws.ToBool(v.DefaultVersion)))
	}
	return got
}

func TestLaunchTemplateLifecycle(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	must(c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("k1")}))
	userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho lt\n"))
	cr := must(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("web"), VersionDescription: aws.String("first"),
		TagSpecifications: tagSpec(types.ResourceTypeLaunchTemplate, "team", "a"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{
			ImageId: aws.String(ubuntuAMI), InstanceType: types.InstanceTypeT3Micro, KeyName: aws.String("k1"),
			UserData:              aws.String(userData),
			DisableApiTermination: aws.Bool(false),
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{ResourceType: types.ResourceTypeInstance,
				Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("from-lt")}, {Key: aws.String("env"), Value: aws.String("dev")}}}},
			MetadataOptions: &types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: types.LaunchTemplateHttpTokensStateRequired},
		},
	}))
	lt := cr.LaunchTemplate
	id := aws.ToString(lt.LaunchTemplateId)
	got := fmt.Sprintf("%s %d %d %s %v", aws.ToString(lt.LaunchTemplateName), aws.ToInt64(lt.DefaultVersionNumber),
		aws.ToInt64(lt.LatestVersionNumber), aws.ToString(lt.CreatedBy), testutil.TagMap(lt.Tags))
	if diff := cmp.Diff("web 1 1 arn:aws:iam::000000000000:root map[team:a]", got); diff != "" {
		t.Errorf("CreateLaunchTemplate (-want +got):\n%s", diff)
	}
	if len(id) != len("lt-")+17 {
		t.Errorf("template ID %q: want lt- and 17 hex digits", id)
	}

	// Version 2 from version 1 with another type; version 3 from nothing.
	v2 := must(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: &id, SourceVersion: aws.String("1"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeT3Small}}))
	d2 := v2.LaunchTemplateVersion.LaunchTemplateData
	got = fmt.Sprintf("%d %s %s %s %t", aws.ToInt64(v2.LaunchTemplateVersion.VersionNumber), aws.ToString(d2.ImageId), d2.InstanceType,
		aws.ToString(d2.KeyName), aws.ToBool(v2.LaunchTemplateVersion.DefaultVersion))
	if diff := cmp.Diff(fmt.Sprintf("2 %s t3.small k1 false", ubuntuAMI), got); diff != "" {
		t.Errorf("version from SourceVersion (-want +got):\n%s", diff)
	}
	must(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String("web"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeT3Nano}}))

	for _, tt := range []struct {
		name string
		in   ec2.DescribeLaunchTemplateVersionsInput
		want []string
	}{
		{"all", ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id}, []string{"3:t3.nano:false", "2:t3.small:false", "1:t3.micro:true"}},
		{"$Latest and $Default", ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("web"), Versions: []string{"$Latest", "$Default"}},
			[]string{"3:t3.nano:false", "1:t3.micro:true"}},
		{"range", ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id, MinVersion: aws.String("2"), MaxVersion: aws.String("2")}, []string{"2:t3.small:false"}},
		{"filter", ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id, Filters: []types.Filter{{Name: aws.String("instance-type"), Values: []string{"t3.s*"}}}},
			[]string{"2:t3.small:false"}},
		{"every template's default", ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"$Default"}}, []string{"1:t3.micro:true"}},
		{"one page", ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id, MaxResults: aws.Int32(2)}, []string{"3:t3.nano:false", "2:t3.small:false"}},
	} {
		if diff := cmp.Diff(tt.want, ltVersions(t, c, &tt.in)); diff != "" {
			t.Errorf("DescribeLaunchTemplateVersions %s (-want +got):\n%s", tt.name, diff)
		}
	}
	// Paging visits every version once.
	var paged []int64
	p := ec2.NewDescribeLaunchTemplateVersionsPaginator(c, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id, MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		for _, v := range must(p.NextPage(ctx)).LaunchTemplateVersions {
			paged = append(paged, aws.ToInt64(v.VersionNumber))
		}
	}
	if diff := cmp.Diff([]int64{3, 2, 1}, paged); diff != "" {
		t.Errorf("paged versions (-want +got):\n%s", diff)
	}

	// RunInstances from the default version, then from $Latest with an
	// override and tags of its own.
	r1 := must(c.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: &id}}))
	i1 := r1.Instances[0]
	got = fmt.Sprintf("%s %s %s %v", aws.ToString(i1.ImageId), i1.InstanceType, aws.ToString(i1.KeyName), testutil.TagMap(i1.Tags))
	want := fmt.Sprintf("%s t3.micro k1 map[Name:from-lt aws:ec2launchtemplate:id:%s aws:ec2launchtemplate:version:1 env:dev]", ubuntuAMI, id)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instance from the default version (-want +got):\n%s", diff)
	}
	if i1.MetadataOptions == nil || i1.MetadataOptions.HttpTokens != types.HttpTokensStateRequired {
		t.Errorf("instance metadata options %+v: want the template's HttpTokens=required", i1.MetadataOptions)
	}
	r2 := must(c.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeT3Medium,
		TagSpecifications: tagSpec(types.ResourceTypeInstance, "Name", "override"),
		LaunchTemplate:    &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web"), Version: aws.String("2")}}))
	i2 := r2.Instances[0]
	got = fmt.Sprintf("%s %s %v", aws.ToString(i2.ImageId), i2.InstanceType, testutil.TagMap(i2.Tags))
	// The request's type and Name tag win; the template's env tag stays.
	want = fmt.Sprintf("%s t3.medium map[Name:override aws:ec2launchtemplate:id:%s aws:ec2launchtemplate:version:2 env:dev]", ubuntuAMI, id)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instance from version 2 with overrides (-want +got):\n%s", diff)
	}
	// Version 3 was made without SourceVersion: it has no AMI, and neither
	// has the request.
	_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: &id, Version: aws.String("$Latest")}})
	wantAPIError(t, err, "MissingParameter", http.StatusBadRequest)
	testutil.WaitStates(t, c, 60e9, "running", aws.ToString(i1.InstanceId))

	// GetLaunchTemplateData of the first instance.
	gd := must(c.GetLaunchTemplateData(ctx, &ec2.GetLaunchTemplateDataInput{InstanceId: i1.InstanceId})).LaunchTemplateData
	got = fmt.Sprintf("%s %s %s %s %v", aws.ToString(gd.ImageId), gd.InstanceType, aws.ToString(gd.KeyName), aws.ToString(gd.UserData),
		testutil.TagMap(gd.TagSpecifications[0].Tags))
	if diff := cmp.Diff(fmt.Sprintf("%s t3.micro k1 %s map[Name:from-lt env:dev]", ubuntuAMI, userData), got); diff != "" {
		t.Errorf("GetLaunchTemplateData (-want +got):\n%s", diff)
	}

	// A new default, then delete versions: the default one is refused.
	md := must(c.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: &id, DefaultVersion: aws.String("2")}))
	if n := aws.ToInt64(md.LaunchTemplate.DefaultVersionNumber); n != 2 {
		t.Errorf("default version after ModifyLaunchTemplate: %d, want 2", n)
	}
	dv := must(c.DeleteLaunchTemplateVersions(ctx, &ec2.DeleteLaunchTemplateVersionsInput{LaunchTemplateId: &id, Versions: []string{"1", "2", "7"}}))
	var res []string
	for _, d := range dv.SuccessfullyDeletedLaunchTemplateVersions {
		res = append(res, fmt.Sprintf("ok %d", aws.ToInt64(d.VersionNumber)))
	}
	for _, d := range dv.UnsuccessfullyDeletedLaunchTemplateVersions {
		res = append(res, fmt.Sprintf("failed %d %s", aws.ToInt64(d.VersionNumber), d.ResponseError.Code))
	}
	if diff := cmp.Diff([]string{"ok 1", "failed 2 unexpectedError", "failed 7 launchTemplateVersionDoesNotExist"}, res); diff != "" {
		t.Errorf("DeleteLaunchTemplateVersions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"3:t3.nano:false", "2:t3.small:true"}, ltVersions(t, c, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id})); diff != "" {
		t.Errorf("versions left (-want +got):\n%s", diff)
	}

	// Tags through CreateTags and DescribeTags; filters of DescribeLaunchTemplates.
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}}}))
	dt := must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("resource-id"), Values: []string{id}}}}))
	if len(dt.Tags) != 2 || dt.Tags[0].ResourceType != types.ResourceTypeLaunchTemplate {
		t.Errorf("DescribeTags of the template: %+v", dt.Tags)
	}
	must(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("db1"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeT3Large}}))
	names := func(in *ec2.DescribeLaunchTemplatesInput) []string {
		out := []string{}
		for _, lt := range must(c.DescribeLaunchTemplates(ctx, in)).LaunchTemplates {
			out = append(out, aws.ToString(lt.LaunchTemplateName))
		}
		return out
	}
	for _, tt := range []struct {
		in   ec2.DescribeLaunchTemplatesInput
		want []string
	}{
		{ec2.DescribeLaunchTemplatesInput{}, []string{"web", "db1"}},
		{ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"db1"}}, []string{"db1"}},
		{ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{id}}, []string{"web"}},
		{ec2.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("tag:owner"), Values: []string{"me"}}}}, []string{"web"}},
		{ec2.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("launch-template-name"), Values: []string{"d*"}}}}, []string{"db1"}},
		{ec2.DescribeLaunchTemplatesInput{MaxResults: aws.Int32(1)}, []string{"web"}},
	} {
		if diff := cmp.Diff(tt.want, names(&tt.in)); diff != "" {
			t.Errorf("DescribeLaunchTemplates %+v (-want +got):\n%s", tt.in, diff)
		}
	}

	dl := must(c.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String("web")}))
	if aws.ToString(dl.LaunchTemplate.LaunchTemplateId) != id {
		t.Errorf("DeleteLaunchTemplate answered %v", dl.LaunchTemplate.LaunchTemplateId)
	}
	if diff := cmp.Diff([]string{"db1"}, names(&ec2.DescribeLaunchTemplatesInput{})); diff != "" {
		t.Errorf("templates after delete (-want +got):\n%s", diff)
	}
	// The instances keep their tags.
	if got := testutil.TagMap(must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(i1.InstanceId)}})).Reservations[0].Instances[0].Tags)["aws:ec2launchtemplate:id"]; got != id {
		t.Errorf("instance's template tag after delete: %q", got)
	}
}

func TestLaunchTemplateErrors(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	e := newVPCEnv(t, c)
	lt := must(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("base"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ubuntuAMI),
			NetworkInterfaces: []types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{DeviceIndex: aws.Int32(0), SubnetId: &e.subnet}}}})).LaunchTemplate
	id := aws.ToString(lt.LaunchTemplateId)
	unknown := "lt-0123456789abcdef0"
	data := &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeT3Micro}
	runLT := func(spec *types.LaunchTemplateSpecification, mod func(*ec2.RunInstancesInput)) func() error {
		return func() error {
			in := &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), LaunchTemplate: spec}
			if mod != nil {
				mod(in)
			}
			return second(c.RunInstances(ctx, in))
		}
	}
	for _, tt := range []struct {
		name string
		call func() error
		code string
	}{
		{"Create duplicate name", func() error {
			return second(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("base"), LaunchTemplateData: data}))
		}, "InvalidLaunchTemplateName.AlreadyExistsException"},
		{"Create malformed name", func() error {
			return second(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("a b"), LaunchTemplateData: data}))
		}, "InvalidLaunchTemplateName.MalformedException"},
		{"Create short name", func() error {
			return second(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("ab"), LaunchTemplateData: data}))
		}, "InvalidLaunchTemplateName.MalformedException"},
		{"Create empty data", func() error {
			return second(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("empty"), LaunchTemplateData: &types.RequestLaunchTemplateData{}}))
		}, "MissingParameter"},
		{"Create instance tag spec on the template", func() error {
			return second(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("x-tags"), LaunchTemplateData: data,
				TagSpecifications: tagSpec(types.ResourceTypeInstance, "a", "b")}))
		}, "InvalidParameterValue"},
		{"Create unmodelled member", func() error {
			return second(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("x-req"),
				LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceRequirements: &types.InstanceRequirementsRequest{
					VCpuCount: &types.VCpuCountRangeRequest{Min: aws.Int32(1)}, MemoryMiB: &types.MemoryMiBRequest{Min: aws.Int32(1)}}}}))
		}, "UnsupportedOperation"},
		{"Create DryRun", func() error {
			return second(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("dry"), LaunchTemplateData: data, DryRun: aws.Bool(true)}))
		}, "DryRunOperation"},
		{"Version unknown ID", func() error {
			return second(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: &unknown, LaunchTemplateData: data}))
		}, "InvalidLaunchTemplateId.NotFound"},
		{"Version malformed ID", func() error {
			return second(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String("lt-1"), LaunchTemplateData: data}))
		}, "InvalidLaunchTemplateId.Malformed"},
		{"Version unknown name", func() error {
			return second(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String("nope"), LaunchTemplateData: data}))
		}, "InvalidLaunchTemplateName.NotFoundException"},
		{"Version id and name", func() error {
			return second(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: &id, LaunchTemplateName: aws.String("base"), LaunchTemplateData: data}))
		}, "InvalidParameterCombination"},
		{"Version unknown source", func() error {
			return second(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: &id, SourceVersion: aws.String("9"), LaunchTemplateData: data}))
		}, "InvalidLaunchTemplateId.VersionNotFound"},
		{"Version DryRun", func() error {
			return second(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: &id, LaunchTemplateData: data, DryRun: aws.Bool(true)}))
		}, "DryRunOperation"},
		{"Modify unknown default", func() error {
			return second(c.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: &id, DefaultVersion: aws.String("666")}))
		}, "InvalidLaunchTemplateId.VersionNotFound"},
		{"Modify neither id nor name", func() error {
			return second(c.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{DefaultVersion: aws.String("1")}))
		}, "MissingParameter"},
		{"Delete unknown", func() error {
			return second(c.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: &unknown}))
		}, "InvalidLaunchTemplateId.NotFound"},
		{"Delete DryRun", func() error {
			return second(c.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: &id, DryRun: aws.Bool(true)}))
		}, "DryRunOperation"},
		{"DeleteVersions unknown template", func() error {
			return second(c.DeleteLaunchTemplateVersions(ctx, &ec2.DeleteLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("nope"), Versions: []string{"1"}}))
		}, "InvalidLaunchTemplateName.NotFoundException"},
		{"Describe unknown ID", func() error {
			return second(c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{unknown}}))
		}, "InvalidLaunchTemplateId.NotFound"},
		{"Describe malformed ID", func() error {
			return second(c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{"lt-x"}}))
		}, "InvalidLaunchTemplateId.Malformed"},
		{"Describe unknown name", func() error {
			return second(c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"nope"}}))
		}, "InvalidLaunchTemplateName.NotFoundException"},
		{"Describe MaxResults 0", func() error {
			return second(c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{MaxResults: aws.Int32(0)}))
		}, "InvalidParameterValue"},
		{"Describe bad filter", func() error {
			return second(c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: []types.Filter{{Name: aws.String("color"), Values: []string{"x"}}}}))
		}, "InvalidParameterValue"},
		{"DescribeVersions unknown version", func() error {
			return second(c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id, Versions: []string{"5"}}))
		}, "InvalidLaunchTemplateId.VersionNotFound"},
		{"DescribeVersions number without template", func() error {
			return second(c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"1"}}))
		}, "InvalidParameterValue"},
		{"GetLaunchTemplateData unknown instance", func() error {
			return second(c.GetLaunchTemplateData(ctx, &ec2.GetLaunchTemplateDataInput{InstanceId: aws.String("i-0123456789abcdef0")}))
		}, "InvalidInstanceID.NotFound"},
		{"RunInstances unknown template", runLT(&types.LaunchTemplateSpecification{LaunchTemplateId: &unknown}, nil), "InvalidLaunchTemplateId.NotFound"},
		{"RunInstances unknown template name", runLT(&types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("nope")}, nil), "InvalidLaunchTemplateName.NotFoundException"},
		{"RunInstances unknown version", runLT(&types.LaunchTemplateSpecification{LaunchTemplateId: &id, Version: aws.String("4")}, nil), "InvalidLaunchTemplateId.VersionNotFound"},
		{"RunInstances groups with the template's interfaces", runLT(&types.LaunchTemplateSpecification{LaunchTemplateId: &id}, func(in *ec2.RunInstancesInput) {
			in.SecurityGroupIds = []string{e.sg}
		}), "InvalidParameterCombination"},
		{"RunInstances DryRun", runLT(&types.LaunchTemplateSpecification{LaunchTemplateId: &id}, func(in *ec2.RunInstancesInput) { in.DryRun = aws.Bool(true) }), "DryRunOperation"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := describeAll(t, c)
			ltsBefore := must(c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id}))
			err := tt.call()
			status := http.StatusBadRequest
			if tt.code == "DryRunOperation" {
				status = http.StatusPreconditionFailed
			}
			wantAPIError(t, err, tt.code, status)
			if diff := cmp.Diff(before, describeAll(t, c)); diff != "" {
				t.Errorf("a refused request changed state (-before +after):\n%s", diff)
			}
			lts := must(c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &id}))
			if len(lts.LaunchTemplateVersions) != len(ltsBefore.LaunchTemplateVersions) {
				t.Errorf("a refused request changed the template's versions")
			}
		})
	}
	// The template's network interface puts the instance in its subnet.
	r := must(c.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: &id}}))
	if got := aws.ToString(r.Instances[0].SubnetId); got != e.subnet {
		t.Errorf("instance from a template with a network interface: subnet %s, want %s", got, e.subnet)
	}
	// ClientToken: a retry answers the same template.
	tok := aws.String("tok-1")
	a := must(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("idem"), ClientToken: tok, LaunchTemplateData: data}))
	b := must(c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("idem"), ClientToken: tok, LaunchTemplateData: data}))
	if aws.ToString(a.LaunchTemplate.LaunchTemplateId) != aws.ToString(b.LaunchTemplate.LaunchTemplateId) {
		t.Errorf("ClientToken retry made a second template")
	}
	// A RunInstances retry answers its first reservation, even once the
	// template's default version has changed: the token fingerprints the
	// request as sent, not the merged parameters.
	in := func() *ec2.RunInstancesInput {
		return &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ClientToken: aws.String("run-1"),
			LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("base")}}
	}
	first := must(c.RunInstances(ctx, in()))
	must(c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: &id, SourceVersion: aws.String("1"), LaunchTemplateData: data}))
	must(c.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: &id, DefaultVersion: aws.String("2")}))
	again := must(c.RunInstances(ctx, in()))
	if aws.ToString(again.ReservationId) != aws.ToString(first.ReservationId) {
		t.Errorf("ClientToken retry after a new default version: reservation %s, want %s", aws.ToString(again.ReservationId), aws.ToString(first.ReservationId))
	}
}
