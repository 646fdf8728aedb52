package ec2emu

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// The benchmarks here are the Server's hot paths in process, with no network
// and no SDK, so that a regression shows in `go test -bench` output:
//
//	go test -run '^$' -bench . -benchmem .
//
// `make bench` (internal/cmd/ec2bench) measures the same over loopback HTTP
// with the real SDK, and the docker backend against the raw engine.

// discard is an http.ResponseWriter that keeps only the status and size, so
// the benchmark measures the handler, not a recorder's growing buffer.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(s int)   { d.status = s }
func (d *discard) Write(b []byte) (int, error) {
	d.n += len(b)
	return len(b), nil
}

// serve sends one form request to s in process and returns the status and
// body size.
func serve(s *Server, form url.Values) (int, int) {
	w := &discard{h: http.Header{}, status: http.StatusOK}
	s.ServeHTTP(w, formRequest(form))
	return w.status, w.n
}

// formRequest is form as an SDK posts it, signed for us-east-1.
func formRequest(form url.Values) *http.Request { return formRequestAs(form, "test") }

// formRequestAs is formRequest with access key akid: a 12-digit one is the
// account the request acts in.
func formRequestAs(form url.Values, akid string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20261127/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
	return r
}

// launchAccount spreads benchmark launches over accounts, 4,000 each, so
// that no default subnet (4,091 addresses) fills up.
func launchAccount(n int64) string { return strconv.FormatInt(100000000000+n/4000, 10) }

// benchServer returns a Server over a delay-free mock holding n running
// instances, with tags on each so tag filters have work to do.
func benchServer(b *testing.B, n int) *Server {
	b.Helper()
	s := New(mock.New(mock.WithDelay(0)), WithVcpuLimit(n))
	b.Cleanup(func() { s.Close() })
	for left := n; left > 0; {
		k := min(left, 1000)
		status, _ := serve(s, url.Values{
			"Action": {"RunInstances"}, "ImageId": {mock.DefaultImages[0].ID},
			"MinCount": {fmt.Sprint(k)}, "MaxCount": {fmt.Sprint(k)},
			"TagSpecification.1.ResourceType": {"instance"},
			"TagSpecification.1.Tag.1.Key":    {"Name"}, "TagSpecification.1.Tag.1.Value": {"web"},
			"TagSpecification.1.Tag.2.Key": {"env"}, "TagSpecification.1.Tag.2.Value": {"bench"},
		})
		if status != http.StatusOK {
			b.Fatalf("RunInstances: HTTP %d", status)
		}
		left -= k
	}
	waitState(b, s, stateRunning)
	return s
}

// BenchmarkDescribeInstances is the whole request in process: form parsing,
// decoding, the state walk under the read lock, and XML encoding.
func BenchmarkDescribeInstances(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
		form url.Values
	}{
		{"100", 100, url.Values{"Action": {"DescribeInstances"}}},
		{"1000", 1000, url.Values{"Action": {"DescribeInstances"}}},
		{"1000/filtered-to-none", 1000, url.Values{"Action": {"DescribeInstances"},
			"Filter.1.Name": {"instance-state-name"}, "Filter.1.Value.1": {"stopped"}}},
		{"1000/tag-filter-page-of-5", 1000, url.Values{"Action": {"DescribeInstances"}, "MaxResults": {"5"},
			"Filter.1.Name": {"tag:Name"}, "Filter.1.Value.1": {"w*"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := benchServer(b, tc.n)
			measureAsUsed(b)
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				status, n := serve(s, tc.form)
				if status != http.StatusOK {
					b.Fatalf("HTTP %d", status)
				}
				size = n
			}
			b.SetBytes(int64(size))
		})
	}
}

