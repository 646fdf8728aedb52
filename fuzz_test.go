package ec2emu_test

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// FuzzServeHTTP sends arbitrary requests — a query string, a form body and
// an Authorization header — to two Servers over a zero-delay mock, one that
// accepts any credentials and one that verifies signatures. Whatever comes
// in, each answer must be:
//
//   - well-formed XML (valid UTF-8, one root element, nothing after it);
//   - either the action's <ActionResponse xmlns=…> with status 200 and the
//     request ID, or the <Response><Errors><Error><Code>… envelope with a
//     known code, its status (4xx/5xx) and <RequestID>;
//   - never InternalError (a panic or an unmapped error: a bug);
//   - carrying the x-amzn-RequestId header;
//   - from the verifying Server, never a success: nothing the fuzzer makes
//     carries a valid signature.
//
// Bodies are capped at 64 KiB, so a run also shows that no request, however
// many or large its indices, makes the Server allocate without bound (the
// fuzzer's own memory limit would stop it).
//
// The seed corpus in testdata/fuzz/FuzzServeHTTP has a request for every
// action (TestFuzzCorpusCoversEveryAction checks), plus gaps, huge and
// malformed indices, invalid UTF-8 and long values.
func FuzzServeHTTP(f *testing.F) {
	opts := []ec2emu.Option{ec2emu.WithMaxBodyBytes(64 << 10), ec2emu.WithTerminatedRetention(time.Second)}
	open := ec2emu.New(mock.New(mock.WithDelay(0)), opts...)
	auth := ec2emu.New(mock.New(mock.WithDelay(0)), append(opts, ec2emu.WithCredentials(testKeys))...)
	f.Cleanup(func() { open.Close(); auth.Close() })
	actions := open.Actions()
	instanceID := "i-0123456789abcdef0"

	f.Fuzz(func(t *testing.T, query, body, authorization string) {
		// "i-fuzz" stands for an instance that exists, so that inputs reach
		// past the ID checks into the state machine.
		if strings.Contains(query+body, "i-fuzz") {
			if id := launchOne(open); id != "" {
				instanceID = id
			}
			query = strings.ReplaceAll(query, "i-fuzz", instanceID)
			body = strings.ReplaceAll(body, "i-fuzz", instanceID)
		}
		// "YYYYMMDD" stands for today, so that signed-looking inputs get past
		// the date checks into the signature computation.
		now := time.Now().UTC()
		today := now.Format("20060102")
		query = strings.ReplaceAll(query, "YYYYMMDD", today)
		authorization = strings.ReplaceAll(authorization, "YYYYMMDD", today)
		for _, srv := range []*ec2emu.Server{open, auth} {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			req.URL.RawQuery = query
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if authorization != "" {
				req.Header.Set("Authorization", authorization)
				req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			code, err := checkAnswer(rec.Code, rec.Header(), rec.Body.Bytes(), actions)
			if err != nil {
				t.Fatalf("query %q body %q authorization %q: %v\nstatus %d\n%s", query, body, authorization, err, rec.Code, rec.Body)
			}
			if srv == auth && code == "" {
				t.Fatalf("query %q body %q authorization %q: a Server verifying signatures answered a forged request with success", query, body, authorization)
			}
		}
	})
}

// launchOne launches an instance through srv and returns its ID, or "" if
// the launch failed (e.g. the instance quota is used up).
func launchOne(srv *ec2emu.Server) string {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=RunInstances&ImageId="+ubuntuAMI+"&MinCount=1&MaxCount=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var out struct {
		ID string `xml:"instancesSet>item>instanceId"`
	}
	if rec.Code != http.StatusOK || xml.Unmarshal(rec.Body.Bytes(), &out) != nil {
		return ""
	}
	return out.ID
}

// checkAnswer checks one answer against FuzzServeHTTP's invariants and
// returns its error code ("" for a success).
func checkAnswer(status int, h http.Header, body []byte, actions []string) (string, error) {
	rid := h.Get("x-amzn-RequestId")
	if rid == "" {
		return "", errors.New("no x-amzn-RequestId header")
	}
	root, err := parseXML(body)
	if err != nil {
		return "", fmt.Errorf("not well-formed XML: %w", err)
	}
	if status == http.StatusOK {
		action, ok := strings.CutSuffix(root.XMLName.Local, "Response")
		if !ok || !slices.Contains(actions, action) {
			return "", fmt.Errorf("success answer with root <%s>", root.XMLName.Local)
		}
		if root.XMLName.Space != xmlproto.Namespace {
			return "", fmt.Errorf("root xmlns %q", root.XMLName.Space)
		}
		if got := root.child("requestId"); got != rid {
			return "", fmt.Errorf("requestId %q, header %q", got, rid)
		}
		return "", nil
	}
	if root.XMLName.Local != "Response" {
		return "", fmt.Errorf("status %d with root <%s>, not the error envelope", status, root.XMLName.Local)
	}
	var env struct {
		Errors []struct {
			Code    string
			Message string
		} `xml:"Errors>Error"`
		RequestID string
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return "", err
	}
	if len(env.Errors) != 1 || env.Errors[0].Code == "" || env.Errors[0].Message == "" {
		return "", fmt.Errorf("error envelope without one Code and Message: %+v", env.Errors)
	}
	code := env.Errors[0].Code
	if env.RequestID != rid {
		return "", fmt.Errorf("RequestID %q, header %q", env.RequestID, rid)
	}
	if code == string(ec2emu.ErrInternalError) {
		return "", fmt.Errorf("InternalError: %s", env.Errors[0].Message)
	}
	if want := ec2emu.ErrorCode(code).Status(); status != want || status < 400 {
		return "", fmt.Errorf("code %s with status %d, want %d", code, status, want)
	}
	return code, nil
}

// checkAnswer must itself catch broken answers, or the fuzzer proves
// nothing.
func TestCheckAnswerRejectsBrokenAnswers(t *testing.T) {
	hdr := http.Header{"X-Amzn-Requestid": {"rid"}}
	ok200 := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<DescribeRegionsResponse xmlns="` + xmlproto.Namespace + `"><requestId>rid</requestId></DescribeRegionsResponse>`
	envelope := func(code string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Errors><Error><Code>` + code + `</Code><Message>m</Message></Error></Errors><RequestID>rid</RequestID></Response>`
	}
	actions := []string{"DescribeRegions"}
	if _, err := checkAnswer(200, hdr, []byte(ok200), actions); err != nil {
		t.Fatalf("a good success rejected: %v", err)
	}
	if code, err := checkAnswer(400, hdr, []byte(envelope("InvalidAction")), actions); err != nil || code != "InvalidAction" {
		t.Fatalf("a good error rejected: %q %v", code, err)
	}
	for _, tt := range []struct {
		name   string
		status int
		h      http.Header
		body   string
	}{
		{"no request ID header", 200, http.Header{}, ok200},
		{"other request ID", 200, http.Header{"X-Amzn-Requestid": {"other"}}, ok200},
		{"unknown action", 200, hdr, strings.ReplaceAll(ok200, "DescribeRegions", "DescribeVpcs")},
		{"wrong namespace", 200, hdr, strings.Replace(ok200, "2016-11-15", "2015-01-01", 1)},
		{"truncated", 200, hdr, ok200[:len(ok200)-3]},
		{"two roots", 200, hdr, ok200 + "<x/>"},
		{"text after root", 200, hdr, ok200 + "junk"},
		{"invalid UTF-8", 200, hdr, strings.Replace(ok200, "rid<", "rid\xff<", 1)},
		{"control character", 200, hdr, strings.Replace(ok200, "rid<", "rid\x01<", 1)},
		{"error with 200", 200, hdr, envelope("InvalidAction")},
		{"error with 2xx", 204, hdr, envelope("InvalidAction")},
		{"error with the wrong status", 500, hdr, envelope("InvalidAction")},
		{"internal error", 500, hdr, envelope("InternalError")},
		{"success with 400", 400, hdr, ok200},
		{"empty code", 400, hdr, envelope("")},
		{"no RequestID", 400, hdr, strings.Replace(envelope("InvalidAction"), "<RequestID>rid</RequestID>", "", 1)},
		{"lower-case requestId in envelope", 400, hdr, strings.ReplaceAll(envelope("InvalidAction"), "RequestID", "requestId")},
	} {
		if _, err := checkAnswer(tt.status, tt.h, []byte(tt.body), actions); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

// element is a parsed XML element: its name and its direct children's text.
type element struct {
	XMLName  xml.Name
	Children []struct {
		XMLName xml.Name
		Text    string `xml:",chardata"`
	} `xml:",any"`
}

func (e *element) child(name string) string {
	for _, c := range e.Children {
		if c.XMLName.Local == name {
			return c.Text
		}
	}
	return ""
}

// parseXML reads the whole document strictly: valid UTF-8 and XML
// characters, balanced tags, exactly one root element and nothing but
// white space around it.
func parseXML(b []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("text outside the root: %q", t)
			}
		}
	}
	if roots != 1 || depth != 0 {
		return nil, fmt.Errorf("%d root elements, depth %d at the end", roots, depth)
	}
	var e element
	if err := xml.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// The committed seed corpus exercises every action the Server answers.
