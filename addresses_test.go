package ec2emu_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// rawCall posts an EC2 Query form and returns the status, the error code
// and message (empty on success) and the body.
func rawCall(t *testing.T, endpoint string, form url.Values) (int, string, string, string) {
	t.Helper()
	form.Set("Version", "2016-11-15")
	resp, err := http.Post(endpoint, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Code    string `xml:"Errors>Error>Code"`
		Message string `xml:"Errors>Error>Message"`
	}
	xml.Unmarshal(body, &e)
	return resp.StatusCode, e.Code, e.Message, string(body)
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// eipEnv is a Server with a VPC (subnet, attached gateway), a running
// instance in it and one in the default VPC, and two Elastic IPs.
type eipEnv struct {
	srv                *ec2emutest.Server
	c                  *ec2.Client
	v                  *vpcEnv
	inst, defInst      string // in the VPC (no public IP at launch), in the default VPC (auto-assigned)
	alloc, alloc2      string
	ip, ip2            string
	noIGWInst, pending string
}

func newEIPEnv(t *testing.T, opts ...ec2emu.Option) *eipEnv {
	t.Helper()
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Millisecond)), opts...)
	c, ctx := srv.Client, ctxT(t)
	e := &eipEnv{srv: srv, c: c, v: newVPCEnv(t, c)}
	e.inst = aws.ToString(run(t, c, &ec2.RunInstancesInput{SubnetId: &e.v.subnet}).Instances[0].InstanceId)
	e.defInst = aws.ToString(run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId)
	e.noIGWInst = aws.ToString(run(t, c, &ec2.RunInstancesInput{SubnetId: &e.v.otherVPCSubnet}).Instances[0].InstanceId)
	testutil.WaitStates(t, c, time.Minute, "running", e.inst, e.defInst, e.noIGWInst)
	a := must(c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc,
		TagSpecifications: tagSpec(types.ResourceTypeElasticIp, "Name", "one")}))
	e.alloc, e.ip = aws.ToString(a.AllocationId), aws.ToString(a.PublicIp)
	a = must(c.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
	e.alloc2, e.ip2 = aws.ToString(a.AllocationId), aws.ToString(a.PublicIp)
	return e
}

func (e *eipEnv) instance(t *testing.T, id string) types.Instance {
	t.Helper()
	out := must(e.c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}}))
	return out.Reservations[0].Instances[0]
}

func (e *eipEnv) address(t *testing.T, alloc string) types.Address {
	t.Helper()
	out := must(e.c.DescribeAddresses(ctxT(t), &ec2.DescribeAddressesInput{AllocationIds: []string{alloc}}))
	return out.Addresses[0]
}

// publicView is what DescribeInstances shows of an instance's public
// address.
func publicView(i types.Instance) []string {
	out := []string{aws.ToString(i.PublicIpAddress), aws.ToString(i.PublicDnsName)}
	if len(i.NetworkInterfaces) > 0 && i.NetworkInterfaces[0].Association != nil {
		a := i.NetworkInterfaces[0].Association
		out = append(out, aws.ToString(a.PublicIp), aws.ToString(a.IpOwnerId))
	}
	return out
}

func dnsOf(ip string) string {
	return "ec2-" + strings.ReplaceAll(ip, ".", "-") + ".compute-1.amazonaws.com"
}

