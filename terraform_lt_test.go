package ec2emu_test

// The Terraform replay of a launch template and an instance launched from
// it: the calls terraform-provider-aws (internal/service/ec2,
// ec2_launch_template.go and ec2_instance.go, aws-sdk-go-v2 version) makes
// for
//
//	resource "aws_launch_template" "web" {
//	  name                   = "tf-web"
//	  image_id               = "ami-…"
//	  instance_type          = "t3.micro"     # then "t3.small": a new version
//	  update_default_version = true
//	  metadata_options { http_tokens = "required" }
//	  tag_specifications {
//	    resource_type = "instance"
//	    tags          = { Name = "tf-lt" }
//	  }
//	  tags = { team = "a" }
//	}
//	resource "aws_instance" "web" {
//	  launch_template {
//	    id      = aws_launch_template.web.id
//	    version = "$Latest"
//	  }
//	}
//
// create, refresh, update, destroy, over the mock backend. The sequences
// (shared/docs/terraform-vpc.md has the map):
//
//	aws_launch_template  create: CreateLaunchTemplate (ClientToken, name,
//	              data, TagSpecification launch-template); Read:
//	              DescribeLaunchTemplates LaunchTemplateId.1,
//	              DescribeLaunchTemplateVersions LaunchTemplateId +
//	              LaunchTemplateVersion.1=<latest number>. Update:
//	              CreateLaunchTemplateVersion (ClientToken, the whole data),
//	              ModifyLaunchTemplate SetDefaultVersion=<new number>
//	              (update_default_version), Read. Delete:
//	              DeleteLaunchTemplate LaunchTemplateId
//	              (InvalidLaunchTemplateId.NotFound tolerated).
//	aws_instance  create: DescribeLaunchTemplateVersions LaunchTemplateId +
//	              $Latest (the provider reads the template's data for its
//	              defaults), RunInstances LaunchTemplate.LaunchTemplateId +
//	              .Version=$Latest, DescribeInstances until running; Read:
//	              DescribeInstances, DescribeTags resource-id + key
//	              aws:ec2launchtemplate:id and then :version, and
//	              DescribeLaunchTemplateVersions $Latest (then $Default when
//	              the instance's version is not the latest) to write
//	              launch_template.version back as $Latest, $Default or the
//	              number. The rest of aws_instance's Read is
//	              terraform_test.go's.

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

type tfLT struct {
	tokens int // ClientTokens made, each create a new one
	t      *testing.T
	c      *ec2.Client
	state  map[string]map[string]string
}

func (r *tfLT) token() string {
	r.tokens++
	return "terraform-" + strconv.Itoa(r.tokens)
}

func (r *tfLT) ltData(instanceType types.InstanceType) *types.RequestLaunchTemplateData {
	return &types.RequestLaunchTemplateData{
		ImageId: aws.String(ubuntuAMI), InstanceType: instanceType,
		MetadataOptions: &types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: types.LaunchTemplateHttpTokensStateRequired},
		TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{ResourceType: types.ResourceTypeInstance,
			Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("tf-lt")}}}},
	}
}

func (r *tfLT) createLT() {
	r.t.Helper()
	out, err := r.c.CreateLaunchTemplate(ctxT(r.t), &ec2.CreateLaunchTemplateInput{ClientToken: aws.String(r.token()),
		LaunchTemplateName: aws.String("tf-web"), LaunchTemplateData: r.ltData(types.InstanceTypeT3Micro),
		TagSpecifications: tagSpec(types.ResourceTypeLaunchTemplate, "team", "a")})
	if err != nil {
		r.t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	r.state["aws_launch_template.web"] = map[string]string{"id": aws.ToString(out.LaunchTemplate.LaunchTemplateId)}
	r.readLT()
}

func (r *tfLT) readLT() {
	r.t.Helper()
	ctx, st := ctxT(r.t), r.state["aws_launch_template.web"]
	out, err := r.c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{st["id"]}})
	if apiCode(err) == "InvalidLaunchTemplateId.NotFound" {
		delete(r.state, "aws_launch_template.web")
		return
	}
	if err != nil || len(out.LaunchTemplates) != 1 {
		r.t.Fatalf("findLaunchTemplateByID: %v", err)
	}
	lt := out.LaunchTemplates[0]
	latest := strconv.FormatInt(aws.ToInt64(lt.LatestVersionNumber), 10)
	vs, err := r.c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplateId,
		Versions: []string{latest}})
	if err != nil || len(vs.LaunchTemplateVersions) != 1 {
		r.t.Fatalf("findLaunchTemplateVersionByTwoPartKey: %v", err)
	}
	d := vs.LaunchTemplateVersions[0].LaunchTemplateData
	r.state["aws_launch_template.web"] = map[string]string{
		"id": st["id"], "name": aws.ToString(lt.LaunchTemplateName), "latest_version": latest,
		"default_version": strconv.FormatInt(aws.ToInt64(lt.DefaultVersionNumber), 10),
		"image_id":        aws.ToString(d.ImageId), "instance_type": string(d.InstanceType),
		"metadata_options.http_tokens": string(d.MetadataOptions.HttpTokens),
		"tag_specifications.0":         string(d.TagSpecifications[0].ResourceType) + " Name=" + aws.ToString(d.TagSpecifications[0].Tags[0].Value),
		"tags.team":                    aws.ToString(lt.Tags[0].Value),
	}
}

