// Package ec2emutest starts ec2emu Servers for tests and points the AWS SDK
// at them, as net/http/httptest does for handlers.
//
//	func TestLaunch(t *testing.T) {
//		srv := ec2emutest.NewServer(t, mock.New())
//		out, err := srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{…})
//	}
package ec2emutest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend"
)

// Server is an ec2emu.Server listening on a loopback port, with an SDK
// client pointed at it.
type Server struct {
	*ec2emu.Server
	// URL is the endpoint, e.g. http://127.0.0.1:38121.
	URL string
	// Client is an EC2 client for URL in region us-east-1 with static test
	// credentials.
	Client *ec2.Client
}

// NewServer starts a Server over b on loopback and stops it (and closes b)
// when the test ends.
func NewServer(t testing.TB, b backend.Backend, opts ...ec2emu.Option) *Server {
	t.Helper()
	srv := ec2emu.New(b, opts...)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
		b.Close()
	})
	return &Server{Server: srv, URL: hs.URL, Client: Client(hs.URL, "us-east-1")}
}

// Client returns an EC2 client for the emulator at url, signing for region
// with static test credentials.
func Client(url, region string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   HTTPClient(),
	})
}

// HTTPClient returns the HTTP client Client gives its SDK client: use it in
// SDK clients of your own (ec2.Options.HTTPClient) that talk to a Server on
// loopback, especially with retries turned off. It works around
// aws-sdk-go-v2#2737 (see inMemoryBody).
func HTTPClient() *http.Client {
	return &http.Client{Transport: inMemoryBody{http.DefaultTransport.(*http.Transport).Clone()}}
}

// inMemoryBody hands the transport each request body as an in-memory
// reader. smithy-go (v1.28) closes the request body as soon as the response
// headers arrive, and its body's WriteTo then answers io.EOF as an error; a
// server on loopback answers before net/http has finished its last read of
// the body, so the transport tears the connection down under a response
// still being read ("use of closed network connection" on bodies larger
// than its read buffer). With a bytes.Reader the transport sends headers
// and body at once and its last read sees a clean EOF.
type inMemoryBody struct{ next http.RoundTripper }

func (t inMemoryBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.next.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r2.ContentLength = int64(len(b))
	return t.next.RoundTrip(r2)
}
