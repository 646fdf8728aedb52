package ec2emu_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
)

// asAccount is a client of srv signed with account as its access key ID,
// which the emulator takes for the account.
func asAccount(srv *ec2emutest.Server, account string) *ec2.Client {
	return ec2.New(srv.Client.Options(), func(o *ec2.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(account, "test", "")
		o.RetryMaxAttempts = 1
	})
}

// ownImage makes an AMI of c's account from a new instance of base and waits
// until it is available; it returns the AMI and the instance.
func ownImage(ctx context.Context, t *testing.T, c *ec2.Client, base, name string) (ami, inst string) {
	t.Helper()
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(base), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	inst = aws.ToString(run.Instances[0].InstanceId)
	testutil.WaitStates(t, c, 2*time.Minute, types.InstanceStateNameRunning, inst)
	img, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: &inst, Name: aws.String(name), Description: aws.String("made by a"), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	waitImageAvailable(ctx, t, c, aws.ToString(img.ImageId))
	return aws.ToString(img.ImageId), inst
}

func waitImageAvailable(ctx context.Context, t *testing.T, c *ec2.Client, ami string) {
	t.Helper()
	if err := ec2.NewImageAvailableWaiter(c, func(o *ec2.ImageAvailableWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
		Wait(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami}}, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
}

// imageIDs lists the AMIs c's DescribeImages answers in.
func imageIDs(ctx context.Context, t *testing.T, c *ec2.Client, in *ec2.DescribeImagesInput) []string {
	t.Helper()
	out, err := c.DescribeImages(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, img := range out.Images {
		ids = append(ids, aws.ToString(img.ImageId))
	}
	return ids
}

// TestImageLaunchPermissions: an AMI made by CreateImage is private to its
// account; sharing it with another (UserId) or everyone (Group=all) lets
// them describe and launch it, and taking it back stops both, as on AWS:
// the launch of an AMI not shared with the caller is AuthFailure "Not
// authorized for images: [ami-…]".
func TestImageLaunchPermissions(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	a, b, c := asAccount(srv, acctA), asAccount(srv, acctB), asAccount(srv, acctC)
	own, _ := ownImage(ctx, t, a, ubuntuAMI, "private-one")

	// sees reports, for each of b's views, whether own is in it.
	type views struct{ Default, ByID, ExecSelf, ExecAll, OwnerA, OwnerSelf, Launch bool }
	sees := func(cl *ec2.Client) views {
		in := func(in *ec2.DescribeImagesInput) bool { return slices.Contains(imageIDs(ctx, t, cl, in), own) }
		var v views
		v.Default = in(&ec2.DescribeImagesInput{})
		out, err := cl.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{own}})
		v.ByID = err == nil && len(out.Images) == 1
		v.ExecSelf = in(&ec2.DescribeImagesInput{ExecutableUsers: []string{"self"}})
		v.ExecAll = in(&ec2.DescribeImagesInput{ExecutableUsers: []string{"all"}})
		v.OwnerA = in(&ec2.DescribeImagesInput{Owners: []string{acctA}})
		v.OwnerSelf = in(&ec2.DescribeImagesInput{Owners: []string{"self"}})
		run, err := cl.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: &own, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
		if err == nil {
			v.Launch = true
			if _, err := cl.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(run.Instances[0].InstanceId)}}); err != nil {
				t.Fatal(err)
			}
		} else {
			wantAPIError(t, err, "AuthFailure", 401)
		}
		return v
	}
	perms := func() []types.LaunchPermission {
		out, err := a.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: &own, Attribute: types.ImageAttributeNameLaunchPermission})
		if err != nil {
			t.Fatal(err)
		}
		return out.LaunchPermissions
	}
	modify := func(in *types.LaunchPermissionModifications) {
		t.Helper()
		if _, err := a.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &own, LaunchPermission: in}); err != nil {
			t.Fatal(err)
		}
	}
	none := views{}
	shared := views{Default: true, ByID: true, ExecSelf: true, OwnerA: true, Launch: true}
	public := views{Default: true, ByID: true, ExecSelf: true, ExecAll: true, OwnerA: true, Launch: true}
	diff := func(step string, wantB, wantC views, wantPerms []types.LaunchPermission) {
		t.Helper()
		if d := cmp.Diff([]views{wantB, wantC}, []views{sees(b), sees(c)}); d != "" {
			t.Errorf("%s: what b and c see (-want +got):\n%s", step, d)
		}
		if d := cmp.Diff(wantPerms, perms(), cmp.AllowUnexported(types.LaunchPermission{}), cmp.Comparer(func(x, y types.LaunchPermission) bool {
			return aws.ToString(x.UserId) == aws.ToString(y.UserId) && x.Group == y.Group
		})); d != "" {
			t.Errorf("%s: launchPermission (-want +got):\n%s", step, d)
		}
	}

	diff("private", none, none, []types.LaunchPermission{})
	modify(&types.LaunchPermissionModifications{Add: []types.LaunchPermission{{UserId: aws.String(acctB)}}})
	diff("shared with b", shared, none, []types.LaunchPermission{{UserId: aws.String(acctB)}})
	// The owner finds it by the account it is shared with.
	if got := imageIDs(ctx, t, a, &ec2.DescribeImagesInput{ExecutableUsers: []string{acctB}}); !slices.Equal(got, []string{own}) {
		t.Errorf("a's DescribeImages ExecutableBy=%s: %v, want [%s]", acctB, got, own)
	}
	if got := imageIDs(ctx, t, a, &ec2.DescribeImagesInput{ExecutableUsers: []string{acctC}}); len(got) != 0 {
		t.Errorf("a's DescribeImages ExecutableBy=%s: %v, want none", acctC, got)
	}
	// The legacy form (OperationType, UserId.N) as the AWS CLI's --operation-type sends.
	if _, err := a.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &own, Attribute: aws.String("launchPermission"),
		OperationType: types.OperationTypeAdd, UserIds: []string{acctC}}); err != nil {
		t.Fatal(err)
	}
	diff("shared with b and c", shared, shared, []types.LaunchPermission{{UserId: aws.String(acctB)}, {UserId: aws.String(acctC)}})
	modify(&types.LaunchPermissionModifications{Remove: []types.LaunchPermission{{UserId: aws.String(acctB)}, {UserId: aws.String(acctC)}}})
	diff("unshared", none, none, []types.LaunchPermission{})
	modify(&types.LaunchPermissionModifications{Add: []types.LaunchPermission{{Group: types.PermissionGroupAll}}})
	diff("public", public, public, []types.LaunchPermission{{Group: types.PermissionGroupAll}})
	if out, err := b.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{own}}); err != nil || !aws.ToBool(out.Images[0].Public) ||
		aws.ToString(out.Images[0].OwnerId) != acctA {
		t.Errorf("b's DescribeImages of the public AMI: %v, %v", out, err)
	}
	if _, err := a.ResetImageAttribute(ctx, &ec2.ResetImageAttributeInput{ImageId: &own, Attribute: types.ResetImageAttributeNameLaunchPermission}); err != nil {
		t.Fatal(err)
	}
	diff("reset", none, none, []types.LaunchPermission{})
}

