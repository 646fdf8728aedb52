package ec2emu_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	gocmp "github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/crashcheck"
	"github.com/ec2emu/ec2emu/internal/statestore"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

// stateful is a Server with a state directory over a backend that outlives
// it, as an engine outlives the emulator: start, stop (gracefully or as if
// killed) and start again.
type stateful struct {
	t    *testing.T
	b    backend.Backend
	dir  string
	opts []ec2emu.Option

	srv *ec2emu.Server
	hs  *httptest.Server
	c   *ec2.Client
}

func newStateful(t *testing.T, b backend.Backend, opts ...ec2emu.Option) *stateful {
	st := &stateful{t: t, b: b, dir: t.TempDir(), opts: opts}
	t.Cleanup(func() {
		if st.srv != nil {
			st.stop(false)
		}
	})
	st.start()
	return st
}

func (st *stateful) start() {
	st.t.Helper()
	st.srv = ec2emu.New(st.b, append(slices.Clone(st.opts), ec2emu.WithStateDir(st.dir))...)
	st.hs = httptest.NewServer(st.srv)
	st.c = ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(st.hs.URL),
		Credentials: aws.AnonymousCredentials{}, HTTPClient: ec2emutest.HTTPClient(), RetryMaxAttempts: 1})
	select {
	case <-st.srv.Ready():
	case <-time.After(time.Minute):
		st.t.Fatal("the restarted server did not get ready")
	}
}

// stop stops the Server: Close, or as a killed process stops.
func (st *stateful) stop(crash bool) {
	if crash {
		st.srv.CrashForTest()
		st.hs.CloseClientConnections()
		st.hs.Close()
	} else {
		st.hs.Close()
		if err := st.srv.Close(); err != nil {
			st.t.Errorf("Close: %v", err)
		}
	}
	st.srv = nil
}

func (st *stateful) restart(crash bool) {
	st.t.Helper()
	st.stop(crash)
	st.start()
}

// stateBackends are the backends the restart tests run over: mock always,
// docker unless -short.
func stateBackends(t *testing.T) map[string]func(t *testing.T) (backend.Backend, string) {
	out := map[string]func(t *testing.T) (backend.Backend, string){
		"mock": func(t *testing.T) (backend.Backend, string) {
			return mock.New(mock.WithDelay(5 * time.Millisecond)), ubuntuAMI
		},
	}
	if testing.Short() {
		return out
	}
	out["docker"] = func(t *testing.T) (backend.Backend, string) {
		b, _, ami := dockerBackend(t)
		return b, ami
	}
	return out
}

// TestStateSurvivesRestart writes every kind of state the control plane
// owns, restarts the Server (gracefully, and as if killed), and reads all
// of it back unchanged.
func TestStateSurvivesRestart(t *testing.T) {
	for name, open := range stateBackends(t) {
		for _, crash := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "/graceful", true: "/killed"}[crash], func(t *testing.T) {
				t.Parallel()
				b, ami := open(t)
				st := newStateful(t, b)
				tokenRun := writeEveryKind(t, st.c, ami)
				before := describeAll(t, st.c)
				st.restart(crash)
				after := describeAll(t, st.c)
				if diff := gocmp.Diff(before, after); diff != "" {
					t.Errorf("state after the restart (-before +after):\n%s", diff)
				}
				// The client token still names its reservation: a retry
				// launches nothing.
				out, err := st.c.RunInstances(ctxT(t), tokenRun)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(before, aws.ToString(out.ReservationId)) {
					t.Errorf("retry with the client token gave reservation %s, not the stored one", aws.ToString(out.ReservationId))
				}
				if got := describeAll(t, st.c); got != after {
					t.Errorf("the client token retry changed state:\n%s", gocmp.Diff(after, got))
				}
				terminateAll(t, st.c)
			})
		}
	}
}

// writeEveryKind makes one of each kind of state the store keeps, and
// returns the RunInstances it made with a client token.
func writeEveryKind(t *testing.T, c *ec2.Client, ami string) *ec2.RunInstancesInput {
	t.Helper()
	ctx := ctxT(t)
	tag := func(k, v string) types.TagSpecification {
		return types.TagSpecification{Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	kts := tag("team", "blue")
	kts.ResourceType = types.ResourceTypeKeyPair
	must(c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("made"), KeyType: types.KeyTypeEd25519,
		TagSpecifications: []types.TagSpecification{kts}}))
	must(c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("imported"),
		PublicKeyMaterial: []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcjJ0v7Yh5tJ0bmn5iUOC3o9mZ4dkx6m5zvJ8qXUWbA laptop")}))
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web servers")})
	if err != nil {
		t.Fatal(err)
	}
	must(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId,
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8"), Description: aws.String("ssh")}}}}}))
	must(c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: g.GroupId,
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("udp"), FromPort: aws.Int32(53), ToPort: aws.Int32(53),
			IpRanges: []types.IpRange{{CidrIp: aws.String("8.8.8.8/32")}}}}}))
	its := tag("role", "app")
	its.ResourceType = types.ResourceTypeInstance
	tokenRun := &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		ClientToken: aws.String("token-1"), KeyName: aws.String("made"), SecurityGroupIds: []string{aws.ToString(g.GroupId)},
		TagSpecifications: []types.TagSpecification{its}, UserData: aws.String("IyEvYmluL3NoCmVjaG8gaGkK")}
	res, err := c.RunInstances(ctx, tokenRun)
	if err != nil {
		t.Fatal(err)
	}
	res2, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	a, b, gone := aws.ToString(res.Instances[0].InstanceId), aws.ToString(res.Instances[1].InstanceId), aws.ToString(res2.Instances[0].InstanceId)
	testutil.WaitStates(t, c, 2*time.Minute, "running", a, b, gone)
	must(c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{b}}))
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{gone}}))
	testutil.WaitStates(t, c, 2*time.Minute, "stopped", b)
	testutil.WaitStates(t, c, 2*time.Minute, "terminated", gone)
	must(c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(b),
		InstanceType: &types.AttributeValue{Value: aws.String("t3.large")}}))
	must(c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(a),
		DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))
	must(c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(a),
		HttpTokens: types.HttpTokensStateRequired, HttpPutResponseHopLimit: aws.Int32(3)}))
	must(c.ModifyInstanceMaintenanceOptions(ctx, &ec2.ModifyInstanceMaintenanceOptionsInput{InstanceId: aws.String(a),
		AutoRecovery: types.InstanceAutoRecoveryStateDisabled}))
	must(c.ModifyInstanceCreditSpecification(ctx, &ec2.ModifyInstanceCreditSpecificationInput{
		InstanceCreditSpecifications: []types.InstanceCreditSpecificationRequest{{InstanceId: aws.String(b), CpuCredits: aws.String("unlimited")}}}))
	vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{a}}}})
	if err != nil || len(vols.Volumes) == 0 {
		t.Fatalf("volumes of %s: %v %v", a, vols, err)
	}
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	kps, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"imported"}})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{a, ami, aws.ToString(vols.Volumes[0].VolumeId), aws.ToString(vpcs.Vpcs[0].VpcId),
		aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(g.GroupId), aws.ToString(rules.SecurityGroupRules[0].SecurityGroupRuleId),
		aws.ToString(kps.KeyPairs[0].KeyPairId)}
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("kept")}}}))
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{a}, Tags: []types.Tag{{Key: aws.String("role")}}}))
	return tokenRun
}