func TestElasticIPLifecycle(t *testing.T) {
	e := newEIPEnv(t)
	c, ctx := e.c, ctxT(t)
	if _, err := netip.ParseAddr(e.ip); err != nil || !ec2emu.DefaultPublicIPPool.Contains(netip.MustParseAddr(e.ip)) {
		t.Fatalf("allocated %q, want an address of the pool %s", e.ip, ec2emu.DefaultPublicIPPool)
	}
	if !strings.HasPrefix(e.alloc, "eipalloc-") {
		t.Fatalf("allocation ID %q", e.alloc)
	}
	acct := aws.ToString(e.instance(t, e.inst).NetworkInterfaces[0].OwnerId)
	priv := aws.ToString(e.instance(t, e.inst).PrivateIpAddress)
	eni := aws.ToString(e.instance(t, e.inst).NetworkInterfaces[0].NetworkInterfaceId)

	want := types.Address{PublicIp: &e.ip, AllocationId: &e.alloc, Domain: types.DomainTypeVpc,
		PublicIpv4Pool: aws.String("amazon"), NetworkBorderGroup: aws.String("us-east-1"),
		Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("one")}}}
	if diff := cmp.Diff(want, e.address(t, e.alloc), cmpAddress); diff != "" {
		t.Errorf("allocated (-want +got):\n%s", diff)
	}

	// The VPC instance was launched without a public address: the EIP
	// becomes its address, owned by the account.
	if diff := cmp.Diff([]string{"", ""}, publicView(e.instance(t, e.inst))); diff != "" {
		t.Errorf("before (-want +got):\n%s", diff)
	}
	as := must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc, InstanceId: &e.inst}))
	assoc := aws.ToString(as.AssociationId)
	if !strings.HasPrefix(assoc, "eipassoc-") {
		t.Fatalf("association ID %q", assoc)
	}
	if diff := cmp.Diff([]string{e.ip, dnsOf(e.ip), e.ip, acct}, publicView(e.instance(t, e.inst))); diff != "" {
		t.Errorf("associated (-want +got):\n%s", diff)
	}
	want.InstanceId, want.AssociationId, want.NetworkInterfaceId = &e.inst, &assoc, &eni
	want.NetworkInterfaceOwnerId, want.PrivateIpAddress = &acct, &priv
	if diff := cmp.Diff(want, e.address(t, e.alloc), cmpAddress); diff != "" {
		t.Errorf("associated address (-want +got):\n%s", diff)
	}

	// Stop and start: the EIP stays.
	must(c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{e.inst}}))
	testutil.WaitStates(t, c, time.Minute, "stopped", e.inst)
	if diff := cmp.Diff([]string{e.ip, dnsOf(e.ip), e.ip, acct}, publicView(e.instance(t, e.inst))); diff != "" {
		t.Errorf("stopped (-want +got):\n%s", diff)
	}
	must(c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{e.inst}}))
	testutil.WaitStates(t, c, time.Minute, "running", e.inst)
	if diff := cmp.Diff([]string{e.ip, dnsOf(e.ip), e.ip, acct}, publicView(e.instance(t, e.inst))); diff != "" {
		t.Errorf("started again (-want +got):\n%s", diff)
	}
	if got := aws.ToString(e.address(t, e.alloc).AssociationId); got != assoc {
		t.Errorf("association after stop/start: %q, want %q", got, assoc)
	}

	// Disassociate: an instance launched without a public address has none.
	must(c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: &assoc}))
	if diff := cmp.Diff([]string{"", ""}, publicView(e.instance(t, e.inst))); diff != "" {
		t.Errorf("disassociated (-want +got):\n%s", diff)
	}
	if a := e.address(t, e.alloc); a.AssociationId != nil || a.InstanceId != nil {
		t.Errorf("address still associated: %+v", a)
	}

	// The default VPC's instance had an auto-assigned address: it is
	// replaced, and after the disassociation it gets a new one.
	auto := aws.ToString(e.instance(t, e.defInst).PublicIpAddress)
	if auto == "" {
		t.Fatal("default VPC instance has no public address")
	}
	as2 := must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc2, InstanceId: &e.defInst}))
	if diff := cmp.Diff([]string{e.ip2, dnsOf(e.ip2), e.ip2, acct}, publicView(e.instance(t, e.defInst))); diff != "" {
		t.Errorf("replaced auto-assigned (-want +got):\n%s", diff)
	}
	// Reassociation moves the first EIP here, and the second is let go
	// (stays allocated).
	must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc, InstanceId: &e.defInst}))
	if diff := cmp.Diff([]string{e.ip, dnsOf(e.ip), e.ip, acct}, publicView(e.instance(t, e.defInst))); diff != "" {
		t.Errorf("second EIP (-want +got):\n%s", diff)
	}
	if a := e.address(t, e.alloc2); a.AssociationId != nil {
		t.Errorf("replaced EIP still associated: %v", aws.ToString(a.AssociationId))
	}
	_, err := c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: as2.AssociationId})
	wantAPIError(t, err, "InvalidAssociationID.NotFound", 400)
	cur := aws.ToString(e.address(t, e.alloc).AssociationId)
	must(c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: &cur}))
	got := publicView(e.instance(t, e.defInst))
	if got[0] == "" || got[0] == e.ip || got[0] == auto || got[3] != "amazon" {
		t.Errorf("after disassociation: %v, want a new auto-assigned address (not %s or %s) owned by amazon", got, e.ip, auto)
	}

	// Terminate disassociates.
	must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc, NetworkInterfaceId: &eni, PrivateIpAddress: &priv}))
	if got := aws.ToString(e.instance(t, e.inst).PublicIpAddress); got != e.ip {
		t.Errorf("associated by interface: public address %q, want %s", got, e.ip)
	}
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{e.inst}}))
	testutil.WaitStates(t, c, time.Minute, "terminated", e.inst)
	if a := e.address(t, e.alloc); a.AssociationId != nil || a.InstanceId != nil {
		t.Errorf("address still associated with a terminated instance: %+v", a)
	}

	// Release: gone, and its address is free for the next allocation.
	must(c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: &e.alloc}))
	_, err = c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{e.alloc}})
	wantAPIError(t, err, "InvalidAllocationID.NotFound", 400)
	back := must(c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Address: &e.ip}))
	if aws.ToString(back.PublicIp) != e.ip {
		t.Errorf("recovered %s, want %s", aws.ToString(back.PublicIp), e.ip)
	}
}

