package ec2model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// needBotocore skips the test when python3 with botocore is not on the
// machine (CI has it; nothing here needs the network).
func needBotocore(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short")
	}
	if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
		t.Skipf("python3 with botocore not found (%v): install botocore to run this test", err)
	}
}

// TestGeneratedUpToDate regenerates the tables from the botocore installed
// here and compares them with the committed model_gen.go.
func TestGeneratedUpToDate(t *testing.T) {
	needBotocore(t)
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "run", "./gen", "-o", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, stderr.String())
	}
	want, err := os.ReadFile("model_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("model_gen.go is stale for the botocore installed here; run go generate in internal/ec2model (committed: botocore %s)", BotocoreVersion)
	}
}

// serializeAll builds, for every operation, an input with every member set
// (lists of one element, enums at their first value) and prints what
// botocore's own EC2 serializer puts on the wire.
const serializeAll = `
import datetime, json
import botocore.session
from botocore.serialize import create_serializer
sm = botocore.session.get_session().get_service_model('ec2')
ser = create_serializer('ec2', include_validation=False)
def build(shape):
    t = shape.type_name
    if t == 'structure':
        return {n: build(m) for n, m in shape.members.items()}
    if t == 'list':
        return [build(shape.member)]
    if t == 'string':
        return shape.enum[0] if shape.enum else 'x'
    if t in ('integer', 'long'):
        return 1
    if t in ('float', 'double'):
        return 1.5
    if t == 'boolean':
        return True
    if t == 'timestamp':
        return datetime.datetime(2015, 1, 25, 8, 0, 0, 123456)
    if t == 'blob':
        return b'blob'
    raise Exception('unexpected type ' + t)
out = {}
for name in sm.operation_names:
    op = sm.operation_model(name)
    params = build(op.input_shape) if op.input_shape is not None else {}
    out[name] = ser.serialize_to_request(params, op)['body']
print(json.dumps({'version': __import__('botocore').__version__, 'ops': out}))
`

// TestBotocoreSerializer checks the wire keys against what botocore sends:
// for every operation, the keys of a request with every member set are
// exactly the model's keys (with index 1), and Check accepts the request.
func TestBotocoreSerializer(t *testing.T) {
	needBotocore(t)
	out, err := exec.Command("python3", "-c", serializeAll).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("python3: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var res struct {
		Version string
		Ops     map[string]map[string]any
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber() // botocore leaves integers and floats unformatted
	if err := dec.Decode(&res); err != nil {
		t.Fatal(err)
	}
	if res.Version != BotocoreVersion {
		t.Skipf("installed botocore %s, tables from %s: TestGeneratedUpToDate covers the difference", res.Version, BotocoreVersion)
	}
	if diff := cmp.Diff(Operations(), sortedKeys(res.Ops)); diff != "" {
		t.Fatalf("operations (-ours +botocore):\n%s", diff)
	}
	for _, action := range Operations() {
		body := res.Ops[action]
		q := url.Values{}
		for k, v := range body {
			if k == "Action" || k == "Version" {
				continue
			}
			q.Set(k, fmt.Sprint(v))
		}
		var ours []string
		for _, p := range Params(action) {
			ours = append(ours, index1(p.Key))
		}
		sort.Strings(ours)
		if diff := cmp.Diff(ours, sortedKeys(q)); diff != "" {
			t.Errorf("%s: wire keys (-ours +botocore):\n%s", action, diff)
			continue
		}
		if err := Check(action, q); err != nil {
			t.Errorf("%s: botocore's request refused: %v", action, err)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
