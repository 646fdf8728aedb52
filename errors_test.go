package ec2emu_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// Every error the Server answers, through the real SDK: the exact EC2 code
// and its HTTP status.
func TestErrorCodes(t *testing.T) {
	srv, _ := newServer(t)
	c := srv.Client
	ctx := ctxT(t)
	if _, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("dup")}); err != nil {
		t.Fatal(err)
	}
	live := run(t, c, &ec2.RunInstancesInput{})
	id := *live.Instances[0].InstanceId
	// A backend that never finishes a launch keeps its instance pending.
	slow := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Hour)))
	pending := *run(t, slow.Client, &ec2.RunInstancesInput{}).Instances[0].InstanceId
	term := run(t, c, &ec2.RunInstancesInput{})
	termID := *term.Instances[0].InstanceId
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{termID}}); err != nil {
		t.Fatal(err)
	}
	one := aws.Int32(1)
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"DryRun succeeds with 412", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: one, MaxCount: one, DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation", 412},
		{"DryRun validates first", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-0000000000000dead"), MinCount: one, MaxCount: one, DryRun: aws.Bool(true)})
			return err
		}, "InvalidAMIID.NotFound", 400},
		{"unknown AMI", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-0000000000000dead"), MinCount: one, MaxCount: one})
			return err
		}, "InvalidAMIID.NotFound", 400},
		{"malformed AMI", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("{var.ami_id}"), MinCount: one, MaxCount: one})
			return err
		}, "InvalidAMIID.Malformed", 400},
		{"unknown key pair", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: one, MaxCount: one, KeyName: aws.String("nope")})
			return err
		}, "InvalidKeyPair.NotFound", 400},
		{"user data not base64", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: one, MaxCount: one, UserData: aws.String("#!/bin/sh not base64")})
			return err
		}, "InvalidUserData.Malformed", 400},
		{"MinCount above MaxCount", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(3), MaxCount: aws.Int32(2)})
			return err
		}, "InvalidParameterValue", 400},
		{"MinCount zero", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(0), MaxCount: aws.Int32(2)})
			return err
		}, "InvalidParameterValue", 400},
		{"unknown availability zone", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: one, MaxCount: one,
				Placement: &types.Placement{AvailabilityZone: aws.String("eu-west-1a")}})
			return err
		}, "InvalidParameterValue", 400},
		{"bad tag resource type", func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: one, MaxCount: one,
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}}})
			return err
		}, "InvalidParameterValue", 400},
		{"reserved tag key", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("b")}}})
			return err
		}, "InvalidParameterValue", 400},
		{"unknown instance", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0000000000000dead"}})
			return err
		}, "InvalidInstanceID.NotFound", 400},
		{"malformed instance", func() error {
			_, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{"ma1"}})
			return err
		}, "InvalidInstanceID.Malformed", 400},
		{"one unknown instance fails the whole terminate", func() error {
			_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id, "i-0000000000000dead"}})
			return err
		}, "InvalidInstanceID.NotFound", 400},
		{"stop a pending instance", func() error {
			_, err := slow.Client.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{pending}})
			return err
		}, "IncorrectInstanceState", 400},
		{"start a terminated instance", func() error {
			_, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{termID}})
			return err
		}, "IncorrectInstanceState", 400},
		{"image a terminated instance", func() error {
			_, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(termID), Name: aws.String("img")})
			return err
		}, "IncorrectInstanceState", 400},
		{"malformed AMI name", func() error {
			_, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(id), Name: aws.String("x")})
			return err
		}, "InvalidAMIName.Malformed", 400},
		{"MaxResults too small", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1)})
			return err
		}, "InvalidParameterValue", 400},
		{"MaxResults with ids", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5), InstanceIds: []string{id}})
			return err
		}, "InvalidParameterCombination", 400},
		{"unknown filter", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("public-ip"), Values: []string{"1.2.3.4"}}}})
			return err
		}, "InvalidParameterValue", 400},
		{"bad page token", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5), NextToken: aws.String("garbage")})
			return err
		}, "InvalidParameterValue", 400},
		{"tag filter on instance status", func() error {
			_, err := c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"x"}}}})
			return err
		}, "InvalidParameterValue", 400},
		{"unknown image id", func() error {
			_, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0000000000000dead"}})
			return err
		}, "InvalidAMIID.NotFound", 400},
		{"malformed image id", func() error {
			_, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String("img-1")})
			return err
		}, "InvalidAMIID.Malformed", 400},
		{"duplicate key pair", func() error {
			_, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("dup")})
			return err
		}, "InvalidKeyPair.Duplicate", 400},
		{"describe unknown key pair", func() error {
			_, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"nope"}})
			return err
		}, "InvalidKeyPair.NotFound", 400},
		{"import a key that is not OpenSSH", func() error {
			_, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("bad"), PublicKeyMaterial: []byte("not a key")})
			return err
		}, "InvalidKey.Format", 400},
		{"tag an unknown resource kind", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"foo-123"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "InvalidID", 400},
		{"tag a malformed instance ID", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"i-123 i-456"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "InvalidID", 400},
		{"tag a malformed AMI ID", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"ami-xyz"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "InvalidID", 400},
		{"tag a malformed volume ID", func() error {
			_, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{"vol-1"}})
			return err
		}, "InvalidID", 400},
		{"tag an empty ID", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{""}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "InvalidID", 400},
		{"tag an unknown instance", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"i-0000000000000dead"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "InvalidInstanceID.NotFound", 400},
		{"unknown region", func() error {
			_, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"mars-1"}})
			return err
		}, "InvalidParameterValue", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.status) })
	}
}

