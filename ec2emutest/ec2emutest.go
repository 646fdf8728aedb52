// Package ec2emutest starts ec2emu Servers for tests and points the AWS SDK
// at them, as net/http/httptest does for handlers.
//
//	func TestLaunch(t *testing.T) {
//		srv := ec2emutest.NewServer(t, mock.New())
//		out, err := srv.Client.RunInstances(ctx, &ec2.RunInstancesInput{…})
//	}
package ec2emutest

import (
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
	})
}
