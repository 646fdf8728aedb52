package xmlproto

import (
	"encoding/base64"
	"net/url"
	"reflect"
	"strconv"
)

// EncodeParams is Decode's inverse: it writes the fields of the struct v
// that are set (non-zero scalars, non-nil pointers, non-empty slices) into
// params as the wire keys Decode reads, each under prefix ("" or "Name.").
// The Server uses it to turn stored launch parameters back into a request.
func EncodeParams(params url.Values, prefix string, v any) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return
		}
		rv = rv.Elem()
	}
	encodeParamStruct(params, prefix, rv)
}

func encodeParamStruct(params url.Values, prefix string, rv reflect.Value) {
	for _, f := range planFor(rv.Type()) {
		encodeParamValue(params, prefix+f.name, rv.Field(f.index))
	}
}

func encodeParamValue(params url.Values, name string, fv reflect.Value) {
	switch {
	case fv.Type() == bytesType:
		if fv.Len() > 0 {
			params.Set(name, base64.StdEncoding.EncodeToString(fv.Bytes()))
		}
	case fv.Kind() == reflect.Slice:
		for i := range fv.Len() {
			encodeParamValue(params, name+"."+strconv.Itoa(i+1), fv.Index(i))
		}
	case fv.Kind() == reflect.Struct:
		encodeParamStruct(params, name+".", fv)
	case fv.Kind() == reflect.Pointer:
		if fv.IsNil() {
			return
		}
		if fv.Elem().Kind() == reflect.Struct {
			encodeParamStruct(params, name+".", fv.Elem())
			return
		}
		params.Set(name, scalarString(fv.Elem()))
	default:
		if !fv.IsZero() {
			params.Set(name, scalarString(fv))
		}
	}
}

func scalarString(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	}
	return ""
}