func (r *tfLT) updateLT(instanceType types.InstanceType) {
	r.t.Helper()
	ctx, id := ctxT(r.t), r.state["aws_launch_template.web"]["id"]
	v, err := r.c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{ClientToken: aws.String(r.token()),
		LaunchTemplateId: &id, LaunchTemplateData: r.ltData(instanceType)})
	if err != nil {
		r.t.Fatalf("CreateLaunchTemplateVersion: %v", err)
	}
	n := strconv.FormatInt(aws.ToInt64(v.LaunchTemplateVersion.VersionNumber), 10)
	if _, err := r.c.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: &id, DefaultVersion: &n}); err != nil {
		r.t.Fatalf("ModifyLaunchTemplate: %v", err)
	}
	r.readLT()
}

func (r *tfLT) deleteLT() {
	r.t.Helper()
	id := r.state["aws_launch_template.web"]["id"]
	if _, err := r.c.DeleteLaunchTemplate(ctxT(r.t), &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: &id}); err != nil && apiCode(err) != "InvalidLaunchTemplateId.NotFound" {
		r.t.Fatalf("DeleteLaunchTemplate: %v", err)
	}
}

func (r *tfLT) createInstance() {
	r.t.Helper()
	ctx, lt := ctxT(r.t), r.state["aws_launch_template.web"]["id"]
	if _, err := r.c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &lt,
		Versions: []string{"$Latest"}}); err != nil {
		r.t.Fatalf("findLaunchTemplateData: %v", err)
	}
	out, err := r.c.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		ClientToken: aws.String(r.token()), LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: &lt, Version: aws.String("$Latest")}})
	if err != nil {
		r.t.Fatalf("RunInstances: %v", err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	deadline := time.Now().Add(time.Minute)
	for {
		d := must(r.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}))
		if s := d.Reservations[0].Instances[0].State.Name; s == types.InstanceStateNameRunning {
			break
		} else if s != types.InstanceStateNamePending || time.Now().After(deadline) {
			r.t.Fatalf("waitInstanceCreated: %s", s)
		}
		time.Sleep(10 * time.Millisecond) // the provider's poll interval, shortened
	}
	r.state["aws_instance.web"] = map[string]string{"id": id}
	r.readInstance()
}

func (r *tfLT) tagValue(id, key string) string {
	r.t.Helper()
	out := must(r.c.DescribeTags(ctxT(r.t), &ec2.DescribeTagsInput{Filters: []types.Filter{
		{Name: aws.String("resource-id"), Values: []string{id}}, {Name: aws.String("key"), Values: []string{key}}}}))
	if len(out.Tags) != 1 {
		return ""
	}
	return aws.ToString(out.Tags[0].Value)
}

func (r *tfLT) readInstance() {
	r.t.Helper()
	ctx, id := ctxT(r.t), r.state["aws_instance.web"]["id"]
	d := must(r.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}))
	inst := d.Reservations[0].Instances[0]
	if inst.State.Name == types.InstanceStateNameTerminated {
		delete(r.state, "aws_instance.web")
		return
	}
	ltID := r.tagValue(id, "aws:ec2launchtemplate:id")
	version := r.tagValue(id, "aws:ec2launchtemplate:version")
	latest := must(r.c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &ltID, Versions: []string{"$Latest"}}))
	stateVersion := version
	if strconv.FormatInt(aws.ToInt64(latest.LaunchTemplateVersions[0].VersionNumber), 10) == version {
		stateVersion = "$Latest"
	} else {
		def := must(r.c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &ltID, Versions: []string{"$Default"}}))
		if strconv.FormatInt(aws.ToInt64(def.LaunchTemplateVersions[0].VersionNumber), 10) == version {
			stateVersion = "$Default"
		}
	}
	name := ""
	for _, t := range inst.Tags {
		if aws.ToString(t.Key) == "Name" {
			name = aws.ToString(t.Value)
		}
	}
	r.state["aws_instance.web"] = map[string]string{"id": id, "ami": aws.ToString(inst.ImageId), "instance_type": string(inst.InstanceType),
		"launch_template.id": ltID, "launch_template.version": stateVersion, "tags.Name": name,
		"metadata_options.http_tokens": string(inst.MetadataOptions.HttpTokens)}
}

