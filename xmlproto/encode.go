package xmlproto

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ec2emu/ec2emu/internal/xmlitem"
)

// Namespace is the xmlns of every EC2 response.
const Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// TimeFormat is how EC2 writes timestamps (launchTime, creationDate, …).
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Encode writes the response to action as EC2 does: the XML declaration, the
// `<ActionResponse xmlns=…>` root, `<requestId>`, then body's fields.
//
// Fields are named by their `xml` tag (`xml:"name"` or `xml:"name,omitempty"`;
// untagged and `xml:"-"` fields are skipped). Slices become
// `<name><item>…</item></name>` (a field's `xmlmember:"x"` tag names the
// items x instead); nil pointers and zero times are omitted, and
// omitempty omits empty strings, zero numbers, false, empty slices and zero
// structs. Without omitempty an empty string or slice is written as `<name/>`.
func Encode(buf *bytes.Buffer, action, requestID string, body any) {
	buf.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<")
	buf.WriteString(action)
	buf.WriteString("Response xmlns=\"")
	buf.WriteString(Namespace)
	buf.WriteString("\">\n    <requestId>")
	escape(buf, requestID)
	buf.WriteString("</requestId>\n")
	if body != nil {
		rv := reflect.ValueOf(body)
		for rv.Kind() == reflect.Pointer {
			rv = rv.Elem()
		}
		encodeFields(buf, rv, 1)
	}
	buf.WriteString("</")
	buf.WriteString(action)
	buf.WriteString("Response>\n")
}

// encodeItem writes v as the `<item>` of a slice at depth, indented as
// Encode would write it there, for the Server's DescribeInstances cache
// (internal/xmlitem).
func encodeItem(v any, depth int) xmlitem.Encoded {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	f, ok := itemFields.Load(rv.Type())
	if !ok {
		nf := newField(0, "item", false, rv.Type())
		f, _ = itemFields.LoadOrStore(rv.Type(), &nf)
	}
	buf := itemBufs.Get().(*bytes.Buffer)
	defer itemBufs.Put(buf)
	buf.Reset()
	encodeField(buf, f.(*encField), rv, depth)
	return xmlitem.Encoded{Depth: depth, XML: bytes.Clone(buf.Bytes())}
}

func init() { xmlitem.SetEncoder(encodeItem) }

