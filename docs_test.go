package ec2emu_test

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
)

var updateDocs = flag.Bool("update", false, "rewrite golden files: docs/actions.md's action table, testdata/describe-order")

// The README's Go example is examples/readme/readme_test.go, byte for byte,
// so the code a user copies first is compiled and run by go test ./...
func TestREADMEExampleIsTested(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("examples/readme/readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?ms)^```go\n(.*?)^```\n").FindAllSubmatch(readme, -1)
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d ```go blocks, want 1 (the copy of examples/readme/readme_test.go)", len(blocks))
	}
	if !bytes.Equal(blocks[0][1], src) {
		t.Errorf("README.md's ```go block differs from examples/readme/readme_test.go: copy the file into the README")
	}
}

const (
	actionsDoc   = "docs/actions.md"
	actionsBegin = "<!-- actions:begin -->\n"
	actionsEnd   = "<!-- actions:end -->\n"
)

// docs/actions.md lists exactly the actions the Server answers. With
// -update, rows of actions the Server no longer answers are dropped and
// new actions are appended with empty notes, to be filled in.
func TestActionsTable(t *testing.T) {
	srv := ec2emu.New(mock.New())
	defer srv.Close()
	want := srv.Actions()

	doc, err := os.ReadFile(actionsDoc)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok1 := strings.Cut(string(doc), actionsBegin)
	table, tail, ok2 := strings.Cut(rest, actionsEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s: no %q … %q markers around the action table", actionsDoc, actionsBegin, actionsEnd)
	}
	var header, rows []string
	var got []string
	for line := range strings.Lines(table) {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || len(header) < 2 {
			header = append(header, line)
			continue
		}
		got = append(got, strings.TrimSpace(cells[1]))
		rows = append(rows, line)
	}

	if *updateDocs {
		var b strings.Builder
		b.WriteString(head + actionsBegin + strings.Join(header, ""))
		for i, row := range rows {
			if slices.Contains(want, got[i]) && !slices.Contains(got[:i], got[i]) {
				b.WriteString(row)
			}
		}
		for _, a := range want {
			if !slices.Contains(got, a) {
				b.WriteString("| " + a + " | |\n")
			}
		}
		b.WriteString(actionsEnd + tail)
		if err := os.WriteFile(actionsDoc, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}

	for _, a := range want {
		if !slices.Contains(got, a) {
			t.Errorf("%s does not list %s, which the Server answers", actionsDoc, a)
		}
	}
	for i, a := range got {
		if !slices.Contains(want, a) {
			t.Errorf("%s lists %s, which the Server does not answer", actionsDoc, a)
		} else if slices.Contains(got[:i], a) {
			t.Errorf("%s lists %s twice", actionsDoc, a)
		}
	}
	if t.Failed() {
		t.Log("go test -run TestActionsTable -update . rewrites the list")
	}
}
