// Package ec2emu emulates Amazon EC2 with real compute behind it.
//
// A Server is an http.Handler that speaks the EC2 Query API — form requests
// in, XML out, exactly as AWS does — so the AWS SDKs, the AWS CLI, boto3 and
// Terraform talk to it unchanged. It implements EC2's control plane once for
// every backend: validation and error codes, IDs, reservations, tags, key
// pairs, the instance state machine (pending → running → stopping → stopped,
// shutting-down → terminated, terminated instances describable for an hour),
// ClientToken idempotency, DryRun, filters with wildcards and pagination, and
// the account and region taken from each request's SigV4 credential scope.
//
// Behind it a backend.Backend runs the machines. Backends register by name,
// like database/sql drivers: importing a backend package makes it available
// to Open.
//
//	import _ "github.com/ec2emu/ec2emu/docker"     // instances are containers
//	import _ "github.com/ec2emu/ec2emu/virtualbox" // instances are VirtualBox VMs
//	import _ "github.com/ec2emu/ec2emu/backend/mock" // in memory, no compute
//
//	srv, err := ec2emu.Open(ctx, os.Getenv("EC2_VM_MANAGER"))
//	defer srv.Close()
//	http.ListenAndServe("127.0.0.1:4566", srv)
//
// In Go tests, package ec2emutest starts a Server on loopback and hands back
// an SDK client pointed at it.
package ec2emu
