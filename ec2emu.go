package ec2emu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/ec2model"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Server is an http.Handler that speaks the EC2 Query API and EC2's control
// plane — validation, IDs, reservations, tags, key pairs, the instance state
// machine, idempotency, DryRun, filters and pagination — in front of a
// backend.Backend that runs the machines. Create one with New or Open; it is
// safe for concurrent use. Close stops its background work.
type Server struct {
	cfg      config
	b        backend.Backend
	log      *slog.Logger
	handlers map[string]handler

	ctx    context.Context // cancelled by Close; parent of background work
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ready  chan struct{} // closed once machines left by an earlier process are adopted

	// mu guards all EC2 state below. It is never held across a backend call:
	// background goroutines take it only to record an outcome.
	mu        sync.RWMutex
	closed    bool
	tenants   map[scope]*tenant
	instances map[string]*instance   // every instance of every tenant, by ID
	images    map[string]*image      // images made by CreateImage while in flight or failed
	shares    map[string]*imageShare // launch permissions and descriptions set by ModifyImageAttribute (imageattrs.go)
	snapshots map[string]*snapshot   // EBS snapshots of every account, by ID (snapshots.go)
	seq       uint64                 // launch order across tenants
	launching int                    // backend launches in flight

	described atomic.Int64 // bytes of instances kept as DescribeInstances wrote them (describecache.go)

	fwd   *forwarder // security groups as port forwarding (portforward.go)
	mdSrc mdSources  // metadata callers by source address (imds.go)

	store  *persister // nil: state lives in memory only (persist.go)
	dirty  dirtySet   // changes not yet committed to store; guarded by mu
	failed error      // why the Server cannot serve at all (its state could not be loaded)

	lastImagesMu sync.Mutex
	lastImages   []backend.Image // the backend's last image listing, for DescribeImages while it is down

	ns nsHold // ownership of the backend's namespace (nslock.go)
}

// New returns a Server in front of b. The Server starts at once; machines b
// already runs under its namespace (left by an earlier process) are re-adopted
// in the background before the first request is answered. Close does not close
// b unless the Server opened it (see Open). New panics if given WithNamespace,
// which only Open can honour.
//
// If b can lock its namespace (backend.NamespaceLocker), New takes the lock
// first; if another live Server holds it, the Server answers every request
// 503 Unavailable and Err says why.
func New(b backend.Backend, opts ...Option) *Server {
	return newServer(context.Background(), b, opts...)
}

func newServer(ctx context.Context, b backend.Backend, opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.namespaceSet && !cfg.closeBackend {
		panic("ec2emu: New with WithNamespace: a backend passed to New keeps the namespace it was made with; give it to the backend (e.g. docker.WithNamespace) or use Open")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:       cfg,
		b:         b,
		log:       cfg.logger,
		ctx:       ctx,
		cancel:    cancel,
		ready:     make(chan struct{}),
		tenants:   map[scope]*tenant{},
		instances: map[string]*instance{},
		images:    map[string]*image{},
		shares:    map[string]*imageShare{},
		snapshots: map[string]*snapshot{},
	}
	s.handlers = s.routes()
	if cfg.stateDir != "" {
		if err := s.openStore(cfg.stateDir); err != nil {
			// New cannot return it: the Server answers 503 with it, and
			// Open returns it.
			s.failed = err
			s.log.Error("cannot serve: the state store did not open", "err", err)
			s.markReady()
			return s
		}
	}
	s.takeNamespace(ctx, func() {
		s.startAccess()
		s.wg.Add(2)
		go s.run()
		go s.janitor()
	})
	return s
}

