package xmlproto_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/xmlproto"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current encoder")

// Fixed values keep the golden files stable.
var (
	t0        = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	requestID = "0a1b2c3d-0000-4000-8000-000000000001"
	errReqID  = "ea966190-f9aa-478e-9ede-000000000002"
)

const (
	errCode    = "InvalidInstanceID.NotFound"
	errMessage = "The instance ID 'i-0000000000000dead' does not exist"
)

// runningInstance is an Instance with every field set, so the golden file
// shows every element name the Server can emit for an instance.
func runningInstance() xmlproto.Instance {
	return xmlproto.Instance{
		InstanceID:     "i-1234567890abcdef0",
		ImageID:        "ami-0abcdef1234567890",
		State:          xmlproto.InstanceState{Code: 16, Name: "running"},
		PrivateDNSName: "ip-10-0-0-12.us-west-2.compute.internal",
		PublicDNSName:  "ec2-54-1-2-3.us-west-2.compute.amazonaws.com",
		KeyName:        "my-key",
		AmiLaunchIndex: 0,
		InstanceType:   "t3.micro",
		LaunchTime:     t0,
		Placement:      xmlproto.Placement{AvailabilityZone: "us-west-2a", Tenancy: "default"},
		Monitoring:     xmlproto.Monitoring{State: "disabled"},
		SubnetID:       "subnet-0abc1234",
		VpcID:          "vpc-0abc1234",

		PrivateIPAddress: "10.0.0.12",
		PublicIPAddress:  "54.1.2.3",
		SourceDestCheck:  ptr(true),
		Groups:           []xmlproto.GroupIdentifier{{GroupID: "sg-111", GroupName: "web"}},
		Architecture:     "x86_64",
		RootDeviceType:   "ebs",
		RootDeviceName:   "/dev/xvda",
		BlockDeviceMappings: []xmlproto.InstanceBlockDeviceMapping{{
			DeviceName: "/dev/xvda",
			Ebs: xmlproto.EbsInstanceBlockDevice{
				VolumeID: "vol-0abc1234", Status: "attached", AttachTime: t0.Add(time.Second), DeleteOnTermination: true,
			},
		}},
		VirtualizationType: "hvm",
		ClientToken:        "ea079f81-f714-48d7-bdeb-da05b196cb9b",
		Tags: []xmlproto.Tag{
			{Key: "Name", Value: "web 1"},
			{Key: "owner", Value: "ops & <dev>"}, // escaping, checked end to end by the SDK tests
		},
		Hypervisor: "xen",
		NetworkInterfaces: []xmlproto.InstanceNetworkInterface{{
			NetworkInterfaceID: "eni-0abc1234",
			SubnetID:           "subnet-0abc1234",
			VpcID:              "vpc-0abc1234",
			Description:        "Primary network interface",
			OwnerID:            "123456789012",
			Status:             "in-use",
			MacAddress:         "02:00:00:00:00:01",
			PrivateIPAddress:   "10.0.0.12",
			PrivateDNSName:     "ip-10-0-0-12.us-west-2.compute.internal",
			SourceDestCheck:    true,
			Groups:             []xmlproto.GroupIdentifier{{GroupID: "sg-111", GroupName: "web"}},
			Attachment: xmlproto.NetworkInterfaceAttachment{
				AttachmentID: "eni-attach-0abc1234", DeviceIndex: 0, Status: "attached",
				AttachTime: t0, DeleteOnTermination: true, NetworkCardIndex: 0,
			},
			PrivateIPAddresses: []xmlproto.InstancePrivateIPAddress{{
				PrivateIPAddress: "10.0.0.12", PrivateDNSName: "ip-10-0-0-12.us-west-2.compute.internal", Primary: true,
			}},
			InterfaceType: "interface",
		}},
		EbsOptimized: false,
		EnaSupport:   true,
		MetadataOptions: &xmlproto.MetadataOptions{
			State: "applied", HTTPTokens: "required", HTTPPutResponseHopLimit: 2,
			HTTPEndpoint: "enabled", HTTPProtocolIPv6: "disabled", InstanceMetadataTags: "disabled",
		},
		MaintenanceOptions:    &xmlproto.InstanceMaintenanceOptions{AutoRecovery: "default", RebootMigration: "default"},
		BootMode:              "legacy-bios",
		PlatformDetails:       "Linux/UNIX",
		UsageOperation:        "RunInstances",
		PrivateDNSNameOptions: &xmlproto.PrivateDNSNameOptions{HostnameType: "ip-name"},
	}
}