// describeAll is everything the account can read, as one JSON document
// with the request metadata left out.
func describeAll(t *testing.T, c *ec2.Client) string {
	t.Helper()
	ctx := ctxT(t)
	var doc struct {
		KeyPairs   []types.KeyPairInfo
		Groups     []types.SecurityGroup
		Rules      []types.SecurityGroupRule
		Instances  []types.Reservation
		Volumes    []types.Volume
		VolumeMods []types.VolumeModification
		AutoIO     map[string]bool
		Tags       []types.TagDescription
		Vpcs       []types.Vpc
		Subnets    []types.Subnet
		Images     []types.Image
		Attributes map[string]*types.AttributeBooleanValue
		Credits    []types.InstanceCreditSpecification
		Gateways   []types.InternetGateway
		Tables     []types.RouteTable
		Acls       []types.NetworkAcl
		VpcAttrs   map[string][3]bool // enableDnsSupport, enableDnsHostnames, enableNetworkAddressUsageMetrics
		Account    []types.AccountAttribute
		LTs        []types.LaunchTemplate
		LTVersions [][]types.LaunchTemplateVersion
		Interfaces []types.NetworkInterface
		Addresses  []types.Address
		Fleets     []types.FleetData
		History    [][]types.HistoryRecordEntry // of each request or maintain fleet
		Snapshots  []types.Snapshot
		SnapPerms  map[string][]types.CreateVolumePermission
		Spot       []types.SpotInstanceRequest
	}
	collect := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fleets, err := c.DescribeFleets(ctx, &ec2.DescribeFleetsInput{})
	collect(err)
	doc.Fleets = fleets.Fleets
	for _, f := range fleets.Fleets {
		if f.Type != types.FleetTypeInstant {
			h, err := c.DescribeFleetHistory(ctx, &ec2.DescribeFleetHistoryInput{FleetId: f.FleetId, StartTime: aws.Time(time.Unix(0, 0))})
			collect(err)
			doc.History = append(doc.History, h.HistoryRecords)
		}
	}
	spot, err := c.DescribeSpotInstanceRequests(ctx, &ec2.DescribeSpotInstanceRequestsInput{})
	collect(err)
	doc.Spot = spot.SpotInstanceRequests
	lts, err := c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{})
	collect(err)
	doc.LTs = lts.LaunchTemplates
	for _, lt := range lts.LaunchTemplates {
		vs, err := c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplateId})
		collect(err)
		doc.LTVersions = append(doc.LTVersions, vs.LaunchTemplateVersions)
	}
	kp, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{IncludePublicKey: aws.Bool(true)})
	collect(err)
	doc.KeyPairs = kp.KeyPairs
	sg, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	collect(err)
	doc.Groups = sg.SecurityGroups
	sr, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{})
	collect(err)
	doc.Rules = sr.SecurityGroupRules
	in, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	collect(err)
	doc.Instances = in.Reservations
	vo, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	collect(err)
	doc.Volumes = vo.Volumes
	vm, err := c.DescribeVolumesModifications(ctx, &ec2.DescribeVolumesModificationsInput{})
	collect(err)
	doc.VolumeMods = vm.VolumesModifications
	doc.AutoIO = map[string]bool{}
	for _, v := range vo.Volumes {
		if a, err := c.DescribeVolumeAttribute(ctx, &ec2.DescribeVolumeAttributeInput{VolumeId: v.VolumeId, Attribute: types.VolumeAttributeNameAutoEnableIO}); err == nil {
			doc.AutoIO[aws.ToString(v.VolumeId)] = aws.ToBool(a.AutoEnableIO.Value)
		}
	}
	tg, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{})
	collect(err)
	doc.Tags = tg.Tags
	vp, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	collect(err)
	doc.Vpcs = vp.Vpcs
	sn, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	collect(err)
	doc.Subnets = sn.Subnets
	gw, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{})
	collect(err)
	doc.Gateways = gw.InternetGateways
	rt, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{})
	collect(err)
	doc.Tables = rt.RouteTables
	ni, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	collect(err)
	doc.Interfaces = ni.NetworkInterfaces
	na, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{})
	collect(err)
	doc.Acls = na.NetworkAcls
	doc.VpcAttrs = map[string][3]bool{}
	for _, v := range vp.Vpcs {
		var attrs [3]bool
		for i, name := range []types.VpcAttributeName{types.VpcAttributeNameEnableDnsSupport, types.VpcAttributeNameEnableDnsHostnames,
			types.VpcAttributeNameEnableNetworkAddressUsageMetrics} {
			a, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: v.VpcId, Attribute: name})
			collect(err)
			for _, b := range []*types.AttributeBooleanValue{a.EnableDnsSupport, a.EnableDnsHostnames, a.EnableNetworkAddressUsageMetrics} {
				if b != nil {
					attrs[i] = aws.ToBool(b.Value)
				}
			}
		}
		doc.VpcAttrs[aws.ToString(v.VpcId)] = attrs
	}
	aa, err := c.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{})
	collect(err)
	doc.Account = aa.AccountAttributes
	ad, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	collect(err)
	doc.Addresses = ad.Addresses
	sp, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	collect(err)
	doc.Snapshots = sp.Snapshots
	doc.SnapPerms = map[string][]types.CreateVolumePermission{}
	for _, x := range sp.Snapshots {
		a, err := c.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: x.SnapshotId,
			Attribute: types.SnapshotAttributeNameCreateVolumePermission})
		collect(err)
		doc.SnapPerms[aws.ToString(x.SnapshotId)] = a.CreateVolumePermissions
	}
	im, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	collect(err)
	doc.Images = im.Images
	doc.Attributes = map[string]*types.AttributeBooleanValue{}
	for _, r := range in.Reservations {
		for _, i := range r.Instances {
			if i.State.Name == types.InstanceStateNameTerminated {
				continue
			}
			a, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: i.InstanceId,
				Attribute: types.InstanceAttributeNameDisableApiTermination})
			collect(err)
			doc.Attributes[aws.ToString(i.InstanceId)] = a.DisableApiTermination
			cr, err := c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{aws.ToString(i.InstanceId)}})
			collect(err)
			doc.Credits = append(doc.Credits, cr.InstanceCreditSpecifications...)
		}
	}
	// Orders the API does not promise.
	slices.SortFunc(doc.KeyPairs, func(a, b types.KeyPairInfo) int { return cmp.Compare(*a.KeyName, *b.KeyName) })
	slices.SortFunc(doc.Rules, func(a, b types.SecurityGroupRule) int {
		return cmp.Compare(*a.SecurityGroupRuleId, *b.SecurityGroupRuleId)
	})
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func terminateAll(t *testing.T, c *ec2.Client) {
	t.Helper()
	ctx := ctxT(t)
	in, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range in.Reservations {
		for _, i := range r.Instances {
			if i.State.Name != types.InstanceStateNameTerminated {
				ids = append(ids, aws.ToString(i.InstanceId))
				if _, err := c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: i.InstanceId,
					DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(false)}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if len(ids) == 0 {
		return
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitStates(t, c, 2*time.Minute, "terminated", ids...)
}

// TestStoredInstanceWhoseMachineIsGone: the engine lost a machine while
// the emulator was down; the restarted Server shows its instance
// terminated, saying why.
func TestStoredInstanceWhoseMachineIsGone(t *testing.T) {
	st := newStateful(t, mock.New(mock.WithDelay(5*time.Millisecond)))
	out := run(t, st.c, &ec2.RunInstancesInput{})
	id := aws.ToString(out.Instances[0].InstanceId)
	testutil.WaitStates(t, st.c, 2*time.Minute, "running", id)
	st.stop(false)
	st.b = mock.New() // a new engine: the machine is gone
	st.start()
	in, err := st.c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	got := in.Reservations[0].Instances[0]
	want := []string{"terminated", "Server.InternalError", "Server.InternalError: the instance's machine was not found when the emulator restarted"}
	if diff := gocmp.Diff(want, []string{string(got.State.Name), aws.ToString(got.StateReason.Code), aws.ToString(got.StateReason.Message)}); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// TestStoreThatCannotBeReadRefusesToStart: never a silent reset to empty.
func TestStoreThatCannotBeReadRefusesToStart(t *testing.T) {
	for _, tt := range []struct {
		name    string
		prepare func(t *testing.T, dir string) // makes dir unusable
		want    string
	}{
		{"corrupt", func(t *testing.T, dir string) {
			os.MkdirAll(dir, 0o700)
			if err := os.WriteFile(filepath.Join(dir, statestore.FileName), []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "opening state"},
		{"newer", func(t *testing.T, dir string) {
			db, err := statestore.Open(dir, statestore.Schema{Version: 99, Buckets: []string{"instances"}})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
		}, "schema version 99; this ec2emu reads up to 1"},
		{"not a directory", func(t *testing.T, dir string) {
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "state directory"},
		{"in use", func(t *testing.T, dir string) {
			db, err := statestore.Open(dir, statestore.Schema{Version: 1, Buckets: []string{"instances"}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		}, "in use by another process"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			tt.prepare(t, dir)
			before, _ := os.ReadFile(filepath.Join(dir, statestore.FileName))
			_, err := ec2emu.Open(ctxT(t), "mock", ec2emu.WithStateDir(dir))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: got %v, want an error containing %q", err, tt.want)
			}
			// New cannot fail: it answers 503 saying why.
			b := mock.New()
			srv := ec2emu.New(b, ec2emu.WithStateDir(dir))
			defer srv.Close()
			hs := httptest.NewServer(srv)
			defer hs.Close()
			c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
				Credentials: aws.AnonymousCredentials{}, HTTPClient: ec2emutest.HTTPClient(), RetryMaxAttempts: 1})
			_, err = c.DescribeKeyPairs(ctxT(t), &ec2.DescribeKeyPairsInput{})
			wantAPIError(t, err, "Unavailable", 503)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("the answer does not say why: %v", err)
			}
			after, _ := os.ReadFile(filepath.Join(dir, statestore.FileName))
			if string(before) != string(after) {
				t.Error("the state file was changed")
			}
		})
	}
}

// TestFailedCommitStopsServing: when the disk refuses a write, the request
// that made the change is not acknowledged, nothing later is, and a restart
// shows what was on disk before.
func TestFailedCommitStopsServing(t *testing.T) {
	st := newStateful(t, mock.New())
	ctx := ctxT(t)
	if _, err := st.c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	st.srv.FailStoreWritesForTest(errors.New("write ec2emu.db: no space left on device"))
	_, err := st.c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("lost")})
	wantAPIError(t, err, "Unavailable", 503)
	if !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("the answer does not say why: %v", err)
	}
	// Reads too: memory is ahead of the disk now.
	_, err = st.c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	wantAPIError(t, err, "Unavailable", 503)
	st.restart(false)
	kp, err := st.c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range kp.KeyPairs {
		names = append(names, aws.ToString(k.KeyName))
	}
	if diff := gocmp.Diff([]string{"kept"}, names); diff != "" {
		t.Errorf("key pairs after the restart (-want +got):\n%s", diff)
	}
}

// TestEachWriteSurvivesRestart: every action that changes state, alone,
// survives a kill right after its answer.
func TestEachWriteSurvivesRestart(t *testing.T) {
	type env struct {
		c                *ec2.Client
		running, stopped string // instance IDs
		group, rule, key string
		v                *vpcEnv // a VPC with a subnet, gateway, route table
		lt               string  // a launch template with versions 1 and 2
		fleet            string  // an instant fleet from lt, its one instance terminated
		eni, attachment  string  // an available interface; one attached to v.inst
		eip, eipAssoc    string  // an Elastic IP, and the association of another with running
		img              string  // an AMI of the account's own, made public
		vol, attVol      string  // an available volume; one attached to running
		snap, az         string  // a completed snapshot shared with acctB (its volume deleted); the running instance's zone
		spot             string  // an open one-time Spot request
	}
	perm := func(port int32) []types.IpPermission {
		return []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
			IpRanges: []types.IpRange{{CidrIp: aws.String("192.0.2.0/24")}}}}
	}
	for _, tt := range []struct {
		name string
		op   func(ctx context.Context, e env) (any, error)
	}{
		{"RunInstances", func(ctx context.Context, e env) (any, error) {
			return e.c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ClientToken: aws.String("t")})
		}},
		{"StopInstances", func(ctx context.Context, e env) (any, error) {
			return e.c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{e.running}})
		}},
		{"StartInstances", func(ctx context.Context, e env) (any, error) {
			return e.c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{e.stopped}})
		}},
		{"TerminateInstances", func(ctx context.Context, e env) (any, error) {
			return e.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{e.running}})
		}},
		{"ModifyInstanceAttribute", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(e.running),
				DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
		}},
		{"ModifyInstanceAttribute/type", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(e.stopped),
				InstanceType: &types.AttributeValue{Value: aws.String("m5.large")}})
		}},
		{"ModifyInstanceMetadataOptions", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(e.running),
				HttpTokens: types.HttpTokensStateRequired})
		}},
		{"ModifyInstanceMaintenanceOptions", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyInstanceMaintenanceOptions(ctx, &ec2.ModifyInstanceMaintenanceOptionsInput{InstanceId: aws.String(e.running),
				AutoRecovery: types.InstanceAutoRecoveryStateDisabled})
		}},
		{"ModifyInstanceCreditSpecification", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyInstanceCreditSpecification(ctx, &ec2.ModifyInstanceCreditSpecificationInput{
				InstanceCreditSpecifications: []types.InstanceCreditSpecificationRequest{{InstanceId: aws.String(e.running), CpuCredits: aws.String("standard")}}})
		}},
		{"CreateKeyPair", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("new")})
		}},
		{"ImportKeyPair", func(ctx context.Context, e env) (any, error) {
			return e.c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("imported"),
				PublicKeyMaterial: []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcjJ0v7Yh5tJ0bmn5iUOC3o9mZ4dkx6m5zvJ8qXUWbA me")})
		}},
		{"DeleteKeyPair", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String(e.key)})
		}},
		{"CreateSecurityGroup", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("db"), Description: aws.String("d")})
		}},
		{"DeleteSecurityGroup", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(e.group)})
		}},
		{"AuthorizeSecurityGroupIngress", func(ctx context.Context, e env) (any, error) {
			return e.c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(e.group), IpPermissions: perm(443)})
		}},
		{"AuthorizeSecurityGroupEgress", func(ctx context.Context, e env) (any, error) {
			return e.c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(e.group), IpPermissions: perm(25)})
		}},
		{"RevokeSecurityGroupIngress", func(ctx context.Context, e env) (any, error) {
			return e.c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(e.group), SecurityGroupRuleIds: []string{e.rule}})
		}},
		{"RevokeSecurityGroupEgress", func(ctx context.Context, e env) (any, error) {
			return e.c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(e.group), IpPermissions: []types.IpPermission{
				{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
		}},
		{"CreateImage", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(e.running), Name: aws.String("snap"), NoReboot: aws.Bool(true)})
		}},
		{"CreateVpc", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("192.168.0.0/20"), TagSpecifications: tagSpec(types.ResourceTypeVpc, "a", "b")})
		}},
		{"DeleteVpc", func(ctx context.Context, e env) (any, error) {
			e.c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &e.v.otherVPCSubnet})
			return e.c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: &e.v.otherVPC})
		}},
		{"DeleteVpc/default", func(ctx context.Context, e env) (any, error) {
			must(e.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{e.running, e.stopped}}))
			testutil.WaitStates(t, e.c, time.Minute, "terminated", e.running, e.stopped)
			deleteDefaultVPC(t, e.c)
			return nil, nil
		}},
		{"CreateDefaultVpc", func(ctx context.Context, e env) (any, error) {
			must(e.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{e.running, e.stopped}}))
			testutil.WaitStates(t, e.c, time.Minute, "terminated", e.running, e.stopped)
			deleteDefaultVPC(t, e.c)
			return e.c.CreateDefaultVpc(ctx, &ec2.CreateDefaultVpcInput{})
		}},
		{"ModifyVpcAttribute", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &e.v.vpc, EnableNetworkAddressUsageMetrics: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
		}},
		{"CreateSubnet", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &e.v.vpc, CidrBlock: aws.String("10.0.7.0/24"), AvailabilityZoneId: aws.String("use1-az3")})
		}},
		{"DeleteSubnet", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: &e.v.otherVPCSubnet})
		}},
		{"ModifySubnetAttribute", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: &e.v.subnet, PrivateDnsHostnameTypeOnLaunch: types.HostnameTypeResourceName})
		}},
		{"CreateInternetGateway", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
		}},
		{"DeleteInternetGateway", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: &e.v.freeIGW})
		}},
		{"AttachInternetGateway", func(ctx context.Context, e env) (any, error) {
			return e.c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &e.v.freeIGW, VpcId: &e.v.otherVPC})
		}},
		{"DetachInternetGateway", func(ctx context.Context, e env) (any, error) {
			return e.c.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: &e.v.igw, VpcId: &e.v.vpc})
		}},
		{"CreateRouteTable", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &e.v.vpc, ClientToken: aws.String("tok")})
		}},
		{"DeleteRouteTable", func(ctx context.Context, e env) (any, error) {
			e.c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: &e.v.assoc})
			return e.c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: &e.v.rt})
		}},
		{"CreateRoute", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &e.v.mainRT, DestinationIpv6CidrBlock: aws.String("::/0"), GatewayId: &e.v.igw})
		}},
		{"ReplaceRoute", func(ctx context.Context, e env) (any, error) {
			return e.c.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: &e.v.rt, DestinationCidrBlock: aws.String("0.0.0.0/0"), InstanceId: aws.String(e.v.inst)})
		}},
		{"DeleteRoute", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: &e.v.rt, DestinationCidrBlock: aws.String("0.0.0.0/0")})
		}},
		{"AssociateRouteTable", func(ctx context.Context, e env) (any, error) {
			return e.c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &e.v.rt, GatewayId: &e.v.igw})
		}},
		{"DisassociateRouteTable", func(ctx context.Context, e env) (any, error) {
			return e.c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: &e.v.assoc})
		}},
		{"CreateLaunchTemplate", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("new"), ClientToken: aws.String("t"),
				TagSpecifications:  tagSpec(types.ResourceTypeLaunchTemplate, "a", "b"),
				LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ubuntuAMI), SecurityGroupIds: []string{e.group}}})
		}},
		{"CreateLaunchTemplateVersion", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: &e.lt, SourceVersion: aws.String("1"),
				VersionDescription: aws.String("three"), LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeM5Large}})
		}},
		{"ModifyLaunchTemplate", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: &e.lt, DefaultVersion: aws.String("2")})
		}},
		{"DeleteLaunchTemplateVersions", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteLaunchTemplateVersions(ctx, &ec2.DeleteLaunchTemplateVersionsInput{LaunchTemplateId: &e.lt, Versions: []string{"2"}})
		}},
		{"DeleteLaunchTemplate", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: &e.lt})
		}},
		{"CreateTags/launch-template", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{e.lt}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		}},
		{"RunInstances/launch-template", func(ctx context.Context, e env) (any, error) {
			return e.c.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: &e.lt, Version: aws.String("$Latest")}})
		}},
		{"CreateFleet", func(ctx context.Context, e env) (any, error) {
			in := instantFleet(e.lt, 2, types.FleetLaunchTemplateOverridesRequest{InstanceType: types.InstanceTypeT3Nano, Priority: aws.Float64(1)},
				types.FleetLaunchTemplateOverridesRequest{SubnetId: aws.String("subnet-0123456789abcdef0")})
			in.ClientToken = aws.String("t")
			in.TagSpecifications = tagSpec(types.ResourceTypeFleet, "k", "v")
			return e.c.CreateFleet(ctx, in)
		}},
		{"DeleteFleets", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{e.fleet}, TerminateInstances: aws.Bool(true)})
		}},
		{"CreateFleet/maintain", func(ctx context.Context, e env) (any, error) {
			in := asyncFleet(e.lt, types.FleetTypeMaintain, 2)
			in.TagSpecifications = tagSpec(types.ResourceTypeInstance, "k", "v")
			out, err := e.c.CreateFleet(ctx, in)
			if err == nil {
				waitFleet(t, e.c, aws.ToString(out.FleetId), 2)
			}
			return out, err
		}},
		{"ModifyFleet", func(ctx context.Context, e env) (any, error) {
			id := aws.ToString(must(e.c.CreateFleet(ctx, asyncFleet(e.lt, types.FleetTypeMaintain, 2))).FleetId)
			ids := waitFleet(t, e.c, id, 2)
			out, err := e.c.ModifyFleet(ctx, &ec2.ModifyFleetInput{FleetId: &id, ExcessCapacityTerminationPolicy: types.FleetExcessCapacityTerminationPolicyTermination,
				TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1)}})
			if err == nil {
				kept := waitFleet(t, e.c, id, 1)
				testutil.WaitStates(t, e.c, time.Minute, "terminated", slices.DeleteFunc(ids, func(i string) bool { return i == kept[0] })...)
			}
			return out, err
		}},
		{"DeleteFleets/maintain", func(ctx context.Context, e env) (any, error) {
			id := aws.ToString(must(e.c.CreateFleet(ctx, asyncFleet(e.lt, types.FleetTypeMaintain, 2))).FleetId)
			ids := waitFleet(t, e.c, id, 2)
			must(e.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:1]}))
			testutil.WaitStates(t, e.c, time.Minute, "terminated", ids[0])
			waitFleet(t, e.c, id, 2)
			return e.c.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{id}, TerminateInstances: aws.Bool(false)})
		}},
		{"CreateTags/fleet", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{e.fleet}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		}},
		{"CreateNetworkInterface", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &e.v.subnet, PrivateIpAddress: aws.String("10.0.1.200")})
		}},
		{"DeleteNetworkInterface", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: &e.eni})
		}},
		{"AttachNetworkInterface", func(ctx context.Context, e env) (any, error) {
			return e.c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: &e.eni, InstanceId: &e.v.inst, DeviceIndex: aws.Int32(2)})
		}},
		{"DetachNetworkInterface", func(ctx context.Context, e env) (any, error) {
			return e.c.DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: &e.attachment})
		}},
		{"ModifyNetworkInterfaceAttribute", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: &e.eni,
				SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)}})
		}},
		{"ModifyNetworkInterfaceAttribute/primary", func(ctx context.Context, e env) (any, error) {
			d, err := e.c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{e.v.inst}})
			if err != nil {
				return nil, err
			}
			return e.c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{
				NetworkInterfaceId: d.Reservations[0].Instances[0].NetworkInterfaces[0].NetworkInterfaceId, Groups: []string{e.v.sg}})
		}},
		{"AllocateAddress", func(ctx context.Context, e env) (any, error) {
			return e.c.AllocateAddress(ctx, &ec2.AllocateAddressInput{TagSpecifications: tagSpec(types.ResourceTypeElasticIp, "a", "b")})
		}},
		{"AssociateAddress", func(ctx context.Context, e env) (any, error) {
			return e.c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: &e.eip, InstanceId: &e.v.inst})
		}},
		{"DisassociateAddress", func(ctx context.Context, e env) (any, error) {
			return e.c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: &e.eipAssoc})
		}},
		{"ReleaseAddress", func(ctx context.Context, e env) (any, error) {
			return e.c.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: &e.eip})
		}},
		{"ModifyImageAttribute/description", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &e.img, Description: &types.AttributeValue{Value: aws.String("changed")}})
		}},
		{"ModifyImageAttribute/launchPermission", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &e.img,
				LaunchPermission: &types.LaunchPermissionModifications{Remove: []types.LaunchPermission{{Group: types.PermissionGroupAll}}}})
		}},
		{"CopyImage", func(ctx context.Context, e env) (any, error) {
			return e.c.CopyImage(ctx, &ec2.CopyImageInput{SourceRegion: aws.String("us-east-1"), SourceImageId: &e.img, Name: aws.String("copy"), ClientToken: aws.String("t")})
		}},
		{"RegisterImage", func(ctx context.Context, e env) (any, error) {
			return e.c.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("registered"), ImageLocation: aws.String("docker:ubuntu-22.04-jammy-jellyfish")})
		}},
		{"ResetImageAttribute", func(ctx context.Context, e env) (any, error) {
			return e.c.ResetImageAttribute(ctx, &ec2.ResetImageAttributeInput{ImageId: &e.img, Attribute: types.ResetImageAttributeNameLaunchPermission})
		}},
		{"CreateVolume", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(3), ClientToken: aws.String("t")})
		}},
		{"DeleteVolume", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: &e.vol})
		}},
		{"AttachVolume", func(ctx context.Context, e env) (any, error) {
			return e.c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: &e.vol, InstanceId: &e.running, Device: aws.String("/dev/sdg")})
		}},
		{"DetachVolume", func(ctx context.Context, e env) (any, error) {
			return e.c.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: &e.attVol})
		}},
		{"ModifyVolume", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: &e.attVol, Size: aws.Int32(9)})
		}},
		{"ModifyVolumeAttribute", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyVolumeAttribute(ctx, &ec2.ModifyVolumeAttributeInput{VolumeId: &e.vol, AutoEnableIO: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
		}},
		{"ModifyInstanceAttribute/volume", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: &e.running, BlockDeviceMappings: []types.InstanceBlockDeviceMappingSpecification{
				{DeviceName: aws.String("/dev/sdf"), Ebs: &types.EbsInstanceBlockDeviceSpecification{DeleteOnTermination: aws.Bool(true)}}}})
		}},
		{"CreateSnapshot", func(ctx context.Context, e env) (any, error) {
			vol := newVolume(ctx, t, e.c, e.az, "")
			snap := must(e.c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol, Description: aws.String("new"),
				TagSpecifications: tagSpec(types.ResourceTypeSnapshot, "a", "b")}))
			waitSnapshot(ctx, t, e.c, aws.ToString(snap.SnapshotId))
			deleteVolume(ctx, t, e.c, vol)
			return snap, nil
		}},
		{"CreateSnapshots", func(ctx context.Context, e env) (any, error) {
			vol := newVolume(ctx, t, e.c, e.az, "")
			attach(t, e.c, vol, e.running, "/dev/sdh")
			out := must(e.c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &types.InstanceSpecification{
				InstanceId: &e.running, ExcludeBootVolume: aws.Bool(true)}}))
			waitSnapshot(ctx, t, e.c, aws.ToString(out.Snapshots[0].SnapshotId))
			must(e.c.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: &vol}))
			waitVolume(t, e.c, vol, types.VolumeStateAvailable, "")
			deleteVolume(ctx, t, e.c, vol)
			return out, nil
		}},
		{"DeleteSnapshot", func(ctx context.Context, e env) (any, error) {
			return e.c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: &e.snap})
		}},
		{"CopySnapshot", func(ctx context.Context, e env) (any, error) {
			out := must(e.c.CopySnapshot(ctx, &ec2.CopySnapshotInput{SourceRegion: aws.String("us-east-1"), SourceSnapshotId: &e.snap}))
			waitSnapshot(ctx, t, e.c, aws.ToString(out.SnapshotId))
			// A write after it completed: its answer waits until that is stored too.
			return e.c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(out.SnapshotId)}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		}},
		{"ModifySnapshotAttribute", func(ctx context.Context, e env) (any, error) {
			return e.c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: &e.snap,
				CreateVolumePermission: &types.CreateVolumePermissionModifications{Add: []types.CreateVolumePermission{{Group: types.PermissionGroupAll}}}})
		}},
		{"ResetSnapshotAttribute", func(ctx context.Context, e env) (any, error) {
			return e.c.ResetSnapshotAttribute(ctx, &ec2.ResetSnapshotAttributeInput{SnapshotId: &e.snap, Attribute: types.SnapshotAttributeNameCreateVolumePermission})
		}},
		{"CreateTags/snapshot", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{e.snap}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		}},
		{"RunInstances/spot", func(ctx context.Context, e env) (any, error) {
			return e.c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				InstanceMarketOptions: &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}})
		}},
		{"RequestSpotInstances", func(ctx context.Context, e env) (any, error) {
			return e.c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{InstanceCount: aws.Int32(2), SpotPrice: aws.String("0.05"),
				LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI)},
				TagSpecifications:   tagSpec(types.ResourceTypeSpotInstancesRequest, "k", "v")})
		}},
		{"CancelSpotInstanceRequests", func(ctx context.Context, e env) (any, error) {
			return e.c.CancelSpotInstanceRequests(ctx, &ec2.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: []string{e.spot}})
		}},
		{"CreateTags/spot", func(ctx context.Context, e env) (any, error) {
			return e.c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{e.spot}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		}},
		{"ReplaceRouteTableAssociation", func(ctx context.Context, e env) (any, error) {
			return e.c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: &e.v.mainAssoc, RouteTableId: &e.v.rt})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A capacity, so a Spot request can be left open (openSpotRequest).
			st := newStateful(t, mock.New(mock.WithDelay(time.Millisecond)), ec2emu.WithCapacity(spotTestCapacity))
			ctx := ctxT(t)
			e := env{c: st.c}
			out := run(t, st.c, &ec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2), InstanceType: types.InstanceTypeT3Micro})
			e.running, e.stopped = aws.ToString(out.Instances[0].InstanceId), aws.ToString(out.Instances[1].InstanceId)
			testutil.WaitStates(t, st.c, time.Minute, "running", e.running, e.stopped)
			if _, err := st.c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{e.stopped}}); err != nil {
				t.Fatal(err)
			}
			testutil.WaitStates(t, st.c, time.Minute, "stopped", e.stopped)
			g, err := st.c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("w")})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: perm(22)})
			if err != nil {
				t.Fatal(err)
			}
			e.group, e.rule, e.key = aws.ToString(g.GroupId), aws.ToString(r.SecurityGroupRules[0].SecurityGroupRuleId), "old"
			e.v = newVPCEnv(t, st.c)
			e.v.inst = aws.ToString(run(t, st.c, &ec2.RunInstancesInput{SubnetId: &e.v.subnet}).Instances[0].InstanceId)
			testutil.WaitStates(t, st.c, time.Minute, "running", e.v.inst)
			e.eni = aws.ToString(must(st.c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &e.v.subnet})).NetworkInterface.NetworkInterfaceId)
			other := must(st.c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: &e.v.subnet})).NetworkInterface.NetworkInterfaceId
			e.attachment = aws.ToString(must(st.c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: other,
				InstanceId: &e.v.inst, DeviceIndex: aws.Int32(1)})).AttachmentId)
			if _, err := st.c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String(e.key)}); err != nil {
				t.Fatal(err)
			}
			lt := must(st.c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("base"),
				LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ubuntuAMI), InstanceType: types.InstanceTypeT3Micro,
					MetadataOptions: &types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: types.LaunchTemplateHttpTokensStateRequired}}}))
			e.lt = aws.ToString(lt.LaunchTemplate.LaunchTemplateId)
			must(st.c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: &e.lt, SourceVersion: aws.String("$Latest"),
				LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeT3Small}}))
			fl := must(st.c.CreateFleet(ctx, instantFleet(e.lt, 1)))
			e.fleet = aws.ToString(fl.FleetId)
			// Its instance goes, so that it holds no subnet the VPC cases delete.
			must(st.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: fl.Instances[0].InstanceIds}))
			testutil.WaitStates(t, st.c, time.Minute, "terminated", fl.Instances[0].InstanceIds...)
			eip := must(st.c.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
			e.eip = aws.ToString(eip.AllocationId)
			otherEIP := must(st.c.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
			e.eipAssoc = aws.ToString(must(st.c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: otherEIP.AllocationId, InstanceId: &e.running})).AssociationId)
			e.img = aws.ToString(must(st.c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: &e.stopped, Name: aws.String("shared")})).ImageId)
			if err := ec2.NewImageAvailableWaiter(st.c, func(o *ec2.ImageAvailableWaiterOptions) { o.MinDelay = 10 * time.Millisecond }).
				Wait(ctx, &ec2.DescribeImagesInput{ImageIds: []string{e.img}}, time.Minute); err != nil {
				t.Fatal(err)
			}
			must(st.c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &e.img,
				LaunchPermission: &types.LaunchPermissionModifications{Add: []types.LaunchPermission{{Group: types.PermissionGroupAll}}}}))
			e.az = aws.ToString(out.Instances[0].Placement.AvailabilityZone)
			vol := newVolume(ctx, t, st.c, e.az, "")
			e.snap = aws.ToString(must(st.c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: &vol})).SnapshotId)
			waitSnapshot(ctx, t, st.c, e.snap)
			deleteVolume(ctx, t, st.c, vol)
			must(st.c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: &e.snap,
				CreateVolumePermission: &types.CreateVolumePermissionModifications{Add: []types.CreateVolumePermission{{UserId: aws.String(acctB)}}}}))
			e.vol = createVolume(t, st.c, e.az, 2)
			e.attVol = createVolume(t, st.c, e.az, 2)
			attach(t, st.c, e.attVol, e.running, "/dev/sdf")
			e.spot = openSpotRequest(t, st.c)
			base := describeAll(t, st.c)
			if _, err := tt.op(ctx, e); err != nil {
				t.Fatal(err)
			}
			before := describeAll(t, st.c)
			if before == base {
				t.Fatal("the action changed nothing a Describe shows")
			}
			st.restart(true)
			if diff := gocmp.Diff(before, describeAll(t, st.c)); diff != "" {
				t.Errorf("after a kill right after the answer (-before +after):\n%s", diff)
			}
		})
	}
}

