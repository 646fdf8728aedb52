package ec2emu

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/internal/catalog"
)

// The instance metadata service, v1 and v2. Instances of a backend with
// backend.MetadataNetwork reach it at 169.254.169.254:80 (the docker
// backend's link-local network); the caller is the instance whose source
// address it is, asked of the backend, which lists only its own
// namespace's machines, so no Server ever answers about another's
// instance. Every Server of a process shares one listener per address and
// each request goes to the Server that knows its source; Servers in other
// processes on the same engine cannot bind it, which is logged. For Go
// tests, MetadataHandler serves one instance's metadata in-process.

// mdPort is where EC2's clients look for the metadata service.
const mdPort = "80"

// WithMetadataService says whether the Server serves the instance metadata
// service on the address its backend reports (backend.MetadataNetwork;
// port 80, which needs root or CAP_NET_BIND_SERVICE). Default true.
// MetadataHandler works either way.
func WithMetadataService(on bool) Option {
	return func(c *config) { c.access.noIMDS = !on }
}

// mdSources is a Server's view of which source address is which instance.
type mdSources struct {
	mu      sync.Mutex
	byIP    map[string]string
	fetched time.Time
}

// startMetadata joins the process's listener on the backend's metadata
// address, retrying until Close while it cannot bind. Called by New.
func (s *Server) startMetadata() {
	mn, ok := s.b.(backend.MetadataNetwork)
	if !ok || s.cfg.access.noIMDS {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-s.ready:
		case <-s.ctx.Done():
			return
		}
		logged := false
		for attempt := 0; ; attempt++ {
			ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
			addr, err := mn.MetadataAddress(ctx)
			cancel()
			if errors.Is(err, backend.ErrUnsupported) {
				return
			}
			var h *mdHub
			if err == nil {
				h, err = joinHub(net.JoinHostPort(addr, mdPort), s)
			}
			if err == nil {
				s.log.Info("instance metadata service listening", "addr", h.addr)
				<-s.ctx.Done()
				h.leave(s)
				return
			}
			if !logged && attempt >= 2 {
				// Never a silent miss: instances of this Server get no
				// metadata until this is fixed.
				if addr == "" {
					s.log.Error("instance metadata service: the backend cannot provide its address; instances get no metadata until it can (retrying)", "err", err)
				} else {
					s.log.Error("instance metadata service cannot listen; instances get no metadata until it can (retrying)",
						"addr", net.JoinHostPort(addr, mdPort), "err", err,
						"hint", "port 80 needs root or CAP_NET_BIND_SERVICE; another emulator process on this engine may own it")
				}
				logged = true
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(min(time.Duration(attempt+1)*250*time.Millisecond, 5*time.Second)):
			}
		}
	}()
}

// mdHub is one metadata listener shared by the Servers of this process.
type mdHub struct {
	addr    string
	mu      sync.Mutex
	servers []*Server
	hs      *http.Server
	ln      net.Listener
	done    chan struct{}
}

var hubs = struct {
	sync.Mutex
	m map[string]*mdHub
}{m: map[string]*mdHub{}}

func joinHub(addr string, s *Server) (*mdHub, error) {
	hubs.Lock()
	defer hubs.Unlock()
	h := hubs.m[addr]
	if h == nil {
		ln, err := net.Listen("tcp4", addr)
		if err != nil {
			return nil, err
		}
		h = &mdHub{addr: addr, ln: ln, done: make(chan struct{})}
		h.hs = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			defer close(h.done)
			h.hs.Serve(ln)
		}()
		hubs.m[addr] = h
	}
	h.mu.Lock()
	h.servers = append(h.servers, s)
	h.mu.Unlock()
	return h, nil
}

// leave removes s; the last Server to leave closes the listener.
func (h *mdHub) leave(s *Server) {
	hubs.Lock()
	defer hubs.Unlock()
	h.mu.Lock()
	h.servers = slices.DeleteFunc(h.servers, func(o *Server) bool { return o == s })
	last := len(h.servers) == 0
	h.mu.Unlock()
	if last {
		delete(hubs.m, h.addr)
		h.hs.Close()
		<-h.done
	}
}