// Requests no SDK would send, straight over HTTP: the envelope must still be
// EC2's, with the request ID header and a non-2xx status.
func TestRawErrors(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(), ec2emu.WithMaxBodyBytes(1024))
	tests := []struct {
		name   string
		body   string
		code   string
		status int
	}{
		{"unknown action", "Action=DescribeLoadBalancers&Version=2016-11-15", "InvalidAction", 400},
		{"no action", "Version=2016-11-15", "MissingAction", 400},
		{"missing MinCount", "Action=RunInstances&ImageId=ami-df5de72bdb3b&MaxCount=1", "MissingParameter", 400},
		{"missing ImageId", "Action=RunInstances&MinCount=1&MaxCount=1", "MissingParameter", 400},
		{"missing instance ids", "Action=StopInstances", "MissingParameter", 400},
		{"integer that is not", "Action=RunInstances&ImageId=ami-df5de72bdb3b&MinCount=one&MaxCount=1", "InvalidParameterValue", 400},
		{"bool that is not", "Action=DescribeInstances&DryRun=maybe", "InvalidParameterValue", 400},
		{"body too large", "Action=DescribeInstances&Filter.1.Name=x&Filter.1.Value.1=" + strings.Repeat("a", 2000), "RequestEntityTooLarge", 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			rid := resp.Header.Get("x-amzn-RequestId")
			want := [3]any{tt.status, true, true}
			got := [3]any{resp.StatusCode, strings.Contains(string(body), "<Code>"+tt.code+"</Code>"),
				rid != "" && strings.Contains(string(body), "<RequestID>"+rid+"</RequestID>")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got) [status, code in body, request id in header and body]:\n%s\n%s", diff, body)
			}
		})
	}
}

func TestClientTokenIdempotency(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	in := func(n int32) *ec2.RunInstancesInput {
		return &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(n), MaxCount: aws.Int32(n), ClientToken: aws.String("tok-1")}
	}
	first, err := c.RunInstances(ctx, in(2))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.RunInstances(ctx, in(2))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*first.ReservationId, *again.ReservationId); diff != "" {
		t.Errorf("retried RunInstances made a new reservation (-want +got):\n%s", diff)
	}
	if *again.Instances[0].ClientToken != "tok-1" {
		t.Errorf("clientToken = %q", *again.Instances[0].ClientToken)
	}
	_, err = c.RunInstances(ctx, in(3))
	wantAPIError(t, err, "IdempotentParameterMismatch", 400)
	ms, err := b.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Errorf("backend runs %d machines, want the 2 of the first call", len(ms))
	}
	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("client-token"), Values: []string{"tok-1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.Reservations[0].Instances); n != 2 {
		t.Errorf("client-token filter found %d instances, want 2", n)
	}
}

