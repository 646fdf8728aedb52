package mock_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/backendtest"
	"github.com/ec2emu/ec2emu/backend/mock"
)

func TestConformance(t *testing.T) {
	var ns atomic.Int64
	backendtest.Run(t, backendtest.Harness{
		Open: func(ctx context.Context) (backend.Backend, error) {
			return mock.New(mock.WithDelay(10*time.Millisecond), mock.WithNamespace(fmt.Sprintf("conformance-%d", ns.Add(1)))), nil
		},
		Reopen: func(ctx context.Context, b backend.Backend) (backend.Backend, error) {
			return mock.New(mock.WithDelay(10*time.Millisecond), mock.WithNamespace(b.(*mock.Backend).Namespace())), nil
		},
		ImageID: mock.DefaultImages[0].ID,
		Drift: func(ctx context.Context, b backend.Backend, id string, to backend.State) error {
			return b.(*mock.Backend).Drift(id, to)
		},
		UserData: func(ctx context.Context, b backend.Backend, id string) ([]byte, error) {
			spec, _ := b.(*mock.Backend).Spec(id)
			return spec.UserData, nil
		},
		AuthorizedKeys: func(ctx context.Context, b backend.Backend, id string) (string, error) {
			spec, _ := b.(*mock.Backend).Spec(id)
			return spec.PublicKey, nil
		},
		Timeout: 20 * time.Second,
	})
}