// BenchmarkRunInstances launches one instance per request in process.
func BenchmarkRunInstances(b *testing.B) {
	s := New(mock.New(mock.WithDelay(0)), WithVcpuLimit(1<<30))
	b.Cleanup(func() { s.Close() })
	form := url.Values{"Action": {"RunInstances"}, "ImageId": {mock.DefaultImages[0].ID}, "MinCount": {"1"}, "MaxCount": {"1"}}
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		w := &discard{h: http.Header{}, status: http.StatusOK}
		s.ServeHTTP(w, formRequestAs(form, launchAccount(n)))
		if n++; w.status != http.StatusOK {
			b.Fatalf("HTTP %d", w.status)
		}
	}
}

// BenchmarkRunInstancesStore is RunInstances with a state directory, four
// requests at a time: each waits for an fsync that concurrent requests
// share.
func BenchmarkRunInstancesStore(b *testing.B) {
	for _, dir := range []string{"", b.TempDir()} {
		b.Run(map[bool]string{true: "store-off", false: "store-on"}[dir == ""], func(b *testing.B) {
			s := New(mock.New(mock.WithDelay(0)), WithVcpuLimit(1<<30), WithStateDir(dir))
			b.Cleanup(func() { s.Close() })
			form := url.Values{"Action": {"RunInstances"}, "ImageId": {mock.DefaultImages[0].ID}, "MinCount": {"1"}, "MaxCount": {"1"}}
			b.SetParallelism(2) // 4 goroutines on 2 cores
			b.ReportAllocs()
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := &discard{h: http.Header{}, status: http.StatusOK}
					s.ServeHTTP(w, formRequestAs(form, launchAccount(n.Add(1))))
					if w.status != http.StatusOK {
						b.Errorf("HTTP %d", w.status)
						return
					}
				}
			})
		})
	}
}

// BenchmarkFilterMatch is compiled filters against one instance: plain
// values, wildcards and tags.
func BenchmarkFilterMatch(b *testing.B) {
	z := &tenant{scope: scope{account: "000000000000", region: "us-east-1"}}
	inst := &instance{
		id: "i-0123456789abcdef0", tenant: z, res: &reservation{id: "r-0123456789abcdef0", owner: "000000000000"},
		imageID: "ami-df5de72bdb3b", instanceType: "t3.micro", state: stateRunning, az: "us-east-1a",
		privateIP: "172.31.16.5", launchTime: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		tags: []xmlproto.Tag{{Key: "Name", Value: "web-1"}, {Key: "env", Value: "prod"}, {Key: "team", Value: "core"}},
	}
	for _, tc := range []struct {
		name string
		fs   []xmlproto.Filter
	}{
		{"state", []xmlproto.Filter{{Name: "instance-state-name", Values: []string{"pending", "running"}}}},
		{"wildcard", []xmlproto.Filter{{Name: "private-dns-name", Values: []string{"ip-172-31-*.ec2.internal"}}}},
		{"tag", []xmlproto.Filter{{Name: "tag:Name", Values: []string{"web-*"}}}},
		{"tag-value-miss", []xmlproto.Filter{{Name: "tag-value", Values: []string{"staging", "dev?"}}}},
		{"three", []xmlproto.Filter{
			{Name: "instance-state-name", Values: []string{"running"}},
			{Name: "instance-type", Values: []string{"t3.*"}},
			{Name: "tag:env", Values: []string{"prod"}},
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			fs, err := query.Compile("DescribeInstances", tc.fs, instanceFields)
			if err != nil {
				b.Fatal(err)
			}
			want := !strings.HasSuffix(tc.name, "-miss")
			b.ReportAllocs()
			for b.Loop() {
				if fs.Match(inst) != want {
					b.Fatalf("match = %v, want %v", !want, want)
				}
			}
		})
	}
}

// measureAsUsed turns off, for b, the test-only check of every reuse of a
// kept DescribeInstances item (describecache.go), so that b measures what
// a Server outside tests does.
func measureAsUsed(b *testing.B) {
	was := checkDescribed
	checkDescribed = false
	b.Cleanup(func() { checkDescribed = was })
}
