// Command gen writes model_gen.go, the EC2 model tables of package ec2model,
// from botocore's EC2 service model (ec2/2016-11-15/service-2.json, or its
// .json.gz form that recent botocore wheels ship).
//
// By default it finds the model through python3 and the installed botocore
// package; -model names the file instead. The botocore version recorded in
// the generated header is read from botocore/__init__.py next to the model
// (or given with -version). It needs no network.
//
//	go run ./gen                       # from internal/ec2model
//	go run ./gen -model path/service-2.json.gz -o -
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"html"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("ec2model/gen: ")
	modelPath := flag.String("model", "", "botocore ec2 service-2.json or service-2.json.gz (default: located through python3 -c 'import botocore')")
	version := flag.String("version", "", "botocore version for the header (default: read from botocore/__init__.py beside the model)")
	out := flag.String("o", "model_gen.go", "output file, - for stdout")
	flag.Parse()

	if *modelPath == "" {
		p, err := locateModel()
		if err != nil {
			log.Fatal(err)
		}
		*modelPath = p
	}
	if *version == "" {
		*version = botocoreVersion(*modelPath)
	}
	m, err := readModel(*modelPath)
	if err != nil {
		log.Fatal(err)
	}
	src, err := generate(m, *version)
	if err != nil {
		log.Fatal(err)
	}
	if *out == "-" {
		_, err = os.Stdout.Write(src)
	} else {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// locateModel asks python3 where botocore is installed.
func locateModel() (string, error) {
	cmd := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating botocore through python3 (use -model): %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(b)), "data", "ec2", "2016-11-15")
	for _, name := range []string{"service-2.json", "service-2.json.gz"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no service-2.json(.gz) in %s", dir)
}

var versionRE = regexp.MustCompile(`(?m)^__version__\s*=\s*['"]([^'"]+)['"]`)

// botocoreVersion reads __version__ from botocore/__init__.py, four levels
// above data/ec2/2016-11-15/service-2.json; "unknown" when it is not there.
func botocoreVersion(modelPath string) string {
	dir := filepath.Dir(modelPath)
	for range 3 {
		dir = filepath.Dir(dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, "__init__.py"))
	if err != nil {
		return "unknown"
	}
	if m := versionRE.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return "unknown"
}

// The subset of botocore's JSON model the generator reads.
type model struct {
	Metadata struct {
		APIVersion string `json:"apiVersion"`
		Protocol   string `json:"protocol"`
	} `json:"metadata"`
	Operations map[string]struct {
		Input *struct {
			Shape string `json:"shape"`
		} `json:"input"`
	} `json:"operations"`
	Shapes map[string]*shapeDef `json:"shapes"`
}

type shapeDef struct {
	Type         string               `json:"type"`
	Members      map[string]memberRef `json:"members"`
	Member       *memberRef           `json:"member"`
	Required     []string             `json:"required"`
	Enum         []string             `json:"enum"`
	LocationName string               `json:"locationName"`
	Flattened    bool                 `json:"flattened"`
}

type memberRef struct {
	Shape         string `json:"shape"`
	LocationName  string `json:"locationName"`
	QueryName     string `json:"queryName"`
	Documentation string `json:"documentation"`
}

func readModel(path string) (*model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		defer zr.Close()
		r = zr
	}
	var m model
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if m.Metadata.Protocol != "ec2" {
		return nil, fmt.Errorf("%s: protocol %q, want ec2", path, m.Metadata.Protocol)
	}
	return &m, nil
}

// Kinds, in the order of the kind constants of package ec2model (model.go).
var kinds = map[string]int{
	"string": 0, "enum": 1, "integer": 2, "long": 3, "float": 4, "double": 4,
	"boolean": 5, "timestamp": 6, "blob": 7, "structure": 8, "list": 9,
}

// gen accumulates the tables while shapes are visited.
type gen struct {
	m       *model
	strs    strings.Builder
	strOff  map[string]int
	shapeIx map[string]int
	shapes  []shapeRow
	members []memberRow
	enums   []int // strtab refs
}

