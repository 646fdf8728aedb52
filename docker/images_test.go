package docker_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
	"github.com/ec2emu/ec2emu/internal/testutil"
)

func findImage(imgs []backend.Image, id string) (backend.Image, bool) {
	i := slices.IndexFunc(imgs, func(img backend.Image) bool { return img.ID == id })
	if i < 0 {
		return backend.Image{}, false
	}
	return imgs[i], true
}

func TestImagesTaggedOutside(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	// A tag made behind the backend's back, with a short ID, is launchable
	// at once.
	ami := "ami-" + dockertest.Namespace(t)[len("test-"):][:6]
	ref, err := dockertest.TagAMI(ctx, e.cli, "ubuntu-focal-ami", ami)
	if err != nil {
		t.Fatal(err)
	}
	dockertest.RemoveImageOnCleanup(t, e.cli, ref)
	imgs, err := e.b.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := findImage(imgs, ami)
	if !ok {
		t.Fatalf("Images lacks %s: %+v", ami, imgs)
	}
	want := backend.Image{ID: ami, Name: "ubuntu-focal-ami", Architecture: "x86_64", State: backend.ImageAvailable}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(backend.Image{}, "CreationDate")); diff != "" {
		t.Errorf("image (-want +got):\n%s", diff)
	}
	if got.CreationDate.IsZero() || got.CreationDate.After(time.Now()) {
		t.Errorf("CreationDate %v", got.CreationDate)
	}
	if m := e.launch(t, backend.LaunchSpec{ImageID: ami}); m.State != backend.StateRunning {
		t.Errorf("launch from %s: %+v", ami, m)
	}
}

func TestCreateImage(t *testing.T) {
	t.Parallel()
	for _, noReboot := range []bool{false, true} {
		t.Run(map[bool]string{false: "reboot", true: "noreboot"}[noReboot], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := t.Context()
			src := e.launch(t, backend.LaunchSpec{UserData: []byte("echo data > /root/hello\n"), Metadata: map[string]string{"src": "x"}}).ID
			e.waitBoot(t, src)

			ami := "ami-" + dockertest.Namespace(t)[len("test-"):]
			spec := backend.ImageSpec{
				ImageID:     ami,
				Name:        "My AMI (test) [v1.0] it's @home/x_y",
				Description: "made by a test",
				NoReboot:    noReboot,
				Metadata:    map[string]string{"owner": "123456789012", "tag:Name": "golden"},
			}
			img, err := e.b.CreateImage(ctx, src, spec)
			if err != nil {
				t.Fatal(err)
			}
			e.removeImageLater(dockertest.AMIRef(docker.RepoName(spec.Name), ami))
			want := backend.Image{ID: ami, Name: spec.Name, Description: spec.Description, Architecture: "x86_64",
				State: backend.ImageAvailable, Metadata: spec.Metadata}
			ignoreDate := cmpopts.IgnoreFields(backend.Image{}, "CreationDate")
			if diff := cmp.Diff(want, img, ignoreDate); diff != "" {
				t.Errorf("CreateImage (-want +got):\n%s", diff)
			}
			imgs, err := e.b.Images(ctx)
			if err != nil {
				t.Fatal(err)
			}
			listed, _ := findImage(imgs, ami)
			if diff := cmp.Diff(img, listed); diff != "" {
				t.Errorf("Images entry vs CreateImage (-want +got):\n%s", diff)
			}
			if st := e.status(t, src); st != "running" {
				t.Errorf("source after CreateImage: %q, want running", st)
			}

			// The new instance sees the file, runs the image's own command
			// (not the source's wrapper) and its own first boot only.
			dst := e.launch(t, backend.LaunchSpec{ImageID: ami, UserData: []byte("echo second\n")})
			if diff := cmp.Diff(map[string]string(nil), dst.Metadata); diff != "" {
				t.Errorf("metadata leaked from the source (-want +got):\n%s", diff)
			}
			e.waitBoot(t, dst.ID)
			out, _ := e.exec(t, dst.ID, "cat", "/root/hello", "/var/log/cloud-init-output.log")
			if diff := cmp.Diff("data\nsecond\n", out); diff != "" {
				t.Errorf("files in the new instance (-want +got):\n%s", diff)
			}
			ii, err := e.cli.ImageInspect(ctx, dockertest.AMIRef(docker.RepoName(spec.Name), ami))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"/bin/sh"}, append(ii.Config.Entrypoint, ii.Config.Cmd...)); diff != "" {
				t.Errorf("committed command (-want +got):\n%s", diff)
			}
			if ns := ii.Config.Labels[docker.LabelNamespace]; ns != "" {
				t.Errorf("committed image carries namespace label %q", ns)
			}

			// Deregister removes the tag; the instance from it runs on.
			if err := e.b.DeregisterImage(ctx, ami); err != nil {
				t.Fatal(err)
			}
			imgs, err = e.b.Images(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := findImage(imgs, ami); ok {
				t.Errorf("Images still lists %s after DeregisterImage", ami)
			}
			if err := e.b.DeregisterImage(ctx, ami); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("second DeregisterImage: %v, want ErrNotFound", err)
			}
			if st := e.status(t, dst.ID); st != "running" {
				t.Errorf("instance of deregistered image: %q, want running", st)
			}
			if _, err := e.b.Launch(ctx, backend.LaunchSpec{InstanceID: newID(t), ImageID: ami}); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("Launch of deregistered image: %v, want ErrNotFound", err)
			}
			// Once its last instance is terminated, the deregistered image
			// itself goes: nothing is left dangling.
			if err := e.b.Terminate(ctx, dst.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.cli.ImageInspect(ctx, ii.ID); !cerrdefs.IsNotFound(err) {
				t.Errorf("image %s of deregistered %s after its last instance: %v, want removed", ii.ID, ami, err)
			}
		})
	}
}

