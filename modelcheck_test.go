package ec2emu

import (
	"encoding/xml"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/internal/ec2model"
	"github.com/google/go-cmp/cmp"
)

// answer is the status and error of one reply.
type answer struct {
	Status int
	Code   string
}

func ask(t *testing.T, s *Server, form url.Values) (answer, string) {
	t.Helper()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, formRequest(form))
	var env struct {
		Errors []struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Errors>Error"`
	}
	if w.Code == 200 {
		return answer{Status: 200}, ""
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &env); err != nil || len(env.Errors) != 1 {
		t.Fatalf("%s: HTTP %d, not one error: %s", form.Get("Action"), w.Code, w.Body)
	}
	return answer{w.Code, env.Errors[0].Code}, env.Errors[0].Message
}

// goodValue is a value of the model's type that the model check accepts.
func goodValue(p ec2model.Param) string {
	switch p.Type {
	case "integer", "long", "float":
		return "1"
	case "boolean":
		return "false"
	case "timestamp":
		return "2026-01-02T03:04:05Z"
	case "enum":
		return p.Enum[0]
	}
	return "x"
}

// badValues are, per model type, a value the model check refuses.
var badValues = map[string]string{
	"integer": "one", "long": "1.5", "float": "many", "boolean": "yes", "timestamp": "yesterday", "enum": "no-such-value",
}

// requiredStructLeaf names, per action whose required members include a
// structure or a list, a leaf of it.
var requiredStructLeaf = map[string]string{
	"CreateLaunchTemplate":        "LaunchTemplateData.KernelId",
	"CreateLaunchTemplateVersion": "LaunchTemplateData.KernelId",
	"DeleteFleets":                "FleetId.1",
}

// TestModelCheck is generated from the EC2 model: every implemented action
// gets an unknown key, a malformed value of each type it has and, where
// it has required members, a request without them; every action of the
// model that the Server does not implement answers InvalidAction.
func TestModelCheck(t *testing.T) {
	s := New(mock.New(mock.WithDelay(0)))
	t.Cleanup(func() { s.Close() })
	implemented := s.Actions()
	for _, action := range ec2model.Operations() {
		if !slices.Contains(implemented, action) {
			got, msg := ask(t, s, url.Values{"Action": {action}, "Version": {"2016-11-15"}, "Bogus": {"1"}})
			if diff := cmp.Diff(answer{400, "InvalidAction"}, got); diff != "" || !strings.Contains(msg, "not implemented") {
				t.Errorf("%s (not implemented): %q (-want +got)\n%s", action, msg, diff)
			}
			continue
		}
		t.Run(action, func(t *testing.T) {
			params := ec2model.Params(action)
			base := url.Values{"Action": {action}, "Version": {"2016-11-15"}, "DryRun": {"true"}}
			var required []string
			for _, p := range params {
				if p.Required && !strings.Contains(p.Key, ".") {
					base.Set(p.Key, goodValue(p))
					required = append(required, p.Key)
				}
			}
			// A required structure has no key of its own: give it one leaf,
			// so that a request without the other required members lacks
			// only those.
			if leaf, ok := requiredStructLeaf[action]; ok {
				base.Set(leaf, "x")
			}
			if !slices.ContainsFunc(params, func(p ec2model.Param) bool { return p.Key == "DryRun" }) {
				base.Del("DryRun")
			}
			form := cloneForm(base)
			form.Set("Bogus.1", "x")
			got, msg := ask(t, s, form)
			if diff := cmp.Diff(answer{400, "UnknownParameter"}, got); diff != "" || msg != "The parameter Bogus.1 is not recognized" {
				t.Errorf("unknown key: %q (-want +got)\n%s", msg, diff)
			}
			for typ, bad := range badValues {
				i := slices.IndexFunc(params, func(p ec2model.Param) bool {
					own, ok := ownEnumCheck[action]
					return p.Type == typ && !p.Required && (!ok || !strings.HasPrefix(p.Key, own))
				})
				if i < 0 {
					continue
				}
				key := strings.ReplaceAll(params[i].Key, ".N", ".1")
				form := cloneForm(base)
				form.Set(key, bad)
				got, msg := ask(t, s, form)
				if diff := cmp.Diff(answer{400, "InvalidParameterValue"}, got); diff != "" || !strings.Contains(msg, bad) {
					t.Errorf("%s %s=%s: %q (-want +got)\n%s", typ, key, bad, msg, diff)
				}
			}
			if len(required) > 0 {
				form := cloneForm(base)
				form.Del(required[0])
				got, msg := ask(t, s, form)
				if diff := cmp.Diff(answer{400, "MissingParameter"}, got); diff != "" || !strings.Contains(msg, required[0]) {
					t.Errorf("without %s: %q (-want +got)\n%s", required[0], msg, diff)
				}
			}
		})
	}
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
