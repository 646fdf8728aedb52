"""boto3 against ec2emu's EC2 Fleet actions.

Run by TestBoto3Fleets with EC2EMU_ENDPOINT set; prints "boto3_fleet ok"
at the end, and fails with a traceback on the first surprise.
"""
import os
import time

import boto3
import botocore.exceptions

endpoint = os.environ["EC2EMU_ENDPOINT"]
client = boto3.client("ec2", endpoint_url=endpoint)
AMI = "ami-df5de72bdb3b"


def code(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("%s succeeded" % fn)


lid = client.create_launch_template(LaunchTemplateName="b3-fleet", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
spec = {"LaunchTemplateId": lid, "Version": "$Latest"}
target = {"TotalTargetCapacity": 3, "DefaultTargetCapacityType": "on-demand"}


f = client.create_fleet(
    Type="instant", TargetCapacitySpecification=target,
    OnDemandOptions={"AllocationStrategy": "prioritized"},
    LaunchTemplateConfigs=[{"LaunchTemplateSpecification": spec, "Overrides": [
        {"InstanceType": "t3.small", "SubnetId": "subnet-0123456789abcdef0", "Priority": 0.0},
        {"InstanceType": "t3.nano", "WeightedCapacity": 2.0, "Priority": 1.0},
    ]}],
    TagSpecifications=[{"ResourceType": "fleet", "Tags": [{"Key": "team", "Value": "b3"}]},
                       {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "b3"}]}])
fid = f["FleetId"]
assert fid.startswith("fleet-"), f
assert [e["ErrorCode"] for e in f["Errors"]] == ["InvalidSubnetID.NotFound"], f["Errors"]
assert f["Errors"][0]["LaunchTemplateAndOverrides"]["Overrides"]["SubnetId"] == "subnet-0123456789abcdef0", f["Errors"]
assert f["Errors"][0]["Lifecycle"] == "on-demand", f["Errors"]
got = f["Instances"][0]
assert got["InstanceType"] == "t3.nano" and len(got["InstanceIds"]) == 2, got
assert got["LaunchTemplateAndOverrides"]["Overrides"]["WeightedCapacity"] == 2.0, got
assert got["LaunchTemplateAndOverrides"]["LaunchTemplateSpecification"]["LaunchTemplateId"] == lid, got

fleet = client.describe_fleets(FleetIds=[fid])["Fleets"][0]
assert fleet["FleetState"] == "active" and fleet["ActivityStatus"] == "fulfilled", fleet
assert fleet["FulfilledCapacity"] == 4.0 and fleet["Type"] == "instant", fleet
assert fleet["TargetCapacitySpecification"]["TotalTargetCapacity"] == 3, fleet
assert fleet["Tags"] == [{"Key": "team", "Value": "b3"}], fleet["Tags"]
assert len(fleet["LaunchTemplateConfigs"][0]["Overrides"]) == 2, fleet
assert fleet["Instances"][0]["InstanceIds"] == got["InstanceIds"], fleet
pages = list(client.get_paginator("describe_fleets").paginate(Filters=[{"Name": "type", "Values": ["instant"]}]))
assert sum(len(p["Fleets"]) for p in pages) == 1, pages

tags = {}
for r in client.describe_instances(InstanceIds=got["InstanceIds"])["Reservations"]:
    for i in r["Instances"]:
        tags = {t["Key"]: t["Value"] for t in i["Tags"]}
        assert tags["aws:ec2:fleet-id"] == fid and tags["Name"] == "b3" and tags["aws:ec2launchtemplate:id"] == lid, tags

assert code(client.describe_fleet_instances, FleetId=fid) == "UnsupportedOperation"
d = client.delete_fleets(FleetIds=[fid, "fleet-1"], TerminateInstances=True)
assert d["SuccessfulFleetDeletions"] == [{"FleetId": fid, "PreviousFleetState": "active", "CurrentFleetState": "deleted_terminating"}], d
assert d["UnsuccessfulFleetDeletions"][0]["Error"]["Code"] == "fleetIdMalformed", d

# A maintain fleet answers with its ID; its instances come in the background.
m = client.create_fleet(Type="maintain", LaunchTemplateConfigs=[{"LaunchTemplateSpecification": spec}], TargetCapacitySpecification=target)
mid = m["FleetId"]
assert mid.startswith("fleet-") and not m.get("Instances") and not m.get("Errors"), m
deadline = time.time() + 60
while True:
    active = client.describe_fleet_instances(FleetId=mid)["ActiveInstances"]
    if len(active) == 3:
        break
    assert time.time() < deadline, active
    time.sleep(0.05)
assert active[0]["InstanceHealth"] == "healthy" and active[0]["InstanceType"] == "t3.micro", active
assert client.modify_fleet(FleetId=mid, TargetCapacitySpecification={"TotalTargetCapacity": 1})["Return"] is True
assert code(client.modify_fleet, FleetId=fid, TargetCapacitySpecification={"TotalTargetCapacity": 1}) == "UnsupportedOperation"
d = client.delete_fleets(FleetIds=[mid], TerminateInstances=False)
assert d["SuccessfulFleetDeletions"][0]["CurrentFleetState"] == "deleted_running", d
client.delete_launch_template(LaunchTemplateId=lid)
print("boto3_fleet ok")
