package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ec2emu/ec2emu/backend"
)

func init() { backend.Register("kubernetes", open) }

// Names, labels and annotations the backend gives what it creates.
const (
	// NamePrefix starts the name of every instance's pod and ConfigMap:
	// localstack-ec2-<instance-id>.
	NamePrefix = "localstack-ec2-"
	// ImageRepoPrefix starts the repository of every AMI image:
	// localstack-ec2/<name>:<ami-id>.
	ImageRepoPrefix = "localstack-ec2/"

	// LabelNamespace holds the backend's namespace (backend.Config.Namespace),
	// or a hash of it when it is not a valid label value.
	LabelNamespace = "ec2emu.io/namespace"
	// LabelInstanceID holds the EC2 instance ID.
	LabelInstanceID = "ec2emu.io/instance-id"
	// LabelImageID holds the AMI the instance was launched from.
	LabelImageID = "ec2emu.io/image-id"
	// LabelManagedBy is the well-known label, set to "ec2emu".
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// AnnotationNamespace holds the backend's namespace in full.
	AnnotationNamespace = "ec2emu.io/namespace"

	// LabelZone is the node label Placement.AvailabilityZone matches.
	LabelZone = "topology.kubernetes.io/zone"

	// ContainerName is the name of the instance's container in its pod.
	ContainerName = "instance"

	// recordKey is the ConfigMap key holding the instance record (JSON).
	recordKey = "instance.json"
)

// DefaultNamespace is the backend namespace used when none is given:
// backend.DefaultNamespace.
const DefaultNamespace = backend.DefaultNamespace

// Option configures New. An option given a value that cannot be right panics
// when it is made.
type Option func(*Backend)

// WithClient makes the backend use cs (and cfg, for exec) instead of a client
// built from the environment.
func WithClient(cs kubernetes.Interface, cfg *rest.Config) Option {
	if cs == nil || cfg == nil {
		panic("kubernetes: WithClient(nil, …); leave the option out to connect from the environment")
	}
	return func(b *Backend) { b.cs, b.cfg = cs, cfg }
}

// WithNamespace sets the backend namespace: the backend lists and changes
// only the pods and ConfigMaps labelled with it. Default DefaultNamespace. It
// panics if ns is empty.
func WithNamespace(ns string) Option {
	if ns == "" {
		panic("kubernetes: WithNamespace(\"\"); leave the option out for DefaultNamespace")
	}
	return func(b *Backend) { b.ns = ns }
}

// WithKubernetesNamespace sets the Kubernetes namespace the pods and
// ConfigMaps live in. Default: the kubeconfig context's namespace, else
// "default". The namespace must exist, with a default ServiceAccount.
func WithKubernetesNamespace(ns string) Option {
	if ns == "" {
		panic("kubernetes: WithKubernetesNamespace(\"\"); leave the option out for the kubeconfig's")
	}
	return func(b *Backend) { b.kns = ns }
}

// WithRequestScale multiplies the CPU and memory requests that the instance
// type gives each pod (its vCPUs and memory in the catalogue): 1 (the
// default) requests what EC2 would give, 0.1 a tenth, 0 nothing. It panics
// if f is negative.
func WithRequestScale(f float64) Option {
	if f < 0 {
		panic(fmt.Sprintf("kubernetes: WithRequestScale(%v): negative", f))
	}
	return func(b *Backend) { b.scale = f }
}

// WithLogger sets where the backend logs. Default: nowhere.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("kubernetes: WithLogger(nil); to log nothing, leave the option out")
	}
	return func(b *Backend) { b.log = l }
}

// Backend runs EC2 instances as Kubernetes pods. It implements
// backend.Backend and the optional backend.Execer, ConsoleOutputer,
// Watcher, ImageMaker (false), ImageLooker, MetadataNetwork,
// NamespaceLocker, CapacityReporter, LaunchCapacityReporter and
// ZoneLister, and is safe for concurrent use.
type Backend struct {
	cs    kubernetes.Interface
	cfg   *rest.Config
	kns   string // Kubernetes namespace
	ns    string // backend namespace
	nsLbl string // ns as a label value
	scale float64
	log   *slog.Logger

	diskDir string // on the nodes; "" for no disks
	diskSet bool
	mdAddr  string // the metadata service's address, "" for none

	stop    context.CancelFunc
	closed  <-chan struct{} // closed by Close: the caches no longer change
	done    sync.WaitGroup
	wipes   sync.WaitGroup // disks of records deleted behind our back
	closing bool           // under mu: no more wipes

	wmu      sync.Mutex
	wpending map[string][]wipeReq // node → disks to remove
	wrunning map[string]bool      // node → its wipeLoop runs
	pods     listersv1.PodLister
	records  listersv1.ConfigMapLister
	nodes    listersv1.NodeLister

	mu      sync.Mutex
	changed chan struct{}            // closed and replaced on every informer event
	busy    map[string]int           // instance ID → calls in flight
	last    map[string]backend.State // instance ID → state last seen by the watch
	subs    map[int]func(backend.Event)
	nextSub int
}

