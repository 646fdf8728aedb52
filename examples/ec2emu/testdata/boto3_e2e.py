"""boto3 end to end against a running ec2emu (examples/ec2emu).

Run by boto3_test.go; exits non-zero with a message on the first wrong
answer. botocore matches XML element names case-sensitively, so this catches
what the Go SDK forgives.

Environment:
  EC2EMU_ENDPOINT     the server, e.g. http://127.0.0.1:4566
  EC2EMU_AMI          an AMI the backend can launch
  EC2EMU_IMAGE_NAME   name for the AMI this script creates (unique per run)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION
"""

import base64
import os
import sys

import boto3
from botocore.exceptions import ClientError

# The servers move instances between states within a second; poll every
# second instead of botocore's default 15.
FAST = {"Delay": 1, "MaxAttempts": 120}


def fail(msg):
    print("boto3_e2e FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def check(what, got, want):
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


def expect_error(what, code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        check(what + " error code", e.response["Error"]["Code"], code)
        check(what + " HTTP status", e.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        if not e.response["Error"].get("Message"):
            fail(what + ": empty error message")
        return e.response["Error"]["Message"]
    fail(what + ": succeeded, want " + code)


def main():
    endpoint = os.environ["EC2EMU_ENDPOINT"]
    ami = os.environ["EC2EMU_AMI"]
    image_name = os.environ["EC2EMU_IMAGE_NAME"]
    client = boto3.client("ec2", endpoint_url=endpoint)
    ec2 = boto3.resource("ec2", endpoint_url=endpoint)

    # Client API: launch with attributes; boto3 base64-encodes UserData.
    run = client.run_instances(
        ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        UserData="#!/bin/sh\necho boto3\n", DisableApiTermination=True,
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "boto3 e2e"}]}],
    )
    iid = run["Instances"][0]["InstanceId"]
    check("run_instances state", run["Instances"][0]["State"]["Name"] in ("pending", "running"), True)

    # Resource API and its waiter.
    inst = ec2.Instance(iid)
    inst.wait_until_running(WaiterConfig=FAST)
    inst.reload()
    check("state after wait_until_running", inst.state["Name"], "running")
    check("instance_type", inst.instance_type, "t3.micro")
    check("root_device_name", inst.root_device_name, "/dev/xvda")
    check("metadata_options.HttpTokens", inst.metadata_options["HttpTokens"], "required")
    check("metadata_options.HttpPutResponseHopLimit", inst.metadata_options["HttpPutResponseHopLimit"], 2)
    check("maintenance_options.AutoRecovery", inst.maintenance_options["AutoRecovery"], "default")
    check("tags", {t["Key"]: t["Value"] for t in inst.tags}, {"Name": "boto3 e2e"})
    if not inst.private_ip_address:
        fail("running instance has no private IP address")
    root = inst.block_device_mappings[0]
    check("root mapping device", root["DeviceName"], "/dev/xvda")
    vol_id = root["Ebs"]["VolumeId"]
    check("root volume id", vol_id, "vol-" + iid[2:])

    # Attributes, client and resource forms.
    ud = client.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    check("userData", base64.b64decode(ud["UserData"]["Value"]).decode(), "#!/bin/sh\necho boto3\n")
    dat = client.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")
    check("disableApiTermination", dat["DisableApiTermination"]["Value"], True)
    sb = inst.describe_attribute(Attribute="instanceInitiatedShutdownBehavior")
    check("instanceInitiatedShutdownBehavior", sb["InstanceInitiatedShutdownBehavior"]["Value"], "stop")
    expect_error("describe_instance_attribute of an unknown attribute", "InvalidParameterValue",
                 client.describe_instance_attribute, InstanceId=iid, Attribute="colour")

    # The root volume, through the client and the resource.
    vols = client.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"]
    check("volumes of the instance", [v["VolumeId"] for v in vols], [vol_id])
    check("volume state", vols[0]["State"], "in-use")
    check("attachment", (vols[0]["Attachments"][0]["InstanceId"], vols[0]["Attachments"][0]["State"],
                         vols[0]["Attachments"][0]["DeleteOnTermination"]), (iid, "attached", True))
    vol = ec2.Volume(vol_id)
    check("volume size", vol.size, 8)
    check("volume type", vol.volume_type, "gp3")

    cs = client.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"]
    check("credit specification", [(c["InstanceId"], c["CpuCredits"]) for c in cs], [(iid, "unlimited")])
    tags = client.describe_tags(Filters=[{"Name": "resource-id", "Values": [iid]}, {"Name": "key", "Values": ["Name"]}])["Tags"]
    check("describe_tags", [(t["ResourceType"], t["Value"]) for t in tags], [("instance", "boto3 e2e")])

    # Termination protection holds; running instances cannot change type.
    msg = expect_error("terminate a protected instance", "OperationNotPermitted",
                       client.terminate_instances, InstanceIds=[iid])
    check("protection message mentions the attribute", "disableApiTermination" in msg, True)
    expect_error("modify instance type while running", "IncorrectInstanceState",
                 inst.modify_attribute, InstanceType={"Value": "t3.small"})

    # Stop, change type and user data, start.
    inst.stop()
    inst.wait_until_stopped(WaiterConfig=FAST)
    inst.modify_attribute(InstanceType={"Value": "t3.small"})
    client.modify_instance_attribute(InstanceId=iid, UserData={"Value": b"#!/bin/sh\necho v2\n"})
    client.modify_instance_attribute(InstanceId=iid, Attribute="disableApiTermination", Value="false")
    ud = client.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    check("userData after modify", base64.b64decode(ud["UserData"]["Value"]).decode(), "#!/bin/sh\necho v2\n")
    inst.start()
    client.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    inst.reload()
    check("instance_type after modify", inst.instance_type, "t3.small")

    # An image of it, with the image_available waiter.
    img = inst.create_image(Name=image_name, NoReboot=True)
    client.get_waiter("image_available").wait(ImageIds=[img.id], WaiterConfig=FAST)
    img.reload()
    check("image state", img.state, "available")
    check("image name", img.name, image_name)

    # Terminate; the DeleteOnTermination root volume goes with it.
    inst.terminate()
    inst.wait_until_terminated(WaiterConfig=FAST)
    inst.reload()
    check("state after wait_until_terminated", inst.state["Name"], "terminated")
    vols = client.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"]
    check("volumes after terminate", vols, [])
    img.deregister()
    print("boto3_e2e ok: " + iid)


if __name__ == "__main__":
    main()
