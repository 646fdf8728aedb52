package main

import (
	"strings"
	"testing"
)

// TestAWSCLISpotAgainstMock drives Spot with the AWS CLI against the
// standalone server over mock: run-instances with
// --instance-market-options, then request-spot-instances, describe and
// cancel, and the refusals (persistent, Spot blocks).
func TestAWSCLISpotAgainstMock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs the AWS CLI")
	}
	endpoint := startServer(t, "EC2_VM_MANAGER=mock", "EC2_MOCK_DELAY=50ms")
	aws := awsCLI(t, endpoint)
	const ami = "ami-df5de72bdb3b"

	run := aws("run-instances", "--image-id", ami, "--count", "1",
		"--instance-market-options", `{"MarketType":"spot","SpotOptions":{"MaxPrice":"0.05","SpotInstanceType":"one-time"}}`)
	inst := pathStr(t, run, "Instances", 0, "InstanceId")
	if got := pathStr(t, run, "Instances", 0, "InstanceLifecycle"); got != "spot" {
		t.Errorf("run-instances: InstanceLifecycle %q, want spot", got)
	}
	sir := pathStr(t, run, "Instances", 0, "SpotInstanceRequestId")
	if !strings.HasPrefix(sir, "sir-") {
		t.Errorf("run-instances: SpotInstanceRequestId %q", sir)
	}
	cliUntil(t, aws, "running", inst)
	spot := aws("describe-instances", "--filters", "Name=instance-lifecycle,Values=spot")
	if got := pathStr(t, spot, "Reservations", 0, "Instances", 0, "InstanceId"); got != inst {
		t.Errorf("describe-instances instance-lifecycle=spot: %q, want %s", got, inst)
	}

	req := aws("request-spot-instances", "--instance-count", "2", "--spot-price", "0.02", "--type", "one-time",
		"--launch-specification", `{"ImageId":"`+ami+`","InstanceType":"t3.micro"}`,
		"--tag-specifications", "ResourceType=spot-instances-request,Tags=[{Key=team,Value=a}]")
	var ids []string
	for i := range 2 {
		if got := pathStr(t, req, "SpotInstanceRequests", i, "State"); got != "open" {
			t.Errorf("request-spot-instances: state %q, want open", got)
		}
		ids = append(ids, pathStr(t, req, "SpotInstanceRequests", i, "SpotInstanceRequestId"))
	}
	// The CLI's waiter polls describe-spot-instance-requests until fulfilled.
	aws(append([]string{"wait", "spot-instance-request-fulfilled", "--spot-instance-request-ids"}, ids...)...)
	desc := aws(append([]string{"describe-spot-instance-requests", "--spot-instance-request-ids"}, ids...)...)
	for i := range 2 {
		st, code := pathStr(t, desc, "SpotInstanceRequests", i, "State"), pathStr(t, desc, "SpotInstanceRequests", i, "Status", "Code")
		if st != "active" || code != "fulfilled" || pathStr(t, desc, "SpotInstanceRequests", i, "InstanceId") == "" {
			t.Errorf("describe-spot-instance-requests: %s %s, want active fulfilled with an instance", st, code)
		}
		if got := pathStr(t, desc, "SpotInstanceRequests", i, "SpotPrice"); got != "0.020000" {
			t.Errorf("SpotPrice %q, want 0.020000", got)
		}
	}
	tagged := aws("describe-spot-instance-requests", "--filters", "Name=tag:team,Values=a", "Name=state,Values=active")
	if n := len(path(t, tagged, "SpotInstanceRequests").([]any)); n != 2 {
		t.Errorf("filtered describe: %d requests, want 2", n)
	}

	cancel := aws("cancel-spot-instance-requests", "--spot-instance-request-ids", ids[0])
	if got := pathStr(t, cancel, "CancelledSpotInstanceRequests", 0, "State"); got != "cancelled" {
		t.Errorf("cancel-spot-instance-requests: %q", got)
	}
	after := aws("describe-spot-instance-requests", "--spot-instance-request-ids", ids[0])
	if got := pathStr(t, after, "SpotInstanceRequests", 0, "Status", "Code"); got != "request-canceled-and-instance-running" {
		t.Errorf("after cancel: %q", got)
	}
	// Cancelling leaves the instance running.
	cliUntil(t, aws, "running", pathStr(t, after, "SpotInstanceRequests", 0, "InstanceId"))

	awsCLIFails(t, endpoint, "UnsupportedOperation", "request-spot-instances", "--type", "persistent",
		"--launch-specification", `{"ImageId":"`+ami+`"}`)
	awsCLIFails(t, endpoint, "InvalidParameterValue", "request-spot-instances", "--block-duration-minutes", "60",
		"--launch-specification", `{"ImageId":"`+ami+`"}`)
	awsCLIFails(t, endpoint, "InvalidSpotInstanceRequestID.NotFound", "describe-spot-instance-requests",
		"--spot-instance-request-ids", "sir-00000000")
}
