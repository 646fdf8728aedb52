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
// listing every image per launch), backend.Pinger (no call while the
// Watch event stream shows the daemon answers) and backend.Volumer (below).
//
// It never lists or changes containers without its name prefix and namespace
// label, images without the localstack-ec2/ prefix, nor volumes but its own
// ec2emu-vol.<namespace>.* and ec2emu-snap.<namespace>.*, but for its
// namespace lock.
//
// # EBS volumes
//
// The backend implements backend.Volumer: EBS volumes hold real data, and an
// instance sees each volume attached to it as a directory,
// /ebs/<device name> (backend.VolumePath): a volume attached as /dev/sdf or
// xvdf is /ebs/sdf or /ebs/xvdf. There is no block device: `mkfs -t ext4
// /dev/xvdf` or `mount /dev/xvdf /data` in an instance fail (No such file or
// directory; mke2fs says "The file /dev/xvdf does not exist and no size was
// specified", and an unprivileged container may not mount anyway), and
// need not be run, since the volume arrives formatted and mounted; a
// user-data script can `ln -s /ebs/xvdf /data` instead. SizeGiB is
// shown by the EC2 API but not enforced.
//
// A volume is a Docker volume of the local driver named
// ec2emu-vol.<namespace>.<vol-id>, a snapshot another one,
// ec2emu-snap.<namespace>.<snap-id>, both labelled with the namespace
// (ec2emu.namespace) and their IDs (ec2emu.volume-id, ec2emu.snapshot-id).
// Every container gets, at create, a bind mount of the host directory
// <root>/<namespace>/<instance-id> on /ebs with rslave propagation; the
// backend makes <root> a shared mount once per process (bind-mounting it on
// itself if it is not a mount point, which stays). AttachVolume bind-mounts
// the volume's directory (its Mountpoint, under /var/lib/docker/volumes) on
// <root>/<namespace>/<instance-id>/<device>, and propagation carries it into
// the container at once, running or stopped (paused), without a restart;
// DetachVolume unmounts it lazily, so a shell whose working directory is
// inside does not make it fail. Volumes in LaunchSpec.Volumes are mounted
// before the container starts, so user data finds them. Terminate unmounts
// what its instance had, and does not delete volumes: the Server decides
// (DeleteOnTermination).
//
// CreateSnapshot copies the volume's files (as `cp -a` does: modes, owners,
// times, symlinks, hard links) into the snapshot's volume, and CreateVolume
// from a snapshot copies them back. Instances are not paused for it (the
// drift watcher would take the pause for a stop), so a snapshot of a volume
// being written is a file-by-file copy, not a block-level crash-consistent
// image: quiesce the writer (sync, or stop the instance) first if that
// matters.
//
// Volumes need the process to be root (CAP_SYS_ADMIN, to mount) on the
// engine's host: the engine must be reached through a unix socket that
// exists here, and see this process's mounts (not a Docker-in-Docker
// client with only the socket shared). New decides this once and logs it;
// otherwise the Volumer methods answer an error wrapping
// backend.ErrUnsupported that says why, and containers get no /ebs.
// WithVolumeRoot sets <root>; the default, DefaultVolumeRoot (/run/ec2emu),
// is on tmpfs on most hosts, so its directories and mounts vanish with a
// reboot as the containers' processes do.
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
