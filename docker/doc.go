// Package docker is the Docker backend of ec2emu: EC2 instances are real
// containers and AMIs are local images. It registers itself as "docker", so a
// program that imports it (even as `import _ "github.com/ec2emu/ec2emu/docker"`)
// can open it with backend.Open(ctx, "docker", cfg), or build one with New.
//
// It talks to the engine through github.com/docker/docker/client with API
// version negotiation, so Debian's Docker 20.10 (API 1.41) and newer engines
// work, and honours DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH and
// DOCKER_TLS_VERIFY.
//
// # AMIs
//
// Every local image tagged localstack-ec2/<name>:<ami-id> (the tag starting
// with "ami-") is an AMI. Tagging an image, e.g.
//
//	docker tag ubuntu:focal localstack-ec2/ubuntu-focal-ami:ami-000001
//
// makes ami-000001 launchable at once. Images made by CreateImage carry the
// real AMI name, description and metadata in labels (ec2emu.image.*), since
// Docker repository names allow only [a-z0-9._-].
//
// # Instances
//
// Each instance is one container named localstack-ec2.<instance-id>, labelled
// with the backend's namespace (ec2emu.namespace), the instance and image IDs,
// and each LaunchSpec.Metadata entry as ec2emu.meta.<key>, so Machines can
// re-adopt it after a restart. The container's command is a small /bin/sh
// wrapper, run as root, that does the first boot (the public key appended to
// /root/.ssh/authorized_keys; the user data run once as a script, its output
// in /var/log/cloud-init-output.log and the script kept under
// /var/lib/cloud/instances/<id>/), starts the image's own entrypoint and
// command in the background if it has any, and then waits, so the instance
// stays up whatever that command does. Images therefore need /bin/sh and
// sleep (or tail). Containers are never privileged. The host's Docker socket
// is mounted at /var/run/docker.sock unless turned off.
//
// Stop pauses the container, Start unpauses it (or starts it again if it
// exited), Reboot restarts it, Terminate removes it at once with SIGKILL (or,
// with container removal off, kills it and keeps it). CreateImage commits the
// container; DeregisterImage removes the AMI's tag. The backend also
// implements backend.ConsoleOutputer (the container's logs),
// backend.Watcher (Docker events for the namespace, minus those its own calls
// caused), backend.ImageLooker (one AMI by an inspect of its tag, instead of
// listing every image per launch) and backend.Pinger (no call while the
// Watch event stream shows the daemon answers).
//
// It never lists or changes containers without its name prefix and namespace
// label, nor images without the localstack-ec2/ prefix, but for its
// namespace lock.
//
// # Namespace lock
//
// backend.NamespaceLocker: a container named ec2emu-lock.<namespace>,
// created and never started, labelled ec2emu.lock=<namespace> and with its
// holder's host, PID, start time and a nonce (not ec2emu.namespace: it is no
// instance). Docker refuses a second container of that name, so the engine
// decides who owns the namespace, for every host that shares it. It is made
// from ec2emu-lock:v1, an empty image the backend imports itself (docker
// import of an empty tar; nothing is pulled), which stays once made. The
// holder renews a lease every 10 s with a no-op container update; a
// newcomer takes over from a holder of its own host whose process is gone
// at once, and from one of another host once the engine's events show no
// renewal for backend.LeaseTimeout (30 s). See lock.go.
//
// # Settings
//
// The "docker" opener reads these through backend.Config.Getenv:
//
//	EC2_REMOVE_CONTAINERS    "0" or "false" keeps terminated containers, stopped (default: remove them)
//	EC2_MOUNT_DOCKER_SOCKET  "0" or "false" does not mount the Docker socket into instances (default: mount it)
//	EC2_DOCKER_NETWORK       one Docker network all instances join, with the engine's addresses (default: a network per VPC)
//
// and the Docker client's own variables above.
package docker
