package ec2emu

import (
	"context"
	"errors"
	"io"
	"iter"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// Security groups as live port forwarding. For every running instance with
// a public address and a private address, the Server listens on
// <public address>:<port> for each TCP port its groups' ingress rules allow
// from an IPv4 CIDR, and forwards each connection it accepts to the same
// port on the instance's private address, after checking the client's
// address against the rules again (so a rule from 10.0.0.0/8 does not let a
// loopback client in; with a loopback pool such a port is not even
// listened on). Rule changes reach running instances within a second: the
// forwarder is told of every state change and re-reads the rules at least
// that often. Rules naming security groups or prefix lists govern traffic
// between instances, which the emulator does not police.

// DefaultPortForwardLimit is how many ports of one instance are forwarded
// at most unless WithPortForwardLimit says otherwise.
const DefaultPortForwardLimit = 64

// WithPortForwardLimit caps the ports forwarded per instance: port ranges
// and "all traffic" rules are opened from their lowest port (22 first)
// until the cap, and what was left out is logged. Default
// DefaultPortForwardLimit; n <= 0 keeps the default.
func WithPortForwardLimit(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.access.portLimit = n
		}
	}
}

func (a *accessConfig) portCap() int {
	if a.portLimit <= 0 {
		return DefaultPortForwardLimit
	}
	return a.portLimit
}

// rescanEvery bounds how long any change takes to reach the listeners when
// nothing kicked the forwarder for it.
const rescanEvery = 250 * time.Millisecond

// loopbackNet is where clients of a loopback pool connect from.
var loopbackNet = netip.MustParsePrefix("127.0.0.0/8")

type forwarder struct {
	s     *Server
	kickc chan struct{}

	mu     sync.Mutex
	lns    map[string]*fwdListener // by public address:port
	failed map[string]time.Time    // bind failures, retried after a while
	capped map[string]int          // instance → ports left out, as last logged
	conns  map[net.Conn]struct{}   // open client connections, closed on Close
	wg     sync.WaitGroup          // accept loops and connections

	// serveSSH, when set, answers port 22 instead of forwarding it
	// (sshgateway.go).
	serveSSH func(ctx context.Context, c net.Conn, instanceID string)
}

type fwdListener struct {
	ln   net.Listener
	inst string
	port int
}

// startAccess starts the control plane's listeners: port forwarding when
// public addresses are on. Called once by New.
func (s *Server) startAccess() {
	s.startMetadata()
	if !s.cfg.access.publicPool().IsValid() {
		return
	}
	s.fwd = &forwarder{
		s: s, kickc: make(chan struct{}, 1),
		lns: map[string]*fwdListener{}, failed: map[string]time.Time{}, capped: map[string]int{},
		conns: map[net.Conn]struct{}{},
	}
	s.startSSH()
	s.wg.Add(1)
	go s.fwd.run()
}

// accessChanged tells the forwarder that instances or rules changed.
func (s *Server) accessChanged() {
	if s.fwd != nil {
		s.fwd.kick()
	}
}

// kick asks the forwarder to look at the instances again now.
func (f *forwarder) kick() {
	select {
	case f.kickc <- struct{}{}:
	default:
	}
}

func (f *forwarder) run() {
	defer f.s.wg.Done()
	t := time.NewTicker(rescanEvery)
	defer t.Stop()
	for {
		f.reconcile()
		last := time.Now()
		select {
		case <-f.s.ctx.Done():
			f.shutdown()
			return
		case <-f.kickc:
		case <-t.C:
		}
		// A burst of kicks (a RunInstances of many, a busy client) makes
		// one reconcile per minReconcileGap, not one per kick: each reads
		// every instance under s.mu, which launches wait for.
		if d := minReconcileGap - time.Since(last); d > 0 {
			select {
			case <-f.s.ctx.Done():
				f.shutdown()
				return
			case <-time.After(d):
			}
		}
	}
}

// minReconcileGap is the least time between two reconciles.
const minReconcileGap = 20 * time.Millisecond