var cmpAddress = cmpopts.IgnoreUnexported(types.Address{}, types.Tag{})

// TestElasticIPErrors: each refused request answers EC2's code, status and
// message, and changes nothing.
func TestElasticIPErrors(t *testing.T) {
	e := newEIPEnv(t)
	c, ctx := e.c, ctxT(t)
	assoc := aws.ToString(must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc, InstanceId: &e.inst})).AssociationId)
	stopped := aws.ToString(run(t, c, &ec2.RunInstancesInput{SubnetId: &e.v.subnet}).Instances[0].InstanceId)
	testutil.WaitStates(t, c, time.Minute, "running", stopped)
	must(c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{stopped}}))
	testutil.WaitStates(t, c, time.Minute, "stopped", stopped)
	gone := aws.ToString(run(t, c, &ec2.RunInstancesInput{SubnetId: &e.v.subnet}).Instances[0].InstanceId)
	testutil.WaitStates(t, c, time.Minute, "running", gone)
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{gone}}))
	testutil.WaitStates(t, c, time.Minute, "terminated", gone)
	unknownAlloc, unknownInst := "eipalloc-0123456789abcdef0", "i-0123456789abcdef0"
	before := describeAll(t, c)
	addrsBefore := must(c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}))

	for _, tt := range []struct {
		name         string
		form         url.Values
		status       int
		code, msgHas string
	}{
		{"allocate standard", form("Action", "AllocateAddress", "Domain", "standard"), 400, "InvalidParameterValue", "Value (standard) for parameter domain is invalid"},
		{"allocate bad domain", form("Action", "AllocateAddress", "Domain", "classic"), 400, "InvalidParameterValue", "classic"},
		{"allocate BYOIP pool", form("Action", "AllocateAddress", "PublicIpv4Pool", "ipv4pool-ec2-0123456789abcdef0"), 400, "UnsupportedOperation", "BYOIP"},
		{"allocate customer-owned", form("Action", "AllocateAddress", "CustomerOwnedIpv4Pool", "ipv4pool-coip-1"), 400, "UnsupportedOperation", "Outposts"},
		{"allocate IPAM", form("Action", "AllocateAddress", "IpamPoolId", "ipam-pool-0123456789abcdef0"), 400, "UnsupportedOperation", "IPAM"},
		{"allocate border group", form("Action", "AllocateAddress", "NetworkBorderGroup", "us-west-2"), 400, "InvalidParameterValue", "NetworkBorderGroup"},
		{"allocate bad address", form("Action", "AllocateAddress", "Address", "1.2.3"), 400, "InvalidAddress.Malformed", "The address '1.2.3' is not a valid IPv4 address."},
		{"allocate address outside the pool", form("Action", "AllocateAddress", "Address", "203.0.113.7"), 400, "InvalidAddress.NotFound", "Address '203.0.113.7' not found: it is not in this emulator's public address pool 127.100.0.0/16."},
		{"allocate address in use", form("Action", "AllocateAddress", "Address", e.ip), 400, "InvalidAddress.NotFound", "Address '" + e.ip + "' not found: it is in use."},
		{"allocate bad tag type", form("Action", "AllocateAddress", "TagSpecification.1.ResourceType", "vpc", "TagSpecification.1.Tag.1.Key", "a"), 400, "InvalidParameterValue", "'vpc' is not a valid taggable resource type"},
		{"allocate dry run", form("Action", "AllocateAddress", "DryRun", "true"), 412, "DryRunOperation", "Request would have succeeded"},

		{"associate no target", form("Action", "AssociateAddress", "AllocationId", e.alloc2), 400, "MissingParameter", "instance ID or network interface ID"},
		{"associate both targets", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "InstanceId", e.inst, "NetworkInterfaceId", "eni-1"), 400, "InvalidParameterCombination", "not both"},
		{"associate no address", form("Action", "AssociateAddress", "InstanceId", e.defInst), 400, "MissingParameter", "Either public IP or allocation id must be specified"},
		{"associate by public IP", form("Action", "AssociateAddress", "PublicIp", e.ip2, "InstanceId", e.defInst), 400, "InvalidParameterValue", "You must specify an allocation id when mapping an address to a VPC instance"},
		{"associate someone's public IP", form("Action", "AssociateAddress", "PublicIp", "198.51.100.1", "InstanceId", e.defInst), 401, "AuthFailure", "The address '198.51.100.1' does not belong to you."},
		{"associate malformed allocation", form("Action", "AssociateAddress", "AllocationId", e.ip2, "InstanceId", e.defInst), 400, "InvalidAllocationID.NotFound", "The allocation ID '" + e.ip2 + "' does not exist"},
		{"associate unknown allocation", form("Action", "AssociateAddress", "AllocationId", unknownAlloc, "InstanceId", e.defInst), 400, "InvalidAllocationID.NotFound", "The allocation ID '" + unknownAlloc + "' does not exist"},
		{"associate unknown instance", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "InstanceId", unknownInst), 400, "InvalidInstanceID.NotFound", "The instance ID '" + unknownInst + "' does not exist"},
		{"associate malformed instance", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "InstanceId", "i-xyz"), 400, "InvalidInstanceID.Malformed", `Invalid id: "i-xyz"`},
		{"associate terminated", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "InstanceId", gone), 400, "IncorrectInstanceState", "is not in a valid state"},
		{"associate unknown interface", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "NetworkInterfaceId", "eni-0123456789abcdef0"), 400, "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID 'eni-0123456789abcdef0' does not exist"},
		{"associate malformed interface", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "NetworkInterfaceId", "nic-1"), 400, "InvalidNetworkInterfaceID.Malformed", `Invalid id: "nic-1"`},
		{"associate private IP without interface", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "InstanceId", e.defInst, "PrivateIpAddress", "10.0.0.9"), 400, "InvalidParameterCombination", "network interface ID"},
		{"associate wrong private IP", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "NetworkInterfaceId", aws.ToString(e.instance(t, e.defInst).NetworkInterfaces[0].NetworkInterfaceId), "PrivateIpAddress", "10.9.9.9"), 400, "InvalidParameterValue", "is not assigned to the network interface"},
		{"associate no gateway", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "InstanceId", e.noIGWInst), 400, "Gateway.NotAttached", "Network " + e.v.otherVPC + " is not attached to any internet gateway"},
		{"associate already associated", form("Action", "AssociateAddress", "AllocationId", e.alloc, "InstanceId", e.defInst, "AllowReassociation", "false"), 400, "Resource.AlreadyAssociated", "resource " + e.alloc + " is already associated with associate-id " + assoc},
		{"associate dry run", form("Action", "AssociateAddress", "AllocationId", e.alloc2, "InstanceId", e.defInst, "DryRun", "true"), 412, "DryRunOperation", "Request would have succeeded"},

		{"disassociate nothing", form("Action", "DisassociateAddress"), 400, "MissingParameter", "Either public IP or association id must be specified"},
		{"disassociate by public IP", form("Action", "DisassociateAddress", "PublicIp", e.ip), 400, "InvalidParameterValue", "You must specify an association id when unmapping an address from a VPC instance"},
		{"disassociate unknown", form("Action", "DisassociateAddress", "AssociationId", "eipassoc-0123456789abcdef0"), 400, "InvalidAssociationID.NotFound", "The association ID 'eipassoc-0123456789abcdef0' does not exist"},
		{"disassociate dry run", form("Action", "DisassociateAddress", "AssociationId", assoc, "DryRun", "true"), 412, "DryRunOperation", "Request would have succeeded"},

		{"release in use", form("Action", "ReleaseAddress", "AllocationId", e.alloc), 400, "InvalidIPAddress.InUse", "Address " + e.ip + " is in use."},
		{"release unknown", form("Action", "ReleaseAddress", "AllocationId", unknownAlloc), 400, "InvalidAllocationID.NotFound", "The allocation ID '" + unknownAlloc + "' does not exist"},
		{"release malformed", form("Action", "ReleaseAddress", "AllocationId", "x"), 400, "InvalidAllocationID.NotFound", "The allocation ID 'x' does not exist"},
		{"release nothing", form("Action", "ReleaseAddress"), 400, "MissingParameter", "Either public IP or allocation id must be specified"},
		{"release by public IP", form("Action", "ReleaseAddress", "PublicIp", e.ip2), 400, "InvalidParameterValue", "You must specify an allocation id when releasing a VPC elastic IP address"},
		{"release someone's", form("Action", "ReleaseAddress", "PublicIp", "198.51.100.1"), 401, "AuthFailure", "does not belong to you"},
		{"release border group", form("Action", "ReleaseAddress", "AllocationId", e.alloc2, "NetworkBorderGroup", "eu-west-1"), 400, "InvalidAddress.NotFound", "network border group 'eu-west-1'"},
		{"release malformed public IP", form("Action", "ReleaseAddress", "PublicIp", "1.2"), 400, "InvalidAddress.Malformed", "The address '1.2' is not a valid IPv4 address."},
		{"release dry run", form("Action", "ReleaseAddress", "AllocationId", e.alloc2, "DryRun", "true"), 412, "DryRunOperation", "Request would have succeeded"},

		{"describe malformed", form("Action", "DescribeAddresses", "AllocationId.1", "eip-1"), 400, "InvalidAllocationID.NotFound", "The allocation ID 'eip-1' does not exist"},
		{"describe unknown", form("Action", "DescribeAddresses", "AllocationId.1", e.alloc, "AllocationId.2", unknownAlloc), 400, "InvalidAllocationID.NotFound", "The allocation ID '" + unknownAlloc + "' does not exist"},
		{"describe unknown IP", form("Action", "DescribeAddresses", "PublicIp.1", "198.51.100.1"), 400, "InvalidAddress.NotFound", "Address '198.51.100.1' not found."},
		{"describe bad IP", form("Action", "DescribeAddresses", "PublicIp.1", "300.1.1.1"), 400, "InvalidAddress.Malformed", "The address '300.1.1.1' is not a valid IPv4 address."},
		{"describe bad filter", form("Action", "DescribeAddresses", "Filter.1.Name", "state", "Filter.1.Value.1", "x"), 400, "InvalidParameterValue", "state"},
		{"describe paging", form("Action", "DescribeAddresses", "MaxResults", "5"), 400, "UnknownParameter", "MaxResults"},
		{"describe dry run", form("Action", "DescribeAddresses", "DryRun", "true"), 412, "DryRunOperation", "Request would have succeeded"},
		{"attribute unknown", form("Action", "DescribeAddressesAttribute", "Attribute", "domain-name", "AllocationId.1", unknownAlloc), 400, "InvalidAllocationID.NotFound", unknownAlloc},
		{"attribute bad name", form("Action", "DescribeAddressesAttribute", "Attribute", "ptr"), 400, "InvalidParameterValue", "ptr"},
		{"attribute none", form("Action", "DescribeAddressesAttribute"), 400, "MissingParameter", "Attribute"},
		{"attribute max", form("Action", "DescribeAddressesAttribute", "Attribute", "domain-name", "MaxResults", "1001"), 400, "InvalidParameterValue", "1001"},
		{"tag unknown", form("Action", "CreateTags", "ResourceId.1", unknownAlloc, "Tag.1.Key", "k", "Tag.1.Value", "v"), 400, "InvalidAllocationID.NotFound", unknownAlloc},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, code, msg, body := rawCall(t, e.srv.URL, tt.form)
			if diff := cmp.Diff([]any{tt.status, tt.code, true}, []any{status, code, strings.Contains(msg, tt.msgHas)}); diff != "" {
				t.Errorf("(-want +got) [status code message-has %q]:\n%s\n%s", tt.msgHas, diff, body)
			}
		})
	}
	if diff := cmp.Diff(before, describeAll(t, c)); diff != "" {
		t.Errorf("refused requests changed state (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(addrsBefore.Addresses, must(c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})).Addresses, cmpAddress); diff != "" {
		t.Errorf("refused requests changed addresses (-before +after):\n%s", diff)
	}

	// A stopped instance takes an address (a VPC instance may be stopped).
	must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc2, InstanceId: &stopped}))
	if got := aws.ToString(e.instance(t, stopped).PublicIpAddress); got != e.ip2 {
		t.Errorf("stopped instance's public address %q, want %s", got, e.ip2)
	}
	// In the default VPC, releasing an associated address disassociates it.
	must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc2, InstanceId: &e.defInst, AllowReassociation: aws.Bool(true)}))
	if got := aws.ToString(e.instance(t, stopped).PublicIpAddress); got != "" {
		t.Errorf("reassociated away: old instance still shows %q", got)
	}
	must(c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: &e.alloc2, NetworkBorderGroup: aws.String("us-east-1")}))
	if got := aws.ToString(e.instance(t, e.defInst).PublicIpAddress); got == "" || got == e.ip2 {
		t.Errorf("after releasing its EIP the default VPC instance shows %q, want a new auto-assigned address", got)
	}

	// Reassociation is automatic in a VPC: without AllowReassociation the
	// address moves, and the instance it leaves has no public address
	// (launched without one).
	must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc, InstanceId: &e.defInst}))
	got := []string{aws.ToString(e.instance(t, e.inst).PublicIpAddress), aws.ToString(e.instance(t, e.defInst).PublicIpAddress)}
	if diff := cmp.Diff([]string{"", e.ip}, got); diff != "" {
		t.Errorf("moved without AllowReassociation [old new] (-want +got):\n%s", diff)
	}
	// Associating again with the same instance is no error, even with
	// AllowReassociation=false: the API reference calls it idempotent.
	again := must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc, InstanceId: &e.defInst, AllowReassociation: aws.Bool(false)}))
	if got := []string{aws.ToString(e.address(t, e.alloc).AssociationId), aws.ToString(e.instance(t, e.defInst).PublicIpAddress)}; got[0] != aws.ToString(again.AssociationId) || got[1] != e.ip {
		t.Errorf("associated again: [association public-ip] = %v, want [%s %s]", got, aws.ToString(again.AssociationId), e.ip)
	}
}

