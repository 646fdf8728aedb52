package ec2emu_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/ec2emutest"
)

// fakeClock is a settable time source for WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var testKeys = map[string]string{
	"AKIDEXAMPLE":  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	"123456789012": "second-secret",
}

// authServer starts a Server that verifies signatures against testKeys,
// with a clock the test controls.
func authServer(t *testing.T, opts ...ec2emu.Option) (string, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Now()}
	srv := ec2emu.New(mock.New(mock.WithDelay(0)), append([]ec2emu.Option{ec2emu.WithCredentials(testKeys), ec2emu.WithClock(clk.Now)}, opts...)...)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs.URL, clk
}

// signedClient is an SDK client signing with key and secret, without
// retries so each call is one request.
func signedClient(url, key, secret string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		HTTPClient:       ec2emutest.HTTPClient(),
		RetryMaxAttempts: 1,
	})
}

func TestSigV4WithTheSDK(t *testing.T) {
	url, _ := authServer(t)
	ctx := ctxT(t)
	tests := []struct {
		name, key, secret string
		code              string
		status            int
	}{
		{name: "valid key", key: "AKIDEXAMPLE", secret: testKeys["AKIDEXAMPLE"]},
		{name: "second valid key", key: "123456789012", secret: "second-secret"},
		{name: "wrong secret", key: "AKIDEXAMPLE", secret: "not-the-secret", code: "SignatureDoesNotMatch", status: 403},
		{name: "another key's secret", key: "123456789012", secret: testKeys["AKIDEXAMPLE"], code: "SignatureDoesNotMatch", status: 403},
		{name: "unknown key", key: "AKIDUNKNOWN", secret: "whatever", code: "AuthFailure", status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := signedClient(url, tt.key, tt.secret)
			// A POST with a body (RunInstances) and one without parameters.
			out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ubuntuAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
			if tt.code == "" {
				if err != nil {
					t.Fatalf("RunInstances: %v", err)
				}
				if len(out.Instances) != 1 {
					t.Fatalf("RunInstances launched %d instances, want 1", len(out.Instances))
				}
			} else {
				wantAPIError(t, err, tt.code, tt.status)
			}
			_, err = c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			if tt.code == "" && err != nil {
				t.Fatalf("DescribeRegions: %v", err)
			} else if tt.code != "" {
				wantAPIError(t, err, tt.code, tt.status)
			}
		})
	}
	// The account comes from the access key when it is an account ID.
	c := signedClient(url, "123456789012", "second-secret")
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Reservations) != 1 || aws.ToString(out.Reservations[0].OwnerId) != "123456789012" {
		t.Errorf("account 123456789012 sees %d reservations (want its 1, owned by it)", len(out.Reservations))
	}
}

// rawEC2 is a raw answer's error code (empty for a success) and status.
type rawEC2 struct {
	Status int
	Code   string
}

func do(t *testing.T, req *http.Request) rawEC2 {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("answer has no x-amzn-RequestId header")
	}
	var env struct {
		Errors []struct{ Code string } `xml:"Errors>Error"`
	}
	if resp.StatusCode >= 300 {
		if err := xml.Unmarshal(body, &env); err != nil || len(env.Errors) != 1 {
			t.Fatalf("status %d with body %q: not an EC2 error envelope", resp.StatusCode, body)
		}
		return rawEC2{resp.StatusCode, env.Errors[0].Code}
	}
	return rawEC2{Status: resp.StatusCode}
}

var emptySHA256 = hex.EncodeToString(func() []byte { s := sha256.Sum256(nil); return s[:] }())

