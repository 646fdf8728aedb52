package ec2emu_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// mdInstance launches a running instance with a key pair, user data and a
// tag on the mock backend and serves its metadata in-process.
func mdInstance(t *testing.T) (*ec2emutest.Server, string, string) {
	t.Helper()
	srv := ec2emutest.NewServer(t, mock.New())
	c := srv.Client
	if _, err := c.ImportKeyPair(ctxT(t), &ec2.ImportKeyPairInput{KeyName: aws.String("k1"), PublicKeyMaterial: []byte(testPublicKey)}); err != nil {
		t.Fatal(err)
	}
	out := run(t, c, &ec2.RunInstancesInput{
		KeyName: aws.String("k1"), InstanceType: types.InstanceTypeT3Micro,
		UserData: aws.String(base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hi\n"))),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
			Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}}}},
		MetadataOptions:     &types.InstanceMetadataOptionsRequest{InstanceMetadataTags: types.InstanceMetadataTagsStateEnabled},
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String("/dev/sdf"), Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(1)}}},
	})
	id := *out.Instances[0].InstanceId
	waitInstance(t, c, id, types.InstanceStateNameRunning)
	return srv, id, srv.MetadataURL(t, id)
}

const testPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2V8zl0ZbO/ltdNXo4jvAGAOAgyq4+vlgOqs1ZhH9Xh test"

