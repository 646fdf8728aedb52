package docker

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ec2emu/ec2emu/backend"
)

// fakeClient answers the calls Launch makes and fails ContainerStart, a
// failure a healthy engine will not produce on demand.
type fakeClient struct {
	Client // nil: any other call panics
	calls  []string
}

func (f *fakeClient) ImageList(ctx context.Context, o image.ListOptions) ([]image.Summary, error) {
	f.calls = append(f.calls, "ImageList")
	return []image.Summary{{ID: "sha256:img", RepoTags: []string{"localstack-ec2/base:ami-1", "other:ami-2"}}}, nil
}

func (f *fakeClient) ImageInspect(ctx context.Context, id string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	f.calls = append(f.calls, "ImageInspect "+id)
	return image.InspectResponse{ID: id, Architecture: "arm64"}, nil
}

func (f *fakeClient) ContainerCreate(ctx context.Context, c *container.Config, h *container.HostConfig, n *network.NetworkingConfig, p *ocispec.Platform, name string) (container.CreateResponse, error) {
	f.calls = append(f.calls, "ContainerCreate "+name)
	return container.CreateResponse{ID: "c1"}, nil
}

func (f *fakeClient) ContainerStart(ctx context.Context, id string, o container.StartOptions) error {
	f.calls = append(f.calls, "ContainerStart "+id)
	return errors.New("OCI runtime create failed")
}

func (f *fakeClient) ContainerRemove(ctx context.Context, id string, o container.RemoveOptions) error {
	f.calls = append(f.calls, "ContainerRemove "+id)
	return nil
}

func TestLaunchFailureCleansUp(t *testing.T) {
	f := &fakeClient{}
	b := &Backend{cli: f, ns: "ns", log: nopLogger(), cids: map[string]ctr{}, toggles: map[string]toggle{},
		amis: map[string]amiRef{}, images: map[string]*imageDetails{}, own: ownCalls{m: map[string]*ownCall{}}}
	_, err := b.Launch(t.Context(), backend.LaunchSpec{InstanceID: "i-1", ImageID: "ami-1"})
	if err == nil {
		t.Fatal("Launch succeeded with a failing start")
	}
	want := []string{"ImageList", "ImageInspect sha256:img", "ContainerCreate localstack-ec2.i-1", "ContainerStart c1", "ContainerRemove c1"}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	imgs, err := b.Images(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantImgs := []backend.Image{{ID: "ami-1", Name: "base", Architecture: "arm64", CreationDate: imgs[0].CreationDate, State: backend.ImageAvailable}}
	if diff := cmp.Diff(wantImgs, imgs); diff != "" {
		t.Errorf("Images (-want +got):\n%s", diff)
	}
}

func TestOpenSettings(t *testing.T) {
	tests := []struct {
		env                 map[string]string
		remove, mountSocket bool
		network             string
	}{
		{env: nil, remove: true, mountSocket: true},
		{env: map[string]string{"EC2_REMOVE_CONTAINERS": "0", "EC2_MOUNT_DOCKER_SOCKET": "false", "EC2_DOCKER_NETWORK": "n1"}, network: "n1"},
		{env: map[string]string{"EC2_REMOVE_CONTAINERS": "1", "EC2_MOUNT_DOCKER_SOCKET": "junk"}, remove: true, mountSocket: true},
	}
	for _, tt := range tests {
		bb, err := open(t.Context(), backend.Config{Namespace: "x", Logger: nopLogger(), Getenv: func(k string) string { return tt.env[k] }})
		if err != nil {
			t.Fatal(err)
		}
		b := bb.(*Backend)
		got := []any{b.ns, b.remove, b.mountSocket, b.network}
		if diff := cmp.Diff([]any{"x", tt.remove, tt.mountSocket, tt.network}, got); diff != "" {
			t.Errorf("env %v (-want +got):\n%s", tt.env, diff)
		}
		b.Close()
	}
}

func nopLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
