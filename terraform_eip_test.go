package ec2emu_test

// The Terraform replay of an Elastic IP on an instance in a VPC of its own:
// the module of terraform_vpc_test.go, plus
//
//	resource "aws_instance" "web" {
//	  ami = "ami-df5de72bdb3b", instance_type = "t3.micro"
//	  subnet_id = aws_subnet.public.id, vpc_security_group_ids = [aws_security_group.ssh.id]
//	}
//	resource "aws_eip" "web" {
//	  domain   = "vpc"
//	  instance = aws_instance.web.id
//	  tags     = { Name = "tf-eip" }
//	  depends_on = [aws_internet_gateway.gw]
//	}
//
// aws_eip's calls (internal/service/ec2/ec2_eip.go: resourceEIPCreate,
// resourceEIPRead, resourceEIPDelete, associateEIP, disassociateEIP and
// findEIPByAllocationID, findEIPByAssociationID,
// findEIPDomainNameAttributeByAllocationID):
//
//	create  AllocateAddress Domain=vpc, TagSpecification elastic-ip;
//	        DescribeAddresses AllocationId.1 until found (RetryWhenNotFound);
//	        AssociateAddress AllocationId, InstanceId (retried on
//	        InvalidAllocationID.NotFound); DescribeAddresses
//	        association-id=… until found; Read.
//	read    DescribeAddresses AllocationId.1 (InvalidAllocationID.NotFound:
//	        gone); DescribeAddressesAttribute AllocationId.1
//	        Attribute=domain-name (NotFound or InvalidAction tolerated).
//	delete  DisassociateAddress AssociationId (InvalidAssociationID.NotFound
//	        tolerated); ReleaseAddress AllocationId, NetworkBorderGroup.
//
// aws_instance's calls are terraform_test.go's tfReplay.

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

const tfEIP = "aws_eip.web"

// findEIP is findEIPByAllocationID: nil when the address is gone.
func (r *tfNet) findEIP(id string) *types.Address {
	r.t.Helper()
	out, err := r.c.DescribeAddresses(ctxT(r.t), &ec2.DescribeAddressesInput{AllocationIds: []string{id}})
	if apiCode(err) == "InvalidAllocationID.NotFound" {
		return nil
	}
	if err != nil {
		r.t.Fatalf("findEIPByAllocationID: %v", err)
	}
	if len(out.Addresses) != 1 {
		r.t.Fatalf("findEIPByAllocationID: %d addresses", len(out.Addresses))
	}
	return &out.Addresses[0]
}

func (r *tfNet) createEIP(instanceID string) {
	r.t.Helper()
	ctx := ctxT(r.t)
	out, err := r.c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc,
		TagSpecifications: tagSpec(types.ResourceTypeElasticIp, "Name", "tf-eip")})
	if err != nil {
		r.t.Fatalf("AllocateAddress: %v", err)
	}
	id := aws.ToString(out.AllocationId)
	if !strings.HasPrefix(id, "eipalloc-") {
		r.t.Fatalf("allocation ID %q: the provider requires eipalloc-", id)
	}
	r.state[tfEIP] = map[string]string{"id": id}
	r.until("RetryWhenNotFound", func() (bool, error) { return r.findEIP(id) != nil, nil })
	as, err := r.c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &id, InstanceId: &instanceID})
	if err != nil {
		r.t.Fatalf("AssociateAddress: %v", err)
	}
	r.until("findEIPByAssociationID", func() (bool, error) {
		got, err := r.c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{filter("association-id", aws.ToString(as.AssociationId))}})
		return err == nil && len(got.Addresses) == 1, err
	})
	r.readEIP()
}

func (r *tfNet) readEIP() {
	r.t.Helper()
	id := r.state[tfEIP]["id"]
	a := r.findEIP(id)
	if a == nil {
		delete(r.state, tfEIP)
		return
	}
	ptr := ""
	attr, err := r.c.DescribeAddressesAttribute(ctxT(r.t), &ec2.DescribeAddressesAttributeInput{AllocationIds: []string{id},
		Attribute: types.AddressAttributeNameDomainName})
	switch {
	case err == nil && len(attr.Addresses) == 1:
		ptr = aws.ToString(attr.Addresses[0].PtrRecord)
	case err == nil && len(attr.Addresses) == 0, apiCode(err) == "InvalidAllocationID.NotFound":
	default:
		r.t.Fatalf("findEIPDomainNameAttributeByAllocationID: %v (%d)", err, len(attr.Addresses))
	}
	r.state[tfEIP] = map[string]string{
		"id": id, "allocation_id": aws.ToString(a.AllocationId), "association_id": aws.ToString(a.AssociationId),
		"domain": string(a.Domain), "instance": aws.ToString(a.InstanceId), "network_border_group": aws.ToString(a.NetworkBorderGroup),
		"network_interface": aws.ToString(a.NetworkInterfaceId), "network_interface_owner": aws.ToString(a.NetworkInterfaceOwnerId),
		"private_ip": aws.ToString(a.PrivateIpAddress), "public_ip": aws.ToString(a.PublicIp),
		"public_ipv4_pool": aws.ToString(a.PublicIpv4Pool), "ptr_record": ptr, "tags.Name": testutil.TagMap(a.Tags)["Name"],
	}
}