// TestEachTagSurvivesRestart: tags on every kind of resource.
func TestEachTagSurvivesRestart(t *testing.T) {
	st := newStateful(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx := ctxT(t)
	out := run(t, st.c, &ec2.RunInstancesInput{})
	inst := aws.ToString(out.Instances[0].InstanceId)
	testutil.WaitStates(t, st.c, time.Minute, "running", inst)
	g, err := st.c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("w")})
	if err != nil {
		t.Fatal(err)
	}
	kp, err := st.c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	eip := must(st.c.AllocateAddress(ctx, &ec2.AllocateAddressInput{}))
	vol := newVolume(ctx, t, st.c, aws.ToString(out.Instances[0].Placement.AvailabilityZone), "")
	snap := snapshotOf(ctx, t, st.c, vol)
	deleteVolume(ctx, t, st.c, vol)
	all := describeAll(t, st.c)
	var doc struct {
		Volumes  []types.Volume
		Vpcs     []types.Vpc
		Subnets  []types.Subnet
		Rules    []types.SecurityGroupRule
		Gateways []types.InternetGateway
		Tables   []types.RouteTable
		Acls     []types.NetworkAcl
	}
	if err := json.Unmarshal([]byte(all), &doc); err != nil {
		t.Fatal(err)
	}
	for kind, id := range map[string]string{
		"instance": inst, "image": ubuntuAMI, "volume": aws.ToString(doc.Volumes[0].VolumeId), "vpc": aws.ToString(doc.Vpcs[0].VpcId),
		"subnet": aws.ToString(doc.Subnets[0].SubnetId), "security-group": aws.ToString(g.GroupId),
		"security-group-rule": aws.ToString(doc.Rules[0].SecurityGroupRuleId), "key-pair": aws.ToString(kp.KeyPairId),
		"internet-gateway": aws.ToString(doc.Gateways[0].InternetGatewayId), "route-table": aws.ToString(doc.Tables[0].RouteTableId),
		"network-acl": aws.ToString(doc.Acls[0].NetworkAclId), "elastic-ip": aws.ToString(eip.AllocationId),
		"snapshot": snap,
		"spot-instances-request": aws.ToString(must(st.c.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{
			LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(ubuntuAMI)}})).SpotInstanceRequests[0].SpotInstanceRequestId),
	} {
		t.Run(kind, func(t *testing.T) {
			if _, err := st.c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id},
				Tags: []types.Tag{{Key: aws.String("kind"), Value: aws.String(kind)}}}); err != nil {
				t.Fatal(err)
			}
			before := describeAll(t, st.c)
			st.restart(true)
			if diff := gocmp.Diff(before, describeAll(t, st.c)); diff != "" {
				t.Errorf("(-before +after):\n%s", diff)
			}
			if _, err := st.c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}}); err != nil {
				t.Fatal(err)
			}
			before = describeAll(t, st.c)
			st.restart(true)
			if diff := gocmp.Diff(before, describeAll(t, st.c)); diff != "" {
				t.Errorf("after DeleteTags (-before +after):\n%s", diff)
			}
		})
	}
}