// stoppedInstance is what a stopped instance looks like: reason and
// stateReason set, public address released, optional pointers nil.
func stoppedInstance() xmlproto.Instance {
	return xmlproto.Instance{
		InstanceID:          "i-0fedcba9876543210",
		ImageID:             "ami-0abcdef1234567890",
		State:               xmlproto.InstanceState{Code: 80, Name: "stopped"},
		PrivateDNSName:      "ip-10-0-0-13.us-west-2.compute.internal",
		Reason:              "User initiated (2024-05-01 12:34:56 GMT)",
		AmiLaunchIndex:      1,
		InstanceType:        "t3.micro",
		LaunchTime:          t0,
		Placement:           xmlproto.Placement{AvailabilityZone: "us-west-2a", Tenancy: "default"},
		Monitoring:          xmlproto.Monitoring{State: "disabled"},
		PrivateIPAddress:    "10.0.0.13",
		StateReason:         &xmlproto.StateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"},
		RootDeviceType:      "ebs",
		VirtualizationType:  "hvm",
		Hypervisor:          "xen",
		BlockDeviceMappings: nil,
		// A Spot instance (stopped: its request is persistent).
		InstanceLifecycle:     "spot",
		SpotInstanceRequestID: "sir-08b93456",
	}
}

func pendingInstance() xmlproto.Instance {
	return xmlproto.Instance{
		InstanceID:         "i-1234567890abcdef0",
		ImageID:            "ami-0abcdef1234567890",
		State:              xmlproto.InstanceState{Code: 0, Name: "pending"},
		PrivateDNSName:     "ip-10-0-0-12.us-west-2.compute.internal",
		KeyName:            "my-key",
		InstanceType:       "t3.micro",
		LaunchTime:         t0,
		Placement:          xmlproto.Placement{AvailabilityZone: "us-west-2a", Tenancy: "default"},
		Monitoring:         xmlproto.Monitoring{State: "disabled"},
		PrivateIPAddress:   "10.0.0.12",
		Groups:             []xmlproto.GroupIdentifier{{GroupID: "sg-111", GroupName: "web"}},
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/xvda",
		VirtualizationType: "hvm",
		ClientToken:        "ea079f81-f714-48d7-bdeb-da05b196cb9b",
		Tags:               []xmlproto.Tag{{Key: "Name", Value: "web 1"}},
		Hypervisor:         "xen",
	}
}

func describeInstances() *xmlproto.DescribeInstancesResponse {
	return &xmlproto.DescribeInstancesResponse{Reservations: []xmlproto.Reservation{{
		ReservationID: "r-1234567890abcdef0",
		OwnerID:       "123456789012",
		Instances:     []xmlproto.Instance{runningInstance(), stoppedInstance()},
	}}}
}

const keyMaterial = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAexample\n-----END RSA PRIVATE KEY-----"

// goldenCase is one response the Server emits; its golden file is
// testdata/<name>.golden and, for the SDK tests, <name> is the operation.
type goldenCase struct {
	name string
	body any // nil for the error envelope
}

