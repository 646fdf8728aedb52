package ec2model

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckRules(t *testing.T) {
	unknown := func(k string) *Error {
		return &Error{Code: CodeUnknownParameter, Param: k, Message: "The parameter " + k + " is not recognized"}
	}
	missing := func(k string) *Error {
		return &Error{Code: CodeMissingParameter, Param: k, Message: "The request must contain the parameter " + k}
	}
	value := func(k, msg string) *Error {
		return &Error{Code: CodeInvalidParameterValue, Param: k, Message: msg}
	}
	run := "ImageId=ami-1&MinCount=1&MaxCount=1&"
	tests := []struct {
		name   string
		action string
		query  string
		want   *Error
	}{
		{"no params", "DescribeInstances", "", nil},
		{"typical describe", "DescribeInstances", "InstanceId.1=i-1&InstanceId.2=i-2&Filter.1.Name=tag:Name&Filter.1.Value.1=web*&Filter.1.Value.2=x&MaxResults=5&NextToken=t&DryRun=true", nil},
		{"typo InstanceIds", "DescribeInstances", "InstanceIds.1=i-1", unknown("InstanceIds.1")},
		{"index 0", "DescribeInstances", "InstanceId.0=i-1", unknown("InstanceId.0")},
		{"index x", "DescribeInstances", "InstanceId.x=i-1", unknown("InstanceId.x")},
		{"index leading zero", "DescribeInstances", "InstanceId.01=i-1", unknown("InstanceId.01")},
		{"index negative", "DescribeInstances", "InstanceId.-1=i-1", unknown("InstanceId.-1")},
		{"index too big", "DescribeInstances", "InstanceId.2147483648=i-1", unknown("InstanceId.2147483648")},
		{"index max int32", "DescribeInstances", "InstanceId.2147483647=i-1", nil},
		{"bare list", "DescribeInstances", "InstanceId=i-1", unknown("InstanceId")},
		{"list element past scalar", "DescribeInstances", "InstanceId.1.Foo=i-1", unknown("InstanceId.1.Foo")},
		{"list of structs stops at index", "DescribeInstances", "Filter.1=x", unknown("Filter.1")},
		{"empty segment", "DescribeInstances", "Filter..Name=x", unknown("Filter..Name")},
		{"trailing dot", "DescribeInstances", "MaxResults.=5", unknown("MaxResults.")},
		{"scalar with member", "DescribeInstances", "MaxResults.Value=5", unknown("MaxResults.Value")},
		{"member name not wire name", "DescribeInstances", "InstanceIds.1=i-1", unknown("InstanceIds.1")},
		{"case matters", "DescribeInstances", "dryRun=true", unknown("dryRun")},
		{"empty key", "DescribeInstances", "=x", unknown("")},
		{"unknown filter member", "DescribeInstances", "Filter.1.Values.1=x", unknown("Filter.1.Values.1")},
		{"bad integer", "DescribeInstances", "MaxResults=five", value("MaxResults", "Value (five) for parameter MaxResults is invalid. Expecting an integer.")},
		{"integer overflow", "DescribeInstances", "MaxResults=2147483648", value("MaxResults", "Value (2147483648) for parameter MaxResults is invalid. Expecting an integer.")},
		{"negative integer parses", "DescribeInstances", "MaxResults=-1", nil},
		{"empty integer", "DescribeInstances", "MaxResults=", value("MaxResults", "Value () for parameter MaxResults is invalid. Expecting an integer.")},
		{"bad boolean", "DescribeInstances", "DryRun=yes", value("DryRun", "Value (yes) for parameter DryRun is invalid. Expecting a boolean (true or false).")},
		{"boolean 1", "DescribeInstances", "DryRun=1", value("DryRun", "Value (1) for parameter DryRun is invalid. Expecting a boolean (true or false).")},
		{"boolean any case", "DescribeInstances", "DryRun=TRUE", nil},
		{"repeated key, second bad", "DescribeInstances", "DryRun=true&DryRun=nope", value("DryRun", "Value (nope) for parameter DryRun is invalid. Expecting a boolean (true or false).")},
		{"run minimal", "RunInstances", "MinCount=1&MaxCount=1", nil},
		{"run missing MaxCount", "RunInstances", "MinCount=1", missing("MaxCount")},
		{"run missing both: smallest key", "RunInstances", "", missing("MaxCount")},
		{"run typical", "RunInstances", run + "InstanceType=t3.micro&KeyName=k&UserData=IyEK&SecurityGroupId.1=sg-1&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web+1&BlockDeviceMapping.1.DeviceName=/dev/xvda&BlockDeviceMapping.1.Ebs.VolumeSize=20&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true&BlockDeviceMapping.1.Ebs.VolumeType=gp3&Placement.AvailabilityZone=us-east-1a&Monitoring.Enabled=false&ClientToken=c&NetworkInterface.1.AssociatePublicIpAddress=true&NetworkInterface.1.DeviceIndex=0&NetworkInterface.1.PrivateIpAddresses.1.PrivateIpAddress=10.0.0.1", nil},
		{"enum outside model", "RunInstances", run + "InstanceType=m1_small", value("InstanceType", "Invalid value 'm1_small' for InstanceType.")},
		{"nested enum", "RunInstances", run + "BlockDeviceMapping.1.Ebs.VolumeType=gp9", value("BlockDeviceMapping.1.Ebs.VolumeType", "Invalid value 'gp9' for BlockDeviceMapping.1.Ebs.VolumeType.")},
		{"nested integer", "RunInstances", run + "BlockDeviceMapping.1.Ebs.VolumeSize=big", value("BlockDeviceMapping.1.Ebs.VolumeSize", "Value (big) for parameter BlockDeviceMapping.1.Ebs.VolumeSize is invalid. Expecting an integer.")},
		{"unknown nested member", "RunInstances", run + "Monitoring.Foo=1", unknown("Monitoring.Foo")},
		{"required structure missing", "CreateLaunchTemplate", "LaunchTemplateName=n", missing("LaunchTemplateData")},
		{"nested required missing", "CreateLaunchTemplate", "LaunchTemplateName=n&LaunchTemplateData.InstanceRequirements.VCpuCount.Max=4&LaunchTemplateData.InstanceRequirements.MemoryMiB.Min=1", missing("LaunchTemplateData.InstanceRequirements.VCpuCount.Min")},
		{"nested required of structure", "CreateLaunchTemplate", "LaunchTemplateName=n&LaunchTemplateData.InstanceRequirements.VCpuCount.Min=4", missing("LaunchTemplateData.InstanceRequirements.MemoryMiB")},
		{"nested required present", "CreateLaunchTemplate", "LaunchTemplateName=n&LaunchTemplateData.InstanceRequirements.VCpuCount.Min=4&LaunchTemplateData.InstanceRequirements.MemoryMiB.Min=1", nil},
		{"nested required in list element", "CreateLaunchTemplate", "LaunchTemplateName=n&LaunchTemplateData.ElasticGpuSpecification.1.Type=x&LaunchTemplateData.ElasticGpuSpecification.2.Type=y&LaunchTemplateData.ElasticInferenceAccelerator.3.Count=1", missing("LaunchTemplateData.ElasticInferenceAccelerator.3.Type")},
		{"required in nested struct of request", "RequestSpotFleet", "SpotFleetRequestConfig.TargetCapacity=1", missing("SpotFleetRequestConfig.IamFleetRole")},
		{"struct bare", "RunInstances", run + "Monitoring=true", unknown("Monitoring")},
		{"nested required present", "RunInstances", run + "Monitoring.Enabled=true", nil},
		{"queryName wins over locationName", "RunInstances", run + "NetworkInterface.1.PrivateIpAddressesSet.1.PrivateIpAddress=10.0.0.1", unknown("NetworkInterface.1.PrivateIpAddressesSet.1.PrivateIpAddress")},
		{"nested required of list element", "RunInstances", run + "ElasticGpuSpecification.1.Type=x&ElasticGpuSpecification.2.Foo=y", unknown("ElasticGpuSpecification.2.Foo")},
		{"unknown before value before missing", "RunInstances", "MaxResults=x&MinCount=z&Zeta=1&Alpha=2", unknown("Alpha")},
		{"value before missing", "RunInstances", "MinCount=z", value("MinCount", "Value (z) for parameter MinCount is invalid. Expecting an integer.")},
		{"values in key order", "RunInstances", run + "EbsOptimized=x&DisableApiTermination=y", value("DisableApiTermination", "Value (y) for parameter DisableApiTermination is invalid. Expecting a boolean (true or false).")},
		{"create tags", "CreateTags", "ResourceId.1=i-1&Tag.1.Key=k&Tag.1.Value=v", nil},
		{"create tags missing Tag", "CreateTags", "ResourceId.1=i-1", missing("Tag")},
		{"create tags missing ResourceId", "CreateTags", "Tag.1.Key=k", missing("ResourceId")},
		{"create tags bare ResourceId", "CreateTags", "ResourceId=i-1&Tag.1.Key=k", unknown("ResourceId")},
		{"wire name differs from member", "CreateSecurityGroup", "GroupName=g&GroupDescription=d", nil},
		{"member name is not the wire name", "CreateSecurityGroup", "GroupName=g&Description=d", unknown("Description")},
		{"missing GroupDescription", "CreateSecurityGroup", "GroupName=g", missing("GroupDescription")},
		{"modify attribute", "ModifyInstanceAttribute", "InstanceId=i-1&DisableApiTermination.Value=true&InstanceType.Value=t3.micro&BlockDeviceMapping.1.DeviceName=/dev/sda1&BlockDeviceMapping.1.Ebs.DeleteOnTermination=false&GroupId.1=sg-1", nil},
		{"modify attribute bad nested bool", "ModifyInstanceAttribute", "InstanceId=i-1&DisableApiTermination.Value=on", value("DisableApiTermination.Value", "Value (on) for parameter DisableApiTermination.Value is invalid. Expecting a boolean (true or false).")},
		{"timestamp ok", "DescribeSpotPriceHistory", "StartTime=2015-01-25T08:00:00Z&EndTime=2015-01-25T08:00:00.123456Z", nil},
		{"timestamp offset", "DescribeSpotPriceHistory", "StartTime=2015-01-25T08:00:00%2B02:00", nil},
		{"timestamp date only", "DescribeSpotPriceHistory", "StartTime=2015-01-25", nil},
		{"timestamp basic format", "DescribeSpotPriceHistory", "StartTime=20150125T080000Z", value("StartTime", "Value (20150125T080000Z) for parameter StartTime is invalid. Must be in ISO8601 format.")},
		{"timestamp epoch", "DescribeSpotPriceHistory", "StartTime=1422172800", value("StartTime", "Value (1422172800) for parameter StartTime is invalid. Must be in ISO8601 format.")},
		{"float", "DescribeSpotPriceHistory", "StartTime=2015-01-25", nil},
		{"unknown action", "DescribeNothing", "", &Error{Code: CodeInvalidAction, Param: "DescribeNothing", Message: "The action DescribeNothing is not valid for this web service."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, Check(tt.action, q)); diff != "" {
				t.Errorf("Check(%s, %s) (-want +got):\n%s", tt.action, tt.query, diff)
			}
		})
	}
}