// TestCrashConsistency: 32 clients write (key pairs, groups, rules, tags,
// launches, stops, terminates) while the Server is killed at a random
// moment, 20 times over one state directory and one backend. After each
// restart, every write answered 2xx is visible, none answered with an
// error is, and each machine belongs to exactly one live instance. The kill
// is in-process (CrashForTest); examples/ec2emu kills a real process.
func TestCrashConsistency(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 4
	}
	b := mock.New(mock.WithDelay(2 * time.Millisecond))
	st := newStateful(t, b, ec2emu.WithVcpuLimit(1<<20))
	model := crashcheck.NewModel()
	machines := func(ctx context.Context) ([]string, error) {
		ms, err := b.Machines(ctx)
		var ids []string
		for _, m := range ms {
			if m.State != backend.StateTerminated {
				ids = append(ids, m.ID)
			}
		}
		return ids, err
	}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	for round := range rounds {
		ctx, cancel := context.WithCancel(ctxT(t))
		done := make(chan struct{})
		go func() {
			defer close(done)
			model.Run(ctx, st.c, round, 32, ubuntuAMI)
		}()
		time.Sleep(time.Duration(50+rnd.IntN(450)) * time.Millisecond) // the kill's moment, not a wait for a condition
		st.stop(true)
		cancel()
		<-done
		st.start()
		if bad := model.Check(ctxT(t), st.c, machines); len(bad) > 0 {
			slices.Sort(bad)
			t.Fatalf("round %d: %d discrepancies:\n%s", round, len(bad), strings.Join(bad[:min(len(bad), 30)], "\n"))
		}
		if err := model.Settle(ctxT(t), st.c); err != nil {
			t.Fatal(err)
		}
	}
	acked, failed, cut := model.Counts()
	t.Logf("%d rounds: %d writes acknowledged, %d failed as they must, %d cut off by the kill", rounds, acked, failed, cut)
	if acked == 0 || cut == 0 {
		t.Errorf("the workload did not exercise the kill: %d acknowledged, %d cut off", acked, cut)
	}
}