func goldenCases() []goldenCase {
	return append([]goldenCase{
		{"RunInstances", &xmlproto.Reservation{
			ReservationID: "r-1234567890abcdef0", OwnerID: "123456789012",
			Instances: []xmlproto.Instance{pendingInstance()},
		}},
		{"DescribeInstances", describeInstances()},
		{"StopInstances", &xmlproto.InstanceStateChanges{Instances: []xmlproto.InstanceStateChange{{
			InstanceID:    "i-1234567890abcdef0",
			CurrentState:  xmlproto.InstanceState{Code: 64, Name: "stopping"},
			PreviousState: xmlproto.InstanceState{Code: 16, Name: "running"},
		}}}},
		{"StartInstances", &xmlproto.InstanceStateChanges{Instances: []xmlproto.InstanceStateChange{{
			InstanceID:    "i-0fedcba9876543210",
			CurrentState:  xmlproto.InstanceState{Code: 0, Name: "pending"},
			PreviousState: xmlproto.InstanceState{Code: 80, Name: "stopped"},
		}}}},
		{"TerminateInstances", &xmlproto.InstanceStateChanges{Instances: []xmlproto.InstanceStateChange{
			{
				InstanceID:    "i-1234567890abcdef0",
				CurrentState:  xmlproto.InstanceState{Code: 32, Name: "shutting-down"},
				PreviousState: xmlproto.InstanceState{Code: 16, Name: "running"},
			},
			{
				InstanceID:    "i-0fedcba9876543210",
				CurrentState:  xmlproto.InstanceState{Code: 48, Name: "terminated"},
				PreviousState: xmlproto.InstanceState{Code: 48, Name: "terminated"},
			},
		}}},
		{"RebootInstances", &xmlproto.Return{Return: true}},
		{"DescribeInstanceStatus", &xmlproto.DescribeInstanceStatusResponse{InstanceStatuses: []xmlproto.InstanceStatus{
			{
				InstanceID: "i-1234567890abcdef0", AvailabilityZone: "us-west-2a",
				InstanceState:  xmlproto.InstanceState{Code: 16, Name: "running"},
				SystemStatus:   xmlproto.StatusSummary{Status: "ok", Details: []xmlproto.StatusDetail{{Name: "reachability", Status: "passed"}}},
				InstanceStatus: xmlproto.StatusSummary{Status: "ok", Details: []xmlproto.StatusDetail{{Name: "reachability", Status: "passed"}}},
			},
			{
				InstanceID: "i-0fedcba9876543210", AvailabilityZone: "us-west-2a",
				InstanceState:  xmlproto.InstanceState{Code: 80, Name: "stopped"},
				SystemStatus:   xmlproto.StatusSummary{Status: "not-applicable"},
				InstanceStatus: xmlproto.StatusSummary{Status: "not-applicable"},
			},
		}}},
		{"CreateImage", &xmlproto.CreateImageResponse{ImageID: "ami-0abcdef1234567890"}},
		{"DescribeImages", &xmlproto.DescribeImagesResponse{Images: []xmlproto.Image{
			{
				ImageID: "ami-0abcdef1234567890", ImageLocation: "123456789012/my-image", State: "available",
				OwnerID: "123456789012", CreationDate: "2024-05-01T12:30:00.000Z", Public: false,
				Architecture: "x86_64", ImageType: "machine", Name: "my-image",
				Description:    "built from i-1234567890abcdef0",
				RootDeviceType: "ebs", RootDeviceName: "/dev/xvda",
				BlockDeviceMappings: []xmlproto.ImageBlockDeviceMapping{{
					DeviceName: "/dev/xvda",
					Ebs: xmlproto.EbsImageBlockDevice{
						SnapshotID: "snap-0abc1234", VolumeSize: 8, DeleteOnTermination: true, VolumeType: "gp3",
					},
				}},
				VirtualizationType: "hvm",
				Tags:               []xmlproto.Tag{{Key: "env", Value: "dev"}},
				Hypervisor:         "xen", EnaSupport: true,
				PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", BootMode: "uefi-preferred",
			},
			{
				ImageID: "ami-0123456789abcdef0", ImageLocation: "amazon/al2023-ami", State: "failed",
				OwnerID: "137112412989", CreationDate: "2024-04-01T00:00:00.000Z", Public: true,
				Architecture: "arm64", ImageType: "machine", ImageOwnerAlias: "amazon", Name: "al2023-ami",
				RootDeviceType: "ebs", RootDeviceName: "/dev/xvda", VirtualizationType: "hvm",
				Hypervisor: "xen", PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances",
				StateReason: &xmlproto.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: snapshot failed"},
			},
		}}},
		{"CreateKeyPair", &xmlproto.KeyPair{
			KeyPairID: "key-0abc1234def567890", KeyName: "my-key",
			KeyFingerprint: "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f",
			KeyMaterial:    keyMaterial,
			Tags:           []xmlproto.Tag{{Key: "team", Value: "infra"}},
		}},
		{"DescribeKeyPairs", &xmlproto.DescribeKeyPairsResponse{KeyPairs: []xmlproto.KeyPairInfo{
			{
				KeyPairID: "key-0abc1234def567890", KeyType: "rsa", Tags: []xmlproto.Tag{{Key: "team", Value: "infra"}},
				PublicKey: "ssh-rsa AAAAB3NzaC1yc2E example", CreateTime: t0, KeyName: "my-key",
				KeyFingerprint: "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f",
			},
			{
				KeyPairID: "key-0def567890abc1234", KeyType: "ed25519", CreateTime: t0.Add(time.Hour), KeyName: "other",
				KeyFingerprint: "zkZ8D6XhKu2J4LVmz0BJxlRjtH/JgpHjbpOR0tXf0jA=",
			},
		}}},
		{"DeleteKeyPair", &xmlproto.DeleteKeyPairResponse{Return: true, KeyPairID: "key-0abc1234def567890"}},
		{"DescribeTags", &xmlproto.DescribeTagsResponse{
			Tags: []xmlproto.TagDescription{
				{ResourceID: "i-1234567890abcdef0", ResourceType: "instance", Key: "Name", Value: "web 1"},
				{ResourceID: "ami-0abcdef1234567890", ResourceType: "image", Key: "env", Value: ""},
			},
			NextToken: "tok/en+==",
		}},
		{"DescribeRegions", &xmlproto.DescribeRegionsResponse{Regions: []xmlproto.Region{
			{RegionName: "us-east-1", Endpoint: "ec2.us-east-1.amazonaws.com", OptInStatus: "opt-in-not-required"},
			{RegionName: "us-west-2", Endpoint: "ec2.us-west-2.amazonaws.com", OptInStatus: "opt-in-not-required"},
		}}},
		{"DescribeAvailabilityZones", &xmlproto.DescribeAvailabilityZonesResponse{AvailabilityZones: []xmlproto.AvailabilityZone{
			{
				ZoneName: "us-west-2a", State: "available", RegionName: "us-west-2", ZoneID: "usw2-az1",
				ZoneType: "availability-zone", OptInStatus: "opt-in-not-required", GroupName: "us-west-2",
				NetworkBorderGroup: "us-west-2",
			},
			{
				ZoneName: "us-west-2b", State: "available", RegionName: "us-west-2", ZoneID: "usw2-az2",
				ZoneType: "availability-zone", OptInStatus: "opt-in-not-required", GroupName: "us-west-2",
				NetworkBorderGroup: "us-west-2",
			},
		}}},
		{"GetConsoleOutput", &xmlproto.GetConsoleOutputResponse{
			InstanceID: "i-1234567890abcdef0", Timestamp: t0, Output: "Ym9vdCBvawpsb2dpbjog",
		}},
		{"Error", nil},
	}, append(append(append(append(append(attrGoldenCases(), networkGoldenCases()...), vpcGoldenCases()...), ltGoldenCases()...), append(addressGoldenCases(), fleetGoldenCases()...)...), append(append(imageGoldenCases(), volumeGoldenCases()...), append(snapshotGoldenCases(), spotGoldenCases()...)...)...)...)
}