func (r *tfNet) deleteEIP() {
	r.t.Helper()
	ctx, s := ctxT(r.t), r.state[tfEIP]
	if assoc := s["association_id"]; assoc != "" {
		if _, err := r.c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: &assoc}); err != nil &&
			apiCode(err) != "InvalidAssociationID.NotFound" {
			r.t.Fatalf("DisassociateAddress: %v", err)
		}
	}
	in := &ec2.ReleaseAddressInput{AllocationId: aws.String(s["id"])}
	if v := s["network_border_group"]; v != "" {
		in.NetworkBorderGroup = &v
	}
	if _, err := r.c.ReleaseAddress(ctx, in); err != nil && apiCode(err) != "InvalidAllocationID.NotFound" {
		r.t.Fatalf("ReleaseAddress: %v", err)
	}
	delete(r.state, tfEIP)
}

func TestTerraformEIPReplay(t *testing.T) {
	replayEIP(t, mock.New(mock.WithDelay(5*time.Millisecond)), ubuntuAMI, nil)
}

// TestTerraformEIPReplayDocker makes the same calls with real containers:
// the instance's container is on its VPC's network at the private_ip
// Terraform keeps.
func TestTerraformEIPReplayDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs Docker")
	}
	t.Parallel()
	b, cli, ami := dockerBackend(t)
	vpc := testutil.VPCRange()
	subnet := netip.PrefixFrom(vpc.Addr(), 25)
	replayEIP(t, b, ami, &tfNet{vpcCIDR: vpc.String(), subnetCIDR: subnet.String()}, func(t *testing.T, inst types.Instance) {
		info, err := cli.ContainerInspect(ctxT(t), "localstack-ec2."+aws.ToString(inst.InstanceId))
		if err != nil {
			t.Fatal(err)
		}
		ep := info.NetworkSettings.Networks["ec2emu-vpc."+info.Config.Labels[docker.LabelNamespace]+"."+aws.ToString(inst.VpcId)]
		ip := aws.ToString(inst.PrivateIpAddress)
		if ep == nil || ep.IPAddress != ip || !subnet.Contains(netip.MustParseAddr(ip)) {
			t.Errorf("private_ip %s (subnet %s); the container's endpoint on its VPC's network: %+v", ip, subnet, ep)
		}
	})
}