func TestIsTimestamp(t *testing.T) {
	for v, want := range map[string]bool{
		"2015-01-25T08:00:00Z":        true,
		"2015-01-25T08:00:00.5Z":      true,
		"2015-01-25T08:00:00,5Z":      true,
		"2015-01-25T08:00:00":         true,
		"2015-01-25T08:00Z":           true,
		"2015-01-25T08:00:00+0200":    true,
		"2015-01-25T08:00:00-02":      true,
		"2024-02-29":                  true,
		"2023-02-29":                  false,
		"2015-13-01":                  false,
		"2015-01-32":                  false,
		"2015-01-25T24:00:00Z":        false,
		"2015-01-25T08:60:00Z":        false,
		"2015-01-25T08:00:00.Z":       false,
		"2015-01-25 08:00:00Z":        false,
		"2015-01-25T08:00:00+2:00":    false,
		"2015-01-25T08:00:00Zjunk":    false,
		"2015-1-25":                   false,
		"":                            false,
		"20150125":                    false,
		"2015-01-25T08":               false,
		"2015-01-25T08:00:00.000000Z": true,
	} {
		if got := isTimestamp(v); got != want {
			t.Errorf("isTimestamp(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestOperations(t *testing.T) {
	ops := Operations()
	if len(ops) != 765 {
		// 765 in botocore 1.43.x; a regenerated model may change it, and
		// then this figure is updated with the header of model_gen.go.
		t.Errorf("%d operations, want 765 (botocore %s)", len(ops), BotocoreVersion)
	}
	for i := 1; i < len(ops); i++ {
		if ops[i-1] >= ops[i] {
			t.Fatalf("Operations not sorted: %s before %s", ops[i-1], ops[i])
		}
	}
	for _, a := range []string{"DescribeInstances", "RunInstances", "DescribeAddressesAttribute", "CreateTags"} {
		if !Has(a) {
			t.Errorf("Has(%s) = false", a)
		}
	}
	for _, a := range []string{"", "describeInstances", "DescribeInstance", "Foo"} {
		if Has(a) {
			t.Errorf("Has(%q) = true", a)
		}
	}
}

// TestSpotChecks compares a few operations with a reading of service-2.json.
func TestSpotChecks(t *testing.T) {
	type kt struct {
		Type     string
		Required bool
	}
	tests := []struct {
		action string
		want   map[string]kt
	}{
		{"DescribeInstances", map[string]kt{
			"InstanceId.N":     {"string", false},
			"Filter.N.Name":    {"string", false},
			"Filter.N.Value.N": {"string", false},
			"MaxResults":       {"integer", false},
			"NextToken":        {"string", false},
			"DryRun":           {"boolean", false},
		}},
		{"RunInstances", map[string]kt{
			"MinCount":     {"integer", true},
			"MaxCount":     {"integer", true},
			"ImageId":      {"string", false},
			"InstanceType": {"enum", false},
			"UserData":     {"string", false},
			"NetworkInterface.N.AssociatePublicIpAddress":              {"boolean", false},
			"NetworkInterface.N.Ipv6Addresses.N.Ipv6Address":           {"string", false},
			"NetworkInterface.N.PrivateIpAddresses.N.PrivateIpAddress": {"string", false},
			"TagSpecification.N.ResourceType":                          {"enum", false},
			"TagSpecification.N.Tag.N.Key":                             {"string", false},
			"TagSpecification.N.Tag.N.Value":                           {"string", false},
			"BlockDeviceMapping.N.Ebs.VolumeSize":                      {"integer", false},
			"BlockDeviceMapping.N.Ebs.VolumeType":                      {"enum", false},
			"BlockDeviceMapping.N.NoDevice":                            {"string", false},
			"Monitoring.Enabled":                                       {"boolean", true},
			"SecurityGroupId.N":                                        {"string", false},
			"Placement.AvailabilityZone":                               {"string", false},
		}},
		{"ModifyInstanceAttribute", map[string]kt{
			"InstanceId":                  {"string", true},
			"Attribute":                   {"enum", false},
			"Value":                       {"string", false},
			"DisableApiTermination.Value": {"boolean", false},
			"InstanceType.Value":          {"string", false},
			"UserData.Value":              {"blob", false},
			"GroupId.N":                   {"string", false},
		}},
		{"CreateTags", map[string]kt{
			"ResourceId.N": {"string", true},
			"Tag.N.Key":    {"string", false},
			"Tag.N.Value":  {"string", false},
			"DryRun":       {"boolean", false},
		}},
		{"DescribeSpotPriceHistory", map[string]kt{
			"StartTime":      {"timestamp", false},
			"InstanceType.N": {"enum", false},
		}},
		{"ImportKeyPair", map[string]kt{
			"PublicKeyMaterial": {"blob", true},
			"KeyName":           {"string", true},
		}},
	}
	for _, tt := range tests {
		got := map[string]kt{}
		for _, p := range Params(tt.action) {
			if _, ok := tt.want[p.Key]; ok {
				got[p.Key] = kt{p.Type, p.Required}
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Params(%s) (-want +got):\n%s", tt.action, diff)
		}
	}
	// CreateTags has Tag.N required as a list: its leaves are optional within it.
	if err := Check("CreateTags", url.Values{"ResourceId.1": {"i-1"}, "Tag.1.Key": {"k"}}); err != nil {
		t.Errorf("CreateTags: %v", err)
	}
}

func TestFilters(t *testing.T) {
	names, ok := Filters("DescribeInstances")
	if !ok {
		t.Fatal("DescribeInstances has no Filters")
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	// From issue 14 and the model's documentation.
	for _, n := range []string{"platform", "ip-address", "dns-name", "instance-lifecycle",
		"iam-instance-profile.arn", "kernel-id", "ramdisk-id", "ipv6-address", "host-id",
		"ena-support", "usage-operation", "spot-instance-request-id", "requester-id",
		"hypervisor", "virtualization-type", "root-device-type", "instance-state-name",
		"tag:<key>", "tag-key", "network-interface.tag-value"} {
		if !have[n] {
			t.Errorf("DescribeInstances filters lack %q", n)
		}
	}
	if _, ok := Filters("RunInstances"); ok {
		t.Error("RunInstances has Filters")
	}
	if names, ok := Filters("DescribeIpams"); !ok || len(names) != 0 {
		t.Errorf("DescribeIpams: %q, %v; want none documented, has a Filters member", names, ok)
	}
	type res struct{ Allowed, Documented bool }
	tests := []struct {
		action, name string
		want         res
	}{
		{"DescribeInstances", "instance-state-name", res{true, true}},
		{"DescribeInstances", "tag:Name", res{true, true}},
		{"DescribeInstances", "tag:", res{false, true}},
		{"DescribeInstances", "tag-key", res{true, true}},
		{"DescribeInstances", "tag-value", res{false, true}},
		{"DescribeInstances", "public-ip", res{false, true}},
		{"DescribeInstances", "Instance-State-Name", res{false, true}},
		{"DescribeImages", "tag:env", res{true, true}},
		{"DescribeImages", "is-public", res{true, true}},
		{"DescribeTags", "tag:Owner", res{true, true}},
		{"DescribeTags", "resource-type", res{true, true}},
		{"DescribeInstanceStatus", "tag:Name", res{false, true}},
		{"DescribeInstanceStatus", "instance-status.reachability", res{true, true}},
		{"DescribeNetworkInsightsPaths", "filter-at-source.source-address", res{true, true}},
		{"DescribeFastSnapshotRestores", "snapshot-id", res{true, true}},
		{"DescribeTransitGateways", "tag-key", res{true, true}},
		{"DescribeCapacityReservations", "state", res{true, true}},
		{"DescribeCapacityReservations", "active", res{false, true}}, // a value, from a nested list
		{"DescribeIpams", "anything", res{false, false}},
		{"RunInstances", "anything", res{false, false}},
		{"NoSuchAction", "x", res{false, false}},
	}
	for _, tt := range tests {
		a, d := FilterAllowed(tt.action, tt.name)
		if diff := cmp.Diff(tt.want, res{a, d}); diff != "" {
			t.Errorf("FilterAllowed(%s, %s) (-want +got):\n%s", tt.action, tt.name, diff)
		}
	}
}

// TestEveryOperation is generated from the model: for every operation a
// minimal valid request passes, an unknown key is refused, and every typed
// leaf (integer, long, float, boolean, timestamp, enum) refuses a malformed
// value and accepts a valid one, wherever it sits in the request.
func TestEveryOperation(t *testing.T) {
	var typed, opsTyped int
	for _, action := range Operations() {
		o, _ := lookup(action)
		root := &shapes[o.input]
		base := url.Values{}
		fill(root, "", base)
		if err := Check(action, base); err != nil {
			t.Errorf("%s: minimal request %v: %v", action, base, err)
			continue
		}
		q := clone(base)
		q.Set("NoSuchParameterXyz", "1")
		if diff := cmp.Diff(&Error{Code: CodeUnknownParameter, Param: "NoSuchParameterXyz",
			Message: "The parameter NoSuchParameterXyz is not recognized"}, Check(action, q)); diff != "" {
			t.Errorf("%s: unknown key (-want +got):\n%s", action, diff)
		}
		n := 0
		for _, p := range Params(action) {
			bad, ok := malformed[p.Type]
			if !ok {
				continue
			}
			n++
			key := index1(p.Key)
			q := clone(base)
			fillPath(root, key, q)
			q.Set(key, bad)
			got := Check(action, q)
			if got == nil || got.Code != CodeInvalidParameterValue || got.Param != key {
				t.Errorf("%s: %s=%s: got %v, want InvalidParameterValue for %s", action, key, bad, got, key)
			}
			q.Set(key, sample(p))
			if err := Check(action, q); err != nil {
				t.Errorf("%s: %s=%s: %v (request %v)", action, key, sample(p), err, q)
			}
		}
		typed += n
		if n > 0 {
			opsTyped++
		}
	}
	t.Logf("%d typed leaves in %d operations checked", typed, opsTyped)
}

// index1 puts index 1 in place of each N segment of a Param key.
func index1(k string) string {
	segs := strings.Split(k, ".")
	for i, s := range segs {
		if s == "N" {
			segs[i] = "1"
		}
	}
	return strings.Join(segs, ".")
}

var malformed = map[string]string{
	"integer":   "1x",
	"long":      "x",
	"float":     "one",
	"boolean":   "yes",
	"timestamp": "yesterday",
	"enum":      "no-such-enum-value",
}

func sample(p Param) string {
	switch p.Type {
	case "integer", "long", "float":
		return "1"
	case "boolean":
		return "true"
	case "timestamp":
		return "2015-01-25T08:00:00Z"
	case "enum":
		return p.Enum[0]
	}
	return "x"
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// fill adds the keys that make the instance of sh at prefix valid and
// present: its required members, or one member when none is required.
func fill(sh *shape, prefix string, q url.Values) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch sh.kind {
	case kStruct:
		any := false
		for i := sh.lo; i < sh.hi; i++ {
			if m := &members[i]; m.req {
				fill(&shapes[m.shape], join(s(m.name)), q)
				any = true
			}
		}
		if !any && prefix != "" && sh.hi > sh.lo {
			m := &members[sh.lo]
			fill(&shapes[m.shape], join(s(m.name)), q)
		}
	case kList:
		fill(&shapes[sh.lo], prefix+".1", q)
	default:
		q.Set(prefix, sample(Param{Type: sh.kind.String(), Enum: enumValues(sh)}))
	}
}

// fillPath fills the required members of every structure instance on the
// way to key.
func fillPath(root *shape, key string, q url.Values) {
	sh := root
	segs := strings.Split(key, ".")
	for i, seg := range segs {
		switch sh.kind {
		case kStruct:
			if sh != root && sh.req {
				prefix := strings.Join(segs[:i], ".")
				for j := sh.lo; j < sh.hi; j++ {
					if m := &members[j]; m.req && s(m.name) != seg {
						if !hasPrefixKey(q, prefix+"."+s(m.name)) {
							fill(&shapes[m.shape], prefix+"."+s(m.name), q)
						}
					}
				}
			}
			sh = &shapes[findMember(sh, seg).shape]
		case kList:
			sh = &shapes[sh.lo]
		}
	}
}

func hasPrefixKey(q url.Values, p string) bool {
	for k := range q {
		if k == p || strings.HasPrefix(k, p+".") {
			return true
		}
	}
	return false
}

func enumValues(sh *shape) []string {
	var out []string
	for _, e := range enums[sh.lo:sh.hi] {
		out = append(out, s(e))
	}
	return out
}

// FuzzCheck: Check never panics, is deterministic whatever the map order,
// and names a key of the request for UnknownParameter and
// InvalidParameterValue. An action the model lacks is replaced by
// operation op, so the fuzzer explores real input shapes.
func FuzzCheck(f *testing.F) {
	f.Add("DescribeInstances", uint16(0), "InstanceId.1=i-1&Filter.1.Name=x&Filter.1.Value.1=y&MaxResults=5")
	f.Add("RunInstances", uint16(0), "MinCount=1&MaxCount=1&BlockDeviceMapping.1.Ebs.VolumeSize=x&Monitoring.Enabled=1")
	f.Add("CreateTags", uint16(0), "ResourceId.0=x&Tag..Key=&Tag.1.=")
	f.Add("DescribeSpotPriceHistory", uint16(0), "StartTime=2015-01-25T08:00:00.1%2B02:00")
	f.Add("", uint16(300), "LaunchTemplateData.InstanceRequirements.VCpuCount.Max=4&Zeta=1")
	all := Operations()
	f.Fuzz(func(t *testing.T, action string, op uint16, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		if !Has(action) {
			if op&1 == 0 {
				if e := Check(action, q); e == nil || e.Code != CodeInvalidAction {
					t.Fatalf("Check(%q) = %v, want InvalidAction", action, e)
				}
				return
			}
			action = all[int(op>>1)%len(all)]
		}
		e := Check(action, q)
		for range 3 {
			if diff := cmp.Diff(e, Check(action, q)); diff != "" {
				t.Fatalf("Check(%s, %q) not deterministic:\n%s", action, query, diff)
			}
		}
		if e == nil {
			return
		}
		if e.Code == "" || e.Message == "" {
			t.Fatalf("incomplete error %#v", e)
		}
		if _, ok := q[e.Param]; !ok && e.Code != CodeMissingParameter {
			t.Fatalf("%s names %q, not a key of %q", e.Code, e.Param, query)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	for _, bc := range []struct{ name, action, query string }{
		{"DescribeInstances", "DescribeInstances", "Filter.1.Name=instance-state-name&Filter.1.Value.1=running&MaxResults=100&DryRun=false"},
		{"DescribeInstancesEmpty", "DescribeInstances", ""},
		{"RunInstances", "RunInstances", "ImageId=ami-1&MinCount=1&MaxCount=2&KeyName=k&UserData=IyEK&InstanceType=t3.micro&SecurityGroupId.1=sg-1&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web&BlockDeviceMapping.1.DeviceName=/dev/xvda&BlockDeviceMapping.1.Ebs.VolumeSize=20&BlockDeviceMapping.1.Ebs.VolumeType=gp3&Monitoring.Enabled=false&ClientToken=c"},
		{"TerminateInstances100", "TerminateInstances", ids(100)},
	} {
		q, err := url.ParseQuery(bc.query)
		if err != nil {
			b.Fatal(err)
		}
		if err := Check(bc.action, q); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if Check(bc.action, q) != nil {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func ids(n int) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			sb.WriteByte('&')
		}
		sb.WriteString("InstanceId.")
		sb.WriteString(itoa(i))
		sb.WriteString("=i-0123456789abcdef0")
	}
	return sb.String()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// TestLargeRequest takes the path for more than 32 keys, where presence is
// looked up in a set of key prefixes rather than by scanning.
func TestLargeRequest(t *testing.T) {
	q := url.Values{"LaunchTemplateName": {"n"}}
	for i := 1; i <= 40; i++ {
		q.Set("LaunchTemplateData.ElasticGpuSpecification."+itoa(i)+".Type", "x")
	}
	if err := Check("CreateLaunchTemplate", q); err != nil {
		t.Fatal(err)
	}
	q.Set("LaunchTemplateData.ElasticInferenceAccelerator.7.Count", "1")
	want := &Error{Code: CodeMissingParameter, Param: "LaunchTemplateData.ElasticInferenceAccelerator.7.Type",
		Message: "The request must contain the parameter LaunchTemplateData.ElasticInferenceAccelerator.7.Type"}
	if diff := cmp.Diff(want, Check("CreateLaunchTemplate", q)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	q.Del("LaunchTemplateData.ElasticInferenceAccelerator.7.Count")
	q.Del("LaunchTemplateName")
	want = &Error{Code: CodeMissingParameter, Param: "LaunchTemplateName",
		Message: "The request must contain the parameter LaunchTemplateName"}
	if diff := cmp.Diff(want, Check("CreateLaunchTemplate", q)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
