package ec2emu_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
)

// limitServer starts a Server over a zero-delay mock and returns its URL
// and an SDK client without retries (InsufficientInstanceCapacity is a 500,
// which the SDK would otherwise retry).
func limitServer(t *testing.T, b *mock.Backend, opts ...ec2emu.Option) (string, *ec2.Client) {
	t.Helper()
	if b == nil {
		b = mock.New(mock.WithDelay(0))
	}
	srv := ec2emu.New(b, opts...)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs.URL, signedClient(hs.URL, "test", "test")
}

func runN(c *ec2.Client, t *testing.T, minN, maxN int32) (*ec2.RunInstancesOutput, error) {
	return c.RunInstances(ctxT(t), &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(minN), MaxCount: aws.Int32(maxN)})
}

// liveInstances counts the instances DescribeInstances shows not terminated.
func liveInstances(t *testing.T, c *ec2.Client) int {
	t.Helper()
	out, err := c.DescribeInstances(ctxT(t), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if i.State.Name != types.InstanceStateNameTerminated && i.State.Name != types.InstanceStateNameShuttingDown {
				n++
			}
		}
	}
	return n
}

// TestVcpuLimit: the quota counts vCPUs by instance type, as AWS does now.
func TestVcpuLimit(t *testing.T) {
	_, c := limitServer(t, nil, ec2emu.WithVcpuLimit(6))
	run := func(typ types.InstanceType, n int32) error {
		_, err := c.RunInstances(ctxT(t), &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), InstanceType: typ,
			MinCount: aws.Int32(n), MaxCount: aws.Int32(n)})
		return err
	}
	if err := run("t3.xlarge", 1); err != nil { // 4 vCPUs
		t.Fatal(err)
	}
	wantAPIError(t, run("t3.medium", 2), "VcpuLimitExceeded", 400) // 4 more: 8 > 6
	if err := run("t3.medium", 1); err != nil {                    // 2 more: 6
		t.Fatal(err)
	}
	wantAPIError(t, run("t3.nano", 1), "VcpuLimitExceeded", 400)
	if n := liveInstances(t, c); n != 2 {
		t.Errorf("%d instances live, want 2", n)
	}
}