// TestNetworkRecordBeforeVPCs: a state directory written before the VPC
// actions (its network record has no gateways, route tables, ACLs or VPC
// and subnet attributes) loads with the defaults AWS gives a default VPC:
// the same answers as before.
func TestNetworkRecordBeforeVPCs(t *testing.T) {
	st := newStateful(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx := ctxT(t)
	v := defaultVPC(t, st.c)
	// A tag makes the Server write the network record.
	must(st.c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(v.VpcId)}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	before := describeAll(t, st.c)
	st.stop(false)

	db, err := statestore.Open(st.dir, statestore.Schema{Version: 1, Buckets: []string{"instances", "keypairs", "groups", "networks", "imagetags", "images"}})
	if err != nil {
		t.Fatal(err)
	}
	var ops []statestore.Op
	if err := db.ForEach("networks", func(k, v []byte) error {
		var rec map[string]any
		if err := json.Unmarshal(v, &rec); err != nil {
			return err
		}
		delete(rec, "gateways")
		delete(rec, "routeTables")
		delete(rec, "acls")
		for _, list := range []string{"vpcs", "subnets"} {
			for _, x := range rec[list].([]any) {
				m := x.(map[string]any)
				for _, f := range []string{"Tenancy", "DNSSupport", "DNSHostnames", "NAUMetrics", "MapPublicIP", "DNS64", "HostnameType", "DNSA", "DNSAAAA"} {
					delete(m, f)
				}
			}
		}
		b, _ := json.Marshal(rec)
		ops = append(ops, statestore.Op{Bucket: "networks", Key: append([]byte(nil), k...), Value: b})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 {
		t.Fatalf("%d network records, want 1", len(ops))
	}
	if err := db.Apply(ops); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st.start()
	if diff := gocmp.Diff(before, describeAll(t, st.c)); diff != "" {
		t.Errorf("after loading the old record (-before +after):\n%s", diff)
	}
}
