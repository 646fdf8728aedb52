// Package sigv4 verifies AWS Signature Version 4 on an incoming request,
// the way AWS documents it — canonical request, string to sign, derived
// signing key — for both the Authorization header form the SDKs use and the
// presigned query form (X-Amz-Signature in the URL). Failures carry the
// exact EC2 error code.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
	// maxSkew is how far a request's date may be from the server's clock,
	// as on AWS.
	maxSkew = 15 * time.Minute
	// maxPresignExpiry is the longest X-Amz-Expires SigV4 allows (7 days).
	maxPresignExpiry = 7 * 24 * time.Hour
)

// Error is a request that does not verify: Code is the EC2 error code
// (AuthFailure, IncompleteSignature, SignatureDoesNotMatch, RequestExpired,
// MissingAuthenticationToken), Message says why.
type Error struct{ Code, Message string }

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

var errAuthFailure = &Error{Code: "AuthFailure", Message: "AWS was not able to validate the provided access credentials"}

// sigV4 is the signing information a request carries, from either form.
type sigV4 struct {
	accessKey, date, region, service string // the credential scope
	signedHeaders                    []string
	signature                        string
	amzDate                          string
	expires                          time.Duration // query form only; 0 when absent
	query                            bool
}

// Verify checks r's signature against secrets (access key ID → secret key)
// at time now; body is the request body exactly as received. It returns nil
// when the request may proceed.
func Verify(r *http.Request, body []byte, secrets map[string]string, now time.Time) *Error {
	sig, err := parseSigV4(r)
	if err != nil {
		return err
	}
	secret, ok := secrets[sig.accessKey]
	if !ok {
		return errAuthFailure
	}
	t, perr := time.Parse(amzDateFormat, sig.amzDate)
	if perr != nil {
		return errorf("IncompleteSignature", "Invalid date format of X-Amz-Date: '%s'. It must be in ISO8601 basic format (yyyyMMdd'T'HHmmss'Z').", sig.amzDate)
	}
	if sig.date != sig.amzDate[:8] {
		return errorf("SignatureDoesNotMatch", "Credential should be scoped to a valid date, not '%s'.", sig.date)
	}
	switch {
	case t.After(now.Add(maxSkew)):
		return errorf("RequestExpired", "Request is not yet valid: its date %s is more than 15 minutes after the server time %s.", sig.amzDate, now.UTC().Format(amzDateFormat))
	case sig.query && sig.expires > 0 && now.After(t.Add(sig.expires)):
		return errorf("RequestExpired", "Request has expired: it was signed at %s and expired after %d seconds.", sig.amzDate, int64(sig.expires/time.Second))
	case (!sig.query || sig.expires == 0) && now.After(t.Add(maxSkew)):
		return errorf("RequestExpired", "Request has expired: its date %s is more than 15 minutes before the server time %s.", sig.amzDate, now.UTC().Format(amzDateFormat))
	}

	canonical := canonicalRequest(r, sig, body)
	sum := sha256.Sum256([]byte(canonical))
	scope := sig.date + "/" + sig.region + "/" + sig.service + "/aws4_request"
	stringToSign := sigV4Algorithm + "\n" + sig.amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+secret), sig.date)
	key = hmacSHA256(key, sig.region)
	key = hmacSHA256(key, sig.service)
	key = hmacSHA256(key, "aws4_request")
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig.signature))) != 1 {
		return errorf("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return nil
}

// parseSigV4 reads the signing information from the Authorization header or,
// failing that, from the query string.
func parseSigV4(r *http.Request) (*sigV4, *Error) {
	if a := r.Header.Get("Authorization"); a != "" {
		return parseAuthHeader(r, a)
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err == nil && q.Get("X-Amz-Signature") != "" {
		return parseAuthQuery(q)
	}
	if err == nil && (q.Get("Signature") != "" || q.Get("AWSAccessKeyId") != "") {
		return nil, errorf("AuthFailure", "Only AWS Signature Version 4 is supported by this server.")
	}
	return nil, errorf("MissingAuthenticationToken", "Request is missing Authentication Token")
}

func parseAuthHeader(r *http.Request, a string) (*sigV4, *Error) {
	alg, rest, _ := strings.Cut(a, " ")
	if alg != sigV4Algorithm {
		if strings.HasPrefix(a, "AWS ") {
			return nil, errorf("AuthFailure", "Only AWS Signature Version 4 is supported by this server.")
		}
		return nil, errorf("IncompleteSignature", "Unsupported Authorization algorithm; expecting %s.", sigV4Algorithm)
	}
	sig := &sigV4{}
	var cred, signed string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig.signature = v
		}
	}
	if cred == "" || signed == "" || sig.signature == "" {
		return nil, errorf("IncompleteSignature", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
	}
	if err := sig.setCredential(cred); err != nil {
		return nil, err
	}
	sig.signedHeaders = strings.Split(signed, ";")
	sig.amzDate = r.Header.Get("X-Amz-Date")
	if sig.amzDate == "" {
		// SigV4 lets the Date header stand in for X-Amz-Date.
		if d, err := http.ParseTime(r.Header.Get("Date")); err == nil {
			sig.amzDate = d.UTC().Format(amzDateFormat)
		}
	}
	if sig.amzDate == "" {
		return nil, errorf("IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	return sig, sig.checkSignedHeaders()
}

func parseAuthQuery(q url.Values) (*sigV4, *Error) {
	if alg := q.Get("X-Amz-Algorithm"); alg != sigV4Algorithm {
		return nil, errorf("IncompleteSignature", "X-Amz-Algorithm must be %s, not '%s'.", sigV4Algorithm, alg)
	}
	sig := &sigV4{query: true, signature: q.Get("X-Amz-Signature"), amzDate: q.Get("X-Amz-Date")}
	cred, signed := q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders")
	if cred == "" || signed == "" || sig.amzDate == "" {
		return nil, errorf("IncompleteSignature", "Presigned requests require X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Signature.")
	}
	if err := sig.setCredential(cred); err != nil {
		return nil, err
	}
	if e := q.Get("X-Amz-Expires"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil || n < 1 || time.Duration(n)*time.Second > maxPresignExpiry {
			return nil, errorf("AuthFailure", "X-Amz-Expires must be a whole number of seconds from 1 to 604800, not '%s'.", e)
		}
		sig.expires = time.Duration(n) * time.Second
	}
	sig.signedHeaders = strings.Split(signed, ";")
	return sig, sig.checkSignedHeaders()
}

// setCredential splits AKID/date/region/service/aws4_request.
func (sig *sigV4) setCredential(cred string) *Error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || len(parts[1]) != 8 || parts[2] == "" || parts[3] == "" {
		return errorf("IncompleteSignature", "Credential must have the form <AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request, not '%s'.", cred)
	}
	sig.accessKey, sig.date, sig.region, sig.service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

// checkSignedHeaders insists on the host header being signed, as AWS does,
// and on the list being lower-case and sorted, as the canonical form is.
func (sig *sigV4) checkSignedHeaders() *Error {
	for i, h := range sig.signedHeaders {
		if h == "" || h != strings.ToLower(h) || (i > 0 && sig.signedHeaders[i-1] >= h) {
			return errorf("IncompleteSignature", "SignedHeaders must be a sorted list of lower-case header names.")
		}
	}
	if !slices.Contains(sig.signedHeaders, "host") {
		return errorf("IncompleteSignature", "The host header must be signed.")
	}
	return nil
}

// canonicalRequest builds SigV4's canonical request for r. The payload hash
// is always computed from the body received, so a body altered in flight, or
// one sent as UNSIGNED-PAYLOAD, does not verify.
func canonicalRequest(r *http.Request, sig *sigV4, body []byte) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	// Services other than S3 sign the already-escaped path escaped once more.
	b.WriteString(uriEncode(path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, h := range sig.signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(sig.signedHeaders, ";"))
	b.WriteByte('\n')
	sum := sha256.Sum256(body)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

// canonicalQuery encodes the query parameters per RFC 3986, sorts them by
// encoded name, then encoded value (sorting before encoding orders "a:"
// and "a0" the other way), and leaves out the signature itself.
func canonicalQuery(raw string) string {
	q, _ := url.ParseQuery(raw) // a malformed pair simply does not verify
	q.Del("X-Amz-Signature")
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		ek := uriEncode(k, true)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, uriEncode(v, true)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalHeaderValue is the header's values joined by commas, each trimmed
// and with inner runs of spaces collapsed. Go moves Host and Content-Length
// out of the header map, so they are read from the request itself.
func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = slices.Clone(r.Header.Values("Content-Length"))
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = slices.Clone(r.Header.Values(name)) // trimmed below: not in place
	}
	for i, v := range vals {
		vals[i] = collapseSpaces(v)
	}
	return strings.Join(vals, ",")
}

// collapseSpaces trims spaces and turns each inner run of them into one.
// Only spaces: a tab inside a value is kept, as the SDKs keep it.
func collapseSpaces(v string) string {
	v = strings.Trim(v, " ")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// uriEncode percent-encodes every byte except RFC 3986's unreserved
// characters (and '/' unless encodeSlash), with upper-case hex.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
