package virtualbox

import (
	"context"
	"encoding/base64"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/backend/backendtest"
)

var conformanceNS atomic.Int64

// vboxmanage runs VBoxManage (the simulator here) as a user would by hand.
func vboxmanage(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "VBoxManage", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("VBoxManage %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// guestBlob reads a value the backend split over numbered guest properties.
func guestBlob(ctx context.Context, id, path string) ([]byte, error) {
	prop := func(name string) (string, error) {
		out, err := vboxmanage(ctx, "guestproperty", "get", instanceName(id), name)
		if err != nil {
			return "", err
		}
		v, ok := strings.CutPrefix(strings.TrimSpace(out), "Value: ")
		if !ok {
			return "", fmt.Errorf("guest property %s: %q", name, out)
		}
		return v, nil
	}
	parts, err := prop(path + "/parts")
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(parts)
	if err != nil {
		return nil, err
	}
	var enc strings.Builder
	for i := range n {
		p, err := prop(path + "/" + strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		enc.WriteString(p)
	}
	return base64.StdEncoding.DecodeString(enc.String())
}

func TestConformance(t *testing.T) {
	backendtest.Run(t, backendtest.Harness{
		Open: func(ctx context.Context) (backend.Backend, error) {
			ns := fmt.Sprintf("conformance-%d-%d", time.Now().UnixNano(), conformanceNS.Add(1))
			return New(ctx, WithNamespace(ns), WithStopTimeout(5*time.Second), WithPollInterval(20*time.Millisecond),
				WithIPWait(2*time.Second), WithWatchInterval(50*time.Millisecond))
		},
		Reopen: func(ctx context.Context, b backend.Backend) (backend.Backend, error) {
			return New(ctx, WithNamespace(b.(*Backend).ns))
		},
		ImageID: templateID,
		Drift: func(ctx context.Context, b backend.Backend, id string, to backend.State) error {
			if _, err := vboxmanage(ctx, "controlvm", instanceName(id), "poweroff"); err != nil {
				return err
			}
			if to == backend.StateTerminated {
				_, err := vboxmanage(ctx, "unregistervm", instanceName(id), "--delete")
				return err
			}
			return nil
		},
		UserData: func(ctx context.Context, b backend.Backend, id string) ([]byte, error) {
			return guestBlob(ctx, id, PropUserData)
		},
		AuthorizedKeys: func(ctx context.Context, b backend.Backend, id string) (string, error) {
			k, err := guestBlob(ctx, id, PropPublicKey)
			return string(k), err
		},
		Timeout: 30 * time.Second,
	})
}
