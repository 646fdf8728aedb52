package xmlproto_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// Wire bodies copied from ec2-wire.md §1.4 (aws-sdk-go-v2 v1.346.0) and §1.5
// (botocore 1.43.67), joined into one line as they travel. Tests decode these
// exact strings so that a decoder change that breaks a real client shows up
// here rather than in an SDK integration run.
const (
	wireGoRunInstances = "Action=RunInstances" +
		"&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda" +
		"&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true" +
		"&BlockDeviceMapping.1.Ebs.VolumeSize=20" +
		"&BlockDeviceMapping.1.Ebs.VolumeType=gp3" +
		"&ClientToken=ea079f81-f714-48d7-bdeb-da05b196cb9b" +
		"&ImageId=ami-0abcdef1234567890" +
		"&InstanceType=t3.micro" +
		"&KeyName=my-key" +
		"&MaxCount=2" +
		"&MinCount=1" +
		"&Monitoring.Enabled=false" +
		"&Placement.AvailabilityZone=us-west-2a" +
		"&SecurityGroupId.1=sg-111" +
		"&SecurityGroupId.2=sg-222" +
		"&TagSpecification.1.ResourceType=instance" +
		"&TagSpecification.1.Tag.1.Key=Name" +
		"&TagSpecification.1.Tag.1.Value=web+1" +
		"&TagSpecification.1.Tag.2.Key=env" +
		"&TagSpecification.1.Tag.2.Value=dev" +
		"&UserData=IyEvYmluL2Jhc2gKZWNobyBoaQo%3D" +
		"&Version=2016-11-15"

	wireBotoRunInstances = "Action=RunInstances&Version=2016-11-15&ImageId=ami-0abcdef1234567890&MinCount=1&MaxCount=2&KeyName=my-key" +
		"&UserData=IyEvYmluL2Jhc2gKZWNobyBoaQo%3D&InstanceType=t3.micro&SecurityGroupId.1=sg-111&SecurityGroupId.2=sg-222" +
		"&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web+1" +
		"&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.VolumeSize=20" +
		"&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true&DryRun=false&ClientToken=df6e6262-f340-4e08-927d-d0fcecd96b07"

	// The ENI variant carries IamInstanceProfile, MetadataOptions and
	// LaunchTemplate, which RunInstancesRequest does not model: they must
	// be ignored, not rejected.
	wireBotoRunInstancesENI = "Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=1" +
		"&NetworkInterface.1.DeviceIndex=0&NetworkInterface.1.SubnetId=subnet-1" +
		"&NetworkInterface.1.SecurityGroupId.1=sg-1&NetworkInterface.1.AssociatePublicIpAddress=true" +
		"&IamInstanceProfile.Name=prof&MetadataOptions.HttpTokens=required" +
		"&LaunchTemplate.LaunchTemplateId=lt-1&LaunchTemplate.Version=%24Latest"

	wireGoDescribeInstances = "Action=DescribeInstances&DryRun=true&Filter.1.Name=instance-state-name&Filter.1.Value.1=running" +
		"&Filter.1.Value.2=pending&Filter.2.Name=tag%3AName&Filter.2.Value.1=web%2A&InstanceId.1=i-1" +
		"&InstanceId.2=i-2&MaxResults=5&NextToken=tok%2Fen%2B%3D%3D&Version=2016-11-15"

	wireGoTerminateInstances = "Action=TerminateInstances&InstanceId.1=i-1&InstanceId.2=i-2&Version=2016-11-15"

	wireBotoCreateTags = "Action=CreateTags&Version=2016-11-15&ResourceId.1=i-1&ResourceId.2=ami-2&Tag.1.Key=Name&Tag.1.Value=x"

	wireBotoDescribeInstanceStatus = "Action=DescribeInstanceStatus&Version=2016-11-15&InstanceId.1=i-1&IncludeAllInstances=true" +
		"&Filter.1.Name=instance-state-name&Filter.1.Value.1=running"

	wireBotoCreateImage = "Action=CreateImage&Version=2016-11-15&InstanceId=i-1&Name=img&Description=d&NoReboot=true" +
		"&TagSpecification.1.ResourceType=image&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v" +
		"&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fsdb&BlockDeviceMapping.1.NoDevice="

	wireGoDescribeImages = "Action=DescribeImages&ExecutableBy.1=all&Owner.1=self&Version=2016-11-15"

	wireBotoDescribeImages = "Action=DescribeImages&Version=2016-11-15&Owner.1=self&Owner.2=amazon&ExecutableBy.1=self" +
		"&Filter.1.Name=name&Filter.1.Value.1=my-%2A&IncludeDeprecated=true&MaxResults=10"

	wireBotoDeregisterImage = "Action=DeregisterImage&Version=2016-11-15&ImageId=ami-1"
)

