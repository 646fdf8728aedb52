package xmlproto

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Request is one decoded EC2 Query request.
type Request struct {
	// Action is the operation, e.g. "RunInstances".
	Action string
	// Version is the API version the client sent (normally 2016-11-15).
	Version string
	// Params holds every other parameter, authentication parameters removed.
	Params url.Values
}

// ErrBodyTooLarge is returned by ParseRequest when the body exceeds the limit.
var ErrBodyTooLarge = errors.New("request body too large")

// authParams are SigV4 query-signing and SigV2 leftovers: accepted, never
// decoded into request structs.
var authParams = map[string]bool{
	"X-Amz-Algorithm": true, "X-Amz-Credential": true, "X-Amz-Date": true,
	"X-Amz-SignedHeaders": true, "X-Amz-Signature": true, "X-Amz-Security-Token": true,
	"X-Amz-Expires": true, "AWSAccessKeyId": true, "SignatureVersion": true,
	"SignatureMethod": true, "Signature": true, "Timestamp": true, "Expires": true,
	"Action": true, "Version": true,
}

// ParseRequest reads r's URL query and form body (any method; the body wins
// on conflict) into a Request. Bodies longer than maxBody bytes fail with
// ErrBodyTooLarge; maxBody <= 0 means no limit.
func ParseRequest(r *http.Request, maxBody int64) (Request, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return Request{}, fmt.Errorf("malformed query string: %w", err)
	}
	if r.Body != nil && r.Body != http.NoBody {
		ct := r.Header.Get("Content-Type")
		mt, _, _ := mime.ParseMediaType(ct)
		if ct == "" || mt == "application/x-www-form-urlencoded" {
			body := io.Reader(r.Body)
			if maxBody > 0 {
				body = io.LimitReader(r.Body, maxBody+1)
			}
			b, err := io.ReadAll(body)
			if err != nil {
				return Request{}, fmt.Errorf("reading body: %w", err)
			}
			if maxBody > 0 && int64(len(b)) > maxBody {
				return Request{}, ErrBodyTooLarge
			}
			form, err := url.ParseQuery(string(b))
			if err != nil {
				return Request{}, fmt.Errorf("malformed form body: %w", err)
			}
			for k, v := range form {
				vals[k] = v
			}
		}
	}
	req := Request{Action: vals.Get("Action"), Version: vals.Get("Version"), Params: vals}
	for k := range vals {
		if authParams[k] || strings.HasPrefix(k, "X-Amz-") {
			delete(vals, k)
		}
	}
	return req, nil
}