func (h *mdHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	ip := ap.Addr().Unmap().String()
	h.mu.Lock()
	servers := slices.Clone(h.servers)
	h.mu.Unlock()
	for _, s := range servers {
		// Not the request's context: a client that half-closes after its
		// request (nc) cancels it at once, and the answer is still wanted.
		if id := s.metadataCaller(s.ctx, ip); id != "" {
			s.serveMetadata(w, r, id)
			return
		}
	}
	// Not an instance of any Server here (maybe of another emulator
	// process on the same engine): say nothing about anyone.
	http.Error(w, "Not Found", http.StatusNotFound)
}

// metadataCaller is the instance whose metadata-network address ip is, or
// "". A miss (usually an instance just launched) asks the backend again,
// at most every 100 ms: a miss within that time waits for the next ask
// rather than answer 404 to a new instance.
func (s *Server) metadataCaller(ctx context.Context, ip string) string {
	const every = 100 * time.Millisecond
	m := &s.mdSrc
	m.mu.Lock()
	if id := m.byIP[ip]; id != "" {
		m.mu.Unlock()
		return id
	}
	asked := time.Now()
	wait := every - time.Since(m.fetched)
	m.mu.Unlock()
	if wait > 0 {
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(wait):
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if id := m.byIP[ip]; id != "" || m.fetched.After(asked) {
		return id // someone asked the backend after this request came
	}
	mn, ok := s.b.(backend.MetadataNetwork)
	if !ok {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	byIP, err := mn.MetadataSources(ctx)
	m.fetched = time.Now()
	if err != nil {
		s.log.Warn("metadata service: listing instance addresses failed", "err", err)
		return ""
	}
	m.byIP = byIP
	return byIP[ip]
}

// MetadataHandler returns the instance metadata service as instance id sees
// it, for tests in-process (e.g. aws-sdk-go-v2's feature/ec2/imds client
// with Endpoint set to an httptest.Server running it). It answers as the
// service at 169.254.169.254 does, v1 and v2, including HttpTokens and
// HttpEndpoint; an unknown instance gets 404.
func (s *Server) MetadataHandler(id string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveMetadata(w, r, id) })
}

// Token TTL bounds and headers of IMDSv2.
const (
	mdTokenHeader = "X-aws-ec2-metadata-token"
	mdTTLHeader   = "X-aws-ec2-metadata-token-ttl-seconds"
	mdMaxTTL      = 21600
)