const (
	ctGo   = "application/x-www-form-urlencoded"
	ctBoto = "application/x-www-form-urlencoded; charset=utf-8"
)

func ptr[T any](v T) *T { return &v }

// tagItem and monitoring spell out the anonymous struct types of
// TagsRequest.Tags and RunInstancesRequest.Monitoring; identical struct
// types (same fields and tags) are assignable, so the want values can be
// written without naming the shapes' internals.
type (
	tagItem = struct {
		Key   string  `ec2:"Key"`
		Value *string `ec2:"Value"`
	}
	monitoring = struct {
		Enabled *bool `ec2:"Enabled"`
	}
)

// TestParseRequest checks the HTTP side: where parameters come from (URL
// query, form body, both), which content types are read, that signing
// parameters never reach the decoder, and the body limit.
func TestParseRequest(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		maxBody     int64
		wantAction  string
		wantVersion string
		wantParams  url.Values
		wantErr     error // matched with errors.Is; errAny accepts any error
	}{
		{
			name: "aws-sdk-go-v2 POST", method: http.MethodPost, target: "/", contentType: ctGo,
			body:       wireGoTerminateInstances,
			wantAction: "TerminateInstances", wantVersion: "2016-11-15",
			wantParams: url.Values{"InstanceId.1": {"i-1"}, "InstanceId.2": {"i-2"}},
		},
		{
			name: "botocore POST with charset parameter", method: http.MethodPost, target: "/", contentType: ctBoto,
			body:       wireBotoDeregisterImage,
			wantAction: "DeregisterImage", wantVersion: "2016-11-15",
			wantParams: url.Values{"ImageId": {"ami-1"}},
		},
		{
			name: "media type is case-insensitive", method: http.MethodPost, target: "/",
			contentType: "Application/X-WWW-Form-URLEncoded;Charset=UTF-8",
			body:        "Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1",
			wantAction:  "DescribeRegions", wantVersion: "2016-11-15",
			wantParams: url.Values{"RegionName.1": {"us-east-1"}},
		},
		{
			// curl --data without -H sends the form type, but a bare
			// body with no Content-Type is read as a form too.
			name: "POST without content type is read as a form", method: http.MethodPost, target: "/",
			body:       "Action=DescribeRegions",
			wantAction: "DescribeRegions",
			wantParams: url.Values{},
		},
		{
			name: "GET with query string only", method: http.MethodGet,
			target:     "/?" + wireGoDescribeImages,
			wantAction: "DescribeImages", wantVersion: "2016-11-15",
			wantParams: url.Values{"ExecutableBy.1": {"all"}, "Owner.1": {"self"}},
		},
		{
			name: "query and body merged, body wins", method: http.MethodPost, contentType: ctGo,
			target:     "/?Action=DescribeImages&MaxResults=5&ImageId.1=ami-q",
			body:       "Action=DescribeInstances&MaxResults=10&NextToken=t",
			wantAction: "DescribeInstances",
			wantParams: url.Values{"MaxResults": {"10"}, "ImageId.1": {"ami-q"}, "NextToken": {"t"}},
		},
		{
			name: "SigV4 query signing and SigV2 parameters removed", method: http.MethodGet,
			target: "/?Action=DescribeRegions&Version=2016-11-15" +
				"&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
				"&X-Amz-Credential=AKIDEXAMPLE%2F20261127%2Fus-west-2%2Fec2%2Faws4_request" +
				"&X-Amz-Date=20261127T205429Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host" +
				"&X-Amz-Signature=8817abcd&X-Amz-Security-Token=tok" +
				"&AWSAccessKeyId=AKIDEXAMPLE&SignatureVersion=2&SignatureMethod=HmacSHA256" +
				"&Signature=c2ln&Timestamp=2026-11-27T20%3A54%3A29Z&Expires=2026-11-27T21%3A00%3A00Z" +
				"&RegionName.1=eu-west-1",
			wantAction: "DescribeRegions", wantVersion: "2016-11-15",
			wantParams: url.Values{"RegionName.1": {"eu-west-1"}},
		},
		{
			name: "auth parameters in the body removed too", method: http.MethodPost, target: "/", contentType: ctGo,
			body:       "Action=DescribeRegions&X-Amz-Security-Token=tok&AWSAccessKeyId=AK&RegionName.1=eu-west-1",
			wantAction: "DescribeRegions",
			wantParams: url.Values{"RegionName.1": {"eu-west-1"}},
		},
		{
			// Other media types are not form-decoded; the Server then
			// reports the missing Action.
			name: "JSON body ignored", method: http.MethodPost, target: "/?Action=DescribeRegions",
			contentType: "application/json", body: `{"Action":"RunInstances"}`,
			wantAction: "DescribeRegions",
			wantParams: url.Values{},
		},
		{
			name: "body exactly at the limit", method: http.MethodPost, target: "/", contentType: ctGo,
			body: wireGoTerminateInstances, maxBody: int64(len(wireGoTerminateInstances)),
			wantAction: "TerminateInstances", wantVersion: "2016-11-15",
			wantParams: url.Values{"InstanceId.1": {"i-1"}, "InstanceId.2": {"i-2"}},
		},
		{
			name: "body one byte over the limit", method: http.MethodPost, target: "/", contentType: ctGo,
			body: wireGoTerminateInstances, maxBody: int64(len(wireGoTerminateInstances)) - 1,
			wantErr: xmlproto.ErrBodyTooLarge,
		},
		{
			name: "large body without limit", method: http.MethodPost, target: "/", contentType: ctGo,
			body:       "Action=CreateTags&Tag.1.Key=k&Tag.1.Value=" + strings.Repeat("v", 1<<20),
			wantAction: "CreateTags",
			wantParams: url.Values{"Tag.1.Key": {"k"}, "Tag.1.Value": {strings.Repeat("v", 1<<20)}},
		},
		{
			name: "malformed percent escape in query", method: http.MethodGet, target: "/?Action=DescribeRegions&RegionName.1=%zz",
			wantErr: errAny,
		},
		{
			name: "malformed percent escape in body", method: http.MethodPost, target: "/", contentType: ctGo,
			body: "Action=DescribeRegions&RegionName.1=%G1", wantErr: errAny,
		},
		{
			name: "semicolon separator in body", method: http.MethodPost, target: "/", contentType: ctGo,
			body: "Action=DescribeRegions;RegionName.1=x", wantErr: errAny,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			var r *http.Request
			if body != nil {
				r = httptest.NewRequest(tt.method, tt.target, body)
			} else {
				r = httptest.NewRequest(tt.method, tt.target, nil)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			got, err := xmlproto.ParseRequest(r, tt.maxBody)
			switch {
			case tt.wantErr == errAny:
				if err == nil {
					t.Fatalf("ParseRequest = %+v, want an error", got)
				}
				if errors.Is(err, xmlproto.ErrBodyTooLarge) {
					t.Fatalf("ParseRequest error = %v, want a malformed-input error", err)
				}
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseRequest error = %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("ParseRequest: %v", err)
			}
			want := xmlproto.Request{Action: tt.wantAction, Version: tt.wantVersion, Params: tt.wantParams}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseRequest (-want +got):\n%s", diff)
			}
		})
	}
}

