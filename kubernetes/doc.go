// Package kubernetes is the Kubernetes backend of ec2emu: EC2 instances are
// pods spread over a cluster's nodes, and AMIs are images the nodes already
// have. It registers itself as "kubernetes", so a program that imports it
// (even as `import _ "github.com/ec2emu/ec2emu/kubernetes"`) can open it with
// backend.Open(ctx, "kubernetes", cfg) or EC2_VM_MANAGER=kubernetes, or build
// one with New. It talks to the cluster through k8s.io/client-go v0.34
// (Kubernetes 1.34, which its tests run against), connecting as kubectl does:
// KUBECONFIG, ~/.kube/config, or the pod's service account in the cluster.
//
// # Its own Go module
//
// This package is a nested module, github.com/ec2emu/ec2emu/kubernetes,
// not part of the main one. Go compiles only the packages a program imports
// either way, but a module's requirements take part in every user's version
// selection: client-go brings some fifty modules (k8s.io/api, apimachinery,
// kube-openapi, protobuf, x/net, …) whose minimum versions would raise those
// of every ec2emu user, and whose go.sum lines every user would carry, even
// one who runs only the docker backend. In its own module it costs only its
// users. The price: its tests run from this directory (make test does), and
// the module requires the main one (a replace directive points at ../ in
// this repository).
//
// # AMIs
//
// Every image a node lists in its status (the kubelet reports them, up to
// its nodeStatusMaxImages) under localstack-ec2/<name>:<ami-id> is an AMI,
// <ami-id> as backend.ValidImageID accepts. On a containerd node:
//
//	ctr -n k8s.io images tag docker.io/library/ubuntu:24.04 docker.io/localstack-ec2/ubuntu:ami-000001
//
// An image in a registry becomes an AMI by pulling it onto the nodes and
// tagging it so (e.g. with a DaemonSet that runs `ctr` on each node, or by
// pushing it to the registry under that name and pre-pulling it): pods ask
// for it with imagePullPolicy Never, so nothing is pulled at launch. A new
// tag shows up when its node next reports its status (within about a
// minute). Images are never removed: DeregisterImage and CreateImage answer
// UnsupportedOperation (a pod cannot be snapshotted through the Kubernetes
// API); the backend implements backend.ImageMaker to say so at once.
//
// # Instances
//
// Each instance is two objects named localstack-ec2-<instance-id> in the
// Kubernetes namespace (WithKubernetesNamespace, EC2_K8S_NAMESPACE): a
// ConfigMap, its record from launch to termination (image, type, key, the
// Server's metadata), and a pod while it runs. Both carry the labels
// ec2emu.io/namespace (the backend namespace), ec2emu.io/instance-id,
// ec2emu.io/image-id and app.kubernetes.io/managed-by=ec2emu, and the
// annotation ec2emu.io/namespace; Machines re-adopts from them after a
// restart, and the backend never touches an object without all of them.
//
// The pod runs the image as root with restartPolicy Never and no service
// account token. Its command is the boot script the docker backend uses
// (internal/bootscript): at first boot the key pair's public key goes into
// /root/.ssh/authorized_keys and the user data runs once, its output in
// /var/log/cloud-init-output.log; then it waits. Images need /bin/sh and
// sleep (or tail); the image's own entrypoint is not run, since a node's
// image list does not tell it. The instance type sets the pod's CPU and
// memory requests from the catalogue (its vCPUs and memory, times
// WithRequestScale, EC2_K8S_REQUEST_SCALE). The pod may go only to nodes
// whose image list holds the AMI; when any node carries the
// topology.kubernetes.io/zone label, only to nodes whose zone is the
// instance's availability zone. A pod the scheduler reports Unschedulable is
// deleted, with its record, and the launch fails with backend.ErrCapacity
// (InsufficientInstanceCapacity): no instance is left pending.
//
// Before that, the backend says what fits: it is a
// backend.LaunchCapacityReporter (per usable node, that is Ready,
// uncordoned and untainted, and holds the image and is in the zone: its
// allocatable CPU, memory and pods less what the pods there request,
// divided by the instance type's requests; one list of the cluster's pods,
// so it needs list on pods cluster-wide, and without it the check is
// skipped with a warning) and a backend.CapacityReporter (free pod slots),
// so a RunInstances whose MinCount does not fit launches nothing. It is a
// backend.ZoneLister: the zones of the usable nodes' topology.kubernetes.io/zone
// labels, so the Server offers only those (label nodes with EC2 zone names,
// us-east-1a, as EKS does); a cluster without zone labels offers every zone.
//
// Kubernetes cannot pause a pod. Stop deletes the pod and keeps the record
// and the instance's disk: a hostPath directory on the node the first pod
// ran on (DefaultDiskDir/<kubernetes-namespace>/<backend-namespace>/<id>,
// WithDiskDir, EC2_K8S_DISK_DIR) that holds /root, /home, /srv,
// /var/lib/cloud and /var/log (DiskPaths). Start creates the pod again from
// the record, pinned to that node, and waits until it runs; a start the
// node has no room for fails with backend.ErrCapacity and leaves the
// instance stopped. What survives a stop: the instance ID, image, type, key
// pair, tags and everything else EC2 describes, and the files under the
// disk's paths (so the user data does not run again, and its log stays).
// The rest of the container's filesystem, its processes and its private IP
// address do not survive. Reboot is a stop and a start of the pod, so it
// keeps the same. At first boot each disk path is filled from the image,
// then becomes a symbolic link into the disk (images need sh, cp, mkdir,
// mv, rm and ln). Terminate deletes the pod with grace period 0 (a PID 1
// that ignores SIGTERM cannot hold it), then the disk (a short pod on its
// node runs rm: the API cannot delete a node's files), then the record. A
// record deleted behind the backend's back has its disk removed too.
// Clusters whose policy forbids hostPath volumes need EC2_K8S_DISK_DIR=none:
// then a stop loses every file.
//
// # Drift, exec, console
//
// Informers on the namespace's pods and ConfigMaps feed backend.Watcher: a
// pod deleted, evicted or ended behind the emulator's back makes its
// instance stopped (Start brings it back); a deleted record makes it
// terminated. backend.Execer runs commands through pods/exec (SPDY), so the
// SSH gateway works; backend.ConsoleOutputer reads the pod's log.
//
// # Instance metadata
//
// A pod's 169.254.169.254 is the cluster's to route (the cloud's own
// metadata service, or nothing), so the backend does not pretend to answer
// there. With WithMetadataAddress (EC2_K8S_METADATA_ADDRESS), an address of
// the emulator's host that the pods reach without SNAT, it implements
// backend.MetadataNetwork: the Server serves the metadata service on that
// address, port 80, tells each caller by its pod IP, and every pod gets
// AWS_EC2_METADATA_SERVICE_ENDPOINT=http://<addr>:80/ (and
// AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE), which the AWS SDKs and CLI use
// instead of 169.254.169.254. Without one, MetadataAddress answers
// backend.ErrUnsupported, every pod gets AWS_EC2_METADATA_DISABLED=true so
// an SDK fails at once rather than timing out, and New logs that pods get
// no metadata service.
//
// # Namespace lock
//
// backend.NamespaceLocker is a coordination.k8s.io/v1 Lease in the
// Kubernetes namespace, LeasePrefix + the backend namespace (or a hash of
// it), whose holder identity is host/pid/process-start-time. It lasts
// backend.LeaseTimeout and is renewed every 10 s; a holder on the same
// host whose process has ended is taken over at once, one on another host
// once its Lease has gone unrenewed for its duration (so the hosts' clocks
// must agree to within seconds). Release deletes the Lease.
//
// # Settings
//
// The "kubernetes" opener reads these through backend.Config.Getenv:
//
//	EC2_K8S_NAMESPACE       the Kubernetes namespace (default: the kubeconfig context's, else "default")
//	EC2_K8S_REQUEST_SCALE   factor on the catalogue's CPU and memory requests (default 1)
//	EC2_K8S_DISK_DIR        where disks live on the nodes (default DefaultDiskDir; none: no disks)
//	EC2_K8S_METADATA_ADDRESS  the host address pods reach the metadata service at (default none)
//
// and KUBECONFIG. The namespace must exist with its default ServiceAccount;
// the backend needs get, list, watch, create, update and delete on pods,
// pods/log, pods/exec, configmaps and leases (coordination.k8s.io) there,
// and list and watch on nodes.
package kubernetes
