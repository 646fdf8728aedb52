package xmlproto

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DecodeError reports a parameter whose value does not fit its field.
type DecodeError struct {
	Param  string // wire name, e.g. "MinCount"
	Value  string
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("Invalid value '%s' for %s: %s", e.Value, e.Param, e.Reason)
}

// node is one segment of the dotted parameter names: decoding walks a tree
// built once per request, so a request with many keys costs time linear in
// its size rather than keys × fields.
type node struct {
	value    []string
	hasValue bool
	children map[string]*node
}

func buildTree(params url.Values) *node {
	root := &node{}
	for k, v := range params {
		n := root
		for seg := range strings.SplitSeq(k, ".") {
			if n.children == nil {
				n.children = make(map[string]*node, 4)
			}
			c := n.children[seg]
			if c == nil {
				c = &node{}
				n.children[seg] = c
			}
			n = c
		}
		n.value, n.hasValue = v, true
	}
	return root
}

// Decode fills the struct pointed to by v from params, by the `ec2` tags of
// its fields. Supported field types: string, bool, int, int32, int64,
// float64, []byte (base64), pointers to these (nil when absent), structs and
// pointers to structs (dotted names), and slices of any of them (`Name.N`,
// read in numeric order; N must be a positive integer).
func Decode(params url.Values, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("xmlproto: Decode needs a pointer to a struct, got %T", v)
	}
	return decodeStruct(buildTree(params), "", rv.Elem())
}

type fieldPlan struct {
	index int
	name  string
}

var structPlans sync.Map // reflect.Type → []fieldPlan

func planFor(t reflect.Type) []fieldPlan {
	if p, ok := structPlans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var plan []fieldPlan
	for i := range t.NumField() {
		f := t.Field(i)
		if name, ok := f.Tag.Lookup("ec2"); ok && name != "-" && f.IsExported() {
			plan = append(plan, fieldPlan{index: i, name: name})
		}
	}
	structPlans.Store(t, plan)
	return plan
}

func decodeStruct(n *node, prefix string, rv reflect.Value) error {
	for _, f := range planFor(rv.Type()) {
		c := n.children[f.name]
		if c == nil {
			continue
		}
		if err := decodeValue(c, prefix+f.name, rv.Field(f.index)); err != nil {
			return err
		}
	}
	return nil
}

var bytesType = reflect.TypeFor[[]byte]()

func decodeValue(n *node, name string, fv reflect.Value) error {
	t := fv.Type()
	switch {
	case t == bytesType:
		if !n.hasValue {
			return nil
		}
		b, err := DecodeBase64(n.value[0])
		if err != nil {
			return &DecodeError{Param: name, Value: n.value[0], Reason: "not valid base64"}
		}
		fv.SetBytes(b)
		return nil
	case t.Kind() == reflect.Slice:
		return decodeList(n, name, fv)
	case t.Kind() == reflect.Struct:
		return decodeStruct(n, name+".", fv)
	case t.Kind() == reflect.Pointer:
		if t.Elem().Kind() != reflect.Struct && !n.hasValue {
			return nil
		}
		p := reflect.New(t.Elem())
		if err := decodeValue(n, name, p.Elem()); err != nil {
			return err
		}
		fv.Set(p)
		return nil
	}
	if !n.hasValue {
		return nil // only nested keys under a scalar name: not ours
	}
	return setScalar(fv, name, n.value[0])
}

func decodeList(n *node, name string, fv reflect.Value) error {
	type item struct {
		idx int
		n   *node
	}
	items := make([]item, 0, len(n.children))
	for seg, c := range n.children {
		idx, err := strconv.Atoi(seg)
		if err != nil || idx < 1 || strconv.Itoa(idx) != seg {
			// Not a list member (or "01", which would collide with "1"):
			// an unknown parameter, ignored like the rest.
			continue
		}
		items = append(items, item{idx, c})
	}
	slices.SortFunc(items, func(a, b item) int { return a.idx - b.idx })
	s := reflect.MakeSlice(fv.Type(), len(items), len(items))
	for i, it := range items {
		if err := decodeValue(it.n, name+"."+strconv.Itoa(it.idx), s.Index(i)); err != nil {
			return err
		}
	}
	fv.Set(s)
	return nil
}

func setScalar(fv reflect.Value, name, s string) error {
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "true":
			fv.SetBool(true)
		case "false":
			fv.SetBool(false)
		default:
			return &DecodeError{Param: name, Value: s, Reason: "expecting true or false"}
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, fv.Type().Bits())
		if err != nil {
			return &DecodeError{Param: name, Value: s, Reason: "expecting an integer"}
		}
		fv.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return &DecodeError{Param: name, Value: s, Reason: "expecting a number"}
		}
		fv.SetFloat(f)
	default:
		return fmt.Errorf("xmlproto: unsupported field type %s for %s", fv.Type(), name)
	}
	return nil
}

// DecodeBase64 accepts standard base64 with or without padding, and with the
// line breaks MIME encoders insert, as EC2 does for blobs and user data.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Unused returns, sorted, the keys of params that Decode would read into
// none of the struct types of vs: parameters the EC2 model has but the
// emulator does not use. It is for logging, not for validation.
func Unused(params url.Values, vs ...any) []string {
	var types []reflect.Type
	for _, v := range vs {
		t := reflect.TypeOf(v)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		types = append(types, t)
	}
	var out []string
	for k := range params {
		segs := strings.Split(k, ".")
		if !slices.ContainsFunc(types, func(t reflect.Type) bool { return covers(t, segs) }) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// covers reports whether Decode reads the key whose segments are segs into
// a value of type t.
func covers(t reflect.Type, segs []string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == bytesType:
		return len(segs) == 0
	case t.Kind() == reflect.Slice:
		if len(segs) == 0 {
			return false
		}
		if i, err := strconv.Atoi(segs[0]); err != nil || i < 1 {
			return false
		}
		return covers(t.Elem(), segs[1:])
	case t.Kind() == reflect.Struct:
		if len(segs) == 0 {
			return false
		}
		for _, f := range planFor(t) {
			if f.name == segs[0] {
				return covers(t.Field(f.index).Type, segs[1:])
			}
		}
		return false
	}
	return len(segs) == 0
}