func encodeCase(c goldenCase) []byte {
	var buf bytes.Buffer
	if c.body == nil {
		xmlproto.EncodeError(&buf, errCode, errMessage, errReqID)
	} else {
		xmlproto.Encode(&buf, c.name, requestID, c.body)
	}
	return buf.Bytes()
}

func goldenPath(name string) string { return filepath.Join("testdata", name+".golden") }

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(goldenPath(name))
	if err != nil {
		t.Fatalf("%v (run go test ./xmlproto -update to create it)", err)
	}
	return b
}

// TestGolden compares Encode's output byte for byte with the reviewed files
// in testdata. The files were checked element by element against the EC2
// model (botocore service-2.json locationNames) and ec2-wire.md §2, so any
// change in naming, nesting, order or formatting needs a new review.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			got := encodeCase(c)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goldenPath(c.name), got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readGolden(t, c.name)
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
				t.Errorf("Encode differs from %s (-want +got):\n%s", goldenPath(c.name), diff)
			}
		})
	}
}

var (
	leafRE  = regexp.MustCompile(`<([A-Za-z]+)>([^<]*)</([A-Za-z]+)>`)
	emptyRE = regexp.MustCompile(`<([A-Za-z]+)/>`)
	timeRE  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// scalarNames collects the xml names of number, bool and time fields in t
// and the types it contains: elements the SDKs parse strictly, so they
// must never be empty or padded (ec2-wire.md §2.3).
func scalarNames(t reflect.Type, names, times map[string]bool, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] || t == reflect.TypeFor[time.Time]() {
		return
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("xml")
		if !ok || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == reflect.TypeFor[time.Time]():
			names[name], times[name] = true, true
		case ft.Kind() == reflect.Bool, ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Float64:
			names[name] = true
		}
		scalarNames(f.Type, names, times, seen)
	}
}

