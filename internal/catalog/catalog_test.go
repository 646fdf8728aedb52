package catalog_test

import (
	"slices"
	"testing"

	"github.com/ec2emu/ec2emu/internal/catalog"
	"github.com/ec2emu/ec2emu/internal/ec2model"
	"github.com/google/go-cmp/cmp"
)

func TestZones(t *testing.T) {
	for _, tt := range []struct {
		region string
		names  []string
		id0    string
	}{
		{"us-east-1", []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"}, "use1-az1"},
		{"us-west-1", []string{"us-west-1a", "us-west-1b"}, "usw1-az1"},
		{"ap-northeast-1", []string{"ap-northeast-1a", "ap-northeast-1b", "ap-northeast-1c"}, "apne1-az1"},
		{"eu-central-2", []string{"eu-central-2a", "eu-central-2b", "eu-central-2c"}, "euc2-az1"},
		{"xx-test-9", []string{"xx-test-9a", "xx-test-9b", "xx-test-9c"}, "xxt9-az1"}, // unknown: three
	} {
		if diff := cmp.Diff(tt.names, catalog.ZoneNames(tt.region)); diff != "" {
			t.Errorf("ZoneNames(%s) (-want +got)\n%s", tt.region, diff)
		}
		if got := catalog.ZoneID(tt.region, 0); got != tt.id0 {
			t.Errorf("ZoneID(%s, 0) = %s, want %s", tt.region, got, tt.id0)
		}
	}
}

// TestTypesInModel: every type of the catalogue is one the EC2 model knows,
// so RunInstances never offers what the model check would refuse.
func TestTypesInModel(t *testing.T) {
	i := slices.IndexFunc(ec2model.Params("RunInstances"), func(p ec2model.Param) bool { return p.Key == "InstanceType" })
	if i < 0 {
		t.Fatal("RunInstances has no InstanceType in the model")
	}
	enum := ec2model.Params("RunInstances")[i].Enum
	most := 0
	for _, it := range catalog.Types() {
		if !slices.Contains(enum, it.InstanceType) {
			t.Errorf("%s is not in the model's InstanceType enum", it.InstanceType)
		}
		got, ok := catalog.Lookup(it.InstanceType)
		if !ok || got.InstanceType != it.InstanceType || catalog.VCPUs(it.InstanceType) != it.VCPUInfo.DefaultVCPUs {
			t.Errorf("Lookup/VCPUs(%s) disagree with Types", it.InstanceType)
		}
		most = max(most, it.VCPUInfo.DefaultVCPUs)
	}
	if most != catalog.MaxVCPUs {
		t.Errorf("MaxVCPUs = %d, want %d", catalog.MaxVCPUs, most)
	}
	if _, ok := catalog.Lookup(catalog.DefaultInstanceType); !ok {
		t.Errorf("the default type %s is not in the catalogue", catalog.DefaultInstanceType)
	}
	if _, ok := catalog.Lookup("t9.huge"); ok || catalog.VCPUs("t9.huge") != 0 {
		t.Error("t9.huge found")
	}
}