func TestElasticIPLimitAndPoolOff(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New())
	c, ctx := srv.Client, ctxT(t)
	for range 5 {
		must(c.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
	}
	_, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{})
	wantAPIError(t, err, "AddressLimitExceeded", 400)
	attrs := must(c.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{AttributeNames: []types.AccountAttributeName{"vpc-max-elastic-ips"}}))
	if got := aws.ToString(attrs.AccountAttributes[0].AttributeValues[0].AttributeValue); got != "5" {
		t.Errorf("vpc-max-elastic-ips %s, want the limit enforced (5)", got)
	}
	// Another region has its own quota.
	west := ec2emutest.Client(srv.URL, "eu-west-1")
	a := must(west.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
	if aws.ToString(a.NetworkBorderGroup) != "eu-west-1" {
		t.Errorf("network border group %q", aws.ToString(a.NetworkBorderGroup))
	}

	off := ec2emutest.NewServer(t, mock.New(), ec2emu.WithPublicIPPool(netip.Prefix{}))
	_, err = off.Client.AllocateAddress(ctx, &ec2.AllocateAddressInput{})
	wantAPIError(t, err, "UnsupportedOperation", 400)

	small := ec2emutest.NewServer(t, mock.New(), ec2emu.WithPublicIPPool(netip.MustParsePrefix("127.254.77.0/31")))
	must(small.Client.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
	must(small.Client.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
	_, err = small.Client.AllocateAddress(ctx, &ec2.AllocateAddressInput{})
	wantAPIError(t, err, "InsufficientAddressCapacity", 500)
}

func TestElasticIPFiltersAndTags(t *testing.T) {
	e := newEIPEnv(t)
	c, ctx := e.c, ctxT(t)
	assoc := aws.ToString(must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.alloc, InstanceId: &e.inst})).AssociationId)
	inst := e.instance(t, e.inst)
	eni, priv, acct := aws.ToString(inst.NetworkInterfaces[0].NetworkInterfaceId), aws.ToString(inst.PrivateIpAddress), aws.ToString(inst.NetworkInterfaces[0].OwnerId)
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{e.alloc2}, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))
	for _, tt := range []struct {
		filter, value string
		want          []string
	}{
		{"allocation-id", e.alloc2, []string{e.alloc2}},
		{"association-id", assoc, []string{e.alloc}},
		{"domain", "vpc", []string{e.alloc, e.alloc2}},
		{"domain", "standard", nil},
		{"instance-id", e.inst, []string{e.alloc}},
		{"network-border-group", "us-east-1", []string{e.alloc, e.alloc2}},
		{"network-interface-id", eni, []string{e.alloc}},
		{"network-interface-owner-id", acct, []string{e.alloc}},
		{"private-ip-address", priv, []string{e.alloc}},
		{"public-ip", e.ip2, []string{e.alloc2}},
		{"public-ip", "127.*", []string{e.alloc, e.alloc2}},
		{"tag:Name", "one", []string{e.alloc}},
		{"tag:env", "prod", []string{e.alloc2}},
		{"tag-key", "env", []string{e.alloc2}},
	} {
		t.Run(tt.filter+"="+tt.value, func(t *testing.T) {
			out := must(c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{filter(tt.filter, tt.value)}}))
			var got []string
			for _, a := range out.Addresses {
				got = append(got, aws.ToString(a.AllocationId))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// By public IP and allocation ID together: either names an address.
	out := must(c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{PublicIps: []string{e.ip2}, AllocationIds: []string{e.alloc}}))
	if len(out.Addresses) != 2 {
		t.Errorf("by IP and ID: %d addresses, want 2", len(out.Addresses))
	}
	// DescribeInstances shows and filters the association.
	for _, f := range []types.Filter{filter("network-interface.association.allocation-id", e.alloc),
		filter("network-interface.association.association-id", assoc), filter("network-interface.association.ip-owner-id", acct),
		filter("ip-address", e.ip)} {
		r := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{f}}))
		if len(r.Reservations) != 1 || aws.ToString(r.Reservations[0].Instances[0].InstanceId) != e.inst {
			t.Errorf("DescribeInstances %s=%s: %d reservations, want the associated instance", aws.ToString(f.Name), f.Values[0], len(r.Reservations))
		}
	}
	// Tags: DescribeTags shows them as elastic-ip; DeleteTags removes them.
	tags := must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{filter("resource-type", "elastic-ip")}}))
	var got []string
	for _, d := range tags.Tags {
		got = append(got, aws.ToString(d.ResourceId)+" "+aws.ToString(d.Key)+"="+aws.ToString(d.Value))
	}
	want := []string{e.alloc + " Name=one", e.alloc2 + " env=prod"}
	if e.alloc > e.alloc2 {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeTags (-want +got):\n%s", diff)
	}
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{e.alloc2}}))
	if tg := e.address(t, e.alloc2).Tags; len(tg) != 0 {
		t.Errorf("tags after DeleteTags: %v", tg)
	}

	// DescribeAddressesAttribute pages.
	p1 := must(c.DescribeAddressesAttribute(ctx, &ec2.DescribeAddressesAttributeInput{Attribute: types.AddressAttributeNameDomainName, MaxResults: aws.Int32(1)}))
	if len(p1.Addresses) != 1 || p1.NextToken == nil {
		t.Fatalf("first page: %d addresses, token %v", len(p1.Addresses), p1.NextToken)
	}
	p2 := must(c.DescribeAddressesAttribute(ctx, &ec2.DescribeAddressesAttributeInput{Attribute: types.AddressAttributeNameDomainName, MaxResults: aws.Int32(1), NextToken: p1.NextToken}))
	if len(p2.Addresses) != 1 || p2.NextToken != nil {
		t.Fatalf("second page: %d addresses, token %v", len(p2.Addresses), p2.NextToken)
	}
	gotPages := []string{aws.ToString(p1.Addresses[0].AllocationId), aws.ToString(p2.Addresses[0].PublicIp), aws.ToString(p2.Addresses[0].PtrRecord)}
	if diff := cmp.Diff([]string{e.alloc, e.ip2, ""}, gotPages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	one := must(c.DescribeAddressesAttribute(ctx, &ec2.DescribeAddressesAttributeInput{Attribute: types.AddressAttributeNameDomainName, AllocationIds: []string{e.alloc2}}))
	if len(one.Addresses) != 1 || aws.ToString(one.Addresses[0].AllocationId) != e.alloc2 {
		t.Errorf("by ID: %+v", one.Addresses)
	}
}