// replayEIP replays the VPC, an aws_instance in its subnet and an aws_eip
// on it over b; net, when given, sets the ranges, and check looks at the
// created instance.
func replayEIP(t *testing.T, b backend.Backend, ami string, net *tfNet, check ...func(*testing.T, types.Instance)) {
	srv := ec2emu.New(b)
	log := &actionLog{}
	hs := httptest.NewServer(log.wrap(srv))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	c := ec2emutest.Client(hs.URL, "us-east-1")
	// Checks beyond the provider's own calls go around the log.
	direct := httptest.NewServer(srv)
	t.Cleanup(direct.Close)
	dc := ec2emutest.Client(direct.URL, "us-east-1")
	r := &tfNet{t: t, c: c, state: map[string]map[string]string{}}
	if net != nil {
		r.vpcCIDR, r.subnetCIDR = net.vpcCIDR, net.subnetCIDR
	}
	r.createVPC()
	r.createSubnet()
	r.createIGW()
	r.createRouteTable()
	r.createAssociation()
	r.createSG()
	log.sequence() // the network's calls are TestTerraformVPCReplay's
	inst := &tfReplay{t: t, c: c, cfg: tfConfig{AMI: ami, InstanceType: "t3.micro", UserData: "#!/bin/sh\n",
		VPCSecurityGroupIDs: []string{r.sgID()}, SubnetID: r.subnetID()}}
	instRead := []string{"DescribeInstances", "DescribeInstanceTypes", "DescribeTags", "DescribeVpcs", "DescribeInstanceAttribute",
		"DescribeVolumes", "DescribeInstanceAttribute", "DescribeInstanceAttribute", "DescribeInstanceAttribute",
		"DescribeInstanceCreditSpecifications"}
	eipRead := []string{"DescribeAddresses", "DescribeAddressesAttribute"}
	publicIP := func() string {
		out := must(dc.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{inst.id}}))
		i := out.Reservations[0].Instances[0]
		owner := ""
		if n := i.NetworkInterfaces; len(n) > 0 && n[0].Association != nil {
			owner = aws.ToString(n[0].Association.IpOwnerId)
		}
		return aws.ToString(i.PublicIpAddress) + " " + owner
	}
	var created map[string]string
	t.Run("create", func(t *testing.T) {
		r.t, inst.t = t, t
		inst.create()
		auto := publicIP()
		r.createEIP(inst.id)
		want := append(append([]string{"RunInstances"}, instRead...),
			"AllocateAddress", "DescribeAddresses", "AssociateAddress", "DescribeAddresses", "DescribeAddresses", "DescribeAddressesAttribute")
		if diff := cmp.Diff(want, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
		s := r.state[tfEIP]
		described := must(dc.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{inst.id}})).Reservations[0].Instances[0]
		eni, priv := aws.ToString(described.NetworkInterfaces[0].NetworkInterfaceId), aws.ToString(described.PrivateIpAddress)
		want2 := map[string]string{"id": s["id"], "allocation_id": s["id"], "association_id": s["association_id"], "domain": "vpc",
			"instance": inst.id, "network_border_group": "us-east-1", "network_interface": eni, "network_interface_owner": "000000000000",
			"private_ip": priv, "public_ip": s["public_ip"], "public_ipv4_pool": "amazon", "ptr_record": "", "tags.Name": "tf-eip"}
		if diff := cmp.Diff(want2, s); diff != "" {
			t.Errorf("aws_eip state (-want +got):\n%s", diff)
		}
		if !strings.HasPrefix(s["association_id"], "eipassoc-") || s["public_ip"] == "" {
			t.Errorf("association %q, public_ip %q", s["association_id"], s["public_ip"])
		}
		// aws_instance's public_ip, read after the association, is the EIP.
		if got := publicIP(); got != s["public_ip"]+" 000000000000" || got == auto {
			t.Errorf("instance public address and owner %q, want the EIP %s owned by the account (was %q)", got, s["public_ip"], auto)
		}
		for _, f := range check {
			f(t, described)
		}
		created = s
	})
	if created == nil {
		t.Fatal("create failed")
	}
	t.Run("refresh", func(t *testing.T) {
		r.t, inst.t = t, t
		before := inst.state
		inst.read()
		r.state[tfEIP] = map[string]string{"id": created["id"]}
		r.readEIP()
		if diff := cmp.Diff(created, r.state[tfEIP]); diff != "" {
			t.Errorf("refresh changed aws_eip: a plan would show a diff (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(before, inst.state); diff != "" {
			t.Errorf("refresh changed aws_instance (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(append(append([]string{}, instRead...), eipRead...), log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("destroy", func(t *testing.T) {
		r.t, inst.t = t, t
		r.deleteEIP()
		// The subnet maps public IPs on launch: the instance gets a new one.
		if ip, owner, _ := strings.Cut(publicIP(), " "); ip == "" || ip == created["public_ip"] || owner != "amazon" {
			t.Errorf("after the EIP's release the instance shows %q %q, want a new address owned by amazon", ip, owner)
		}
		inst.destroy()
		want := []string{"DisassociateAddress", "ReleaseAddress", "ModifyInstanceAttribute", "TerminateInstances", "DescribeInstances"}
		if diff := cmp.Diff(want, log.sequence()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
		// The next refresh finds the address gone.
		r.state[tfEIP] = map[string]string{"id": created["id"]}
		r.readEIP()
		if _, ok := r.state[tfEIP]; ok {
			t.Errorf("aws_eip still in state after destroy: %v", r.state[tfEIP])
		}
		// The network goes as TestTerraformVPCReplay takes it down: the
		// gateway detaches now that no address is mapped in the VPC.
		r.deleteAssociation()
		r.deleteSG()
		r.deleteRouteTable()
		r.deleteVPC(func() {
			r.deleteSubnet()
			r.deleteIGW()
		})
		if len(r.state) != 0 {
			t.Errorf("state after destroy: %v", r.state)
		}
	})
}