var (
	_ backend.Backend         = (*Backend)(nil)
	_ backend.Execer          = (*Backend)(nil)
	_ backend.ConsoleOutputer = (*Backend)(nil)
	_ backend.Watcher         = (*Backend)(nil)
	_ backend.ImageMaker      = (*Backend)(nil)
)

// New returns a Kubernetes backend. Without WithClient it connects the way
// kubectl does (KUBECONFIG, ~/.kube/config, or the in-cluster service
// account). It starts informers on the namespace's pods and ConfigMaps and
// on the nodes, and waits (within ctx) until they have synced; a cluster
// that does not answer is an error wrapping backend.ErrUnavailable.
func New(ctx context.Context, opts ...Option) (*Backend, error) {
	b := &Backend{
		ns:      DefaultNamespace,
		scale:   1,
		changed: make(chan struct{}),
		busy:    map[string]int{},
		last:    map[string]backend.State{},
		subs:    map[int]func(backend.Event){},
	}
	for _, o := range opts {
		o(b)
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.cs == nil {
		cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{})
		cfg, err := cc.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("kubernetes: no cluster configured (KUBECONFIG, ~/.kube/config or in-cluster): %w: %w", err, backend.ErrUnavailable)
		}
		cfg.QPS, cfg.Burst = 200, 400
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: client: %w", err)
		}
		b.cs, b.cfg = cs, cfg
		if b.kns == "" {
			if ns, _, err := cc.Namespace(); err == nil && ns != "" {
				b.kns = ns
			}
		}
	}
	if b.kns == "" {
		b.kns = "default"
	}
	if !b.diskSet {
		b.diskDir = DefaultDiskDir
	}
	if b.mdAddr == "" {
		// Never a silent miss: say once what instances get instead.
		b.log.Info("kubernetes: no instance metadata service for pods (EC2_K8S_METADATA_ADDRESS unset); they get AWS_EC2_METADATA_DISABLED=true")
	}
	b.nsLbl = labelValue(b.ns)

	ictx, cancel := context.WithCancel(context.Background())
	b.stop, b.closed = cancel, ictx.Done()
	sel := labels.Set{LabelNamespace: b.nsLbl}.String()
	f := informers.NewSharedInformerFactoryWithOptions(b.cs, 0, informers.WithNamespace(b.kns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel }))
	podInf, recInf := f.Core().V1().Pods(), f.Core().V1().ConfigMaps()
	b.pods, b.records = podInf.Lister(), recInf.Lister()
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { b.observe(o) },
		UpdateFunc: func(_, o any) { b.observe(o) },
		DeleteFunc: func(o any) { b.observe(o) },
	}
	podInf.Informer().AddEventHandler(h)
	recInf.Informer().AddEventHandler(h)
	recInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: b.recordGone})
	nf := informers.NewSharedInformerFactory(b.cs, 0)
	nodeInf := nf.Core().V1().Nodes()
	b.nodes = nodeInf.Lister()
	nodeInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { b.notify() }, UpdateFunc: func(any, any) { b.notify() }, DeleteFunc: func(any) { b.notify() },
	})
	f.Start(ictx.Done())
	nf.Start(ictx.Done())
	b.done.Go(func() { <-ictx.Done(); f.Shutdown(); nf.Shutdown() })

	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if !cache.WaitForCacheSync(sctx.Done(), podInf.Informer().HasSynced, recInf.Informer().HasSynced, nodeInf.Informer().HasSynced) {
		b.Close()
		return nil, fmt.Errorf("kubernetes: the cluster's pods, ConfigMaps and nodes could not be listed in namespace %q: %w", b.kns, backend.ErrUnavailable)
	}
	return b, nil
}