var (
	itemFields sync.Map // reflect.Type → *encField, as a slice item
	itemBufs   = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// EncodeError writes EC2's error envelope. Its shape differs from the
// success envelope: root `Response`, and `RequestID` spelled with a capital
// ID, which aws-sdk-go-v2 matches case-sensitively.
func EncodeError(buf *bytes.Buffer, code, message, requestID string) {
	buf.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>")
	escape(buf, code)
	buf.WriteString("</Code><Message>")
	escape(buf, message)
	buf.WriteString("</Message></Error></Errors><RequestID>")
	escape(buf, requestID)
	buf.WriteString("</RequestID></Response>\n")
}

type encKind int

const (
	kString encKind = iota
	kBool
	kInt
	kUint
	kFloat
	kTime
	kStruct
	kSlice
	kPtr
	kEncoded
)

// encField is how one struct field (or slice item, or pointer target) is
// written. Its tags are built once per type, so encoding a field is a few
// appends rather than a string assembled from parts each time.
type encField struct {
	index     int
	omitEmpty bool
	kind      encKind
	tags      *[maxDepth]depthTags // by depth: the tags with their indentation
	close     string               // "</name>\n", after a value on the same line
	elem      *encField            // kPtr: the target; kSlice: one item
	sub       *lazyPlan            // kStruct: the struct's own plan
}

// lazyPlan finds a struct type's plan once, on first use (not when the
// parent's plan is made, so a type may contain itself through a pointer).
type lazyPlan struct {
	t    reflect.Type
	once sync.Once
	plan []encField
}

func (l *lazyPlan) get() []encField {
	l.once.Do(func() { l.plan = encPlan(l.t) })
	return l.plan
}

// maxDepth is how deep the precomputed tags go; EC2's shapes nest about 8
// levels. Deeper elements are indented piece by piece.
const maxDepth = 16

type depthTags struct {
	open  string // indentation + "<name>"
	close string // indentation + "</name>\n", after child elements
	empty string // indentation + "<name/>\n"
}

var encPlans sync.Map // reflect.Type → []encField

var (
	timeType    = reflect.TypeFor[time.Time]()
	encodedType = reflect.TypeFor[xmlitem.Encoded]()
)

func kindOf(t reflect.Type) encKind {
	switch {
	case t == timeType:
		return kTime
	case t == encodedType:
		return kEncoded
	case t.Kind() == reflect.String:
		return kString
	case t.Kind() == reflect.Bool:
		return kBool
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return kInt
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return kUint
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return kFloat
	case t.Kind() == reflect.Struct:
		return kStruct
	case t.Kind() == reflect.Slice:
		return kSlice
	case t.Kind() == reflect.Pointer:
		return kPtr
	}
	panic(fmt.Sprintf("xmlproto: cannot encode %s", t))
}

// newField describes how a value of type t is written as element name.
func newField(index int, name string, omitEmpty bool, t reflect.Type) encField {
	f := encField{index: index, omitEmpty: omitEmpty, kind: kindOf(t), close: "</" + name + ">\n", tags: tagsFor(name)}
	switch f.kind {
	case kPtr:
		e := newField(0, name, false, t.Elem())
		f.elem = &e
	case kSlice:
		e := newField(0, "item", false, t.Elem())
		f.elem = &e
	case kStruct:
		if t != timeType {
			f.sub = &lazyPlan{t: t}
		}
	}
	return f
}

var tagCache sync.Map // element name → *[maxDepth]depthTags

func tagsFor(name string) *[maxDepth]depthTags {
	if v, ok := tagCache.Load(name); ok {
		return v.(*[maxDepth]depthTags)
	}
	var t [maxDepth]depthTags
	for d := range t {
		in := strings.Repeat("    ", d)
		t[d] = depthTags{open: in + "<" + name + ">", close: in + "</" + name + ">\n", empty: in + "<" + name + "/>\n"}
	}
	v, _ := tagCache.LoadOrStore(name, &t)
	return v.(*[maxDepth]depthTags)
}

func encPlan(t reflect.Type) []encField {
	if p, ok := encPlans.Load(t); ok {
		return p.([]encField)
	}
	var plan []encField
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("xml")
		if !ok || tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		nf := newField(i, name, opts == "omitempty", f.Type)
		if m, ok := f.Tag.Lookup("xmlmember"); ok && nf.kind == kSlice {
			// The few EC2 lists whose items are not <item> (GroupIdStringList's <groupId>).
			e := newField(0, m, false, f.Type.Elem())
			nf.elem = &e
		}
		plan = append(plan, nf)
	}
	encPlans.Store(t, plan)
	return plan
}

func encodeFields(buf *bytes.Buffer, rv reflect.Value, depth int) {
	encodeWith(buf, encPlan(rv.Type()), rv, depth)
}

func encodeWith(buf *bytes.Buffer, plan []encField, rv reflect.Value, depth int) {
	for i := range plan {
		encodeField(buf, &plan[i], rv.Field(plan[i].index), depth)
	}
}

// spaces is indentation for up to 16 levels in one write.
const spaces = "                                                                "

func indent(buf *bytes.Buffer, depth int) {
	n := 4 * depth
	for n > len(spaces) {
		buf.WriteString(spaces)
		n -= len(spaces)
	}
	buf.WriteString(spaces[:n])
}

func open(buf *bytes.Buffer, f *encField, depth int) {
	if depth < maxDepth {
		buf.WriteString(f.tags[depth].open)
		return
	}
	indent(buf, depth)
	buf.WriteString(f.tags[0].open)
}

// closeBlock ends an element whose children are on lines of their own.
func closeBlock(buf *bytes.Buffer, f *encField, depth int) {
	if depth < maxDepth {
		buf.WriteString(f.tags[depth].close)
		return
	}
	indent(buf, depth)
	buf.WriteString(f.close)
}

func emptyTag(buf *bytes.Buffer, f *encField, depth int) {
	if depth < maxDepth {
		buf.WriteString(f.tags[depth].empty)
		return
	}
	indent(buf, depth)
	buf.WriteString(f.tags[0].empty)
}

