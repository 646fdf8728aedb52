"""boto3's client and resource APIs against ec2emu's VPC actions.

Run by TestBoto3VPC with EC2EMU_ENDPOINT set; prints "boto3_vpc ok" at the
end, and fails with a traceback on the first surprise.
"""
import os

import boto3
import botocore.exceptions

endpoint = os.environ["EC2EMU_ENDPOINT"]
client = boto3.client("ec2", endpoint_url=endpoint)
ec2 = boto3.resource("ec2", endpoint_url=endpoint)


def code(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("%s succeeded" % fn)


# The resource API: create, wait, read attributes lazily.
vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", TagSpecifications=[
    {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "boto3"}]}])
vpc.wait_until_available()
vpc.reload()
assert vpc.state == "available", vpc.state
assert vpc.is_default is False
assert vpc.cidr_block == "10.30.0.0/16"
assert {t["Key"]: t["Value"] for t in vpc.tags} == {"Name": "boto3"}
vpc.modify_attribute(EnableDnsHostnames={"Value": True})
assert vpc.describe_attribute(Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is True

subnet = vpc.create_subnet(CidrBlock="10.30.1.0/24", AvailabilityZone="us-west-2c")
client.get_waiter("subnet_available").wait(SubnetIds=[subnet.id])
subnet.reload()
assert subnet.available_ip_address_count == 251, subnet.available_ip_address_count
assert subnet.availability_zone == "us-west-2c"
assert code(vpc.create_subnet, CidrBlock="10.30.1.0/28") == "InvalidSubnet.Conflict"

igw = ec2.create_internet_gateway()
vpc.attach_internet_gateway(InternetGatewayId=igw.id)
igw.reload()
assert igw.attachments == [{"State": "available", "VpcId": vpc.id}], igw.attachments

rt = vpc.create_route_table()
rt.create_route(DestinationCidrBlock="0.0.0.0/0", GatewayId=igw.id)
assoc = rt.associate_with_subnet(SubnetId=subnet.id)
rt.reload()
routes = [(r.destination_cidr_block, r.gateway_id, r.state) for r in rt.routes]
assert routes == [("10.30.0.0/16", "local", "active"), ("0.0.0.0/0", igw.id, "active")], routes
assert [a.subnet_id for a in rt.associations] == [subnet.id]

main = list(vpc.route_tables.filter(Filters=[{"Name": "association.main", "Values": ["true"]}]))
assert len(main) == 1 and main[0].id != rt.id
acls = list(vpc.network_acls.all())
assert len(acls) == 1 and acls[0].is_default
assert [e["RuleNumber"] for e in acls[0].entries] == [100, 32767, 100, 32767]
groups = list(vpc.security_groups.all())
assert [g.group_name for g in groups] == ["default"], groups

attrs = client.describe_account_attributes()["AccountAttributes"]
assert {a["AttributeName"] for a in attrs} >= {"supported-platforms", "default-vpc", "max-instances"}

# Paginators: DescribeRouteTables pages by MaxResults.
pages = client.get_paginator("describe_route_tables").paginate(PaginationConfig={"PageSize": 5})
assert sum(len(p["RouteTables"]) for p in pages) == 3  # the default VPC's, this VPC's main, rt

# Teardown, the wrong way first.
assert code(vpc.delete) == "DependencyViolation"
assoc.delete()
rt.delete()
vpc.detach_internet_gateway(InternetGatewayId=igw.id)
assert code(vpc.detach_internet_gateway, InternetGatewayId=igw.id) == "Gateway.NotAttached"
igw.delete()
subnet.delete()
vpc.delete()
assert code(client.describe_vpcs, VpcIds=[vpc.id]) == "InvalidVpcID.NotFound"
print("boto3_vpc ok")