type shapeRow struct {
	kind   int
	req    bool
	lo, hi int
}

type memberRow struct {
	name  int // strtab ref
	shape int
	req   bool
}

// str interns s in the string table and returns its reference: offset<<8 |
// length, so one integer literal per string keeps the file small.
func (g *gen) str(s string) int {
	if len(s) > 255 {
		log.Fatalf("string longer than 255 bytes: %q", s)
	}
	if off, ok := g.strOff[s]; ok {
		return off<<8 | len(s)
	}
	// Reuse an occurrence inside what is already there (many names are
	// prefixes or substrings of others).
	if i := strings.Index(g.strs.String(), s); i >= 0 {
		g.strOff[s] = i
		return i<<8 | len(s)
	}
	off := g.strs.Len()
	g.strs.WriteString(s)
	g.strOff[s] = off
	return off<<8 | len(s)
}

// wireName applies the EC2 protocol's key rule (botocore
// EC2Serializer._get_serialized_name): queryName, else locationName with its
// first letter upper-cased, else the member name. A locationName on the
// target shape counts when the member has none, as botocore merges shape
// traits under member traits.
func (g *gen) wireName(name string, ref memberRef) string {
	if ref.QueryName != "" {
		return ref.QueryName
	}
	loc := ref.LocationName
	if loc == "" {
		loc = g.m.Shapes[ref.Shape].LocationName
	}
	if loc != "" {
		return strings.ToUpper(loc[:1]) + loc[1:]
	}
	return name
}

