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
// `<name><item>…</item></name>`; nil pointers and zero times are omitted, and
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
)

type encField struct {
	index     int
	name      string
	omitEmpty bool
	kind      encKind
}

var encPlans sync.Map // reflect.Type → []encField

var timeType = reflect.TypeFor[time.Time]()

func kindOf(t reflect.Type) encKind {
	switch {
	case t == timeType:
		return kTime
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
		plan = append(plan, encField{index: i, name: name, omitEmpty: opts == "omitempty", kind: kindOf(f.Type)})
	}
	encPlans.Store(t, plan)
	return plan
}

func encodeFields(buf *bytes.Buffer, rv reflect.Value, depth int) {
	for _, f := range encPlan(rv.Type()) {
		encodeField(buf, f.name, f.kind, f.omitEmpty, rv.Field(f.index), depth)
	}
}

func indent(buf *bytes.Buffer, depth int) {
	for range depth {
		buf.WriteString("    ")
	}
}

func open(buf *bytes.Buffer, name string, depth int) {
	indent(buf, depth)
	buf.WriteByte('<')
	buf.WriteString(name)
	buf.WriteByte('>')
}

func closeTag(buf *bytes.Buffer, name string) {
	buf.WriteString("</")
	buf.WriteString(name)
	buf.WriteString(">\n")
}

func empty(buf *bytes.Buffer, name string, depth int) {
	indent(buf, depth)
	buf.WriteByte('<')
	buf.WriteString(name)
	buf.WriteString("/>\n")
}

func encodeField(buf *bytes.Buffer, name string, kind encKind, omitEmpty bool, v reflect.Value, depth int) {
	switch kind {
	case kPtr:
		if v.IsNil() {
			return
		}
		e := v.Elem()
		encodeField(buf, name, kindOf(e.Type()), false, e, depth)
	case kString:
		s := v.String()
		if s == "" {
			if !omitEmpty {
				empty(buf, name, depth)
			}
			return
		}
		open(buf, name, depth)
		escape(buf, s)
		closeTag(buf, name)
	case kBool:
		if omitEmpty && !v.Bool() {
			return
		}
		open(buf, name, depth)
		buf.WriteString(strconv.FormatBool(v.Bool()))
		closeTag(buf, name)
	case kInt:
		if omitEmpty && v.Int() == 0 {
			return
		}
		open(buf, name, depth)
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), v.Int(), 10))
		closeTag(buf, name)
	case kUint:
		if omitEmpty && v.Uint() == 0 {
			return
		}
		open(buf, name, depth)
		buf.Write(strconv.AppendUint(buf.AvailableBuffer(), v.Uint(), 10))
		closeTag(buf, name)
	case kFloat:
		if omitEmpty && v.Float() == 0 {
			return
		}
		open(buf, name, depth)
		buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), v.Float(), 'f', -1, 64))
		closeTag(buf, name)
	case kTime:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return
		}
		open(buf, name, depth)
		buf.Write(t.UTC().AppendFormat(buf.AvailableBuffer(), TimeFormat))
		closeTag(buf, name)
	case kStruct:
		if omitEmpty && v.IsZero() {
			return
		}
		open(buf, name, depth)
		buf.WriteByte('\n')
		encodeFields(buf, v, depth+1)
		indent(buf, depth)
		closeTag(buf, name)
	case kSlice:
		if v.Len() == 0 {
			if !omitEmpty {
				empty(buf, name, depth)
			}
			return
		}
		open(buf, name, depth)
		buf.WriteByte('\n')
		ek := kindOf(v.Type().Elem())
		for i := range v.Len() {
			encodeField(buf, "item", ek, false, v.Index(i), depth+1)
		}
		indent(buf, depth)
		closeTag(buf, name)
	}
}

// escape writes s as XML character data. Most values (IDs, states) need no
// escaping, so the common case is a plain copy.
func escape(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
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