// TestGoldenScalars lints every golden file: well-formed XML, every
// number/bool/time element non-empty and unpadded, every time in
// EC2's millisecond UTC format, and every list child named item.
func TestGoldenScalars(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			b := readGolden(t, c.name)
			if err := wellFormed(b); err != nil {
				t.Fatalf("not well-formed XML: %v", err)
			}
			if c.body == nil {
				return
			}
			names, times := map[string]bool{}, map[string]bool{}
			scalarNames(reflect.TypeOf(c.body), names, times, map[reflect.Type]bool{})
			checked := 0
			for _, m := range leafRE.FindAllSubmatch(b, -1) {
				name, text := string(m[1]), string(m[2])
				if name == "code" && strings.Contains(text, ".") {
					continue // stateReason/code is a string, InstanceState/code a number
				}
				if !names[name] {
					continue
				}
				checked++
				if text == "" || strings.TrimSpace(text) != text {
					t.Errorf("<%s>%q</%s>: number/bool/time must be non-empty and unpadded", name, text, name)
				}
				if times[name] && !timeRE.MatchString(text) {
					t.Errorf("<%s>%s</%s>: want 2024-05-01T12:00:00.000Z format", name, text, name)
				}
			}
			for _, m := range emptyRE.FindAllSubmatch(b, -1) {
				if name := string(m[1]); names[name] && name != "code" {
					t.Errorf("<%s/>: empty number/bool/time element", name)
				}
			}
			if len(names) > 0 && checked == 0 {
				t.Errorf("no number/bool/time element found although the shape has %d", len(names))
			}
			if bytes.Contains(b, []byte("<member>")) {
				t.Errorf("list child <member>: EC2 lists use <item>")
			}
		})
	}
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// TestEncodeScalars pins the per-kind rules of Encode that the SDK
// parsers depend on (ec2-wire.md §2.3): nil pointers and zero times are
// omitted, never written empty; numbers are bare digits; times are UTC
// with milliseconds; empty strings and lists are self-closed unless
// omitempty.
func TestEncodeScalars(t *testing.T) {
	type inner struct {
		A string `xml:"a"`
	}
	tests := []struct {
		name string
		body any
		want string
	}{
		{"nil int pointer omitted", struct {
			N *int `xml:"n"`
		}{}, ""},
		{"zero int pointer written", struct {
			N *int `xml:"n"`
		}{ptr(0)}, "<n>0</n>\n"},
		{"int zero and negative", struct {
			A int   `xml:"a"`
			B int64 `xml:"b"`
			C uint8 `xml:"c"`
		}{0, -5, 200}, "<a>0</a>\n<b>-5</b>\n<c>200</c>\n"},
		{"omitempty int zero omitted", struct {
			N int `xml:"n,omitempty"`
		}{}, ""},
		{"float", struct {
			F float64 `xml:"f"`
		}{10.8}, "<f>10.8</f>\n"},
		{"nil bool pointer omitted", struct {
			B *bool `xml:"b"`
		}{}, ""},
		{"false bool pointer written", struct {
			B *bool `xml:"b"`
		}{ptr(false)}, "<b>false</b>\n"},
		{"bools lower-case", struct {
			T bool `xml:"t"`
			F bool `xml:"f"`
		}{true, false}, "<t>true</t>\n<f>false</f>\n"},
		{"omitempty false omitted", struct {
			B bool `xml:"b,omitempty"`
		}{}, ""},
		{"zero time omitted", struct {
			T time.Time `xml:"t"`
		}{}, ""},
		{"nil time pointer omitted", struct {
			T *time.Time `xml:"t"`
		}{}, ""},
		{"time converted to UTC, milliseconds truncated", struct {
			T time.Time `xml:"t"`
		}{time.Date(2024, 5, 1, 14, 0, 0, 123987654, time.FixedZone("CEST", 2*3600))}, "<t>2024-05-01T12:00:00.123Z</t>\n"},
		{"time pointer", struct {
			T *time.Time `xml:"t"`
		}{ptr(t0)}, "<t>2024-05-01T12:00:00.000Z</t>\n"},
		{"empty string self-closed", struct {
			S string `xml:"s"`
		}{}, "<s/>\n"},
		{"omitempty empty string omitted", struct {
			S string `xml:"s,omitempty"`
		}{}, ""},
		{"nil slice self-closed", struct {
			L []string `xml:"l"`
		}{}, "<l/>\n"},
		{"omitempty empty slice omitted", struct {
			L []string `xml:"l,omitempty"`
		}{L: []string{}}, ""},
		{"string list uses item", struct {
			L []string `xml:"l"`
		}{[]string{"a", "b"}}, "<l>\n    <item>a</item>\n    <item>b</item>\n</l>\n"},
		{"struct list uses item", struct {
			L []inner `xml:"l"`
		}{[]inner{{"x"}}}, "<l>\n    <item>\n        <a>x</a>\n    </item>\n</l>\n"},
		{"omitempty zero struct omitted", struct {
			S inner `xml:"s,omitempty"`
		}{}, ""},
		{"nil struct pointer omitted", struct {
			S *inner `xml:"s"`
		}{}, ""},
		{"untagged and dash fields skipped", struct {
			A string
			B string `xml:"-"`
		}{"a", "b"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, encodeBody(t, tt.body)); diff != "" {
				t.Errorf("Encode (-want +got):\n%s", diff)
			}
		})
	}
}