func TestSigV4PresignedQuery(t *testing.T) {
	base, clk := authServer(t)
	ctx := context.Background()
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: testKeys["AKIDEXAMPLE"]}
	signedAt := time.Now().UTC().Truncate(time.Second)

	presign := func(t *testing.T, creds aws.Credentials, expires string, extra url.Values) string {
		t.Helper()
		q := url.Values{"Action": {"DescribeRegions"}, "Version": {"2016-11-15"}, "RegionName.1": {"eu-west-1"}}
		if expires != "" {
			q.Set("X-Amz-Expires", expires)
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/?"+q.Encode(), nil)
		// A new signer each time: it caches signing keys by access key.
		u, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, emptySHA256, "ec2", "eu-west-1", signedAt)
		if err != nil {
			t.Fatal(err)
		}
		if extra != nil {
			pu, _ := url.Parse(u)
			pq := pu.Query()
			for k, v := range extra {
				pq[k] = v
			}
			pu.RawQuery = pq.Encode()
			u = pu.String()
		}
		return u
	}
	get := func(t *testing.T, u string) rawEC2 {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		return do(t, req)
	}

	tests := []struct {
		name    string
		now     time.Time
		creds   aws.Credentials
		expires string
		extra   url.Values
		want    rawEC2
	}{
		{name: "valid", now: signedAt.Add(time.Minute), creds: creds, expires: "300", want: rawEC2{Status: 200}},
		{name: "valid without X-Amz-Expires", now: signedAt.Add(10 * time.Minute), creds: creds, want: rawEC2{Status: 200}},
		{name: "expired", now: signedAt.Add(301 * time.Second), creds: creds, expires: "300", want: rawEC2{400, "RequestExpired"}},
		{name: "signed in the future", now: signedAt.Add(-16 * time.Minute), creds: creds, expires: "300", want: rawEC2{400, "RequestExpired"}},
		{name: "wrong secret", now: signedAt, creds: aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "x"}, want: rawEC2{403, "SignatureDoesNotMatch"}},
		{name: "unknown key", now: signedAt, creds: aws.Credentials{AccessKeyID: "AKIDNOPE", SecretAccessKey: "x"}, want: rawEC2{401, "AuthFailure"}},
		{name: "parameter changed after signing", now: signedAt, creds: creds, extra: url.Values{"RegionName.1": {"us-east-1"}}, want: rawEC2{403, "SignatureDoesNotMatch"}},
		{name: "parameter added after signing", now: signedAt, creds: creds, extra: url.Values{"RegionName.2": {"us-east-1"}}, want: rawEC2{403, "SignatureDoesNotMatch"}},
		{name: "expiry stretched after signing", now: signedAt.Add(301 * time.Second), creds: creds, expires: "300", extra: url.Values{"X-Amz-Expires": {"3600"}}, want: rawEC2{403, "SignatureDoesNotMatch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.now)
			if diff := cmp.Diff(tt.want, get(t, presign(t, tt.creds, tt.expires, tt.extra))); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestSigV4ClockSkew(t *testing.T) {
	url, clk := authServer(t)
	ctx := ctxT(t)
	for _, tt := range []struct {
		name   string
		offset time.Duration // server clock minus client clock
		code   string
	}{
		{name: "in step"},
		{name: "server 14 minutes ahead", offset: 14 * time.Minute},
		{name: "server 14 minutes behind", offset: -14 * time.Minute},
		{name: "server 16 minutes ahead", offset: 16 * time.Minute, code: "RequestExpired"},
		{name: "server 16 minutes behind", offset: -16 * time.Minute, code: "RequestExpired"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(time.Now().Add(tt.offset))
			// A fresh client: the SDK corrects its clock from the Date
			// header of earlier answers.
			c := signedClient(url, "AKIDEXAMPLE", testKeys["AKIDEXAMPLE"])
			_, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantAPIError(t, err, tt.code, 400)
		})
	}
}

// signRaw signs a form POST with the SDK's signer, as the SDK would, and
// returns it for the test to tamper with.
func signRaw(t *testing.T, base, body string, at time.Time) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: testKeys["AKIDEXAMPLE"]}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ec2", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSigV4RawRequests(t *testing.T) {
	base, clk := authServer(t)
	now := time.Now().UTC()
	clk.Set(now)
	body := "Action=DescribeRegions&Version=2016-11-15"

	tests := []struct {
		name   string
		tamper func(r *http.Request) *http.Request
		want   rawEC2
	}{
		{name: "as signed", tamper: func(r *http.Request) *http.Request { return r }, want: rawEC2{Status: 200}},
		{name: "no authentication", tamper: func(r *http.Request) *http.Request {
			r.Header.Del("Authorization")
			return r
		}, want: rawEC2{403, "MissingAuthenticationToken"}},
		{name: "body changed", tamper: func(r *http.Request) *http.Request {
			r2, _ := http.NewRequest(http.MethodPost, r.URL.String(), strings.NewReader("Action=DescribeRegions&Version=2016-11-16"))
			r2.Header = r.Header
			return r2
		}, want: rawEC2{403, "SignatureDoesNotMatch"}},
		{name: "signed header changed", tamper: func(r *http.Request) *http.Request {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			return r
		}, want: rawEC2{403, "SignatureDoesNotMatch"}},
		{name: "X-Amz-Date changed", tamper: func(r *http.Request) *http.Request {
			r.Header.Set("X-Amz-Date", now.Add(time.Second).Format("20060102T150405Z"))
			return r
		}, want: rawEC2{403, "SignatureDoesNotMatch"}},
		{name: "credential date differs from X-Amz-Date", tamper: func(r *http.Request) *http.Request {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), now.Format("20060102"), now.AddDate(0, 0, -1).Format("20060102"), 1))
			return r
		}, want: rawEC2{403, "SignatureDoesNotMatch"}},
		{name: "no signature", tamper: func(r *http.Request) *http.Request {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
			return r
		}, want: rawEC2{400, "IncompleteSignature"}},
		{name: "malformed credential", tamper: func(r *http.Request) *http.Request {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, SignedHeaders=host, Signature=00")
			return r
		}, want: rawEC2{400, "IncompleteSignature"}},
		{name: "host not signed", tamper: func(r *http.Request) *http.Request {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", strings.Replace(a, "host;", "", 1))
			return r
		}, want: rawEC2{400, "IncompleteSignature"}},
		{name: "SigV2", tamper: func(r *http.Request) *http.Request {
			r.Header.Set("Authorization", "AWS AKIDEXAMPLE:c2lnbmF0dXJl")
			return r
		}, want: rawEC2{401, "AuthFailure"}},
		{name: "signature in upper case hex", tamper: func(r *http.Request) *http.Request {
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "Signature=") + len("Signature=")
			r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
			return r
		}, want: rawEC2{Status: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.tamper(signRaw(t, base, body, now))
			if diff := cmp.Diff(tt.want, do(t, req)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// The body limit holds with authentication on: the body is read once,
// bounded, hashed, and then parsed.
func TestSigV4BodyLimit(t *testing.T) {
	base, clk := authServer(t, ec2emu.WithMaxBodyBytes(1024))
	now := time.Now().UTC()
	clk.Set(now)
	body := "Action=DescribeRegions&Version=2016-11-15&Filter.1.Name=region-name&Filter.1.Value.1=" + strings.Repeat("x", 2000)
	req := signRaw(t, base, body, now)
	if diff := cmp.Diff(rawEC2{413, "RequestEntityTooLarge"}, do(t, req)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	req = signRaw(t, base, "Action=DescribeRegions&Version=2016-11-15&Filter.1.Name=region-name&Filter.1.Value.1="+strings.Repeat("x", 900), now)
	if diff := cmp.Diff(rawEC2{Status: 200}, do(t, req)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// Without WithCredentials any credentials, and none, are accepted.
func TestNoCredentialsConfiguredAcceptsAnything(t *testing.T) {
	srv := ec2emu.New(mock.New(mock.WithDelay(0)))
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	ctx := ctxT(t)
	if _, err := signedClient(hs.URL, "anything", "at-all").DescribeRegions(ctx, &ec2.DescribeRegionsInput{}); err != nil {
		t.Errorf("signed with arbitrary credentials: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/?Action=DescribeRegions&Version=2016-11-15", nil)
	if diff := cmp.Diff(rawEC2{Status: 200}, do(t, req)); diff != "" {
		t.Errorf("anonymous GET (-want +got)\n%s", diff)
	}
}

// FuzzSigV4 checks the verifier against the SDK's signer over a real
// loopback connection: any request the SDK signs with a known key verifies
// (whatever its query string, body or extra header), and the same request
// with one byte of body added does not.
func FuzzSigV4(f *testing.F) {
	for _, s := range [][3]string{
		{"", "Action=DescribeRegions&Version=2016-11-15", ""},
		{"Action=DescribeRegions&RegionName.1=eu-west-1", "", "a  b"},
		{"a:=1&a0=2&a%3A=3", "x=1", "\tv"},
		{"k=2&k=1&k=%20&k=+", "Action=DescribeAvailabilityZones", "one  two   three"},
		{"", "", "x \t  y\tz"},
		{"%E2%82%AC=%F0%9F%98%80&~=*&(=)", "Action=RunInstances&ImageId=ami-df5de72bdb3b&MinCount=1&MaxCount=1", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	srv := ec2emu.New(mock.New(mock.WithDelay(0)), ec2emu.WithCredentials(testKeys))
	hs := httptest.NewServer(srv)
	f.Cleanup(func() { hs.Close(); srv.Close() })
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: testKeys["AKIDEXAMPLE"]}
	authCodes := map[string]bool{"AuthFailure": true, "SignatureDoesNotMatch": true, "IncompleteSignature": true,
		"RequestExpired": true, "MissingAuthenticationToken": true}

	send := func(t *testing.T, query, body, hdr string, tamper bool) (rawEC2, bool) {
		req, err := http.NewRequest(http.MethodPost, hs.URL+"/", strings.NewReader(body))
		if err != nil {
			return rawEC2{}, false
		}
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if hdr != "" {
			req.Header.Set("X-Fuzz", hdr)
		}
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ec2", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		if tamper {
			b := body + "x"
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}
		resp, err := hs.Client().Do(req)
		if err != nil {
			return rawEC2{}, false // the client refused it (e.g. a header value it cannot send)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var env struct {
			Errors []struct{ Code string } `xml:"Errors>Error"`
		}
		got := rawEC2{Status: resp.StatusCode}
		if resp.StatusCode >= 300 {
			if err := xml.Unmarshal(raw, &env); err != nil || len(env.Errors) != 1 {
				t.Fatalf("status %d with body %q", resp.StatusCode, raw)
			}
			got.Code = env.Errors[0].Code
		}
		return got, true
	}

	f.Fuzz(func(t *testing.T, query, body, hdr string) {
		if len(body) > 4096 || len(query) > 4096 {
			return
		}
		got, sent := send(t, query, body, hdr, false)
		if !sent {
			return
		}
		if authCodes[got.Code] {
			t.Fatalf("query %q body %q header %q, signed by the SDK: %d %s", query, body, hdr, got.Status, got.Code)
		}
		if got, _ := send(t, query, body, hdr, true); got.Code != "SignatureDoesNotMatch" {
			t.Fatalf("query %q body %q header %q, body changed after signing: %+v, want SignatureDoesNotMatch", query, body, hdr, got)
		}
	})
}
