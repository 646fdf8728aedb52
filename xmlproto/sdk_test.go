package xmlproto_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// goldenServer answers every EC2 call with testdata/<Action>.golden, as the
// Server would, so the real aws-sdk-go-v2 deserializers read exactly the
// bytes the golden tests pin.
func goldenServer(t *testing.T, status int, file string) *ec2.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := file
		if name == "" {
			if err := r.ParseForm(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			name = r.PostForm.Get("Action")
		}
		b, err := os.ReadFile(goldenPath(filepath.Base(name)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return ec2.New(ec2.Options{
		BaseEndpoint:     aws.String(srv.URL),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("a", "b", ""),
		HTTPClient:       ec2emutest.HTTPClient(), // aws-sdk-go-v2#2737
		RetryMaxAttempts: 1,
	})
}

// TestSDKRoundTrip decodes every golden success response with the
// aws-sdk-go-v2 EC2 client. A failure to parse at all (e.g. an empty
// number element) fails every call; the projections then check that
// fields whose element names differ from the SDK field names arrive.
func TestSDKRoundTrip(t *testing.T) {
	ctx := context.Background()
	ids := []string{"i-1234567890abcdef0"}
	tests := []struct {
		name string
		call func(*ec2.Client) (any, error)
		want any
		view func(any) any // projection of the output compared with want; nil: parsing is the check
	}{
		{
			name: "RunInstances",
			call: func(c *ec2.Client) (any, error) {
				return c.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ImageId: aws.String("ami-0abcdef1234567890")})
			},
			want: []string{"r-1234567890abcdef0", "i-1234567890abcdef0", "pending", "0", "web 1", "sg-111"},
			view: func(o any) any {
				out := o.(*ec2.RunInstancesOutput)
				i := out.Instances[0]
				return []string{
					aws.ToString(out.ReservationId), aws.ToString(i.InstanceId), string(i.State.Name),
					fmt.Sprint(aws.ToInt32(i.AmiLaunchIndex)), testutil.TagMap(i.Tags)["Name"], aws.ToString(i.SecurityGroups[0].GroupId),
				}
			},
		},
		{
			name: "DescribeInstances",
			call: func(c *ec2.Client) (any, error) { return c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}) },
			want: []instanceView{
				{
					ID: "i-1234567890abcdef0", State: "running", Code: 16, PrivateIP: "10.0.0.12", PublicIP: "54.1.2.3",
					PublicDNS: "ec2-54-1-2-3.us-west-2.compute.amazonaws.com", LaunchTime: t0, KeyName: "my-key",
					Tags:   map[string]string{"Name": "web 1", "owner": "ops & <dev>"},
					Groups: []string{"sg-111"}, Volume: "vol-0abc1234", AttachTime: t0.Add(time.Second),
					SourceDestCheck: true, ENI: "eni-0abc1234", HopLimit: 2, BootMode: "legacy-bios",
				},
				{
					ID: "i-0fedcba9876543210", State: "stopped", Code: 80, PrivateIP: "10.0.0.13", LaunchTime: t0,
					LaunchIndex: 1, Reason: "User initiated (2024-05-01 12:34:56 GMT)",
					StateReason: "Client.UserInitiatedShutdown", Tags: map[string]string{},
				},
			},
			view: func(o any) any {
				out := o.(*ec2.DescribeInstancesOutput)
				var vs []instanceView
				for _, r := range out.Reservations {
					for _, i := range r.Instances {
						vs = append(vs, viewInstance(i))
					}
				}
				return vs
			},
		},
		{
			name: "StopInstances",
			call: func(c *ec2.Client) (any, error) {
				return c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids})
			},
			want: []string{"i-1234567890abcdef0", "stopping", "64", "running", "16"},
			view: func(o any) any {
				s := o.(*ec2.StopInstancesOutput).StoppingInstances[0]
				return []string{
					aws.ToString(s.InstanceId), string(s.CurrentState.Name), fmt.Sprint(aws.ToInt32(s.CurrentState.Code)),
					string(s.PreviousState.Name), fmt.Sprint(aws.ToInt32(s.PreviousState.Code)),
				}
			},
		},
		{
			name: "StartInstances",
			call: func(c *ec2.Client) (any, error) {
				return c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids})
			},
			want: []string{"pending", "stopped"},
			view: func(o any) any {
				s := o.(*ec2.StartInstancesOutput).StartingInstances[0]
				return []string{string(s.CurrentState.Name), string(s.PreviousState.Name)}
			},
		},
		{
			name: "TerminateInstances",
			call: func(c *ec2.Client) (any, error) {
				return c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
			},
			want: []string{"shutting-down", "terminated"},
			view: func(o any) any {
				var names []string
				for _, s := range o.(*ec2.TerminateInstancesOutput).TerminatingInstances {
					names = append(names, string(s.CurrentState.Name))
				}
				return names
			},
		},
		{
			name: "RebootInstances",
			call: func(c *ec2.Client) (any, error) {
				return c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: ids})
			},
		},
		{
			name: "DescribeInstanceStatus",
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{})
			},
			want: []string{"running/ok/ok/reachability=passed", "stopped/not-applicable/not-applicable/"},
			view: func(o any) any {
				var vs []string
				for _, s := range o.(*ec2.DescribeInstanceStatusOutput).InstanceStatuses {
					d := ""
					if len(s.SystemStatus.Details) > 0 {
						d = string(s.SystemStatus.Details[0].Name) + "=" + string(s.SystemStatus.Details[0].Status)
					}
					vs = append(vs, fmt.Sprintf("%s/%s/%s/%s", s.InstanceState.Name, s.SystemStatus.Status, s.InstanceStatus.Status, d))
				}
				return vs
			},
		},
		{
			name: "CreateImage",
			call: func(c *ec2.Client) (any, error) {
				return c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(ids[0]), Name: aws.String("img")})
			},
			want: "ami-0abcdef1234567890",
			view: func(o any) any { return aws.ToString(o.(*ec2.CreateImageOutput).ImageId) },
		},
		{
			name: "DescribeImages",
			call: func(c *ec2.Client) (any, error) { return c.DescribeImages(ctx, &ec2.DescribeImagesInput{}) },
			want: []string{
				"ami-0abcdef1234567890 available 123456789012 false 2024-05-01T12:30:00.000Z 8 gp3 dev ",
				"ami-0123456789abcdef0 failed 137112412989 true 2024-04-01T00:00:00.000Z amazon Server.InternalError",
			},
			view: func(o any) any {
				var vs []string
				for _, im := range o.(*ec2.DescribeImagesOutput).Images {
					s := fmt.Sprintf("%s %s %s %t %s ", aws.ToString(im.ImageId), im.State, aws.ToString(im.OwnerId),
						aws.ToBool(im.Public), aws.ToString(im.CreationDate))
					if len(im.BlockDeviceMappings) > 0 {
						e := im.BlockDeviceMappings[0].Ebs
						s += fmt.Sprintf("%d %s %s ", aws.ToInt32(e.VolumeSize), e.VolumeType, testutil.TagMap(im.Tags)["env"])
					}
					if im.StateReason != nil {
						s += aws.ToString(im.ImageOwnerAlias) + " " + aws.ToString(im.StateReason.Code)
					}
					vs = append(vs, s)
				}
				return vs
			},
		},
		{
			name: "CreateKeyPair",
			call: func(c *ec2.Client) (any, error) {
				return c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("my-key")})
			},
			want: []string{"key-0abc1234def567890", "my-key", keyMaterial, "infra"},
			view: func(o any) any {
				k := o.(*ec2.CreateKeyPairOutput)
				return []string{aws.ToString(k.KeyPairId), aws.ToString(k.KeyName), aws.ToString(k.KeyMaterial), testutil.TagMap(k.Tags)["team"]}
			},
		},
		{
			name: "DescribeKeyPairs",
			call: func(c *ec2.Client) (any, error) { return c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{}) },
			want: []string{"my-key rsa 2024-05-01T12:00:00Z", "other ed25519 2024-05-01T13:00:00Z"},
			view: func(o any) any {
				var vs []string
				for _, k := range o.(*ec2.DescribeKeyPairsOutput).KeyPairs {
					vs = append(vs, fmt.Sprintf("%s %s %s", aws.ToString(k.KeyName), k.KeyType, aws.ToTime(k.CreateTime).UTC().Format(time.RFC3339)))
				}
				return vs
			},
		},
		{
			name: "DeleteKeyPair",
			call: func(c *ec2.Client) (any, error) {
				return c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String("my-key")})
			},
			want: "true key-0abc1234def567890",
			view: func(o any) any {
				d := o.(*ec2.DeleteKeyPairOutput)
				return fmt.Sprintf("%t %s", aws.ToBool(d.Return), aws.ToString(d.KeyPairId))
			},
		},
		{
			name: "DescribeTags",
			call: func(c *ec2.Client) (any, error) { return c.DescribeTags(ctx, &ec2.DescribeTagsInput{}) },
			want: []string{"i-1234567890abcdef0 instance Name=web 1", "ami-0abcdef1234567890 image env=", "next tok/en+=="},
			view: func(o any) any {
				out := o.(*ec2.DescribeTagsOutput)
				var vs []string
				for _, d := range out.Tags {
					vs = append(vs, fmt.Sprintf("%s %s %s=%s", aws.ToString(d.ResourceId), d.ResourceType, aws.ToString(d.Key), aws.ToString(d.Value)))
				}
				return append(vs, "next "+aws.ToString(out.NextToken))
			},
		},
		{
			name: "DescribeRegions",
			call: func(c *ec2.Client) (any, error) { return c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{}) },
			want: []string{"us-east-1 ec2.us-east-1.amazonaws.com", "us-west-2 ec2.us-west-2.amazonaws.com"},
			view: func(o any) any {
				var vs []string
				for _, r := range o.(*ec2.DescribeRegionsOutput).Regions {
					vs = append(vs, aws.ToString(r.RegionName)+" "+aws.ToString(r.Endpoint))
				}
				return vs
			},
		},
		{
			name: "DescribeAvailabilityZones",
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
			},
			want: []string{"us-west-2a available usw2-az1", "us-west-2b available usw2-az2"},
			view: func(o any) any {
				var vs []string
				for _, z := range o.(*ec2.DescribeAvailabilityZonesOutput).AvailabilityZones {
					vs = append(vs, fmt.Sprintf("%s %s %s", aws.ToString(z.ZoneName), z.State, aws.ToString(z.ZoneId)))
				}
				return vs
			},
		},
		{
			name: "GetConsoleOutput",
			call: func(c *ec2.Client) (any, error) {
				return c.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{InstanceId: aws.String(ids[0])})
			},
			want: "i-1234567890abcdef0 2024-05-01T12:00:00Z Ym9vdCBvawpsb2dpbjog",
			view: func(o any) any {
				g := o.(*ec2.GetConsoleOutputOutput)
				return fmt.Sprintf("%s %s %s", aws.ToString(g.InstanceId), aws.ToTime(g.Timestamp).UTC().Format(time.RFC3339), aws.ToString(g.Output))
			},
		},
	}
	tests = append(tests, attrSDKCases(ctx)...)
	client := goldenServer(t, http.StatusOK, "")
	covered := map[string]bool{"Error": true}
	for _, c := range networkGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripNetwork
	}
	for _, c := range vpcGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripVPC
	}
	for _, c := range ltGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripLaunchTemplates
	}
	for _, c := range addressGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripAddresses
	}
	for _, c := range volumeGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripVolumes
	}
	for _, c := range fleetGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripFleets
	}
	for _, c := range imageGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripImages
	}
	for _, c := range snapshotGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripSnapshots
	}
	for _, c := range spotGoldenCases() {
		covered[c.name] = true // round-tripped by TestSDKRoundTripSpot
	}
	for _, tt := range tests {
		covered[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.call(client)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if tt.view == nil {
				return
			}
			if diff := cmp.Diff(tt.want, tt.view(out)); diff != "" {
				t.Errorf("%s output (-want +got):\n%s", tt.name, diff)
			}
		})
	}
	for _, c := range goldenCases() {
		if !covered[c.name] {
			t.Errorf("golden %s has no SDK round trip", c.name)
		}
	}
}