// TestImageAttributes: every action and error of the image attributes
// over the mock.
func TestImageAttributes(t *testing.T) {
	srv := ec2emutest.NewServer(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	a, b := asAccount(srv, acctA), asAccount(srv, acctB)
	own, _ := ownImage(ctx, t, a, ubuntuAMI, "attrs-one")
	shared, _ := ownImage(ctx, t, a, ubuntuAMI, "attrs-shared")
	if _, err := a.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &shared,
		LaunchPermission: &types.LaunchPermissionModifications{Add: []types.LaunchPermission{{UserId: aws.String(acctB)}}}}); err != nil {
		t.Fatal(err)
	}

	describe := func(c *ec2.Client, id string, attr types.ImageAttributeName) (*ec2.DescribeImageAttributeOutput, error) {
		return c.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: &id, Attribute: attr})
	}
	// What DescribeImageAttribute answers, attribute by attribute.
	val := func(v *types.AttributeValue) *string {
		if v == nil {
			return aws.String("<absent>")
		}
		return v.Value
	}
	for _, tt := range []struct {
		attr types.ImageAttributeName
		get  func(*ec2.DescribeImageAttributeOutput) *string
		want *string
	}{
		{"description", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.Description) }, aws.String("made by a")},
		{"kernel", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.KernelId) }, nil},
		{"ramdisk", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.RamdiskId) }, nil},
		{"sriovNetSupport", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.SriovNetSupport) }, nil},
		{"bootMode", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.BootMode) }, nil},
		{"tpmSupport", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.TpmSupport) }, nil},
		{"uefiData", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.UefiData) }, nil},
		{"lastLaunchedTime", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.LastLaunchedTime) }, nil},
		{"imdsSupport", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.ImdsSupport) }, nil},
		{"deregistrationProtection", func(o *ec2.DescribeImageAttributeOutput) *string { return val(o.DeregistrationProtection) }, nil},
	} {
		t.Run("describe "+string(tt.attr), func(t *testing.T) {
			out, err := describe(a, own, tt.attr)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.get(out)); diff != "" || aws.ToString(out.ImageId) != own {
				t.Errorf("(-want +got):\n%s (imageId %q)", diff, aws.ToString(out.ImageId))
			}
		})
	}

	// A new description shows in DescribeImages and the attribute, for the
	// owner and for an account it is shared with.
	if _, err := a.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &shared, Description: &types.AttributeValue{Value: aws.String("new")}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*ec2.Client{a, b} {
		img, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{shared}})
		if err != nil {
			t.Fatal(err)
		}
		attr, err := describe(c, shared, types.ImageAttributeNameDescription)
		if err != nil {
			t.Fatal(err)
		}
		if got := []string{aws.ToString(img.Images[0].Description), aws.ToString(attr.Description.Value)}; !slices.Equal(got, []string{"new", "new"}) {
			t.Errorf("description after the change: %q", got)
		}
	}

	modify := func(c *ec2.Client, in ec2.ModifyImageAttributeInput) func() error {
		return func() error { _, err := c.ModifyImageAttribute(ctx, &in); return err }
	}
	add := func(lp ...types.LaunchPermission) *types.LaunchPermissionModifications {
		return &types.LaunchPermissionModifications{Add: lp}
	}
	for _, tt := range []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"describe malformed ID", func() error { _, err := describe(a, "ami-!", "description"); return err }, "InvalidAMIID.Malformed", 400},
		{"describe unknown AMI", func() error { _, err := describe(a, "ami-0123456789abcdef0", "description"); return err }, "InvalidAMIID.NotFound", 400},
		{"describe another's private AMI", func() error { _, err := describe(b, own, "description"); return err }, "InvalidAMIID.NotFound", 400},
		{"describe unknown attribute", func() error { _, err := describe(a, own, "colour"); return err }, "InvalidParameterValue", 400},
		{"launchPermission of a shared AMI", func() error { _, err := describe(b, shared, "launchPermission"); return err }, "AuthFailure", 401},
		{"launchPermission of a public AMI", func() error { _, err := describe(a, ubuntuAMI, "launchPermission"); return err }, "AuthFailure", 401},
		{"describe DryRun", func() error {
			_, err := a.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: &own, Attribute: "description", DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation", 412},
		{"modify a public AMI", modify(a, ec2.ModifyImageAttributeInput{ImageId: aws.String(ubuntuAMI), Description: &types.AttributeValue{Value: aws.String("x")}}), "AuthFailure", 401},
		{"modify a shared AMI", modify(b, ec2.ModifyImageAttributeInput{ImageId: &shared, LaunchPermission: add(types.LaunchPermission{Group: "all"})}), "AuthFailure", 401},
		{"modify another's private AMI", modify(b, ec2.ModifyImageAttributeInput{ImageId: &own, Description: &types.AttributeValue{Value: aws.String("x")}}), "InvalidAMIID.NotFound", 400},
		{"malformed user ID", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, LaunchPermission: add(types.LaunchPermission{UserId: aws.String("12345")})}), "InvalidAMIAttributeItemValue", 400},
		{"legacy group not all", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, Attribute: aws.String("launchPermission"), OperationType: "add", UserGroups: []string{"everyone"}}), "InvalidAMIAttributeItemValue", 400},
		{"legacy without operation", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, Attribute: aws.String("launchPermission"), UserIds: []string{acctB}}), "MissingParameter", 400},
		{"organization", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, LaunchPermission: add(types.LaunchPermission{OrganizationArn: aws.String("arn:aws:organizations::111111111111:organization/o-abc")})}), "UnsupportedOperation", 400},
		{"organizational unit list", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, OrganizationalUnitArns: []string{"arn:aws:organizations::111111111111:ou/o-abc/ou-1"}}), "UnsupportedOperation", 400},
		{"imds support", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, ImdsSupport: &types.AttributeValue{Value: aws.String("v2.0")}}), "UnsupportedOperation", 400},
		{"two attributes", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, Description: &types.AttributeValue{Value: aws.String("x")}, LaunchPermission: add(types.LaunchPermission{Group: "all"})}), "InvalidParameterCombination", 400},
		{"unknown attribute", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, Attribute: aws.String("kernel"), Value: aws.String("aki-1")}), "InvalidParameterValue", 400},
		{"nothing to modify", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own}), "InvalidParameterCombination", 400},
		{"describe blockDeviceMapping (deprecated)", func() error { _, err := describe(a, own, "blockDeviceMapping"); return err }, "AuthFailure", 401},
		{"description too long", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, Description: &types.AttributeValue{Value: aws.String(string(make([]byte, 256)))}}), "InvalidParameterValue", 400},
		{"modify DryRun", modify(a, ec2.ModifyImageAttributeInput{ImageId: &own, LaunchPermission: add(types.LaunchPermission{Group: "all"}), DryRun: aws.Bool(true)}), "DryRunOperation", 412},
		{"reset a shared AMI", func() error {
			_, err := b.ResetImageAttribute(ctx, &ec2.ResetImageAttributeInput{ImageId: &shared, Attribute: "launchPermission"})
			return err
		}, "AuthFailure", 401},
		{"reset description", func() error {
			_, err := a.ResetImageAttribute(ctx, &ec2.ResetImageAttributeInput{ImageId: &own, Attribute: "description"})
			return err
		}, "InvalidParameterValue", 400},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.status) })
	}
	// Nothing of the refused requests was applied: own is still private with
	// its description, shared still shared with b only.
	for id, want := range map[string][]string{own: nil, shared: {acctB}} {
		out, err := describe(a, id, types.ImageAttributeNameLaunchPermission)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, lp := range out.LaunchPermissions {
			got = append(got, aws.ToString(lp.UserId)+string(lp.Group))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s's launch permissions after the refusals (-want +got):\n%s", id, diff)
		}
	}
	if out, err := describe(a, own, "description"); err != nil || aws.ToString(out.Description.Value) != "made by a" {
		t.Errorf("own's description after the refusals: %v, %v", out, err)
	}
}

