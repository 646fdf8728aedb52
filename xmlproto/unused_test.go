package xmlproto_test

import (
	"net/url"
	"testing"

	"github.com/ec2emu/ec2emu/xmlproto"
	"github.com/google/go-cmp/cmp"
)

func TestUnused(t *testing.T) {
	params := url.Values{
		"InstanceId.1": {"i-1"}, "Filter.1.Name": {"x"}, "Filter.1.Value.2": {"y"}, "MaxResults": {"5"},
		"IncludeManagedResources": {"true"}, // in the model, not read by the emulator
		"Filter.1.Bogus":          {"z"},
		"InstanceId":              {"bare"}, // a list needs an index
	}
	got := xmlproto.Unused(params, &xmlproto.DescribeInstancesRequest{})
	if diff := cmp.Diff([]string{"Filter.1.Bogus", "IncludeManagedResources", "InstanceId"}, got); diff != "" {
		t.Errorf("Unused (-want +got)\n%s", diff)
	}
	// A key read by any of several types is used.
	run := url.Values{"MinCount": {"1"}, "DisableApiStop": {"true"}, "Monitoring.Enabled": {"true"}}
	if got := xmlproto.Unused(run, &xmlproto.RunInstancesRequest{}, &xmlproto.RunInstancesAttributes{}); len(got) != 0 {
		t.Errorf("Unused over RunInstances and its attributes = %v, want none", got)
	}
}