// shutdown closes every listener and connection and waits for their
// goroutines, then gives the public addresses back to the process pool.
func (f *forwarder) shutdown() {
	f.mu.Lock()
	for k, l := range f.lns {
		l.ln.Close()
		delete(f.lns, k)
	}
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	f.s.mu.RLock()
	for _, inst := range f.s.instances {
		if inst.access.publicIP != "" {
			releasePublic(inst.access.publicIP)
		}
	}
	for _, z := range f.s.tenants {
		for _, a := range z.net.addresses {
			releasePublic(a.publicIP)
		}
	}
	f.s.mu.RUnlock()
}

// want is one listener the rules ask for.
type want struct {
	inst string
	port int
}

// desired is every listener the instances and rules ask for now.
func (f *forwarder) desired() map[string]want {
	s := f.s
	loopPool := loopbackNet.Contains(s.cfg.access.publicPool().Addr())
	limit := s.cfg.access.portCap()
	out := map[string]want{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	// The groups with a rule that can open a port, found once: most
	// instances have none (the default group only admits itself), and
	// skipping them without allocating keeps a reconcile over thousands of
	// instances well under a millisecond.
	open := map[string]bool{}
	var tenants []*tenant // those with such a group: only their instances are looked at
	for _, t := range s.tenants {
		n := len(open)
		for _, g := range t.net.groups {
			for _, r := range g.rules {
				if !r.egress && r.cidr4 != "" && (r.proto == "tcp" || r.proto == "-1" || r.proto == "6") {
					open[g.id] = true
					break
				}
			}
		}
		if len(open) > n {
			tenants = append(tenants, t)
		}
	}
	for inst := range tenantInstances(tenants) {
		if inst.state != stateRunning || inst.access.publicIP == "" || inst.privateIP == "" || inst.nic == nil {
			continue
		}
		if !slices.ContainsFunc(inst.nic.groups, func(g xmlproto.GroupIdentifier) bool { return open[g.GroupID] }) {
			continue
		}
		var ports []int
		seen := map[int]bool{}
		add := func(p int) {
			if p >= 1 && p <= 65535 && !seen[p] {
				seen[p] = true
				ports = append(ports, p)
			}
		}
		total := 0
		for _, r := range ingressRules(inst) {
			if r.cidr4 == "" {
				continue
			}
			if loopPool {
				p, err := netip.ParsePrefix(r.cidr4)
				if err != nil || !p.Overlaps(loopbackNet) {
					continue
				}
			}
			from, to := r.from, r.to
			if r.proto == "-1" {
				from, to = 1, 65535
			}
			if from < 1 {
				from = 1
			}
			if !seen[22] && from <= 22 && 22 <= to && len(ports) < limit {
				add(22) // SSH first: a capped "all traffic" rule still lets it in
			}
			total += max(to-from+1, 0) // an upper bound when rules overlap
			for p := from; p <= to && len(ports) < limit; p++ {
				add(p)
			}
		}
		if left := max(total-len(ports), 0); left != f.capped[inst.id] && (left > 0) != (f.capped[inst.id] > 0) {
			if left > 0 {
				s.log.Warn("port forwarding capped: some ports the security groups allow are not forwarded",
					"instance", inst.id, "forwarded", len(ports), "leftOut", left, "limit", limit)
			}
			f.capped[inst.id] = left
		}
		for _, p := range ports {
			out[net.JoinHostPort(inst.access.publicIP, strconv.Itoa(p))] = want{inst.id, p}
		}
	}
	return out
}

// tenantInstances yields the instances of ts, in launch order.
func tenantInstances(ts []*tenant) iter.Seq[*instance] {
	return func(yield func(*instance) bool) {
		for _, t := range ts {
			for _, inst := range t.order {
				if !yield(inst) {
					return
				}
			}
		}
	}
}

// ingressRules are the ingress rules of inst's groups that carry TCP.
// Callers hold s.mu (read).
func ingressRules(inst *instance) []*sgRule {
	var out []*sgRule
	for _, gi := range inst.nic.groups {
		g, err := inst.tenant.net.groupByID(gi.GroupID)
		if err != nil {
			continue
		}
		for _, r := range g.rules {
			if !r.egress && (r.proto == "tcp" || r.proto == "-1" || r.proto == "6") {
				out = append(out, r)
			}
		}
	}
	return out
}

// allowed reports whether a client at from may reach port of instance id,
// and the address to forward to.
func (s *Server) allowed(id string, port int, from netip.Addr) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	inst := s.instances[id]
	if inst == nil || inst.state != stateRunning || inst.nic == nil || inst.privateIP == "" {
		return "", false
	}
	for _, r := range ingressRules(inst) {
		p, err := netip.ParsePrefix(r.cidr4)
		if err != nil || !p.Contains(from.Unmap()) {
			continue
		}
		if r.proto == "-1" || (r.from <= port && port <= r.to) {
			return net.JoinHostPort(inst.privateIP, strconv.Itoa(port)), true
		}
	}
	return "", false
}