var errAny = errors.New("any error")

// parseWire runs a wire body through ParseRequest exactly as the Server
// does, so the decode tests see Action and Version already stripped.
func parseWire(t testing.TB, body, contentType string) xmlproto.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	req, err := xmlproto.ParseRequest(r, 1<<20)
	if err != nil {
		t.Fatalf("ParseRequest(%q): %v", body, err)
	}
	return req
}

// TestDecodeWire decodes the exact bodies real SDKs send (ec2-wire.md
// §1.4/§1.5) into the shapes the Server uses.
func TestDecodeWire(t *testing.T) {
	goRun := &xmlproto.RunInstancesRequest{
		ImageID:      "ami-0abcdef1234567890",
		MinCount:     ptr(1),
		MaxCount:     ptr(2),
		KeyName:      "my-key",
		UserData:     ptr("IyEvYmluL2Jhc2gKZWNobyBoaQo="),
		InstanceType: "t3.micro",
		TagSpecifications: []xmlproto.TagSpecification{{
			ResourceType: "instance",
			Tags:         []xmlproto.Tag{{Key: "Name", Value: "web 1"}, {Key: "env", Value: "dev"}},
		}},
		ClientToken:      "ea079f81-f714-48d7-bdeb-da05b196cb9b",
		Placement:        &xmlproto.Placement{AvailabilityZone: "us-west-2a"},
		SecurityGroupIDs: []string{"sg-111", "sg-222"},
		BlockDeviceMappings: []xmlproto.BlockDeviceMappingRequest{{
			DeviceName: "/dev/xvda",
			Ebs:        &xmlproto.EbsBlockDevice{VolumeSize: ptr(20), VolumeType: "gp3", DeleteOnTermination: ptr(true)},
		}},
		Monitoring: &monitoring{Enabled: ptr(false)},
	}
	botoRun := &xmlproto.RunInstancesRequest{
		ImageID:      "ami-0abcdef1234567890",
		MinCount:     ptr(1),
		MaxCount:     ptr(2),
		KeyName:      "my-key",
		UserData:     ptr("IyEvYmluL2Jhc2gKZWNobyBoaQo="),
		InstanceType: "t3.micro",
		TagSpecifications: []xmlproto.TagSpecification{{
			ResourceType: "instance",
			Tags:         []xmlproto.Tag{{Key: "Name", Value: "web 1"}},
		}},
		ClientToken:      "df6e6262-f340-4e08-927d-d0fcecd96b07",
		SecurityGroupIDs: []string{"sg-111", "sg-222"},
		BlockDeviceMappings: []xmlproto.BlockDeviceMappingRequest{{
			DeviceName: "/dev/xvda",
			Ebs:        &xmlproto.EbsBlockDevice{VolumeSize: ptr(20), DeleteOnTermination: ptr(true)},
		}},
	}
	tests := []struct {
		name        string
		body        string
		contentType string
		wantAction  string
		got         any // pointer to a zero shape
		want        any
	}{
		{"RunInstances aws-sdk-go-v2", wireGoRunInstances, ctGo, "RunInstances", &xmlproto.RunInstancesRequest{}, goRun},
		{"RunInstances botocore", wireBotoRunInstances, ctBoto, "RunInstances", &xmlproto.RunInstancesRequest{}, botoRun},
		{
			"RunInstances botocore with network interface", wireBotoRunInstancesENI, ctBoto, "RunInstances",
			&xmlproto.RunInstancesRequest{},
			&xmlproto.RunInstancesRequest{
				MinCount: ptr(1), MaxCount: ptr(1),
				NetworkInterfaces: []xmlproto.NetworkInterfaceRequest{{
					DeviceIndex: ptr(0), SubnetID: "subnet-1", SecurityGroupIDs: []string{"sg-1"},
					AssociatePublicIPAddress: ptr(true),
				}},
			},
		},
		{
			"DescribeInstances aws-sdk-go-v2 with filters", wireGoDescribeInstances, ctGo, "DescribeInstances",
			&xmlproto.DescribeInstancesRequest{},
			&xmlproto.DescribeInstancesRequest{
				DryRun:      true,
				InstanceIDs: []string{"i-1", "i-2"},
				Filters: []xmlproto.Filter{
					{Name: "instance-state-name", Values: []string{"running", "pending"}},
					{Name: "tag:Name", Values: []string{"web*"}},
				},
				MaxResults: ptr(5),
				NextToken:  "tok/en+==",
			},
		},
		{
			"TerminateInstances aws-sdk-go-v2", wireGoTerminateInstances, ctGo, "TerminateInstances",
			&xmlproto.InstanceIDsRequest{},
			&xmlproto.InstanceIDsRequest{InstanceIDs: []string{"i-1", "i-2"}},
		},
		{
			"CreateTags botocore", wireBotoCreateTags, ctBoto, "CreateTags",
			&xmlproto.TagsRequest{},
			&xmlproto.TagsRequest{
				ResourceIDs: []string{"i-1", "ami-2"},
				Tags:        []tagItem{{Key: "Name", Value: ptr("x")}},
			},
		},
		{
			// DeleteTags: a tag without Value deletes whatever value, an
			// empty Value only the empty one, so nil and "" must differ.
			"DeleteTags value absent vs empty", "Action=DeleteTags&ResourceId.1=i-1&Tag.1.Key=a&Tag.2.Key=b&Tag.2.Value=", ctBoto, "DeleteTags",
			&xmlproto.TagsRequest{},
			&xmlproto.TagsRequest{
				ResourceIDs: []string{"i-1"},
				Tags:        []tagItem{{Key: "a"}, {Key: "b", Value: ptr("")}},
			},
		},
		{
			"DescribeInstanceStatus botocore", wireBotoDescribeInstanceStatus, ctBoto, "DescribeInstanceStatus",
			&xmlproto.DescribeInstanceStatusRequest{},
			&xmlproto.DescribeInstanceStatusRequest{
				InstanceIDs:         []string{"i-1"},
				IncludeAllInstances: true,
				Filters:             []xmlproto.Filter{{Name: "instance-state-name", Values: []string{"running"}}},
			},
		},
		{
			// BlockDeviceMapping.1.NoDevice= is legal and meaningful: the
			// pointer must be set to "" rather than left nil.
			"CreateImage botocore with NoDevice", wireBotoCreateImage, ctBoto, "CreateImage",
			&xmlproto.CreateImageRequest{},
			&xmlproto.CreateImageRequest{
				InstanceID:  "i-1",
				Name:        ptr("img"),
				Description: "d",
				NoReboot:    true,
				BlockDeviceMappings: []xmlproto.BlockDeviceMappingRequest{
					{DeviceName: "/dev/sdb", NoDevice: ptr("")},
				},
				TagSpecifications: []xmlproto.TagSpecification{{
					ResourceType: "image", Tags: []xmlproto.Tag{{Key: "k", Value: "v"}},
				}},
			},
		},
		{
			"DescribeImages aws-sdk-go-v2 Owner and ExecutableBy", wireGoDescribeImages, ctGo, "DescribeImages",
			&xmlproto.DescribeImagesRequest{},
			&xmlproto.DescribeImagesRequest{Owners: []string{"self"}, ExecutableUsers: []string{"all"}},
		},
		{
			"DescribeImages botocore", wireBotoDescribeImages, ctBoto, "DescribeImages",
			&xmlproto.DescribeImagesRequest{},
			&xmlproto.DescribeImagesRequest{
				Owners:            []string{"self", "amazon"},
				ExecutableUsers:   []string{"self"},
				Filters:           []xmlproto.Filter{{Name: "name", Values: []string{"my-*"}}},
				IncludeDeprecated: true,
				MaxResults:        ptr(10),
			},
		},
		{
			"DeregisterImage botocore", wireBotoDeregisterImage, ctBoto, "DeregisterImage",
			&xmlproto.DeregisterImageRequest{},
			&xmlproto.DeregisterImageRequest{ImageID: "ami-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := parseWire(t, tt.body, tt.contentType)
			if req.Action != tt.wantAction {
				t.Errorf("Action = %q, want %q", req.Action, tt.wantAction)
			}
			if err := xmlproto.Decode(req.Params, tt.got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

// blobRequest exercises []byte, which no EC2 shape of ours uses yet but
// Decode documents (UserData is a base64 *string on purpose, so the Server
// can answer InvalidUserData.Malformed itself).
type blobRequest struct {
	Blob    []byte   `ec2:"Blob"`
	Blobs   [][]byte `ec2:"Blobs"`
	Ratio   float64  `ec2:"Ratio"`
	Big     int64    `ec2:"Big"`
	Small   int32    `ec2:"Small"`
	Ignored string   `ec2:"-"`
}

// TestDecodeEdgeCases covers what SDKs never send but hand-written
// clients, fuzzers and future SDK fields do: key order, index gaps, bad
// indices, absent optionals, and scalar parsing.
func TestDecodeEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		query string
		got   any
		want  any
	}{
		{
			// String order would give 1, 10, 2.
			name:  "lists in numeric order whatever key order and gaps",
			query: "Filter.10.Name=j&Filter.2.Value.3=z&Filter.2.Name=b&Filter.1.Name=a&Filter.2.Value.1=x&InstanceId.7=i-7&InstanceId.3=i-3",
			got:   &xmlproto.DescribeInstancesRequest{},
			want: &xmlproto.DescribeInstancesRequest{
				InstanceIDs: []string{"i-3", "i-7"},
				Filters:     []xmlproto.Filter{{Name: "a"}, {Name: "b", Values: []string{"x", "z"}}, {Name: "j"}},
			},
		},
		{
			name:  "nested lists",
			query: "Filter.1.Name=a&Filter.1.Value.2=second&Filter.1.Value.1=first&Filter.2.Name=b&Filter.2.Value.1=only",
			got:   &xmlproto.DescribeInstancesRequest{},
			want: &xmlproto.DescribeInstancesRequest{
				Filters: []xmlproto.Filter{{Name: "a", Values: []string{"first", "second"}}, {Name: "b", Values: []string{"only"}}},
			},
		},
		{
			name: "non-numeric, zero, negative and overflowing indices ignored",
			query: "Filter.0.Name=zero&Filter.x.Name=x&Filter.-1.Name=neg&Filter.1.Name=one" +
				"&Filter.99999999999999999999.Name=overflow&Filter.member.1.Name=awsquery&InstanceId.0=i-0&InstanceId=i-bare",
			got:  &xmlproto.DescribeInstancesRequest{},
			want: &xmlproto.DescribeInstancesRequest{Filters: []xmlproto.Filter{{Name: "one"}}},
		},
		{
			name:  "unknown keys ignored, known ones still read",
			query: "Foo=bar&Foo.1.Bar=baz&IncludeManagedResources=true&dryrun=true&DryRun=true&MaxResults.x=1",
			got:   &xmlproto.DescribeInstancesRequest{},
			want:  &xmlproto.DescribeInstancesRequest{DryRun: true},
		},
		{
			name:  "absent optionals stay nil",
			query: "ImageId=ami-1",
			got:   &xmlproto.RunInstancesRequest{},
			want:  &xmlproto.RunInstancesRequest{ImageID: "ami-1"},
		},
		{
			// MinCount.1 is not MinCount: a scalar with only nested keys
			// is absent, not zero.
			name:  "scalar pointer with only nested keys stays nil",
			query: "MinCount.1=3&UserData.x=y",
			got:   &xmlproto.RunInstancesRequest{},
			want:  &xmlproto.RunInstancesRequest{},
		},
		{
			name:  "empty values are kept",
			query: "ImageId=&KeyName=&UserData=&BlockDeviceMapping.1.NoDevice=",
			got:   &xmlproto.RunInstancesRequest{},
			want: &xmlproto.RunInstancesRequest{
				UserData:            ptr(""),
				BlockDeviceMappings: []xmlproto.BlockDeviceMappingRequest{{NoDevice: ptr("")}},
			},
		},
		{
			name:  "bools true and false",
			query: "DryRun=true&DisableApiTermination=false&EbsOptimized=true&Monitoring.Enabled=true",
			got:   &xmlproto.RunInstancesRequest{},
			want: &xmlproto.RunInstancesRequest{
				DryRun: true, DisableAPITermination: ptr(false), EbsOptimized: ptr(true),
				Monitoring: &monitoring{Enabled: ptr(true)},
			},
		},
		{
			// Range checks (MinCount >= 1) are the Server's job, with
			// its own error code; the decoder only parses.
			name:  "ints zero and negative are parsed, not validated",
			query: "MinCount=-1&MaxCount=0",
			got:   &xmlproto.RunInstancesRequest{},
			want:  &xmlproto.RunInstancesRequest{MinCount: ptr(-1), MaxCount: ptr(0)},
		},
		{
			name:  "int64 and int32 limits, float",
			query: "Big=9223372036854775807&Small=-2147483648&Ratio=10.8",
			got:   &blobRequest{},
			want:  &blobRequest{Big: 9223372036854775807, Small: -2147483648, Ratio: 10.8},
		},
		{
			name:  "base64 padded, unpadded, with line breaks",
			query: "Blob=aGVsbG8%3D&Blobs.1=aGVsbG8&Blobs.2=aGVs%0AbG8g%0D%0Ad29y%0AbGQ%3D&Blobs.3=&Ignored=x",
			got:   &blobRequest{},
			want:  &blobRequest{Blob: []byte("hello"), Blobs: [][]byte{[]byte("hello"), []byte("hello world"), {}}},
		},
		{
			// 99999999999 list members would be terabytes; only the one
			// present member may be allocated.
			name:  "huge index yields one member",
			query: "Filter.99999999999.Name=big&Filter.9223372036854775807.Value.9223372036854775807=max",
			got:   &xmlproto.DescribeInstancesRequest{},
			want: &xmlproto.DescribeInstancesRequest{Filters: []xmlproto.Filter{
				{Name: "big"}, {Values: []string{"max"}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatalf("ParseQuery: %v", err)
			}
			if err := xmlproto.Decode(q, tt.got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			// A list whose keys are all ignored may come back empty
			// rather than nil; callers only range over lists.
			if diff := cmp.Diff(tt.want, tt.got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Decode(%q) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

// TestDecodeHugeIndexAllocation checks the claim behind "huge index yields
// one member" directly: decoding must not size anything by the index.
func TestDecodeHugeIndexAllocation(t *testing.T) {
	q := url.Values{"Filter.99999999999.Name": {"big"}, "InstanceId.4294967296": {"i-1"}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var got xmlproto.DescribeInstancesRequest
	err := xmlproto.Decode(q, &got)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := xmlproto.DescribeInstancesRequest{InstanceIDs: []string{"i-1"}, Filters: []xmlproto.Filter{{Name: "big"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("Decode allocated %d bytes for two parameters", n)
	}
}

// TestDecodeErrors checks that values that do not fit their field fail
// with a *DecodeError naming the full wire parameter, so the Server can
// answer InvalidParameterValue with the name the client sent.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		query string
		into  any
		want  *xmlproto.DecodeError
	}{
		{"bool yes", "DryRun=yes", &xmlproto.DescribeInstancesRequest{}, &xmlproto.DecodeError{Param: "DryRun", Value: "yes", Reason: "expecting true or false"}},
		{"bool 1", "DryRun=1", &xmlproto.DescribeInstancesRequest{}, &xmlproto.DecodeError{Param: "DryRun", Value: "1", Reason: "expecting true or false"}},
		{"bool empty", "NoReboot=", &xmlproto.CreateImageRequest{}, &xmlproto.DecodeError{Param: "NoReboot", Value: "", Reason: "expecting true or false"}},
		{
			"nested bool names its list index", "BlockDeviceMapping.3.Ebs.DeleteOnTermination=maybe", &xmlproto.RunInstancesRequest{},
			&xmlproto.DecodeError{Param: "BlockDeviceMapping.3.Ebs.DeleteOnTermination", Value: "maybe", Reason: "expecting true or false"},
		},
		{"int word", "MinCount=abc", &xmlproto.RunInstancesRequest{}, &xmlproto.DecodeError{Param: "MinCount", Value: "abc", Reason: "expecting an integer"}},
		{"int decimal", "MaxResults=1.5", &xmlproto.DescribeInstancesRequest{}, &xmlproto.DecodeError{Param: "MaxResults", Value: "1.5", Reason: "expecting an integer"}},
		{"int empty", "MaxCount=", &xmlproto.RunInstancesRequest{}, &xmlproto.DecodeError{Param: "MaxCount", Value: "", Reason: "expecting an integer"}},
		{
			"int overflow", "MinCount=99999999999999999999", &xmlproto.RunInstancesRequest{},
			&xmlproto.DecodeError{Param: "MinCount", Value: "99999999999999999999", Reason: "expecting an integer"},
		},
		{"int32 overflow", "Small=2147483648", &blobRequest{}, &xmlproto.DecodeError{Param: "Small", Value: "2147483648", Reason: "expecting an integer"}},
		{
			"nested int", "NetworkInterface.2.DeviceIndex=first", &xmlproto.RunInstancesRequest{},
			&xmlproto.DecodeError{Param: "NetworkInterface.2.DeviceIndex", Value: "first", Reason: "expecting an integer"},
		},
		{"float", "Ratio=ten", &blobRequest{}, &xmlproto.DecodeError{Param: "Ratio", Value: "ten", Reason: "expecting a number"}},
		{"base64", "Blob=%21%21%21", &blobRequest{}, &xmlproto.DecodeError{Param: "Blob", Value: "!!!", Reason: "not valid base64"}},
		{"base64 in list", "Blobs.2=a", &blobRequest{}, &xmlproto.DecodeError{Param: "Blobs.2", Value: "a", Reason: "not valid base64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatalf("ParseQuery: %v", err)
			}
			err = xmlproto.Decode(q, tt.into)
			var got *xmlproto.DecodeError
			if !errors.As(err, &got) {
				t.Fatalf("Decode(%q) error = %v (%T), want *DecodeError", tt.query, err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode(%q) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
}

// TestDecodeBadTarget checks that programming errors are reported, not
// panics: Decode needs a pointer to a struct.
func TestDecodeBadTarget(t *testing.T) {
	q := url.Values{"DryRun": {"true"}}
	for _, v := range []any{nil, xmlproto.DescribeInstancesRequest{}, ptr(3), new(*xmlproto.DescribeInstancesRequest)} {
		if err := xmlproto.Decode(q, v); err == nil {
			t.Errorf("Decode(%T) = nil, want an error", v)
		}
	}
}

func BenchmarkDecodeRunInstances(b *testing.B) {
	req := parseWire(b, wireGoRunInstances, ctGo)
	b.ReportAllocs()
	for b.Loop() {
		var v xmlproto.RunInstancesRequest
		if err := xmlproto.Decode(req.Params, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDescribeInstances(b *testing.B) {
	req := parseWire(b, wireGoDescribeInstances, ctGo)
	b.ReportAllocs()
	for b.Loop() {
		var v xmlproto.DescribeInstancesRequest
		if err := xmlproto.Decode(req.Params, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecode feeds arbitrary query strings through ParseRequest (as a form
// body) and Decode into every request shape. Invariants:
//   - no panic;
//   - ParseRequest drops Action, Version and every authentication parameter
//     from Params, and refuses a body over its limit with ErrBodyTooLarge;
//   - the only error Decode returns is a *DecodeError naming a parameter the
//     request really has (so the client's message points at its own key);
//   - no decoded list is longer than the request has parameters (indices are
//     sorted, never used as sizes: Filter.99999999999 costs one element);
//   - decoding is deterministic (map order must not leak into results).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		wireGoRunInstances, wireBotoRunInstances, wireBotoRunInstancesENI, wireGoDescribeInstances,
		"Filter.99999999999.Name=x&Filter.1.Value.0=y",
		"Filter..Name=&Filter.1..=&..=&.=",
		"MinCount=1e3&DryRun=TRUE&Monitoring=x&Monitoring.Enabled.1=true",
		"TagSpecification.1.Tag.-1.Key=%zz&BlockDeviceMapping.01.Ebs.VolumeSize=+5",
		"InstanceId.3=i-1&InstanceId.1=i-2&InstanceId.01=i-3&InstanceId.9223372036854775808=i-4",
		"Tag.1.Key=%FF%FE&Tag.1.Value=%C3%28&ResourceId.1=i-1&X-Amz-Signature=x&AWSAccessKeyId=y",
		"Name=a&Name=b&PublicKeyMaterial=%%%&UserData=====&MaxResults=-0",
	} {
		f.Add(s)
	}
	shapes := []func() any{
		func() any { return &xmlproto.RunInstancesRequest{} },
		func() any { return &xmlproto.InstanceIDsRequest{} },
		func() any { return &xmlproto.DescribeInstancesRequest{} },
		func() any { return &xmlproto.DescribeInstanceStatusRequest{} },
		func() any { return &xmlproto.CreateImageRequest{} },
		func() any { return &xmlproto.DescribeImagesRequest{} },
		func() any { return &xmlproto.DeregisterImageRequest{} },
		func() any { return &xmlproto.KeyPairRequest{} },
		func() any { return &xmlproto.DescribeKeyPairsRequest{} },
		func() any { return &xmlproto.TagsRequest{} },
		func() any { return &xmlproto.DescribeTagsRequest{} },
		func() any { return &xmlproto.DescribeRegionsRequest{} },
		func() any { return &xmlproto.DescribeAvailabilityZonesRequest{} },
		func() any { return &xmlproto.GetConsoleOutputRequest{} },
	}
	const limit = 4096
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(s))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req, err := xmlproto.ParseRequest(r, limit)
		if len(s) > limit {
			if !errors.Is(err, xmlproto.ErrBodyTooLarge) {
				t.Fatalf("ParseRequest of a %d-byte body with limit %d: %v, want ErrBodyTooLarge", len(s), limit, err)
			}
			return
		}
		if err != nil {
			return // a malformed form: answered InvalidParameterValue
		}
		for k := range req.Params {
			if k == "Action" || k == "Version" || strings.HasPrefix(k, "X-Amz-") || k == "Signature" || k == "AWSAccessKeyId" {
				t.Errorf("ParseRequest(%q) left %q in Params", s, k)
			}
		}
		for _, shape := range shapes {
			v1, v2 := shape(), shape()
			err := xmlproto.Decode(req.Params, v1)
			var de *xmlproto.DecodeError
			if err != nil {
				if !errors.As(err, &de) {
					t.Fatalf("Decode %T(%q): %v is not a *DecodeError", v1, s, err)
				}
				if !req.Params.Has(de.Param) {
					t.Errorf("Decode %T(%q): error names %q, which the request does not have", v1, s, de.Param)
				}
				continue
			}
			if n := longestList(reflect.ValueOf(v1)); n > len(req.Params) {
				t.Errorf("Decode %T(%q): a list of %d from %d parameters", v1, s, n, len(req.Params))
			}
			if err := xmlproto.Decode(req.Params, v2); err != nil {
				t.Fatalf("Decode %T(%q) failed the second time: %v", v2, s, err)
			}
			if diff := cmp.Diff(v1, v2); diff != "" {
				t.Errorf("Decode %T(%q) is not deterministic (-first +second)\n%s", v1, s, diff)
			}
		}
	})
}

// longestList is the length of the longest slice anywhere in v.
func longestList(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return longestList(v.Elem())
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n = max(n, longestList(v.Field(i)))
		}
		return n
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return 0 // []byte is a blob, not a list
		}
		n := v.Len()
		for i := range v.Len() {
			n = max(n, longestList(v.Index(i)))
		}
		return n
	}
	return 0
}