// shape returns the index of shape name in the shape table, adding it and
// everything it reaches first time round. The EC2 input shapes have no
// recursion (checked: a cycle is fatal).
func (g *gen) shape(name string) int {
	if i, ok := g.shapeIx[name]; ok {
		if i < 0 {
			log.Fatalf("recursive input shape %s", name)
		}
		return i
	}
	s := g.m.Shapes[name]
	if s == nil {
		log.Fatalf("unknown shape %s", name)
	}
	t := s.Type
	if t == "string" && len(s.Enum) > 0 {
		t = "enum"
	}
	k, ok := kinds[t]
	if !ok {
		log.Fatalf("shape %s: type %q not supported on the EC2 wire", name, s.Type)
	}
	g.shapeIx[name] = -1
	row := shapeRow{kind: k}
	switch t {
	case "structure":
		req := map[string]bool{}
		for _, r := range s.Required {
			if _, ok := s.Members[r]; !ok {
				log.Fatalf("shape %s: required member %s is not a member", name, r)
			}
			req[r] = true
		}
		type mem struct {
			wire  string
			shape int
			req   bool
		}
		var ms []mem
		// Visit members in a fixed order: shape indices and the string
		// table depend on it, and the output must not change from run to run.
		mnames := make([]string, 0, len(s.Members))
		for mn := range s.Members {
			mnames = append(mnames, mn)
		}
		sort.Strings(mnames)
		for _, mn := range mnames {
			ref := s.Members[mn]
			ms = append(ms, mem{g.wireName(mn, ref), g.shape(ref.Shape), req[mn]})
		}
		// Sorted by wire name: Check finds a member by binary search.
		sort.Slice(ms, func(i, j int) bool { return ms[i].wire < ms[j].wire })
		for i := 1; i < len(ms); i++ {
			if ms[i].wire == ms[i-1].wire {
				log.Fatalf("shape %s: two members on wire name %s", name, ms[i].wire)
			}
		}
		row.lo = len(g.members)
		for _, m := range ms {
			g.members = append(g.members, memberRow{g.str(m.wire), m.shape, m.req})
		}
		row.hi = len(g.members)
		row.req = len(s.Required) > 0
	case "list":
		// EC2 lists are always flattened Name.N; the member's own
		// locationName is not used on input.
		row.lo = g.shape(s.Member.Shape)
	case "enum":
		vals := append([]string(nil), s.Enum...)
		sort.Strings(vals)
		vals = dedupe(vals)
		row.lo = len(g.enums)
		for _, v := range vals {
			g.enums = append(g.enums, g.str(v))
		}
		row.hi = len(g.enums)
	}
	g.shapes = append(g.shapes, row)
	i := len(g.shapes) - 1
	g.shapeIx[name] = i
	return i
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

type opRow struct {
	name       string
	input      int
	hasFilters bool
	filters    []string
}

func generate(m *model, version string) ([]byte, error) {
	g := &gen{m: m, strOff: map[string]int{}, shapeIx: map[string]int{}}
	var names []string
	for n := range m.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	// Shape 0 is the empty structure, the input of an operation without one.
	g.shapes = append(g.shapes, shapeRow{kind: kinds["structure"]})
	var ops []opRow
	for _, n := range names {
		op := m.Operations[n]
		row := opRow{name: n}
		if op.Input != nil {
			row.input = g.shape(op.Input.Shape)
			row.hasFilters, row.filters = filterNames(m, m.Shapes[op.Input.Shape])
		}
		ops = append(ops, row)
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by \"go run ./gen\"; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "// Source: botocore %s, ec2 %s service-2.json: %d operations,\n", version, m.Metadata.APIVersion, len(ops))
	fmt.Fprintf(&b, "// %d input shapes, %d members, %d enum values, %d documented filter names.\n", len(g.shapes)-1, len(g.members), len(g.enums), countFilters(ops))
	fmt.Fprintf(&b, "// Regenerate after upgrading botocore: go generate ./internal/ec2model\n\n")
	fmt.Fprintf(&b, "package ec2model\n\n")
	fmt.Fprintf(&b, "// BotocoreVersion is the botocore release whose EC2 model the tables were generated from.\n")
	fmt.Fprintf(&b, "const BotocoreVersion = %q\n\n", version)
	fmt.Fprintf(&b, "// APIVersion is the EC2 API version of the model.\n")
	fmt.Fprintf(&b, "const APIVersion = %q\n\n", m.Metadata.APIVersion)

	// Filters and operation names go into the string table too.
	var filt []int
	type opOut struct {
		name, input, flo, fhi int
		has                   bool
	}
	var oo []opOut
	for _, o := range ops {
		lo := len(filt)
		fs := append([]string(nil), o.filters...)
		sort.Strings(fs)
		for _, f := range dedupe(fs) {
			filt = append(filt, g.str(f))
		}
		oo = append(oo, opOut{g.str(o.name), o.input, lo, len(filt), o.hasFilters})
	}

	b.WriteString("// strtab holds every wire name, enum value, operation and filter name;\n// the tables refer to a string as offset<<8 | length.\n")
	b.WriteString("const strtab = \"\" +\n")
	s := g.strs.String()
	for len(s) > 0 {
		n := min(len(s), 96)
		fmt.Fprintf(&b, "\t%s", strconv.Quote(s[:n]))
		s = s[n:]
		if len(s) > 0 {
			b.WriteString(" +\n")
		}
	}
	b.WriteString("\n\n")

	b.WriteString("// ops is sorted by name: {name, input shape, filters lo, filters hi, has a Filters member}.\n")
	b.WriteString("var ops = [...]op{\n")
	for _, o := range oo {
		fmt.Fprintf(&b, "{%d, %d, %d, %d, %t},\n", o.name, o.input, o.flo, o.fhi, o.has)
	}
	b.WriteString("}\n\n")

	b.WriteString("// shapes: {kind, has required members, lo, hi}; a structure's members are\n// members[lo:hi], an enum's values enums[lo:hi], a list's element is shapes[lo].\n")
	b.WriteString("var shapes = [...]shape{\n")
	for i, r := range g.shapes {
		fmt.Fprintf(&b, "{%d, %t, %d, %d},", r.kind, r.req, r.lo, r.hi)
		if i%6 == 5 {
			b.WriteByte('\n')
		}
	}
	b.WriteString("\n}\n\n")

	b.WriteString("// members: {wire name, shape, required}, sorted by name within a structure.\n")
	b.WriteString("var members = [...]member{\n")
	for i, r := range g.members {
		fmt.Fprintf(&b, "{%d, %d, %t},", r.name, r.shape, r.req)
		if i%6 == 5 {
			b.WriteByte('\n')
		}
	}
	b.WriteString("\n}\n\n")

	writeInts(&b, "enums holds each enum's values, sorted within the enum.", "enums", g.enums)
	writeInts(&b, "filters holds each operation's documented filter names, sorted within the operation.", "filters", filt)

	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated code: %v", err)
	}
	return src, nil
}

func countFilters(ops []opRow) int {
	n := 0
	for _, o := range ops {
		fs := append([]string(nil), o.filters...)
		sort.Strings(fs)
		n += len(dedupe(fs))
	}
	return n
}

func writeInts(b *bytes.Buffer, doc, name string, v []int) {
	fmt.Fprintf(b, "// %s\nvar %s = [...]uint32{\n", doc, name)
	for i, x := range v {
		fmt.Fprintf(b, "%d,", x)
		if i%10 == 9 {
			b.WriteByte('\n')
		}
	}
	b.WriteString("\n}\n\n")
}

// filterNames finds the input's Filters (or Filter) member, a list of Filter
// structures, and the names its documentation lists.
func filterNames(m *model, in *shapeDef) (bool, []string) {
	for _, mn := range []string{"Filters", "Filter"} {
		ref, ok := in.Members[mn]
		if !ok {
			continue
		}
		l := m.Shapes[ref.Shape]
		if l.Type != "list" {
			continue
		}
		el := m.Shapes[l.Member.Shape]
		if el.Type != "structure" || el.Members["Name"].Shape == "" || el.Members["Values"].Shape == "" {
			continue
		}
		return true, parseFilterDoc(ref.Documentation)
	}
	return false, nil
}

var filterNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:*-]*(<[a-z]+>)?$`)

// parseFilterDoc extracts the filter names of a Filters member's
// documentation: the items of the outermost <ul>, each "<code>name</code> -
// text" (a few write "name - text" without <code>, "<code>tag</code>:&lt;key&gt;"
// or "name: text"). Nested lists describe values and are skipped. A name
// such as tag:<key> is kept as documented; package ec2model reads it as the
// prefix rule "tag:".
func parseFilterDoc(doc string) []string {
	var names []string
	depth := 0
	for i := 0; i < len(doc); {
		if doc[i] != '<' {
			i++
			continue
		}
		end := strings.IndexByte(doc[i:], '>')
		if end < 0 {
			break
		}
		tag := doc[i+1 : i+end]
		i += end + 1
		switch {
		case tag == "ul" || strings.HasPrefix(tag, "ul "):
			depth++
		case tag == "/ul":
			depth--
		case tag == "li" && depth == 1:
			if n, ok := itemName(doc[i:]); ok {
				names = append(names, n)
			} else {
				fmt.Fprintf(os.Stderr, "ec2model/gen: no filter name in %.80q\n", doc[i:])
			}
		}
	}
	return names
}

// itemName reads the filter name at the start of a list item's text.
func itemName(s string) (string, bool) {
	for {
		s = strings.TrimLeft(s, " \t\n")
		if strings.HasPrefix(s, "<p>") {
			s = s[3:]
			continue
		}
		break
	}
	var name string
	if rest, ok := strings.CutPrefix(s, "<code>"); ok {
		j := strings.Index(rest, "</code>")
		if j < 0 {
			return "", false
		}
		name = html.UnescapeString(rest[:j])
		// "<code>tag</code>:&lt;key&gt;" puts the pattern outside the code.
		if after := html.UnescapeString(rest[j+len("</code>"):]); strings.HasPrefix(after, ":<") {
			if k := strings.IndexByte(after, '>'); k > 0 {
				name += after[:k+1]
			}
		}
	} else {
		j := strings.IndexAny(s, " \t<")
		if j < 0 {
			return "", false
		}
		name = html.UnescapeString(s[:j])
	}
	name = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(name), ":"))
	if !filterNameRE.MatchString(name) {
		return "", false
	}
	return name, true
}