// TestImageSharesSurviveRestart: launch permissions and a changed
// description are kept by the state directory, through a kill.
func TestImageSharesSurviveRestart(t *testing.T) {
	st := newStateful(t, mock.New(mock.WithDelay(time.Millisecond)))
	ctx := ctxT(t)
	as := func(account string) *ec2.Client {
		return ec2.New(st.c.Options(), func(o *ec2.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(account, "test", "")
		})
	}
	own, _ := ownImage(ctx, t, as(acctA), ubuntuAMI, "kept-share")
	shared, _ := ownImage(ctx, t, as(acctA), ubuntuAMI, "kept-public")
	must(as(acctA).ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &own,
		LaunchPermission: &types.LaunchPermissionModifications{Add: []types.LaunchPermission{{UserId: aws.String(acctB)}}}}))
	must(as(acctA).ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &own, Description: &types.AttributeValue{Value: aws.String("kept")}}))
	must(as(acctA).ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: &shared,
		LaunchPermission: &types.LaunchPermissionModifications{Add: []types.LaunchPermission{{Group: types.PermissionGroupAll}}}}))
	st.restart(true)
	// b sees both (one shared with it, one public), c only the public one.
	for _, tt := range []struct {
		account string
		want    []string
	}{{acctB, []string{own, shared}}, {acctC, []string{shared}}} {
		got := imageIDs(ctx, t, as(tt.account), &ec2.DescribeImagesInput{Owners: []string{acctA}})
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tt.want))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s's view of a's AMIs after the restart (-want +got):\n%s", tt.account, diff)
		}
	}
	if d := describeImage(ctx, t, as(acctB), own).Description; d != "kept" {
		t.Errorf("description after the restart: %q", d)
	}
}