// listening reports whether something accepts TCP connections at addr.
func listening(addr string) bool {
	c, err := net.DialTimeout("tcp4", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// TestForwardedPortFollowsElasticIP: the listener of an allowed port moves
// from the auto-assigned address to the Elastic IP on association, and to
// the new auto-assigned address on disassociation (the mock's private
// addresses are not routable, so this checks the listeners; the AWS CLI
// test in examples/ec2emu carries traffic over docker).
func TestForwardedPortFollowsElasticIP(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New())
	c, ctx := srv.Client, ctxT(t)
	id := aws.ToString(run(t, c, &ec2.RunInstancesInput{}).Instances[0].InstanceId)
	inst := waitInstance(t, c, id, types.InstanceStateNameRunning)
	must(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: inst.SecurityGroups[0].GroupId, IpPermissions: []types.IpPermission{tcp(8080, 8080, "0.0.0.0/0")}}))
	auto := aws.ToString(inst.PublicIpAddress)
	at := func(ip string) string { return net.JoinHostPort(ip, "8080") }
	testutil.WaitFor(t, 5*time.Second, "port 8080 on the auto-assigned address", func() (bool, string) {
		return listening(at(auto)), auto
	})
	a := must(c.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
	eip := aws.ToString(a.PublicIp)
	if listening(at(eip)) {
		t.Fatalf("%s listens before the association", at(eip))
	}
	start := time.Now()
	as := must(c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: a.AllocationId, InstanceId: &id}))
	testutil.WaitFor(t, 5*time.Second, "port 8080 to move to the Elastic IP", func() (bool, string) {
		return listening(at(eip)) && !listening(at(auto)), fmt.Sprintf("eip %v auto %v", listening(at(eip)), listening(at(auto)))
	})
	t.Logf("association → listener on the Elastic IP: %v", time.Since(start))
	must(c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: as.AssociationId}))
	next := aws.ToString(waitInstance(t, c, id, types.InstanceStateNameRunning).PublicIpAddress)
	if next == "" || next == eip || next == auto {
		t.Fatalf("public address after disassociation %q (auto was %s, EIP %s)", next, auto, eip)
	}
	testutil.WaitFor(t, 5*time.Second, "port 8080 to move to the new address", func() (bool, string) {
		return listening(at(next)) && !listening(at(eip)), fmt.Sprintf("new %v eip %v", listening(at(next)), listening(at(eip)))
	})
}