// instanceView is the part of types.Instance the tests compare; SDK types
// carry unexported fields cmp cannot look into.
type instanceView struct {
	ID, State, PrivateIP, PublicIP, PublicDNS, KeyName, Reason, StateReason string
	Code, LaunchIndex, HopLimit                                             int32
	LaunchTime, AttachTime                                                  time.Time
	Tags                                                                    map[string]string
	Groups                                                                  []string
	Volume, ENI, BootMode                                                   string
	SourceDestCheck                                                         bool
}

func viewInstance(i types.Instance) instanceView {
	v := instanceView{
		ID: aws.ToString(i.InstanceId), State: string(i.State.Name), Code: aws.ToInt32(i.State.Code),
		PrivateIP: aws.ToString(i.PrivateIpAddress), PublicIP: aws.ToString(i.PublicIpAddress),
		PublicDNS: aws.ToString(i.PublicDnsName), KeyName: aws.ToString(i.KeyName),
		Reason: aws.ToString(i.StateTransitionReason), LaunchIndex: aws.ToInt32(i.AmiLaunchIndex),
		LaunchTime: aws.ToTime(i.LaunchTime), Tags: testutil.TagMap(i.Tags), BootMode: string(i.CurrentInstanceBootMode),
		SourceDestCheck: aws.ToBool(i.SourceDestCheck),
	}
	if i.StateReason != nil {
		v.StateReason = aws.ToString(i.StateReason.Code)
	}
	for _, g := range i.SecurityGroups {
		v.Groups = append(v.Groups, aws.ToString(g.GroupId))
	}
	if len(i.BlockDeviceMappings) > 0 && i.BlockDeviceMappings[0].Ebs != nil {
		v.Volume = aws.ToString(i.BlockDeviceMappings[0].Ebs.VolumeId)
		v.AttachTime = aws.ToTime(i.BlockDeviceMappings[0].Ebs.AttachTime)
	}
	if len(i.NetworkInterfaces) > 0 {
		v.ENI = aws.ToString(i.NetworkInterfaces[0].NetworkInterfaceId)
	}
	if i.MetadataOptions != nil {
		v.HopLimit = aws.ToInt32(i.MetadataOptions.HttpPutResponseHopLimit)
	}
	return v
}