// Open opens the backend registered under name (e.g. "docker", "mock";
// typically the value of EC2_VM_MANAGER) with this Server's namespace and
// logger, and returns a Server in front of it that closes it on Close. If
// another live Server owns the namespace on the same engine, Open closes
// the backend and fails with an error wrapping backend.ErrNamespaceLocked.
func Open(ctx context.Context, name string, opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	b, err := backend.Open(ctx, name, backend.Config{Namespace: cfg.namespace, Logger: cfg.logger})
	if err != nil {
		return nil, err
	}
	s := newServer(ctx, b, append(opts, func(c *config) { c.closeBackend = true })...)
	if err := s.Err(); err != nil && (s.failed != nil || errors.Is(err, backend.ErrNamespaceLocked)) {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Backend returns the backend the Server runs machines on.
func (s *Server) Backend() backend.Backend { return s.b }

// Close stops the Server's background work, waiting for backend calls in
// flight to return (their contexts are cancelled), and closes the backend if
// the Server opened it. Requests that arrive afterwards get 503 Unavailable.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.closeStore()
	s.releaseNamespace()
	if s.cfg.closeBackend {
		return s.b.Close()
	}
	return nil
}

// run adopts machines left by an earlier process, then follows the backend's
// drift events (if it reports them) until Close.
func (s *Server) run() {
	defer s.wg.Done()
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.adoptTimeout)
		err := s.adopt(ctx)
		cancel()
		if err == nil {
			s.resumeVolumes()
			s.resumeFleets()
			break
		}
		s.log.Warn("adopting machines failed; will retry", "err", err)
		if attempt == 0 {
			s.markReady() // answer requests from what we have rather than hang
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(min(time.Duration(attempt+1)*time.Second, 30*time.Second)):
		}
	}
	s.markReady()
	s.wg.Add(1)
	go s.resync()
	if w, ok := s.b.(backend.Watcher); ok {
		for s.ctx.Err() == nil {
			if err := w.Watch(s.ctx, s.drift); err != nil && s.ctx.Err() == nil {
				s.log.Warn("backend event stream ended; restarting", "err", err)
				select {
				case <-s.ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}
}

// janitor forgets terminated instances once their retention has passed.
func (s *Server) janitor() {
	defer s.wg.Done()
	t := time.NewTicker(max(min(s.cfg.retention/4, time.Minute), 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			now := s.cfg.now()
			s.mu.Lock()
			for _, z := range s.tenants {
				s.purge(z, now)
			}
			s.mu.Unlock()
		}
	}
}

// Ready returns a channel closed once the Server has re-adopted the machines
// its backend already runs (or given up for now and gone on).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// call is one request on its way through a handler.
type call struct {
	scope
	action    string
	requestID string
	req       xmlproto.Request
	log       *slog.Logger
	// own, when set, holds the request's parameters before RunInstances
	// merged a launch template into req.Params (launchtemplates.go): the
	// ClientToken fingerprint is of what the caller sent.
	own url.Values
	// sysTags are tags with reserved aws: keys RunInstances puts on the
	// instances it launches, as CreateFleet's aws:ec2:fleet-id (fleets.go).
	sysTags []xmlproto.Tag
	// spot, when set, makes RunInstances launch Spot instances for
	// RequestSpotInstances (spot.go).
	spot *spotLaunch
}

// ownParams are the parameters the caller sent.
func (c *call) ownParams() url.Values {
	if c.own != nil {
		return c.own
	}
	return c.req.Params
}

// ServeHTTP answers one EC2 Query request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := newRequestID()
	h := w.Header()
	h.Set("x-amzn-RequestId", rid)
	h.Set("Date", s.cfg.now().UTC().Format(http.TimeFormat))
	h.Set("Server", "AmazonEC2")
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("Cache-Control", "no-cache, no-store")

	c := &call{requestID: rid, log: s.log}
	body, err := s.serve(r, c)
	if errors.Is(err, errStoreCrashed) || s.storeErr() == errStoreCrashed {
		// A test's simulated crash: the client sees what a killed process
		// gives it, a connection closed without an answer.
		panic(http.ErrAbortHandler)
	}
	buf := getBuf()
	defer putBuf(buf)
	status := http.StatusOK
	if err != nil {
		e := s.toAPIError(err, c)
		status = e.Code.Status()
		xmlproto.EncodeError(buf, string(e.Code), e.Message, rid)
	} else {
		xmlproto.Encode(buf, c.action, rid, body)
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.Debug("request", "requestId", rid, "action", c.action, "account", c.account, "region", c.region,
			"status", status, "duration", time.Since(start))
	}
}

func (s *Server) serve(r *http.Request, c *call) (body any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic serving request", "requestId", c.requestID, "action", c.action, "panic", p, "stack", string(debug.Stack()))
			body, err = nil, apiErr(ErrInternalError, "An internal error has occurred.")
		}
	}()
	if e := s.namespaceErr(); e != nil {
		return nil, e
	}
	tooLarge := apiErr(ErrRequestEntityTooLarge, "The request exceeds the limit of %d bytes.", s.cfg.maxBody)
	// A declared length or a query string over the limit is refused before
	// anything is read.
	if s.cfg.maxBody > 0 && (r.ContentLength > s.cfg.maxBody || int64(len(r.URL.RawQuery)) > s.cfg.maxBody) {
		return nil, tooLarge
	}
	if s.cfg.credentials != nil {
		// The signature covers the body as received: read it (bounded) once,
		// verify, then let the form parser read the same bytes.
		raw, err := readBody(r.Body, s.cfg.maxBody)
		if errors.Is(err, xmlproto.ErrBodyTooLarge) {
			return nil, tooLarge
		} else if err != nil {
			return nil, apiErr(ErrInvalidParameterValue, "reading body: %s", err.Error())
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if e := s.authenticate(r, raw); e != nil {
			c.scope = s.scopeOf(r)
			return nil, e
		}
	}
	req, err := xmlproto.ParseRequest(r, s.cfg.maxBody)
	if errors.Is(err, xmlproto.ErrBodyTooLarge) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, apiErr(ErrInvalidParameterValue, "%s", err.Error())
	}
	c.req, c.action = req, req.Action
	c.scope = s.scopeOf(r)
	if req.Action == "" {
		return nil, apiErr(ErrMissingAction, "The request must contain the parameter Action.")
	}
	h, ok := s.handlers[req.Action]
	if !ok {
		if ec2model.Has(req.Action) {
			return nil, apiErr(ErrInvalidAction, "The action %s is valid for EC2 but not implemented by ec2emu.", req.Action)
		}
		return nil, apiErr(ErrInvalidAction, "The action %s is not valid for this web service.", req.Action)
	}
	// Every request is checked against the EC2 model before any handler
	// runs: a typo is UnknownParameter, never silently ignored.
	if e := ec2model.Check(req.Action, modelParams(req)); e != nil {
		return nil, apiErr(ErrorCode(e.Code), "%s", e.Message)
	}
	if s.failed != nil {
		return nil, apiErr(ErrUnavailable, "The server cannot serve: %s", s.failed.Error())
	}
	select {
	case <-s.ready:
	case <-r.Context().Done():
		return nil, apiErr(ErrUnavailable, "The request was cancelled before the server was ready.")
	}
	if err := s.storeErr(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil, apiErr(ErrUnavailable, "The server is shutting down.")
	}
	body, err = h(r.Context(), c)
	if err == nil && mutates(c.action) {
		// Answered only once the change is on disk.
		err = s.durable()
	}
	return body, err
}

