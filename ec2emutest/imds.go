package ec2emutest

import (
	"net/http/httptest"
	"testing"
)

// MetadataURL serves the instance metadata service of instance id on a
// loopback port until the test ends and returns its URL, for code under
// test that takes an IMDS endpoint (aws-sdk-go-v2's feature/ec2/imds:
// imds.Options{Endpoint: url}). It answers as 169.254.169.254 does, v1 and
// v2, on any backend, the mock one included.
func (s *Server) MetadataURL(t testing.TB, id string) string {
	t.Helper()
	hs := httptest.NewServer(s.MetadataHandler(id))
	t.Cleanup(hs.Close)
	return hs.URL
}
