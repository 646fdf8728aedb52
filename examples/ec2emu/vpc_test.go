package main

import (
	"testing"
)

// TestAWSCLIVPC builds, with the AWS CLI (botocore: its serializer, its
// parser and its waiters), what a public subnet needs, launches an
// instance into it, and takes it all down, in the wrong order first.
func TestAWSCLIVPC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the AWS CLI")
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	aws := awsCLI(t, endpoint)

	vpc := pathStr(t, aws("create-vpc", "--cidr-block", "10.20.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=cli}]"), "Vpc", "VpcId")
	aws("wait", "vpc-available", "--vpc-ids", vpc)
	aws("modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames", `{"Value":true}`)
	if got := path(t, aws("describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsHostnames"), "EnableDnsHostnames", "Value"); got != true {
		t.Errorf("enableDnsHostnames %v, want true", got)
	}
	subnet := pathStr(t, aws("create-subnet", "--vpc-id", vpc, "--cidr-block", "10.20.1.0/24", "--availability-zone", "eu-west-1b"), "Subnet", "SubnetId")
	aws("wait", "subnet-available", "--subnet-ids", subnet)
	aws("modify-subnet-attribute", "--subnet-id", subnet, "--map-public-ip-on-launch")
	awsCLIFails(t, endpoint, "InvalidSubnet.Conflict", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.20.1.0/25")
	awsCLIFails(t, endpoint, "InvalidVpc.Range", "create-vpc", "--cidr-block", "10.0.0.0/8")

	igw := pathStr(t, aws("create-internet-gateway"), "InternetGateway", "InternetGatewayId")
	aws("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	awsCLIFails(t, endpoint, "Resource.AlreadyAssociated", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	rt := pathStr(t, aws("create-route-table", "--vpc-id", vpc), "RouteTable", "RouteTableId")
	if got := path(t, aws("create-route", "--route-table-id", rt, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", igw), "Return"); got != true {
		t.Errorf("create-route Return %v", got)
	}
	assoc := pathStr(t, aws("associate-route-table", "--route-table-id", rt, "--subnet-id", subnet), "AssociationId")
	main := aws("describe-route-tables", "--filters", "Name=vpc-id,Values="+vpc, "Name=association.main,Values=true")
	if n := len(path(t, main, "RouteTables").([]any)); n != 1 {
		t.Errorf("%d main route tables, want 1", n)
	}
	sg := pathStr(t, aws("create-security-group", "--group-name", "ssh", "--description", "ssh", "--vpc-id", vpc), "GroupId")
	aws("authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")

	run := aws("run-instances", "--image-id", "ami-df5de72bdb3b", "--count", "1", "--subnet-id", subnet, "--security-group-ids", sg)
	id := pathStr(t, run, "Instances", 0, "InstanceId")
	cliUntil(t, aws, "running", id)
	aws("wait", "instance-running", "--instance-ids", id)
	inst := path(t, aws("describe-instances", "--instance-ids", id), "Reservations", 0, "Instances", 0)
	if got := []string{pathStr(t, inst, "VpcId"), pathStr(t, inst, "SubnetId"), pathStr(t, inst, "Placement", "AvailabilityZone")}; got[0] != vpc || got[1] != subnet || got[2] != "eu-west-1b" {
		t.Errorf("instance [vpc subnet zone] = %v, want [%s %s eu-west-1b]", got, vpc, subnet)
	}
	if pathStr(t, inst, "PublicIpAddress") == "" {
		t.Error("no public address in a subnet that maps them on launch")
	}
	if got := path(t, aws("describe-subnets", "--subnet-ids", subnet), "Subnets", 0, "AvailableIpAddressCount"); got != 250.0 {
		t.Errorf("availableIpAddressCount %v, want 250", got)
	}
	attrs := aws("describe-account-attributes", "--attribute-names", "supported-platforms")
	if got := pathStr(t, attrs, "AccountAttributes", 0, "AttributeValues", 0, "AttributeValue"); got != "VPC" {
		t.Errorf("supported-platforms %q, want VPC", got)
	}

	// The wrong order first.
	awsCLIFails(t, endpoint, "DependencyViolation", "delete-vpc", "--vpc-id", vpc)
	awsCLIFails(t, endpoint, "DependencyViolation", "delete-subnet", "--subnet-id", subnet)
	awsCLIFails(t, endpoint, "DependencyViolation", "detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	aws("terminate-instances", "--instance-ids", id)
	cliUntil(t, aws, "terminated", id)
	aws("disassociate-route-table", "--association-id", assoc)
	aws("delete-route-table", "--route-table-id", rt)
	aws("detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	awsCLIFails(t, endpoint, "Gateway.NotAttached", "detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	aws("delete-internet-gateway", "--internet-gateway-id", igw)
	aws("delete-security-group", "--group-id", sg)
	aws("delete-subnet", "--subnet-id", subnet)
	aws("delete-vpc", "--vpc-id", vpc)
	awsCLIFails(t, endpoint, "InvalidVpcID.NotFound", "describe-vpcs", "--vpc-ids", vpc)
}

// TestBoto3VPC drives the VPC actions through boto3's client and resource
// APIs (testdata/boto3_vpc.py): lazy loads, waiters, paginators, and the
// errors boto3 users catch.
func TestBoto3VPC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs boto3")
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	runBoto3Script(t, "boto3_vpc.py", "boto3_vpc ok", "EC2EMU_ENDPOINT="+endpoint)
}
