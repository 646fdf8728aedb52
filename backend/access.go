package backend

import "context"

// MetadataNetwork is an optional capability: the backend's machines reach a
// host address on which the Server serves the instance metadata service
// (169.254.169.254 for EC2's clients), and the source address of each
// request tells which machine asked.
type MetadataNetwork interface {
	// MetadataAddress makes sure the machines' path to the host exists
	// (e.g. a network whose gateway is the address) and returns the host
	// address to listen on.
	MetadataAddress(ctx context.Context) (string, error)
	// MetadataSources maps the source address of each machine of this
	// namespace, as the metadata service sees it, to the machine's
	// instance ID. Machines of other namespaces must not appear.
	MetadataSources(ctx context.Context) (map[string]string, error)
}