func (f *forwarder) reconcile() {
	want := f.desired()
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, l := range f.lns {
		if w, ok := want[k]; !ok || w.inst != l.inst {
			l.ln.Close()
			delete(f.lns, k)
		}
	}
	for k, w := range want {
		if f.lns[k] != nil {
			continue
		}
		if t, ok := f.failed[k]; ok && now.Sub(t) < 5*time.Second {
			continue
		}
		ln, err := net.Listen("tcp4", k)
		if err != nil {
			if _, ok := f.failed[k]; !ok {
				f.s.log.Warn("cannot listen for a forwarded port; will retry", "instance", w.inst, "addr", k, "err", err)
			}
			f.failed[k] = now
			continue
		}
		delete(f.failed, k)
		l := &fwdListener{ln: ln, inst: w.inst, port: w.port}
		f.lns[k] = l
		f.wg.Add(1)
		go f.accept(l)
	}
	for k := range f.failed {
		if _, ok := want[k]; !ok {
			delete(f.failed, k)
		}
	}
}

func (f *forwarder) accept(l *fwdListener) {
	defer f.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		if !f.track(c) {
			c.Close()
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(c)
			f.serve(c, l)
		}()
	}
}

// track records an open connection; false once shutting down.
func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.s.ctx.Err() != nil {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	c.Close()
}

func (f *forwarder) serve(c net.Conn, l *fwdListener) {
	from := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr()
	target, ok := f.s.allowed(l.inst, l.port, from)
	if !ok {
		return // no rule lets this client in: as a dropped SYN would, but at once
	}
	if l.port == 22 && f.serveSSH != nil {
		f.serveSSH(f.s.ctx, c, l.inst)
		return
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	up, err := d.DialContext(f.s.ctx, "tcp", target)
	if err != nil {
		f.s.log.Debug("forwarded connection: instance port not answering", "instance", l.inst, "target", target, "err", err)
		return
	}
	if !f.track(up) {
		up.Close()
		return
	}
	defer f.untrack(up)
	pipe(c, up)
}

// pipe copies both ways until both sides are done, passing each half-close
// on (so `nc` and HTTP/1.0 clients see EOF).
func pipe(a, b net.Conn) {
	done := make(chan struct{})
	go func() {
		io.Copy(b, a)
		closeWrite(b)
		close(done)
	}()
	io.Copy(a, b)
	closeWrite(a)
	<-done
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}

// ForwardedPorts lists the ports forwarded to instance id now, in
// ascending order. It is meant for tests and diagnostics; what a client can
// reach also depends on its address.
func (s *Server) ForwardedPorts(id string) []int {
	if s.fwd == nil {
		return nil
	}
	s.fwd.mu.Lock()
	defer s.fwd.mu.Unlock()
	var out []int
	for _, l := range s.fwd.lns {
		if l.inst == id {
			out = append(out, l.port)
		}
	}
	slices.Sort(out)
	return out
}