// DryRun must validate and then change nothing.
func TestDryRunHasNoSideEffects(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	out := run(t, c, &ec2.RunInstancesInput{})
	id := *out.Instances[0].InstanceId
	dry := aws.Bool(true)
	calls := []func() error{
		func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), DryRun: dry})
			return err
		},
		func() error {
			_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}, DryRun: dry})
			return err
		},
		func() error {
			_, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("k"), DryRun: dry})
			return err
		},
		func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}, DryRun: dry})
			return err
		},
	}
	for _, call := range calls {
		wantAPIError(t, call(), "DryRunOperation", 412)
	}
	ms, _ := b.Machines(ctx)
	kps, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	got := [3]any{len(ms), len(kps.KeyPairs), len(d.Reservations[0].Instances[0].Tags)}
	if diff := cmp.Diff([3]any{1, 0, 0}, got); diff != "" {
		t.Errorf("after dry runs [machines, key pairs, tags] (-want +got):\n%s", diff)
	}
	if st := d.Reservations[0].Instances[0].State.Name; st == types.InstanceStateNameShuttingDown || st == types.InstanceStateNameTerminated {
		t.Errorf("dry-run terminate changed the state to %s", st)
	}
}

func TestFiltersAndPagination(t *testing.T) {
	srv, _ := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	tag := func(v string) []types.TagSpecification {
		return []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String(v)}}}}
	}
	web := run(t, c, &ec2.RunInstancesInput{MinCount: aws.Int32(7), MaxCount: aws.Int32(7), TagSpecifications: tag("web-1"), InstanceType: types.InstanceTypeT3Micro})
	db := run(t, c, &ec2.RunInstancesInput{TagSpecifications: tag("db?1"), InstanceType: types.InstanceTypeM5Large})
	count := func(fs ...types.Filter) int {
		t.Helper()
		d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range d.Reservations {
			n += len(r.Instances)
		}
		return n
	}
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	tests := []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{"tag wildcard *", []types.Filter{f("tag:Name", "web*")}, 7},
		{"tag wildcard ?", []types.Filter{f("tag:Name", "web-?")}, 7},
		{"escaped ?", []types.Filter{f("tag:Name", `db\?1`)}, 1},
		{"escaped ? does not match other chars", []types.Filter{f("tag:Name", `web\?1`)}, 0},
		{"values are ORed", []types.Filter{f("instance-type", "t3.micro", "m5.large")}, 8},
		{"filters are ANDed", []types.Filter{f("instance-type", "m5.large"), f("tag-key", "Name")}, 1},
		{"reservation id", []types.Filter{f("reservation-id", *db.ReservationId)}, 1},
		{"instance id", []types.Filter{f("instance-id", *web.Instances[3].InstanceId)}, 1},
		{"state code", []types.Filter{f("instance-state-code", "0", "16")}, 8},
		{"image id", []types.Filter{f("image-id", ubuntuAMI)}, 8},
		{"availability zone", []types.Filter{f("availability-zone", "us-east-1a")}, 8},
		{"key name, none set", []types.Filter{f("key-name", "*")}, 0},
		{"launch time wildcard", []types.Filter{f("launch-time", "20*")}, 8},
		{"launch index", []types.Filter{f("launch-index", "6")}, 1},
		{"no match", []types.Filter{f("tag:Name", "nothing")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := count(tt.filters...); got != tt.want {
				t.Errorf("matched %d instances, want %d", got, tt.want)
			}
		})
	}

	// The SDK paginator walks every page exactly once.
	seen := map[string]int{}
	pages := 0
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				seen[*i.InstanceId]++
			}
		}
	}
	if got := [2]int{pages, len(seen)}; got != [2]int{2, 8} {
		t.Errorf("[pages, distinct instances] = %v, want [2 8]", got)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s returned %d times", id, n)
		}
	}
}

