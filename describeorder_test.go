package ec2emu

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/internal/ec2model"
	"github.com/google/go-cmp/cmp"
)

// updating reports -update (declared in docs_test.go), which rewrites the
// golden files.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// describeIDs names, per Describe action, its ID parameter with a malformed
// and a well-formed but unknown ID.
var describeIDs = map[string][3]string{
	"DescribeInstances":                    {"InstanceId.1", "instance-1", "i-0123456789abcdef0"},
	"DescribeInstanceStatus":               {"InstanceId.1", "instance-1", "i-0123456789abcdef0"},
	"DescribeVolumeStatus":                 {"VolumeId.1", "volume-1", "vol-0123456789abcdef0"},
	"DescribeVolumesModifications":         {"VolumeId.1", "volume-1", "vol-0123456789abcdef0"},
	"DescribeInstanceCreditSpecifications": {"InstanceId.1", "instance-1", "i-0123456789abcdef0"},
	"DescribeImages":                       {"ImageId.1", "image-1", "ami-0123456789abcdef0"},
	"DescribeKeyPairs":                     {"KeyPairId.1", "kp-1", "key-0123456789abcdef0"},
	"DescribeVolumes":                      {"VolumeId.1", "volume-1", "vol-0123456789abcdef0"},
	"DescribeSnapshots":                    {"SnapshotId.1", "snapshot-1", "snap-0123456789abcdef0"},
	"DescribeVpcs":                         {"VpcId.1", "v-1", "vpc-0123456789abcdef0"},
	"DescribeSubnets":                      {"SubnetId.1", "s-1", "subnet-0123456789abcdef0"},
	"DescribeSecurityGroups":               {"GroupId.1", "group-1", "sg-0123456789abcdef0"},
	"DescribeSecurityGroupRules":           {"SecurityGroupRuleId.1", "rule-1", "sgr-0123456789abcdef0"},
	"DescribeInternetGateways":             {"InternetGatewayId.1", "gw-1", "igw-0123456789abcdef0"},
	"DescribeRouteTables":                  {"RouteTableId.1", "table-1", "rtb-0123456789abcdef0"},
	"DescribeNetworkAcls":                  {"NetworkAclId.1", "a-1", "acl-0123456789abcdef0"},
	"DescribeNetworkInterfaces":            {"NetworkInterfaceId.1", "ni-1", "eni-0123456789abcdef0"},
	"DescribeInstanceTypes":                {"InstanceType.1", "", "t9.huge"},
	"DescribeRegions":                      {"RegionName.1", "", "xx-none-1"},
	"DescribeAvailabilityZones":            {"ZoneName.1", "", "us-east-1z"},
	"DescribeAddresses":                    {"AllocationId.1", "alloc-1", "eipalloc-0123456789abcdef0"},
	"DescribeTags":                         {},
	"DescribeLaunchTemplates":              {"LaunchTemplateId.1", "template-1", "lt-0123456789abcdef0"},
	"DescribeLaunchTemplateVersions":       {},
	"DescribeInstanceTypeOfferings":        {},
	"DescribeFleets":                       {"FleetId.1", "fleet-1", "fleet-00000000-0000-4000-8000-000000000000"},
	"DescribeFleetInstances":               {},
	"DescribeFleetHistory":                 {},
	"DescribeSpotInstanceRequests":         {"SpotInstanceRequestId.1", "sr-1", "sir-00000000"},
}

// TestDescribeOrder pins, in one golden file per Describe action, the raw
// answer to requests with several faults at once, so the order of checks
// written in describe.go holds for every Describe.
func TestDescribeOrder(t *testing.T) {
	s := New(mock.New(mock.WithDelay(0)))
	t.Cleanup(func() { s.Close() })
	var describes []string
	for _, a := range s.Actions() {
		// The attribute Describes name one resource and list nothing.
		if strings.HasPrefix(a, "Describe") && !strings.HasSuffix(a, "Attribute") && a != "DescribeAccountAttributes" {
			describes = append(describes, a)
		}
	}
	for _, a := range describes {
		if _, ok := describeIDs[a]; !ok {
			t.Errorf("%s: no entry in describeIDs; add one", a)
		}
	}
	rid := regexp.MustCompile(`<RequestID>[^<]*</RequestID>`)
	for _, action := range describes {
		t.Run(action, func(t *testing.T) {
			has := func(key string) bool {
				return slices.ContainsFunc(ec2model.Params(action), func(p ec2model.Param) bool { return p.Key == key })
			}
			ids := describeIDs[action]
			type tc struct{ name, query string }
			cases := []tc{
				{"dry run", "DryRun=true"},
				{"unknown key and a bad filter", "Bogus=1&Filter.1.Name=no-such-filter&Filter.1.Value.1=x"},
				{"bad filter and dry run", "Filter.1.Name=no-such-filter&Filter.1.Value.1=x&DryRun=true"},
				{"filter without a name", "Filter.1.Value.1=x"},
			}
			if has("NextToken") {
				cases = append(cases,
					tc{"bad token and dry run", "NextToken=bogus&DryRun=true"},
					tc{"bad filter and bad token", "Filter.1.Name=no-such-filter&Filter.1.Value.1=x&NextToken=bogus"})
			}
			if has("MaxResults") {
				cases = append(cases,
					tc{"MaxResults too small and bad token", "MaxResults=4&NextToken=bogus"},
					tc{"MaxResults not a number", "MaxResults=five"})
			}
			if ids[0] != "" {
				if ids[1] != "" {
					cases = append(cases, tc{"malformed ID and bad filter", ids[0] + "=" + ids[1] + "&Filter.1.Name=no-such-filter&Filter.1.Value.1=x"})
					if has("MaxResults") {
						cases = append(cases, tc{"malformed ID and MaxResults", ids[0] + "=" + ids[1] + "&MaxResults=5"})
					}
				}
				cases = append(cases,
					tc{"unknown ID and dry run", ids[0] + "=" + ids[2] + "&DryRun=true"},
					tc{"unknown ID", ids[0] + "=" + ids[2]})
			}
			var b strings.Builder
			for _, c := range cases {
				form, err := url.ParseQuery("Action=" + action + "&Version=2016-11-15&" + c.query)
				if err != nil {
					t.Fatal(err)
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, formRequest(form))
				body := rid.ReplaceAllString(w.Body.String(), "<RequestID>REQUEST-ID</RequestID>")
				if w.Code == 200 {
					body = "(success)"
				}
				fmt.Fprintf(&b, "# %s: %s\nHTTP %d\n%s\n\n", c.name, c.query, w.Code, body)
			}
			path := filepath.Join("testdata", "describe-order", action+".txt")
			if updating() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		})
	}
}