func TestRepoName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ubuntu-focal-ami", "ubuntu-focal-ami"},
		{"My AMI (test) [v1.0]", "my-ami-test-v1.0"},
		{"a__b", "a__b"},
		{"a...b", "a-b"},
		{"a.-b", "a-b"},
		{"a---b", "a---b"},
		{"--x--", "x"},
		{"it's @home/x_y", "it-s-home-x_y"},
		{"()", "image"},
		{"", "image"},
		{"ÄMI", "mi"},
	}
	for _, tt := range tests {
		if got := docker.RepoName(tt.in); got != tt.want {
			t.Errorf("RepoName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// countingClient counts the image calls the backend makes.
type countingClient struct {
	*client.Client
	lists, inspects atomic.Int32
}

func (c *countingClient) ImageList(ctx context.Context, o image.ListOptions) ([]image.Summary, error) {
	c.lists.Add(1)
	return c.Client.ImageList(ctx, o)
}

func (c *countingClient) ImageInspect(ctx context.Context, id string, o ...client.ImageInspectOption) (image.InspectResponse, error) {
	c.inspects.Add(1)
	return c.Client.ImageInspect(ctx, id, o...)
}

// LookupImage agrees with Images while the AMI's tag is moved, removed and
// made again outside the emulator, and a lookup of a known AMI is one
// inspect, not a listing of every image.
func TestLookupImage(t *testing.T) {
	t.Parallel()
	cc := &countingClient{Client: dockertest.Require(t)}
	e := newEnv(t, docker.WithClient(cc))
	ctx := t.Context()
	ref := dockertest.AMIRef("ec2emu-test", e.ami)
	check := func(step string, wantName string) {
		t.Helper()
		got, err := e.b.LookupImage(ctx, e.ami)
		if wantName == "" {
			if !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("%s: LookupImage = %+v, %v; want ErrNotFound", step, got, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: LookupImage: %v", step, err)
		}
		imgs, err := e.b.Images(ctx)
		if err != nil {
			t.Fatal(err)
		}
		listed, ok := findImage(imgs, e.ami)
		if !ok {
			t.Fatalf("%s: Images lacks %s", step, e.ami)
		}
		if diff := cmp.Diff(listed, got); diff != "" {
			t.Errorf("%s: LookupImage vs Images (-want +got):\n%s", step, diff)
		}
		if got.Name != wantName {
			t.Errorf("%s: name %q, want %q", step, got.Name, wantName)
		}
	}
	check("tagged", "ec2emu-test")

	cc.lists.Store(0)
	cc.inspects.Store(0)
	if _, err := e.b.LookupImage(ctx, e.ami); err != nil {
		t.Fatal(err)
	}
	e.launch(t, backend.LaunchSpec{})
	if l, i := cc.lists.Load(), cc.inspects.Load(); l != 0 || i != 1 {
		t.Errorf("a lookup and a launch of a known AMI: %d listings, %d image inspects; want 0 and 1", l, i)
	}

	// The tag moves to an image that names the AMI in its labels.
	labelled := e.commitImage(t, "LABEL "+docker.LabelAMIID+"="+e.ami+" "+docker.LabelAMIName+"=moved")
	if err := e.cli.ImageTag(ctx, dockertest.AMIRef("ec2emu-test-cmd", labelled), ref); err != nil {
		t.Fatal(err)
	}
	check("moved", "moved")

	if _, err := e.cli.ImageRemove(ctx, ref, image.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	check("removed", "")

	again, err := dockertest.TagAMI(ctx, e.cli, "renamed", e.ami)
	if err != nil {
		t.Fatal(err)
	}
	e.removeImageLater(again)
	check("tagged under another name", "renamed")
}

// An AMI whose tag is removed outside the emulator, after launches have
// cached it, is InvalidAMIID.NotFound to the next RunInstances at once: not
// accepted to fail later, and not an internal error.
func TestRunInstancesImageRemovedOutside(t *testing.T) {
	t.Parallel()
	cli := dockertest.Require(t)
	ns := dockertest.Namespace(t)
	dockertest.RemoveContainersOnCleanup(t, cli, docker.LabelNamespace, ns)
	ami, ref := dockertest.UniqueAMI(t, cli)
	_, c := nsServer(t, ns)
	id := launchOne(t, c, ami)
	testutil.WaitStates(t, c, 60*time.Second, types.InstanceStateNameRunning, id)

	if _, err := cli.ImageRemove(t.Context(), ref, image.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	_, err := c.RunInstances(t.Context(), &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	wantCode(t, "RunInstances of a removed AMI", err, "InvalidAMIID.NotFound", http.StatusBadRequest)
}

// Terminating an instance of an image CreateImage did not make asks the
// engine nothing about the image: only those images may need removing
// with their last instance (see TestCreateImage), and an image ID's labels
// say which.
func TestTerminatePlainImageNoInspect(t *testing.T) {
	t.Parallel()
	cc := &countingClient{Client: dockertest.Require(t)}
	e := newEnv(t, docker.WithClient(cc))
	id := e.launch(t, backend.LaunchSpec{}).ID
	cc.inspects.Store(0)
	if err := e.b.Terminate(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if n := cc.inspects.Load(); n != 0 {
		t.Errorf("Terminate inspected images %d times, want 0", n)
	}
}