var mdVersion = regexp.MustCompile(`^/(latest|\d{4}-\d{2}-\d{2})(/.*)?$`)

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request, id string) {
	w.Header().Set("Server", "EC2ws")
	md, opts, ok := s.metadataOf(id)
	if !ok {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	if opts.HTTPEndpoint == "disabled" {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	m := mdVersion.FindStringSubmatch(r.URL.Path)
	switch r.Method {
	case http.MethodPut:
		switch {
		case m == nil || m[2] != "/api/token":
			http.Error(w, "Not Found", http.StatusNotFound)
		case m[1] != "latest":
			http.Error(w, "Forbidden", http.StatusForbidden)
		case r.Header.Get("X-Forwarded-For") != "":
			// A PUT that went through a proxy is not the instance's own.
			http.Error(w, "Forbidden", http.StatusForbidden)
		default:
			ttl, err := strconv.Atoi(r.Header.Get(mdTTLHeader))
			if err != nil || ttl < 1 || ttl > mdMaxTTL {
				http.Error(w, "Bad Request", http.StatusBadRequest)
				return
			}
			w.Header().Set(mdTTLHeader, strconv.Itoa(ttl))
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, s.mintToken(id, time.Duration(ttl)*time.Second))
		}
		return
	case http.MethodGet, http.MethodHead:
	default:
		w.Header().Set("Allow", "OPTIONS, GET, HEAD, PUT")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if tok := r.Header.Get(mdTokenHeader); tok != "" {
		if !s.validToken(tok, id) {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
	} else if opts.HTTPTokens == "required" {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	if r.URL.Path == "/" {
		writeMD(w, r, "latest\n")
		return
	}
	if m == nil {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	p := strings.TrimPrefix(m[2], "/")
	if body, ok := md.get(p); ok {
		writeMD(w, r, body)
		return
	}
	http.Error(w, "Not Found", http.StatusNotFound)
}

func writeMD(w http.ResponseWriter, r *http.Request, body string) {
	w.Header().Set("Content-Type", "text/plain")
	if strings.HasPrefix(body, "{") {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		fmt.Fprint(w, body)
	}
}

// mdTree is an instance's metadata: leaves by path ("meta-data/ami-id").
type mdTree map[string]string

// get answers path: a leaf's value, or a directory's children one per line
// (directories with a trailing /) when path is "" or ends in / or names a
// directory.
func (t mdTree) get(p string) (string, bool) {
	dir := strings.TrimSuffix(p, "/")
	if v, ok := t[p]; ok {
		return v, true // a leaf, or a listing given explicitly
	}
	if v, ok := t[dir+"/"]; ok && dir != "" {
		return v, true
	}
	if dir != "" {
		dir += "/"
	}
	seen := map[string]bool{}
	var kids []string
	for k := range t {
		rest, ok := strings.CutPrefix(k, dir)
		if !ok || rest == "" {
			continue
		}
		kid := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			kid = rest[:i+1]
		}
		if kid != "" && !seen[kid] {
			seen[kid] = true
			kids = append(kids, kid)
		}
	}
	if len(kids) == 0 {
		return "", false
	}
	sort.Strings(kids)
	return strings.Join(kids, "\n"), true
}

// metadataOf gathers instance id's metadata. Only pending and running
// instances have a metadata service.
func (s *Server) metadataOf(id string) (mdTree, metadataOpts, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	inst := s.instances[id]
	if inst == nil || (inst.state != stateRunning && inst.state != statePending) {
		return nil, metadataOpts{}, false
	}
	z := inst.tenant
	t := mdTree{}
	set := func(k, v string) { t["meta-data/"+k] = v }
	set("ami-id", inst.imageID)
	set("ami-launch-index", strconv.Itoa(inst.launchIndex))
	set("ami-manifest-path", "(unknown)")
	set("block-device-mapping/ami", "/dev/xvda")
	set("block-device-mapping/root", "/dev/xvda")
	// EBS volumes appear only if they were there at launch (the IMDS
	// reference): ebs1, ebs2… name their devices without /dev/.
	n := 0
	for _, v := range inst.vols {
		if v.att.at.Equal(inst.launchTime) {
			n++
			set("block-device-mapping/ebs"+strconv.Itoa(n), strings.TrimPrefix(v.att.device, "/dev/"))
		}
	}
	set("instance-id", inst.id)
	set("instance-type", inst.instanceType)
	set("instance-life-cycle", "on-demand")
	set("reservation-id", inst.res.id)
	set("placement/availability-zone", inst.az)
	set("placement/region", z.region)
	set("services/domain", "amazonaws.com")
	set("services/partition", "aws")
	if i := slices.Index(catalog.ZoneNames(z.region), inst.az); i >= 0 {
		set("placement/availability-zone-id", catalog.ZoneID(z.region, i))
	}
	if inst.privateIP != "" {
		host := privateDNSName(inst.privateIP, z.region)
		set("hostname", host)
		set("local-hostname", host)
		set("local-ipv4", inst.privateIP)
	}
	if ip := inst.access.publicIP; ip != "" {
		set("public-ipv4", ip)
		set("public-hostname", publicDNSName(ip, z.region))
	}
	if n := inst.nic; n != nil {
		set("mac", n.mac)
		var names, ids []string
		for _, g := range n.groups {
			names, ids = append(names, g.GroupName), append(ids, g.GroupID)
		}
		set("security-groups", strings.Join(names, "\n"))
		p := "network/interfaces/macs/" + n.mac + "/"
		set(p+"device-number", "0")
		set(p+"interface-id", n.eniID)
		set(p+"mac", n.mac)
		set(p+"owner-id", inst.res.owner)
		set(p+"security-group-ids", strings.Join(ids, "\n"))
		set(p+"security-groups", strings.Join(names, "\n"))
		set(p+"subnet-id", n.subnetID)
		set(p+"vpc-id", n.vpcID)
		if inst.privateIP != "" {
			set(p+"local-ipv4s", inst.privateIP)
			set(p+"local-hostname", privateDNSName(inst.privateIP, z.region))
		}
		if ip := inst.access.publicIP; ip != "" {
			set(p+"public-ipv4s", ip)
			set(p+"public-hostname", publicDNSName(ip, z.region))
		}
		if sn := z.net.subnet(n.subnetID); sn != nil {
			set(p+"subnet-ipv4-cidr-block", sn.cidr)
		}
		if v := z.net.vpc(n.vpcID); v != nil {
			set(p+"vpc-ipv4-cidr-block", v.cidr)
			set(p+"vpc-ipv4-cidr-blocks", v.cidr)
		}
	}
	if f := strings.Fields(inst.access.launchKey); len(f) >= 2 {
		// EC2 answers the key with the key pair's name as its comment; the
		// imported key's own comment goes only into authorized_keys.
		set("public-keys/0/openssh-key", f[0]+" "+f[1]+" "+inst.keyName)
		set("public-keys/", "0="+inst.keyName) // EC2 lists keys as index=name
	}
	if inst.attrs.Metadata.InstanceMetadataTags == "enabled" {
		for _, tag := range inst.tags {
			set("tags/instance/"+tag.Key, tag.Value)
		}
	}
	s.addIAM(t, inst)
	if len(inst.userData) > 0 {
		t["user-data"] = string(inst.userData)
	}
	doc, _ := json.MarshalIndent(map[string]any{
		"accountId": z.account, "architecture": cmpOr(inst.architecture, "x86_64"), "availabilityZone": inst.az,
		"billingProducts": nil, "devpayProductCodes": nil, "marketplaceProductCodes": nil,
		"imageId": inst.imageID, "instanceId": inst.id, "instanceType": inst.instanceType,
		"kernelId": nil, "pendingTime": inst.launchTime.UTC().Format(time.RFC3339), "privateIp": inst.privateIP,
		"ramdiskId": nil, "region": z.region, "version": "2017-09-30",
	}, "", "  ")
	t["dynamic/instance-identity/document"] = string(doc)
	return t, inst.attrs.Metadata, true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// mintToken makes an IMDSv2 token bound to instance id until ttl has
// passed: the instance ID, the expiry and an HMAC under the Server's token
// key, so nothing needs to be stored.
func (s *Server) mintToken(id string, ttl time.Duration) string {
	exp := strconv.FormatInt(time.Now().Add(ttl).Unix(), 10)
	msg := id + "|" + exp
	return base64.RawURLEncoding.EncodeToString([]byte(msg)) + "." + base64.RawURLEncoding.EncodeToString(s.tokenMAC(msg))
}

func (s *Server) validToken(tok, id string) bool {
	a, b, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	msg, err1 := base64.RawURLEncoding.DecodeString(a)
	mac, err2 := base64.RawURLEncoding.DecodeString(b)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.tokenMAC(string(msg))) {
		return false
	}
	tid, exp, _ := strings.Cut(string(msg), "|")
	sec, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && tid == id && time.Now().Unix() < sec
}

// tokenKey is this process's key for IMDSv2 tokens: tokens do not outlive
// the emulator, as they do not outlive an instance's stop on EC2.
var tokenKey = func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}()

func (s *Server) tokenMAC(msg string) []byte {
	m := hmac.New(sha256.New, tokenKey)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