// encodeBody encodes body under a Test action and returns what sits between
// <requestId> and the closing root tag, de-indented by one level.
func encodeBody(t *testing.T, body any) string {
	t.Helper()
	var buf bytes.Buffer
	xmlproto.Encode(&buf, "Test", "r-1", body)
	out := buf.String()
	const head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<TestResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n" +
		"    <requestId>r-1</requestId>\n"
	const tail = "</TestResponse>\n"
	if !strings.HasPrefix(out, head) || !strings.HasSuffix(out, tail) {
		t.Fatalf("Encode envelope wrong:\n%s", out)
	}
	if err := wellFormed(buf.Bytes()); err != nil {
		t.Fatalf("Encode output not well-formed: %v\n%s", err, out)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(out, head), tail)
	lines := strings.SplitAfter(inner, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "    ")
	}
	return strings.Join(lines, "")
}

// TestEncodeEscaping checks that any text reaches the client intact or,
// where XML cannot carry it, replaced by U+FFFD — never as broken XML.
func TestEncodeEscaping(t *testing.T) {
	type body struct {
		S string `xml:"s"`
	}
	tests := []struct {
		name, in, want string
	}{
		{"plain ASCII copied", "web-1 a/b:c", "web-1 a/b:c"},
		{"ampersand and angle brackets", "a & <b>", "a &amp; &lt;b&gt;"},
		{"quotes", `"x" 'y'`, "&#34;x&#34; &#39;y&#39;"},
		{"valid UTF-8 kept", "héllo 世界", "héllo 世界"},
		{"invalid UTF-8 replaced", "bad\xffbyte\xc3", "bad\uFFFDbyte\uFFFD"},
		{"newline tab CR as references", "a\nb\tc\rd", "a&#xA;b&#x9;c&#xD;d"},
		{"control characters replaced", "x\x00y\x01z\x1f", "x\uFFFDy\uFFFDz\uFFFD"},
		{"DEL kept", "a\x7fb", "a\x7fb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeBody(t, body{tt.in})
			if diff := cmp.Diff("<s>"+tt.want+"</s>\n", got); diff != "" {
				t.Errorf("Encode(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestEncodeErrorEscaping checks the error envelope's exact bytes and that
// code, message and request id are escaped like any other text.
func TestEncodeErrorEscaping(t *testing.T) {
	var buf bytes.Buffer
	xmlproto.EncodeError(&buf, "InvalidParameterValue", "Value (<none>) for parameter a & b is invalid\xff", "id<1>")
	want := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<Response><Errors><Error><Code>InvalidParameterValue</Code>" +
		"<Message>Value (&lt;none&gt;) for parameter a &amp; b is invalid\uFFFD</Message></Error></Errors>" +
		"<RequestID>id&lt;1&gt;</RequestID></Response>\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("EncodeError (-want +got):\n%s", diff)
	}
	if err := wellFormed(buf.Bytes()); err != nil {
		t.Errorf("EncodeError output not well-formed: %v", err)
	}
}

// TestEncodeNilBody: Encode with a nil body writes a bare envelope, which
// both SDKs parse as an empty output.
func TestEncodeNilBody(t *testing.T) {
	var buf bytes.Buffer
	xmlproto.Encode(&buf, "CreateTags", "r-1", nil)
	want := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<CreateTagsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n" +
		"    <requestId>r-1</requestId>\n" +
		"</CreateTagsResponse>\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("Encode (-want +got):\n%s", diff)
	}
}

func BenchmarkEncodeDescribeInstances100(b *testing.B) {
	res := xmlproto.Reservation{ReservationID: "r-1234567890abcdef0", OwnerID: "123456789012"}
	for i := range 100 {
		inst := runningInstance()
		inst.InstanceID = fmt.Sprintf("i-%017x", i)
		inst.AmiLaunchIndex = i
		res.Instances = append(res.Instances, inst)
	}
	body := &xmlproto.DescribeInstancesResponse{Reservations: []xmlproto.Reservation{res}}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		xmlproto.Encode(&buf, "DescribeInstances", requestID, body)
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkEncodeError(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		xmlproto.EncodeError(&buf, errCode, errMessage, errReqID)
	}
}
