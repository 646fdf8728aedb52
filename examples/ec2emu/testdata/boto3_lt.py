"""boto3 against ec2emu's launch-template actions.

Run by TestBoto3LaunchTemplates with EC2EMU_ENDPOINT set; prints
"boto3_lt ok" at the end, and fails with a traceback on the first surprise.
"""
import os

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


sg = client.create_security_group(GroupName="lt", Description="lt")["GroupId"]
data = {
    "ImageId": AMI, "InstanceType": "t3.micro", "EbsOptimized": False,
    "SecurityGroupIds": [sg],
    "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 12, "VolumeType": "gp3", "DeleteOnTermination": True}}],
    "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "b3"}]}],
    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
    "Monitoring": {"Enabled": True},
    "Placement": {"AvailabilityZone": "us-west-2b"},
    "HibernationOptions": {"Configured": False},
    "UserData": "IyEvYmluL3NoCmVjaG8gaGkK",
}
lt = client.create_launch_template(LaunchTemplateName="b3-web", LaunchTemplateData=data,
                                   TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "x"}]}])["LaunchTemplate"]
lid = lt["LaunchTemplateId"]
assert lt["DefaultVersionNumber"] == 1 and lt["LatestVersionNumber"] == 1, lt
assert lt["Tags"] == [{"Key": "team", "Value": "x"}], lt["Tags"]

v = client.describe_launch_template_versions(LaunchTemplateId=lid)["LaunchTemplateVersions"][0]
d = v["LaunchTemplateData"]
assert v["DefaultVersion"] is True
assert d["SecurityGroupIds"] == [sg], d
assert d["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 12, d
assert d["TagSpecifications"][0]["Tags"] == [{"Key": "Name", "Value": "b3"}], d
assert d["MetadataOptions"]["HttpTokens"] == "required" and d["MetadataOptions"]["HttpPutResponseHopLimit"] == 2, d
assert d["Monitoring"]["Enabled"] is True and d["HibernationOptions"]["Configured"] is False, d
assert d["UserData"] == data["UserData"], d
assert d["EbsOptimized"] is False, d

v2 = client.create_launch_template_version(LaunchTemplateId=lid, SourceVersion="$Latest",
                                           LaunchTemplateData={"InstanceType": "t3.small"})["LaunchTemplateVersion"]
assert v2["VersionNumber"] == 2 and v2["LaunchTemplateData"]["ImageId"] == AMI, v2
assert client.modify_launch_template(LaunchTemplateName="b3-web", DefaultVersion="2")["LaunchTemplate"]["DefaultVersionNumber"] == 2

r = client.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": lid})
i = r["Instances"][0]
assert i["InstanceType"] == "t3.small", i["InstanceType"]
assert i["Placement"]["AvailabilityZone"] == "us-west-2b", i["Placement"]
assert [g["GroupId"] for g in i["SecurityGroups"]] == [sg], i["SecurityGroups"]
tags = {t["Key"]: t["Value"] for t in i["Tags"]}
assert tags == {"Name": "b3", "aws:ec2launchtemplate:id": lid, "aws:ec2launchtemplate:version": "2"}, tags
client.get_waiter("instance_running").wait(InstanceIds=[i["InstanceId"]], WaiterConfig={"Delay": 1})

g = client.get_launch_template_data(InstanceId=i["InstanceId"])["LaunchTemplateData"]
assert g["ImageId"] == AMI and g["InstanceType"] == "t3.small", g
assert g["NetworkInterfaces"][0]["Groups"] == [sg], g["NetworkInterfaces"]

dl = client.delete_launch_template_versions(LaunchTemplateId=lid, Versions=["1", "2", "9"])
assert [x["VersionNumber"] for x in dl["SuccessfullyDeletedLaunchTemplateVersions"]] == [1], dl
assert [(x["VersionNumber"], x["ResponseError"]["Code"]) for x in dl["UnsuccessfullyDeletedLaunchTemplateVersions"]] == [
    (2, "unexpectedError"), (9, "launchTemplateVersionDoesNotExist")], dl

assert code(client.create_launch_template, LaunchTemplateName="b3-web", LaunchTemplateData={"InstanceType": "t3.micro"}) == \
    "InvalidLaunchTemplateName.AlreadyExistsException"
assert code(client.create_launch_template, LaunchTemplateName="bad name", LaunchTemplateData={"InstanceType": "t3.micro"}) == \
    "InvalidLaunchTemplateName.MalformedException"
assert code(client.describe_launch_templates, LaunchTemplateIds=["lt-0123456789abcdef0"]) == "InvalidLaunchTemplateId.NotFound"
assert code(client.run_instances, MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "b3-web", "Version": "7"}) == \
    "InvalidLaunchTemplateId.VersionNotFound"

pages = client.get_paginator("describe_launch_templates").paginate(PaginationConfig={"PageSize": 1})
assert [t["LaunchTemplateName"] for p in pages for t in p["LaunchTemplates"]] == ["b3-web"]

client.terminate_instances(InstanceIds=[i["InstanceId"]])
client.delete_launch_template(LaunchTemplateId=lid)
assert client.describe_launch_templates()["LaunchTemplates"] == []
print("boto3_lt ok")
