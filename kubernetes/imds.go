package kubernetes

import (
	"context"
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ec2emu/ec2emu/backend"
)

// The instance metadata service. A pod's 169.254.169.254 is the cluster's
// to route (on a cloud, the cloud's own metadata service; here, nothing),
// and the emulator cannot take it over without privileges on every node.
// What works instead: the Server serves the metadata service on an address
// of the emulator's host that the pods reach (WithMetadataAddress,
// EC2_K8S_METADATA_ADDRESS), and every pod gets the standard
// AWS_EC2_METADATA_SERVICE_ENDPOINT pointing there, which the AWS SDKs and
// CLI honour. The caller is told by its source address, the pod's IP, so
// that address must reach the emulator unchanged (no SNAT between the pods
// and the emulator: true for a node's own bridge, and for most CNIs when
// the emulator runs on a node or in the cluster). Without an address the
// pods get AWS_EC2_METADATA_DISABLED=true, so an SDK in an instance says
// at once that there is no metadata service instead of timing out, and the
// backend logs so when it opens.

// WithMetadataAddress makes the Server serve the instance metadata service
// on addr, port 80 (an address of the emulator's host that the pods
// reach, e.g. the pod bridge's gateway on a single node), and points
// every pod's AWS_EC2_METADATA_SERVICE_ENDPOINT at it. It panics if addr
// is not an IP address.
func WithMetadataAddress(addr string) Option {
	if net.ParseIP(addr) == nil {
		panic(fmt.Sprintf("kubernetes: WithMetadataAddress(%q): not an IP address", addr))
	}
	return func(b *Backend) { b.mdAddr = addr }
}

var _ backend.MetadataNetwork = (*Backend)(nil)

// MetadataAddress returns the address set by WithMetadataAddress, or an
// error wrapping backend.ErrUnsupported when there is none.
func (b *Backend) MetadataAddress(ctx context.Context) (string, error) {
	if b.mdAddr == "" {
		return "", fmt.Errorf("kubernetes: no metadata address (EC2_K8S_METADATA_ADDRESS): %w", backend.ErrUnsupported)
	}
	return b.mdAddr, nil
}

// MetadataSources maps the IP of each running pod of this backend
// namespace to its instance ID, from the watch's cache.
func (b *Backend) MetadataSources(ctx context.Context) (map[string]string, error) {
	pods, err := b.pods.Pods(b.kns).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range pods {
		id, ok := b.ours(p)
		if !ok || p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
			continue
		}
		for _, ip := range p.Status.PodIPs {
			out[ip.IP] = id
		}
		if p.Status.PodIP != "" {
			out[p.Status.PodIP] = id
		}
	}
	return out, nil
}

// metadataEnv is what an instance's container is told of the metadata
// service.
func (b *Backend) metadataEnv() []corev1.EnvVar {
	if b.mdAddr == "" {
		return []corev1.EnvVar{{Name: "AWS_EC2_METADATA_DISABLED", Value: "true"}}
	}
	mode := "IPv4"
	if net.ParseIP(b.mdAddr).To4() == nil {
		mode = "IPv6"
	}
	return []corev1.EnvVar{
		{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT", Value: "http://" + net.JoinHostPort(b.mdAddr, "80") + "/"},
		{Name: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", Value: mode},
	}
}