func TestFuzzCorpusCoversEveryAction(t *testing.T) {
	srv := ec2emu.New(mock.New(mock.WithDelay(0)))
	defer srv.Close()
	files, err := filepath.Glob("testdata/fuzz/FuzzServeHTTP/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed corpus: %v", err)
	}
	seen := map[string]bool{}
	for _, name := range files {
		args, err := readCorpusFile(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, a := range args[:2] { // query and body
			if q, err := url.ParseQuery(a); err == nil && q.Get("Action") != "" {
				seen[q.Get("Action")] = true
			}
		}
	}
	var missing []string
	for _, a := range srv.Actions() {
		if !seen[a] {
			missing = append(missing, a)
		}
	}
	if diff := cmp.Diff([]string(nil), missing); diff != "" {
		t.Errorf("actions without a seed in testdata/fuzz/FuzzServeHTTP (-want +got)\n%s", diff)
	}
}

// readCorpusFile reads a "go test fuzz v1" file of string arguments.
func readCorpusFile(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() || sc.Text() != "go test fuzz v1" {
		return nil, errors.New("not a go test fuzz v1 file")
	}
	var args []string
	for sc.Scan() {
		lit, ok := strings.CutPrefix(sc.Text(), "string(")
		if !ok || !strings.HasSuffix(lit, ")") {
			return nil, fmt.Errorf("line %q is not a string argument", sc.Text())
		}
		s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			return nil, err
		}
		args = append(args, s)
	}
	if len(args) != 3 {
		return nil, fmt.Errorf("%d arguments, want 3", len(args))
	}
	return args, nil
}
