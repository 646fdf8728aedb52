package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

func TestGatewayRoutesEC2ByCredentialScope(t *testing.T) {
	srv := ec2emu.New(mock.New())
	defer srv.Close()
	other := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "s3 here", http.StatusTeapot) })
	hs := httptest.NewServer(Gateway(map[string]http.Handler{"ec2": srv, "s3": other}))
	defer hs.Close()

	out, err := ec2emutest.Client(hs.URL, "eu-central-1").DescribeAvailabilityZones(context.Background(), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AvailabilityZones) == 0 || *out.AvailabilityZones[0].RegionName != "eu-central-1" {
		t.Fatalf("zones %+v, want eu-central-1's", out.AvailabilityZones)
	}
	// An unsigned request names no service: the gateway does not guess.
	resp, err := http.Get(hs.URL + "/?Action=DescribeRegions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("unsigned request: status %d, want %d", resp.StatusCode, http.StatusNotImplemented)
	}
}