// ownEnumCheck names the list parameters whose values an action checks with
// an error more specific than the model's enum check, as AWS does:
// DescribeInstanceTypes answers InvalidInstanceType for a type it does not
// have, not InvalidParameterValue; DescribeAccountAttributes answers the
// attributes AWS has beyond the two the model's enum lists (max-instances,
// vpc-max-elastic-ips, …).
var ownEnumCheck = map[string]string{"DescribeInstanceTypes": "InstanceType.", "DescribeAccountAttributes": "AttributeName."}

// modelParams returns the parameters the model checks: all of them, less
// those of ownEnumCheck.
func modelParams(req xmlproto.Request) url.Values {
	prefix, ok := ownEnumCheck[req.Action]
	if !ok {
		return req.Params
	}
	out := make(url.Values, len(req.Params))
	for k, v := range req.Params {
		if !strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// readBody reads at most limit bytes of body (no limit when limit <= 0);
// more fails with xmlproto.ErrBodyTooLarge.
func readBody(body io.Reader, limit int64) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	if limit > 0 {
		body = io.LimitReader(body, limit+1)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, xmlproto.ErrBodyTooLarge
	}
	return b, nil
}

// toAPIError turns any handler error into the EC2 answer; what is not an EC2
// error already is logged with the request ID and answered as InternalError.
func (s *Server) toAPIError(err error, c *call) *Error {
	var d *xmlproto.DecodeError
	if errors.As(err, &d) {
		return apiErr(ErrInvalidParameterValue, "%s", d.Error())
	}
	var q *query.Error
	if errors.As(err, &q) {
		return apiErr(ErrInvalidParameterValue, "%s", q.Message)
	}
	var qc *query.CombinationError
	if errors.As(err, &qc) {
		return apiErr(ErrInvalidParameterCombination, "%s", qc.Message)
	}
	if e := fromBackend(err, c.action); e != nil {
		if e.Code.Status() >= 500 {
			s.log.Warn("backend unavailable", "requestId", c.requestID, "action", c.action, "err", err)
		}
		return e
	}
	s.log.Error("internal error", "requestId", c.requestID, "action", c.action, "err", err)
	return apiErr(ErrInternalError, "An internal error has occurred (request %s).", c.requestID)
}

// decode fills v from the call's parameters.
func (c *call) decode(v any) error {
	if err := xmlproto.Decode(c.req.Params, v); err != nil {
		var d *xmlproto.DecodeError
		if errors.As(err, &d) {
			return apiErr(ErrInvalidParameterValue, "%s", d.Error())
		}
		return fmt.Errorf("decoding %s: %w", c.action, err)
	}
	return nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuf(b *bytes.Buffer) {
	// A DescribeInstances over 1,000 instances is about 3 MiB: keeping
	// buffers that size spares regrowing one per request (a sync.Pool lets
	// them go after two idle GC cycles); only outsized ones are dropped.
	if b.Cap() > 16<<20 {
		return
	}
	b.Reset()
	bufPool.Put(b)
}