func TestKeyPairsAndTags(t *testing.T) {
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	// A real OpenSSH ed25519 public key, imported as ssh-keygen would write it.
	pub := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3yNfT0hHk3Z5mCqv5tDO0b2hNSaGm0R7X1w2pU8xA me@host"
	imp, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("mine"), PublicKeyMaterial: []byte(pub)})
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("gen"), KeyType: types.KeyTypeEd25519})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(*created.KeyMaterial, "BEGIN OPENSSH PRIVATE KEY") {
		t.Errorf("ed25519 key material is not an OpenSSH private key: %.40q", *created.KeyMaterial)
	}
	rsaKey, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("rsa")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*rsaKey.KeyMaterial, "-----BEGIN RSA PRIVATE KEY-----") || strings.Count(*rsaKey.KeyFingerprint, ":") != 19 {
		t.Errorf("rsa key: material %.32q, fingerprint %q (want PKCS#1 PEM and a SHA-1 colon fingerprint)", *rsaKey.KeyMaterial, *rsaKey.KeyFingerprint)
	}
	d, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{Filters: []types.Filter{{Name: aws.String("key-type"), Values: []string{"ed25519"}}}, IncludePublicKey: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range d.KeyPairs {
		names = append(names, *k.KeyName)
	}
	if diff := cmp.Diff([]string{"gen", "mine"}, names); diff != "" {
		t.Errorf("ed25519 key pairs (-want +got):\n%s", diff)
	}
	if got := *d.KeyPairs[1].PublicKey; !strings.HasPrefix(pub, got) {
		t.Errorf("public key %q is not the imported one", got)
	}

	out := run(t, c, &ec2.RunInstancesInput{KeyName: imp.KeyName, UserData: aws.String(base64.StdEncoding.EncodeToString([]byte("x")))})
	id := *out.Instances[0].InstanceId
	// The instance gets the imported line whole, its comment too.
	if spec, err := b.WaitSpec(ctx, id); err != nil || spec.PublicKey != pub {
		t.Errorf("backend got public key %q (%v), want the imported line %q", spec.PublicKey, err, pub)
	}
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id, ubuntuAMI, *imp.KeyPairId}, Tags: []types.Tag{tag("env", "dev"), tag("team", "a")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("team")}}}); err != nil {
		t.Fatal(err)
	}
	// A value that does not match leaves the tag alone.
	if _, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{ubuntuAMI}, Tags: []types.Tag{tag("env", "prod")}}); err != nil {
		t.Fatal(err)
	}
	dt, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("key"), Values: []string{"env", "team"}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, td := range dt.Tags {
		got[string(td.ResourceType)+"/"+*td.Key] = *td.Value
	}
	want := map[string]string{"instance/env": "dev", "image/env": "dev", "image/team": "a", "key-pair/env": "dev", "key-pair/team": "a"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeTags (-want +got):\n%s", diff)
	}
	if _, err := c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String("mine")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String("mine")}); err != nil {
		t.Errorf("deleting a deleted key pair: %v (AWS succeeds)", err)
	}
}