func encodeField(buf *bytes.Buffer, f *encField, v reflect.Value, depth int) {
	switch f.kind {
	case kPtr:
		if v.IsNil() {
			return
		}
		encodeField(buf, f.elem, v.Elem(), depth)
	case kString:
		s := v.String()
		if s == "" {
			if !f.omitEmpty {
				emptyTag(buf, f, depth)
			}
			return
		}
		open(buf, f, depth)
		escape(buf, s)
		buf.WriteString(f.close)
	case kBool:
		if f.omitEmpty && !v.Bool() {
			return
		}
		open(buf, f, depth)
		buf.WriteString(strconv.FormatBool(v.Bool()))
		buf.WriteString(f.close)
	case kInt:
		if f.omitEmpty && v.Int() == 0 {
			return
		}
		open(buf, f, depth)
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), v.Int(), 10))
		buf.WriteString(f.close)
	case kUint:
		if f.omitEmpty && v.Uint() == 0 {
			return
		}
		open(buf, f, depth)
		buf.Write(strconv.AppendUint(buf.AvailableBuffer(), v.Uint(), 10))
		buf.WriteString(f.close)
	case kFloat:
		if f.omitEmpty && v.Float() == 0 {
			return
		}
		open(buf, f, depth)
		buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), v.Float(), 'f', -1, 64))
		buf.WriteString(f.close)
	case kTime:
		var t time.Time
		if v.CanAddr() {
			t = *(*time.Time)(v.Addr().UnsafePointer()) // no allocation, unlike Interface
		} else {
			t = v.Interface().(time.Time)
		}
		if t.IsZero() {
			return
		}
		open(buf, f, depth)
		buf.Write(appendTime(buf.AvailableBuffer(), t))
		buf.WriteString(f.close)
	case kStruct:
		if f.omitEmpty && v.IsZero() {
			return
		}
		open(buf, f, depth)
		buf.WriteByte('\n')
		encodeWith(buf, f.sub.get(), v, depth+1)
		closeBlock(buf, f, depth)
	case kEncoded:
		e := (*xmlitem.Encoded)(v.Addr().UnsafePointer()) // slice items are addressable
		if e.Depth != depth || len(e.XML) == 0 {
			panic(fmt.Sprintf("xmlproto: an item encoded at depth %d (%d bytes) written at depth %d", e.Depth, len(e.XML), depth))
		}
		buf.Write(e.XML)
	case kSlice:
		if v.Len() == 0 {
			if !f.omitEmpty {
				emptyTag(buf, f, depth)
			}
			return
		}
		open(buf, f, depth)
		buf.WriteByte('\n')
		for i := range v.Len() {
			encodeField(buf, f.elem, v.Index(i), depth+1)
		}
		closeBlock(buf, f, depth)
	}
}

// appendTime appends t in TimeFormat, digit by digit: time.AppendFormat
// parses its layout on every call, and a DescribeInstances writes two
// timestamps per instance.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeFormat)
	}
	hour, min, sec := t.Clock()
	b = pad(b, year, 4)
	b = append(b, '-')
	b = pad(b, int(month), 2)
	b = append(b, '-')
	b = pad(b, day, 2)
	b = append(b, 'T')
	b = pad(b, hour, 2)
	b = append(b, ':')
	b = pad(b, min, 2)
	b = append(b, ':')
	b = pad(b, sec, 2)
	b = append(b, '.')
	b = pad(b, t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}

// pad appends v (0 <= v < 10^width, width <= 4) as width decimal digits.
func pad(b []byte, v, width int) []byte {
	var d [4]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:width]...)
}

// needsEscape marks the bytes escape cannot copy as they are.
var needsEscape = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\''
	}
	return t
}()

// escape writes s as XML character data. Most values (IDs, states) need no
// escaping, so the common case is a plain copy.
func escape(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if needsEscape[s[i]] {
			if utf8.ValidString(s) {
				xml.EscapeText(buf, []byte(s))
			} else {
				xml.EscapeText(buf, []byte(strings.ToValidUTF8(s, "\uFFFD")))
			}
			return
		}
	}
	buf.WriteString(s)
}