// TestMetadataSDK drives the metadata service with aws-sdk-go-v2's imds
// client (IMDSv2 tokens, as the SDK uses them) against the mock backend.
func TestMetadataSDK(t *testing.T) {
	srv, id, hs := mdInstance(t)
	inst := describeOne(t, srv.Client, id)
	c := imds.New(imds.Options{Endpoint: hs})
	ctx := ctxT(t)
	get := func(p string) string {
		t.Helper()
		out, err := c.GetMetadata(ctx, &imds.GetMetadataInput{Path: p})
		if err != nil {
			t.Fatalf("GetMetadata %s: %v", p, err)
		}
		defer out.Content.Close()
		b, _ := io.ReadAll(out.Content)
		return string(b)
	}
	mac := *inst.NetworkInterfaces[0].MacAddress
	tests := map[string]string{
		"instance-id":                 id,
		"ami-id":                      *inst.ImageId,
		"ami-launch-index":            "0",
		"instance-type":               "t3.micro",
		"instance-life-cycle":         "on-demand",
		"block-device-mapping/root":   "/dev/xvda",
		"block-device-mapping/ebs1":   "sdf",
		"local-ipv4":                  *inst.PrivateIpAddress,
		"local-hostname":              *inst.PrivateDnsName,
		"hostname":                    *inst.PrivateDnsName,
		"public-ipv4":                 *inst.PublicIpAddress,
		"public-hostname":             *inst.PublicDnsName,
		"mac":                         mac,
		"placement/availability-zone": *inst.Placement.AvailabilityZone,
		"placement/region":            "us-east-1",
		"reservation-id":              describeReservation(t, srv.Client, id),
		"security-groups":             *inst.SecurityGroups[0].GroupName,
		"services/domain":             "amazonaws.com",
		"services/partition":          "aws",
		"public-keys/":                "0=k1",
		"public-keys/0/openssh-key":   strings.TrimSuffix(testPublicKey, " test") + " k1",
		"tags/instance/":              "Name",
		"tags/instance/Name":          "web",
		"network/interfaces/macs/":    mac + "/",
		"network/interfaces/macs/" + mac + "/interface-id":           *inst.NetworkInterfaces[0].NetworkInterfaceId,
		"network/interfaces/macs/" + mac + "/device-number":          "0",
		"network/interfaces/macs/" + mac + "/local-ipv4s":            *inst.PrivateIpAddress,
		"network/interfaces/macs/" + mac + "/public-ipv4s":           *inst.PublicIpAddress,
		"network/interfaces/macs/" + mac + "/security-group-ids":     *inst.SecurityGroups[0].GroupId,
		"network/interfaces/macs/" + mac + "/subnet-id":              *inst.SubnetId,
		"network/interfaces/macs/" + mac + "/vpc-id":                 *inst.VpcId,
		"network/interfaces/macs/" + mac + "/subnet-ipv4-cidr-block": "172.31.0.0/20",
		"network/interfaces/macs/" + mac + "/vpc-ipv4-cidr-block":    "172.31.0.0/16",
	}
	got := map[string]string{}
	for p := range tests {
		got[p] = get(p)
	}
	if diff := cmp.Diff(tests, got); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	listing := get("")
	for _, want := range []string{"ami-id", "instance-id", "placement/", "network/", "public-keys/", "tags/"} {
		if !slices.Contains(strings.Split(listing, "\n"), want) {
			t.Errorf("meta-data/ listing lacks %q:\n%s", want, listing)
		}
	}
	ud, err := c.GetUserData(ctx, &imds.GetUserDataInput{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(ud.Content)
	if string(b) != "#!/bin/sh\necho hi\n" {
		t.Errorf("user-data %q", b)
	}
	doc, err := c.GetInstanceIdentityDocument(ctx, &imds.GetInstanceIdentityDocumentInput{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([4]string{id, "us-east-1", "t3.micro", "000000000000"},
		[4]string{doc.InstanceID, doc.Region, doc.InstanceType, doc.AccountID}); diff != "" {
		t.Errorf("identity document (-want +got):\n%s", diff)
	}
	region, err := c.GetRegion(ctx, &imds.GetRegionInput{})
	if err != nil || region.Region != "us-east-1" {
		t.Errorf("GetRegion: %v %v", region, err)
	}
}

func describeReservation(t *testing.T, c *ec2.Client, id string) string {
	out, err := c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return *out.Reservations[0].ReservationId
}

// TestMetadataTokens checks the v2 rules on the raw wire: token TTL bounds,
// X-Forwarded-For, HttpTokens=required, HttpEndpoint=disabled (applied to a
// running instance at once), tokens bound to their instance.
func TestMetadataTokens(t *testing.T) {
	srv, id, hs := mdInstance(t)
	do := func(method, path string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, hs+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ttl := "X-aws-ec2-metadata-token-ttl-seconds"
	_, tok := do("PUT", "/latest/api/token", map[string]string{ttl: "60"})
	type res struct {
		Status int
		Body   string
	}
	step := func(name string, method, path string, hdr map[string]string, want res) {
		t.Helper()
		code, body := do(method, path, hdr)
		if want.Body == "" {
			body = ""
		}
		if diff := cmp.Diff(want, res{code, body}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	tokHdr := map[string]string{"X-aws-ec2-metadata-token": tok}
	step("v1 GET", "GET", "/latest/meta-data/instance-id", nil, res{200, id})
	step("v2 GET", "GET", "/latest/meta-data/instance-id", tokHdr, res{200, id})
	step("bad token", "GET", "/latest/meta-data/instance-id", map[string]string{"X-aws-ec2-metadata-token": "x.y"}, res{401, ""})
	step("TTL 0", "PUT", "/latest/api/token", map[string]string{ttl: "0"}, res{400, ""})
	step("TTL 21601", "PUT", "/latest/api/token", map[string]string{ttl: "21601"}, res{400, ""})
	step("no TTL", "PUT", "/latest/api/token", nil, res{400, ""})
	step("X-Forwarded-For", "PUT", "/latest/api/token", map[string]string{ttl: "60", "X-Forwarded-For": "1.2.3.4"}, res{403, ""})
	step("versioned token path", "PUT", "/2021-03-23/api/token", map[string]string{ttl: "60"}, res{403, ""})
	step("unknown path", "GET", "/latest/meta-data/nope", nil, res{404, ""})
	step("listing", "GET", "/latest/", nil, res{200, "dynamic/\nmeta-data/\nuser-data"})

	ctx := ctxT(t)
	if _, err := srv.Client.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{
		InstanceId: aws.String(id), HttpTokens: types.HttpTokensStateRequired}); err != nil {
		t.Fatal(err)
	}
	step("required, no token", "GET", "/latest/meta-data/instance-id", nil, res{401, ""})
	step("required, token", "GET", "/latest/meta-data/instance-id", tokHdr, res{200, id})
	if _, err := srv.Client.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{
		InstanceId: aws.String(id), HttpEndpoint: types.InstanceMetadataEndpointStateDisabled}); err != nil {
		t.Fatal(err)
	}
	step("disabled", "GET", "/latest/meta-data/instance-id", tokHdr, res{403, ""})

	// A token is bound to its instance.
	out := run(t, srv.Client, &ec2.RunInstancesInput{})
	id2 := *out.Instances[0].InstanceId
	waitInstance(t, srv.Client, id2, types.InstanceStateNameRunning)
	hs2 := httptest.NewServer(srv.MetadataHandler(id2))
	defer hs2.Close()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", hs2.URL+"/latest/meta-data/instance-id", nil)
	req.Header.Set("X-aws-ec2-metadata-token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("another instance's token: status %d, want 401", resp.StatusCode)
	}
}

// TestMetadataInstanceProfile: an instance launched with an instance
// profile shows it and gets credentials from iam/, its own, expiring an
// hour ahead; one without a profile has no iam/ tree.
func TestMetadataInstanceProfile(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New())
	c, ctx := srv.Client, ctxT(t)
	out := run(t, c, &ec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		IamInstanceProfile: &types.IamInstanceProfileSpecification{Name: aws.String("web-role")}})
	plain := run(t, c, &ec2.RunInstancesInput{})
	creds := map[string]string{}
	for _, i := range out.Instances {
		inst := waitInstance(t, c, *i.InstanceId, types.InstanceStateNameRunning)
		if inst.IamInstanceProfile == nil || *inst.IamInstanceProfile.Arn != "arn:aws:iam::000000000000:instance-profile/web-role" {
			t.Fatalf("iamInstanceProfile %+v", inst.IamInstanceProfile)
		}
		md := imds.New(imds.Options{Endpoint: srv.MetadataURL(t, *i.InstanceId)})
		got, err := md.GetMetadata(ctx, &imds.GetMetadataInput{Path: "iam/security-credentials/web-role"})
		if err != nil {
			t.Fatal(err)
		}
		var cr struct{ Code, AccessKeyId, SecretAccessKey, Token, Expiration string }
		if err := json.NewDecoder(got.Content).Decode(&cr); err != nil {
			t.Fatal(err)
		}
		exp, err := time.Parse(time.RFC3339, cr.Expiration)
		if err != nil || cr.Code != "Success" || cr.AccessKeyId == "" || time.Until(exp) < 50*time.Minute {
			t.Errorf("credentials %+v (expiration %v)", cr, err)
		}
		creds[cr.AccessKeyId] = *i.InstanceId
	}
	if len(creds) != 2 {
		t.Errorf("two instances share credentials: %v", creds)
	}
	id := *plain.Instances[0].InstanceId
	waitInstance(t, c, id, types.InstanceStateNameRunning)
	md := imds.New(imds.Options{Endpoint: srv.MetadataURL(t, id)})
	if _, err := md.GetMetadata(ctx, &imds.GetMetadataInput{Path: "iam/info"}); err == nil {
		t.Error("an instance without a profile has iam/info")
	}
}