// TestSDKError decodes the golden error envelope with aws-sdk-go-v2: code
// and message reach the API error, and the request id — read only from
// <RequestID>, exact case — reaches the ResponseError.
func TestSDKError(t *testing.T) {
	client := goldenServer(t, http.StatusBadRequest, "Error")
	_, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0000000000000dead"}})
	if err == nil {
		t.Fatal("DescribeInstances succeeded on a 400 error envelope")
	}
	var apiErr interface {
		ErrorCode() string
		ErrorMessage() string
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &apiErr) || !errors.As(err, &respErr) {
		t.Fatalf("error %v (%T) is not an API error wrapped in a ResponseError", err, err)
	}
	got := []any{apiErr.ErrorCode(), apiErr.ErrorMessage(), respErr.ServiceRequestID(), respErr.HTTPStatusCode()}
	want := []any{errCode, errMessage, errReqID, http.StatusBadRequest}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// botocoreScript parses response bodies with botocore's own EC2 parser and
// service model: it reads a JSON list of [operation, file, status] on stdin
// and prints a JSON list of results, one per body (an error as
// {"__error__": text}). botocore matches element names case-sensitively,
// unlike the Go SDK, so it catches spelling slips the Go round trip cannot.
// One process parses every golden file: starting Python and loading the
// model is most of the cost.
const botocoreScript = `
import json, sys, traceback
import botocore.loaders, botocore.model, botocore.parsers
model = botocore.model.ServiceModel(botocore.loaders.Loader().load_service_model('ec2', 'service-2'), 'ec2')
out = []
for op, path, status in json.load(sys.stdin):
    try:
        shape = model.operation_model(op).output_shape
        body = open(path, 'rb').read()
        out.append(botocore.parsers.EC2QueryParser().parse({'body': body, 'headers': {}, 'status_code': status}, shape))
    except Exception:
        out.append({'__error__': traceback.format_exc()})
print(json.dumps(out, default=str))
`

// botocoreBody is one body for botocoreParseAll: the operation whose
// output shape it has, its golden file and HTTP status.
type botocoreBody struct {
	op, golden string
	status     int
}

// botocoreParseAll parses every body in one botocore process, in order.
func botocoreParseAll(t *testing.T, bodies []botocoreBody) []map[string]any {
	t.Helper()
	in := make([][]any, len(bodies))
	for i, b := range bodies {
		in[i] = []any{b.op, goldenPath(b.golden), b.status}
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-c", botocoreScript)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("botocore: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("botocore: %v", err)
	}
	var ms []map[string]any
	if err := json.Unmarshal(out, &ms); err != nil || len(ms) != len(bodies) {
		t.Fatalf("botocore output %.200q: %v (%d results for %d bodies)", out, err, len(ms), len(bodies))
	}
	return ms
}

// pick walks decoded JSON by map keys and list indices.
func pick(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// TestBotocore runs botocore's EC2QueryParser over every golden file. It
// skips when python3 with botocore is missing, except under CI=true.
func TestBotocore(t *testing.T) {
	if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("botocore not available under CI: %v", err)
		}
		t.Skipf("python3 with botocore not available: %v", err)
	}
	type check struct {
		path []any
		want any
	}
	checks := map[string][]check{
		"RunInstances": {
			{[]any{"ReservationId"}, "r-1234567890abcdef0"},
			{[]any{"Instances", 0, "State", "Name"}, "pending"},
			{[]any{"Instances", 0, "AmiLaunchIndex"}, 0.0},
		},
		"DescribeInstances": {
			{[]any{"ResponseMetadata", "RequestId"}, requestID},
			{[]any{"Reservations", 0, "Instances", 0, "State", "Name"}, "running"},
			{[]any{"Reservations", 0, "Instances", 0, "State", "Code"}, 16.0},
			{[]any{"Reservations", 0, "Instances", 0, "PublicDnsName"}, "ec2-54-1-2-3.us-west-2.compute.amazonaws.com"},
			{[]any{"Reservations", 0, "Instances", 0, "PublicIpAddress"}, "54.1.2.3"},
			{[]any{"Reservations", 0, "Instances", 0, "PrivateIpAddress"}, "10.0.0.12"},
			{[]any{"Reservations", 0, "Instances", 0, "LaunchTime"}, "2024-05-01 12:00:00+00:00"},
			{[]any{"Reservations", 0, "Instances", 0, "SecurityGroups", 0, "GroupName"}, "web"},
			{[]any{"Reservations", 0, "Instances", 0, "Tags", 1, "Value"}, "ops & <dev>"},
			{[]any{"Reservations", 0, "Instances", 0, "BlockDeviceMappings", 0, "Ebs", "DeleteOnTermination"}, true},
			{[]any{"Reservations", 0, "Instances", 0, "NetworkInterfaces", 0, "Attachment", "DeviceIndex"}, 0.0},
			{[]any{"Reservations", 0, "Instances", 0, "MetadataOptions", "HttpPutResponseHopLimit"}, 2.0},
			{[]any{"Reservations", 0, "Instances", 1, "StateTransitionReason"}, "User initiated (2024-05-01 12:34:56 GMT)"},
			{[]any{"Reservations", 0, "Instances", 1, "StateReason", "Code"}, "Client.UserInitiatedShutdown"},
		},
		"StopInstances": {
			{[]any{"StoppingInstances", 0, "CurrentState", "Name"}, "stopping"},
			{[]any{"StoppingInstances", 0, "PreviousState", "Code"}, 16.0},
		},
		"StartInstances":     {{[]any{"StartingInstances", 0, "CurrentState", "Name"}, "pending"}},
		"TerminateInstances": {{[]any{"TerminatingInstances", 1, "CurrentState", "Code"}, 48.0}},
		"DescribeInstanceStatus": {
			{[]any{"InstanceStatuses", 0, "InstanceStatus", "Details", 0, "Status"}, "passed"},
			{[]any{"InstanceStatuses", 1, "SystemStatus", "Status"}, "not-applicable"},
		},
		"CreateImage": {{[]any{"ImageId"}, "ami-0abcdef1234567890"}},
		"DescribeImages": {
			{[]any{"Images", 0, "State"}, "available"},
			{[]any{"Images", 0, "OwnerId"}, "123456789012"},
			{[]any{"Images", 0, "Public"}, false},
			{[]any{"Images", 0, "CreationDate"}, "2024-05-01T12:30:00.000Z"},
			{[]any{"Images", 0, "BlockDeviceMappings", 0, "Ebs", "VolumeSize"}, 8.0},
			{[]any{"Images", 1, "Public"}, true},
			{[]any{"Images", 1, "ImageOwnerAlias"}, "amazon"},
		},
		"CreateKeyPair":    {{[]any{"KeyMaterial"}, keyMaterial}, {[]any{"KeyPairId"}, "key-0abc1234def567890"}},
		"DescribeKeyPairs": {{[]any{"KeyPairs", 1, "KeyName"}, "other"}, {[]any{"KeyPairs", 0, "CreateTime"}, "2024-05-01 12:00:00+00:00"}},
		"DeleteKeyPair":    {{[]any{"Return"}, true}},
		"DescribeTags":     {{[]any{"Tags", 0, "ResourceType"}, "instance"}, {[]any{"NextToken"}, "tok/en+=="}},
		"DescribeRegions":  {{[]any{"Regions", 1, "Endpoint"}, "ec2.us-west-2.amazonaws.com"}},
		"DescribeAvailabilityZones": {
			{[]any{"AvailabilityZones", 0, "State"}, "available"},
			{[]any{"AvailabilityZones", 1, "ZoneId"}, "usw2-az2"},
		},
		"GetConsoleOutput": {{[]any{"Output"}, "Ym9vdCBvawpsb2dpbjog"}, {[]any{"Timestamp"}, "2024-05-01 12:00:00+00:00"}},
		"RebootInstances":  {{[]any{"ResponseMetadata", "RequestId"}, requestID}},
	}
	for name, cs := range attrBotocoreChecks {
		for _, c := range cs {
			checks[name] = append(checks[name], check{c.path, c.want})
		}
	}
	for name, cs := range fleetBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	for name, cs := range ltBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	for name, cs := range vpcBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	for name, cs := range imageBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	for name, cs := range volumeBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	for name, cs := range addressBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	for name, cs := range snapshotBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	for name, cs := range spotBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	for name, cs := range networkBotocoreChecks() {
		for _, ch := range cs {
			checks[name] = append(checks[name], check(ch))
		}
	}
	cases := goldenCases()
	var bodies []botocoreBody
	for _, c := range cases {
		if c.body == nil {
			bodies = append(bodies, botocoreBody{"DescribeInstances", c.name, http.StatusBadRequest})
		} else {
			bodies = append(bodies, botocoreBody{c.name, c.name, http.StatusOK})
		}
	}
	parsed := botocoreParseAll(t, bodies)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := parsed[i]
			if e, ok := m["__error__"]; ok {
				t.Fatalf("botocore failed on %s:\n%s", c.name, e)
			}
			if c.body == nil {
				got := []any{pick(m, "Error", "Code"), pick(m, "Error", "Message"), pick(m, "ResponseMetadata", "RequestId")}
				if diff := cmp.Diff([]any{errCode, errMessage, errReqID}, got); diff != "" {
					t.Errorf("botocore error (-want +got):\n%s", diff)
				}
				return
			}
			cs, ok := checks[c.name]
			if !ok {
				t.Fatalf("no botocore checks for %s", c.name)
			}
			var want, got []any
			for _, ch := range cs {
				want = append(want, ch.want)
				got = append(got, pick(m, ch.path...))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("botocore %s (-want +got):\n%s", c.name, diff)
			}
		})
	}
}