func (r *tfLT) destroyInstance() {
	r.t.Helper()
	ctx, id := ctxT(r.t), r.state["aws_instance.web"]["id"]
	must(r.c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: &id, DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))
	must(r.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))
	deadline := time.Now().Add(time.Minute)
	for {
		d := must(r.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}))
		if d.Reservations[0].Instances[0].State.Name == types.InstanceStateNameTerminated {
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatal("waitInstanceDeleted: not terminated after a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.readInstance()
}

func TestTerraformLaunchTemplateReplay(t *testing.T) {
	srv := ec2emu.New(mock.New(mock.WithDelay(20 * time.Millisecond)))
	log := &actionLog{}
	hs := httptest.NewServer(log.wrap(srv))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	r := &tfLT{t: t, c: ec2emutest.Client(hs.URL, "us-east-1"), state: map[string]map[string]string{}}
	readLT := []string{"DescribeLaunchTemplates", "DescribeLaunchTemplateVersions"}
	readInst := []string{"DescribeInstances", "DescribeTags", "DescribeTags", "DescribeLaunchTemplateVersions"}
	wantLT := func(latest, def, typ string) map[string]string {
		return map[string]string{"id": r.state["aws_launch_template.web"]["id"], "name": "tf-web", "latest_version": latest, "default_version": def,
			"image_id": ubuntuAMI, "instance_type": typ, "metadata_options.http_tokens": "required",
			"tag_specifications.0": "instance Name=tf-lt", "tags.team": "a"}
	}
	wantInst := func(typ, version string) map[string]string {
		return map[string]string{"id": r.state["aws_instance.web"]["id"], "ami": ubuntuAMI, "instance_type": typ,
			"launch_template.id": r.state["aws_launch_template.web"]["id"], "launch_template.version": version,
			"tags.Name": "tf-lt", "metadata_options.http_tokens": "required"}
	}
	check := func(what string, want, got any) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}

	t.Run("create", func(t *testing.T) {
		r.t = t
		r.createLT()
		r.createInstance()
		check("template state", wantLT("1", "1", "t3.micro"), r.state["aws_launch_template.web"])
		check("instance state", wantInst("t3.micro", "$Latest"), r.state["aws_instance.web"])
		want := append(append([]string{"CreateLaunchTemplate"}, readLT...), "DescribeLaunchTemplateVersions", "RunInstances")
		check("calls", append(want, readInst...), log.sequence())
	})
	if r.state["aws_instance.web"] == nil {
		t.Fatal("create failed")
	}
	t.Run("refresh", func(t *testing.T) {
		r.t = t
		before := map[string]map[string]string{"lt": r.state["aws_launch_template.web"], "i": r.state["aws_instance.web"]}
		r.readLT()
		r.readInstance()
		check("refresh changed state", before, map[string]map[string]string{"lt": r.state["aws_launch_template.web"], "i": r.state["aws_instance.web"]})
		check("calls", append(append([]string{}, readLT...), readInst...), log.sequence())
	})
	t.Run("update", func(t *testing.T) {
		r.t = t
		r.updateLT(types.InstanceTypeT3Small)
		check("template state", wantLT("2", "2", "t3.small"), r.state["aws_launch_template.web"])
		// The instance launched from version 1, now neither latest nor
		// default: Read writes the number, the plan replaces the instance.
		r.readInstance()
		check("instance state", wantInst("t3.micro", "1"), r.state["aws_instance.web"])
		check("calls", append(append([]string{"CreateLaunchTemplateVersion", "ModifyLaunchTemplate"}, readLT...),
			append(readInst, "DescribeLaunchTemplateVersions")...), log.sequence())
		r.destroyInstance()
		r.createInstance()
		check("replaced instance", wantInst("t3.small", "$Latest"), r.state["aws_instance.web"])
		log.sequence()
	})
	t.Run("destroy", func(t *testing.T) {
		r.t = t
		r.destroyInstance()
		r.deleteLT()
		r.readLT()
		check("state after destroy", map[string]map[string]string{}, r.state)
		check("calls", []string{"ModifyInstanceAttribute", "TerminateInstances", "DescribeInstances", "DeleteLaunchTemplate", "DescribeLaunchTemplates"},
			log.sequence())
	})
}