// open is the registry's opener: backend.Config plus the EC2_K8S_* settings.
func open(ctx context.Context, cfg backend.Config) (backend.Backend, error) {
	opts := []Option{WithLogger(cfg.Logger)}
	if cfg.Namespace != "" {
		opts = append(opts, WithNamespace(cfg.Namespace))
	}
	if ns := cfg.Getenv("EC2_K8S_NAMESPACE"); ns != "" {
		opts = append(opts, WithKubernetesNamespace(ns))
	}
	if s := strings.TrimSpace(cfg.Getenv("EC2_K8S_REQUEST_SCALE")); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 {
			return nil, fmt.Errorf("kubernetes: EC2_K8S_REQUEST_SCALE=%q: want a number ≥ 0", s)
		}
		opts = append(opts, WithRequestScale(f))
	}
	switch d := strings.TrimSpace(cfg.Getenv("EC2_K8S_DISK_DIR")); {
	case d == "none":
		opts = append(opts, WithDiskDir(""))
	case d != "" && !path.IsAbs(d):
		return nil, fmt.Errorf("kubernetes: EC2_K8S_DISK_DIR=%q: want an absolute path, or none", d)
	case d != "":
		opts = append(opts, WithDiskDir(d))
	}
	if a := strings.TrimSpace(cfg.Getenv("EC2_K8S_METADATA_ADDRESS")); a != "" {
		if net.ParseIP(a) == nil {
			return nil, fmt.Errorf("kubernetes: EC2_K8S_METADATA_ADDRESS=%q: want an IP address", a)
		}
		opts = append(opts, WithMetadataAddress(a))
	}
	return New(ctx, opts...)
}

// Close stops the informers. Pods keep running.
func (b *Backend) Close() error {
	// Disk removals in flight need the informers: they end first.
	b.mu.Lock()
	b.closing = true
	b.mu.Unlock()
	b.wipes.Wait()
	b.stop()
	b.done.Wait()
	return nil
}

// KubernetesNamespace returns the Kubernetes namespace the backend uses.
func (b *Backend) KubernetesNamespace() string { return b.kns }

var labelValueRE = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)

// labelValue returns s if it is a valid label value, else a hash of it.
func labelValue(s string) string {
	if labelValueRE.MatchString(s) {
		return s
	}
	h := sha256.Sum256([]byte(s))
	return "h-" + hex.EncodeToString(h[:12])
}

// objectName is the name of instance id's pod and ConfigMap.
func objectName(id string) string { return NamePrefix + id }

// ours reports whether an object is instance id's, made by this backend
// namespace: its name, labels and annotation all say so.
func (b *Backend) ours(m metav1.Object) (string, bool) {
	id := m.GetLabels()[LabelInstanceID]
	if id == "" || m.GetName() != objectName(id) || m.GetLabels()[LabelNamespace] != b.nsLbl ||
		m.GetAnnotations()[AnnotationNamespace] != b.ns {
		return "", false
	}
	return id, true
}

// notify wakes every waiter.
func (b *Backend) notify() {
	b.mu.Lock()
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// await waits until cond, checked against the informer caches after every
// change, returns done or an error, or ctx ends.
func (b *Backend) await(ctx context.Context, cond func() (done bool, err error)) error {
	for {
		b.mu.Lock()
		ch := b.changed
		b.mu.Unlock()
		done, err := cond()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.closed:
			return fmt.Errorf("kubernetes: the backend is closed: %w", backend.ErrUnavailable)
		case <-ch:
		}
	}
}

// begin marks instance id busy with a call of ours until the returned func
// runs, so the watch does not report what the call does as drift.
func (b *Backend) begin(id string) func() {
	b.mu.Lock()
	b.busy[id]++
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		if b.busy[id]--; b.busy[id] <= 0 {
			delete(b.busy, id)
		}
		b.mu.Unlock()
	}
}

// wrap maps a Kubernetes API error to the backend's errors.
func wrap(op, name string, err error) error {
	if err == nil {
		return nil
	}
	what := "kubernetes: " + op
	if name != "" {
		what += " " + name
	}
	switch {
	case errors.Is(err, backend.ErrNotFound), errors.Is(err, backend.ErrInvalidState), errors.Is(err, backend.ErrCapacity),
		errors.Is(err, backend.ErrUnavailable), errors.Is(err, backend.ErrUnsupported):
		return fmt.Errorf("%s: %w", what, err)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s: %w: %w", what, err, backend.ErrNotFound)
	case apierrors.IsServiceUnavailable(err), apierrors.IsServerTimeout(err), apierrors.IsTooManyRequests(err),
		apierrors.IsTimeout(err), apierrors.IsInternalError(err):
		return fmt.Errorf("%s: %w: %w", what, err, backend.ErrUnavailable)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%s: %w: %w", what, err, backend.ErrUnavailable)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// podState maps a pod (nil: none) to the backend's state.
func podState(p *corev1.Pod) backend.State {
	switch {
	case p == nil:
		return backend.StateStopped
	case p.DeletionTimestamp != nil:
		return backend.StateStopping
	}
	switch p.Status.Phase {
	case corev1.PodRunning:
		return backend.StateRunning
	case corev1.PodSucceeded, corev1.PodFailed:
		return backend.StateStopped
	}
	return backend.StatePending
}
