package ec2emu

import (
	"net/http"

	"github.com/ec2emu/ec2emu/internal/sigv4"
)

// authenticate checks r's SigV4 signature against the configured
// credentials (WithCredentials); body is the request body exactly as
// received. It returns nil when the request may proceed.
func (s *Server) authenticate(r *http.Request, body []byte) *Error {
	if e := sigv4.Verify(r, body, s.cfg.credentials, s.cfg.now()); e != nil {
		return &Error{Code: ErrorCode(e.Code), Message: e.Message}
	}
	return nil
}