func TestRegionFromCredentialScope(t *testing.T) {
	srv, _ := newServer(t)
	ctx := ctxT(t)
	eu := ec2emutest.Client(srv.URL, "eu-west-1")
	us := ec2emutest.Client(srv.URL, "us-east-1")
	out, err := eu.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if az := *out.Instances[0].Placement.AvailabilityZone; az != "eu-west-1a" {
		t.Errorf("az %s, want eu-west-1a", az)
	}
	_, err = us.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{*out.Instances[0].InstanceId}})
	wantAPIError(t, err, "InvalidInstanceID.NotFound", 400)
	regs, err := us.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil || len(regs.Regions) < 10 {
		t.Fatalf("DescribeRegions: %d regions, %v", len(regs.Regions), err)
	}
	zones, err := eu.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, z := range zones.AvailabilityZones {
		names = append(names, *z.ZoneName)
	}
	if diff := cmp.Diff([]string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, names); diff != "" {
		t.Errorf("zones (-want +got):\n%s", diff)
	}
	// Anonymous GET with the parameters in the URL works too.
	resp, err := http.Get(srv.URL + "/?" + url.Values{"Action": {"DescribeRegions"}, "RegionName.1": {"us-west-2"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<regionName>us-west-2</regionName>") {
		t.Errorf("GET DescribeRegions: %d %s", resp.StatusCode, body)
	}
}

// An instance's authorized_keys line is the imported one, comment included
// (users tell their keys apart by it), as long as the comment is printable.
func TestImportedKeyCommentReachesInstance(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3yNfT0hHk3Z5mCqv5tDO0b2hNSaGm0R7X1w2pU8xA"
	tests := []struct{ name, material, want string }{
		{"no comment", key, key},
		{"comment", key + " me@host", key + " me@host"},
		{"comment with spaces", key + "  my  laptop\n", key + " my laptop"},
		{"first line only", key + " a\n" + key + " b\n", key + " a"},
		{"unprintable comment", key + " bad\x07bell", key},
	}
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("k%d", i)
			if _, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String(name), PublicKeyMaterial: []byte(tt.material)}); err != nil {
				t.Fatal(err)
			}
			id := *run(t, c, &ec2.RunInstancesInput{KeyName: aws.String(name)}).Instances[0].InstanceId
			spec, err := b.WaitSpec(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, spec.PublicKey); diff != "" {
				t.Errorf("public key given to the backend (-want +got):\n%s", diff)
			}
		})
	}
}

// ImportKeyPair takes the formats AWS documents: OpenSSH, the SSH2 public
// key file of RFC 4716, and base64 DER; the same key in each has the same
// fingerprint and reaches instances as the same authorized_keys line.
func TestImportKeyPairFormats(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	openssh := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(sp.Marshal())
	var wrapped strings.Builder // RFC 4716 wraps the blob at 70 characters
	for i := 0; i < len(b64); i += 70 {
		wrapped.WriteString(b64[i:min(i+70, len(b64))] + "\n")
	}
	rfc4716 := "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"2048-bit RSA, converted by me@host \\\nfrom OpenSSH\"\nx-private: 1\n" +
		wrapped.String() + "---- END SSH2 PUBLIC KEY ----\n"
	srv, b := newServer(t)
	c, ctx := srv.Client, ctxT(t)
	type got struct{ Fingerprint, Authorized string }
	var fps []got
	for i, material := range []string{openssh, rfc4716, base64.StdEncoding.EncodeToString(der), string(der)} {
		name := fmt.Sprintf("fmt%d", i)
		out, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String(name), PublicKeyMaterial: []byte(material)})
		if err != nil {
			t.Fatalf("format %d: %v", i, err)
		}
		id := *run(t, c, &ec2.RunInstancesInput{KeyName: aws.String(name)}).Instances[0].InstanceId
		spec, err := b.WaitSpec(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		fps = append(fps, got{aws.ToString(out.KeyFingerprint), spec.PublicKey})
	}
	want := []got{{fps[0].Fingerprint, openssh}, {fps[0].Fingerprint, openssh + " 2048-bit RSA, converted by me@host from OpenSSH"},
		{fps[0].Fingerprint, openssh}, {fps[0].Fingerprint, openssh}}
	if diff := cmp.Diff(want, fps); diff != "" {
		t.Errorf("the key in each format (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n", "---- BEGIN SSH2 PUBLIC KEY ----\n!!!\n---- END SSH2 PUBLIC KEY ----", base64.StdEncoding.EncodeToString([]byte("not DER"))} {
		_, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("bad"), PublicKeyMaterial: []byte(bad)})
		wantAPIError(t, err, "InvalidKey.Format", http.StatusBadRequest)
	}
}