func TestInstanceLimit(t *testing.T) {
	_, c := limitServer(t, nil, ec2emu.WithInstanceLimit(3))
	steps := []struct {
		minN, maxN int32
		code       string
		launched   int
		live       int // afterwards
	}{
		{minN: 1, maxN: 4, code: "InstanceLimitExceeded"},
		{minN: 2, maxN: 2, launched: 2, live: 2},
		{minN: 1, maxN: 2, code: "InstanceLimitExceeded", live: 2}, // MaxCount over the quota fails even though MinCount fits
		{minN: 1, maxN: 1, launched: 1, live: 3},
		{minN: 1, maxN: 1, code: "InstanceLimitExceeded", live: 3},
	}
	var ids []string
	for i, st := range steps {
		out, err := runN(c, t, st.minN, st.maxN)
		if st.code != "" {
			wantAPIError(t, err, st.code, 400)
		} else if err != nil {
			t.Fatalf("step %d: %v", i, err)
		} else if len(out.Instances) != st.launched {
			t.Errorf("step %d: launched %d, want %d", i, len(out.Instances), st.launched)
		} else {
			for _, in := range out.Instances {
				ids = append(ids, *in.InstanceId)
			}
		}
		if got := liveInstances(t, c); got != st.live {
			t.Errorf("step %d: %d live instances, want %d", i, got, st.live)
		}
	}
	// Terminated instances do not count against the quota.
	if _, err := c.TerminateInstances(ctxT(t), &ec2.TerminateInstancesInput{InstanceIds: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	if _, err := runN(c, t, 1, 1); err != nil {
		t.Errorf("after a termination: %v", err)
	}
}

func TestCountValidation(t *testing.T) {
	url, c := limitServer(t, nil)
	_, err := runN(c, t, 3, 2)
	wantAPIError(t, err, "InvalidParameterValue", 400)
	_, err = runN(c, t, 0, 2)
	wantAPIError(t, err, "InvalidParameterValue", 400)
	// Counts the SDK's int32 cannot carry, raw.
	for _, tt := range []struct {
		name, params string
		want         rawEC2
	}{
		// The model's counts are 32-bit integers: larger ones do not parse.
		{"MaxCount near MaxInt64", "MinCount=1&MaxCount=9223372036854775807", rawEC2{400, "InvalidParameterValue"}},
		{"MaxCount beyond int64", "MinCount=1&MaxCount=99999999999999999999999", rawEC2{400, "InvalidParameterValue"}},
		{"MinCount near MaxInt64", "MinCount=9223372036854775807&MaxCount=9223372036854775807", rawEC2{400, "InvalidParameterValue"}},
		{"MaxCount beyond the quota", "MinCount=1&MaxCount=2147483647", rawEC2{400, "VcpuLimitExceeded"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("Action=RunInstances&Version=2016-11-15&ImageId="+ubuntuAMI+"&"+tt.params))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if diff := cmp.Diff(tt.want, do(t, req)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	if n := liveInstances(t, c); n != 0 {
		t.Errorf("%d instances launched by failed requests", n)
	}
}

func TestInsufficientCapacity(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    *mock.Backend
		opts []ec2emu.Option
	}{
		{name: "Server capacity", opts: []ec2emu.Option{ec2emu.WithCapacity(3)}},
		{name: "backend capacity", b: mock.New(mock.WithDelay(0), mock.WithCapacity(3))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, c := limitServer(t, tt.b, tt.opts...)
			_, err := runN(c, t, 4, 5)
			wantAPIError(t, err, "InsufficientInstanceCapacity", 500)
			if n := liveInstances(t, c); n != 0 {
				t.Fatalf("a MinCount that could not be met launched %d instances", n)
			}
			out, err := runN(c, t, 2, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Instances) != 3 {
				t.Errorf("MinCount 2, MaxCount 5 with room for 3 launched %d", len(out.Instances))
			}
			_, err = runN(c, t, 1, 1)
			wantAPIError(t, err, "InsufficientInstanceCapacity", 500)
			if n := liveInstances(t, c); n != 3 {
				t.Errorf("%d live instances, want 3", n)
			}
		})
	}
}

// A Server over a backend that is full answers InsufficientInstanceCapacity
// even when the Server itself sets no capacity, and launches nothing.
func TestBackendCapacityErrorLaunchesNothing(t *testing.T) {
	b := mock.New(mock.WithDelay(0), mock.WithCapacity(1))
	url, c := limitServer(t, b)
	if _, err := runN(c, t, 1, 1); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=1&ImageId="+ubuntuAMI))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if diff := cmp.Diff(rawEC2{500, "InsufficientInstanceCapacity"}, do(t, req)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if n := liveInstances(t, c); n != 1 {
		t.Errorf("%d live instances, want 1", n)
	}
}

func TestRequestSizeLimits(t *testing.T) {
	url, _ := limitServer(t, nil, ec2emu.WithMaxBodyBytes(1024))
	form := func(size int) string {
		s := "Action=DescribeRegions&Version=2016-11-15&Filter.1.Name=region-name&Filter.1.Value.1="
		return s + strings.Repeat("x", size-len(s))
	}
	post := func(body string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	get := func(q string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, url+"/?"+q, nil)
		return req
	}
	for _, tt := range []struct {
		name string
		req  *http.Request
		want rawEC2
	}{
		{"body at the limit", post(form(1024)), rawEC2{Status: 200}},
		{"body over the limit", post(form(1025)), rawEC2{413, "RequestEntityTooLarge"}},
		{"query at the limit", get(form(1024)), rawEC2{Status: 200}},
		{"query over the limit", get(form(1025)), rawEC2{413, "RequestEntityTooLarge"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, do(t, tt.req)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// An absurd Content-Length is refused at once, before any of the body is
// sent: the answer arrives although the client sends only the headers.
func TestAbsurdContentLength(t *testing.T) {
	url, _ := limitServer(t, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 999999999999999\r\n\r\nAction=RunInstances")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.Contains(string(body), "<Code>RequestEntityTooLarge</Code>") {
		t.Errorf("got %d %s, want 413 RequestEntityTooLarge", resp.StatusCode, body)
	}
}

// endless is a body of n bytes of a form value, made on the fly.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), e.n)
	for i := range k {
		p[i] = 'x'
	}
	e.n -= k
	return int(k), nil
}

// allocated reports the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Memory stays bounded by the body limit, whatever the client sends: a
// 256 MiB body of unknown length, with and without authentication on, and
// lists with huge indices.
func TestMemoryBounded(t *testing.T) {
	const limit = 1 << 20
	for _, tt := range []struct {
		name string
		opts []ec2emu.Option
	}{
		{"no auth", nil},
		{"auth", []ec2emu.Option{ec2emu.WithCredentials(testKeys)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := ec2emu.New(mock.New(mock.WithDelay(0)), append(tt.opts, ec2emu.WithMaxBodyBytes(limit))...)
			t.Cleanup(func() { srv.Close() })
			<-srv.Ready()
			rec := httptest.NewRecorder()
			n := allocated(func() {
				req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader("Action=DescribeRegions&Filter.1.Name=region-name&Filter.1.Value.1="), &endless{256 << 20}))
				req.ContentLength = -1
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if len(tt.opts) > 0 {
					req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
					req.Header.Set("X-Amz-Date", "20260101T000000Z")
				}
				srv.ServeHTTP(rec, req)
			})
			if rec.Code != 413 {
				t.Errorf("status %d, want 413: %s", rec.Code, rec.Body)
			}
			if n > 8*limit {
				t.Errorf("allocated %d bytes for a request limited to %d", n, limit)
			}
		})
	}
	t.Run("huge indices", func(t *testing.T) {
		srv := ec2emu.New(mock.New(mock.WithDelay(0)))
		t.Cleanup(func() { srv.Close() })
		<-srv.Ready()
		for _, q := range []string{
			"Action=DescribeInstances&InstanceId.9223372036854775807=i-0123456789abcdef0&Filter.2147483647.Name=instance-id&Filter.2147483647.Value.4294967295=x",
			"Action=TerminateInstances&InstanceId.99999999999999999999=i-0123456789abcdef0&InstanceId.1=i-0123456789abcdef1",
			"Action=RunInstances&ImageId=" + ubuntuAMI + "&MinCount=1&MaxCount=1&TagSpecification.4000000000.ResourceType=instance&TagSpecification.4000000000.Tag.9000000000.Key=k",
		} {
			rec := httptest.NewRecorder()
			n := allocated(func() {
				srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?"+q, nil))
			})
			if rec.Code == 500 {
				t.Errorf("%s: 500 %s", q, rec.Body)
			}
			if n > 1<<20 {
				t.Errorf("%s: allocated %d bytes", q, n)
			}
		}
	})
}
