package xmlproto_test

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// EncodeParams is Decode's inverse: what it writes decodes to the value it
// was given, and it writes only what is set.
func TestEncodeParamsRoundTrip(t *testing.T) {
	yes, no, zero, eight := true, false, 0, 8
	empty := ""
	in := xmlproto.LaunchTemplateData{
		ImageID: "ami-1", InstanceType: "t3.micro", EbsOptimized: &no, SecurityGroupIDs: []string{"sg-1", "sg-2"},
		BlockDeviceMappings: []xmlproto.LaunchTemplateBlockDeviceMapping{
			{DeviceName: "/dev/xvda", Ebs: &xmlproto.LaunchTemplateEbsDevice{VolumeSize: &eight, DeleteOnTermination: &yes}},
			{DeviceName: "/dev/sdb", NoDevice: &empty},
		},
		NetworkInterfaces: []xmlproto.LaunchTemplateNetworkInterface{{DeviceIndex: &zero, Groups: []string{"sg-3"}}},
		TagSpecifications: []xmlproto.LaunchTemplateTagSpecification{{ResourceType: "instance", Tags: []xmlproto.Tag{{Key: "k", Value: ""}}}},
		Monitoring:        &xmlproto.LaunchTemplateEnabled{Enabled: &yes},
	}
	p := url.Values{}
	xmlproto.EncodeParams(p, "LaunchTemplateData.", &in)
	want := url.Values{
		"LaunchTemplateData.ImageId": {"ami-1"}, "LaunchTemplateData.InstanceType": {"t3.micro"},
		"LaunchTemplateData.EbsOptimized":      {"false"},
		"LaunchTemplateData.SecurityGroupId.1": {"sg-1"}, "LaunchTemplateData.SecurityGroupId.2": {"sg-2"},
		"LaunchTemplateData.BlockDeviceMapping.1.DeviceName":              {"/dev/xvda"},
		"LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeSize":          {"8"},
		"LaunchTemplateData.BlockDeviceMapping.1.Ebs.DeleteOnTermination": {"true"},
		"LaunchTemplateData.BlockDeviceMapping.2.DeviceName":              {"/dev/sdb"},
		"LaunchTemplateData.BlockDeviceMapping.2.NoDevice":                {""},
		"LaunchTemplateData.NetworkInterface.1.DeviceIndex":               {"0"},
		"LaunchTemplateData.NetworkInterface.1.SecurityGroupId.1":         {"sg-3"},
		"LaunchTemplateData.TagSpecification.1.ResourceType":              {"instance"},
		"LaunchTemplateData.TagSpecification.1.Tag.1.Key":                 {"k"},
		"LaunchTemplateData.Monitoring.Enabled":                           {"true"},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("EncodeParams (-want +got):\n%s", diff)
	}
	var out struct {
		D xmlproto.LaunchTemplateData `ec2:"LaunchTemplateData"`
	}
	if err := xmlproto.Decode(p, &out); err != nil {
		t.Fatal(err)
	}
	// A tag's empty value is not written, and decodes as empty.
	if diff := cmp.Diff(in, out.D); diff != "" {
		t.Errorf("Decode(EncodeParams(v)) (-v +got):\n%s", diff)
	}
}
