package ec2emu

import (
	"encoding/hex"
	"math/rand/v2"
	"regexp"
)

// newID returns prefix + 17 lower-case hex digits, the long ID format AWS
// uses for instances, reservations, AMIs and the rest.
func newID(prefix string) string {
	var b [9]byte
	u := rand.Uint64()
	for i := range 8 {
		b[i] = byte(u >> (8 * i))
	}
	b[8] = byte(rand.Uint32())
	return prefix + hex.EncodeToString(b[:])[:17]
}

// newRequestID returns a random UUID v4, the form of EC2 request IDs.
func newRequestID() string {
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

var (
	// AWS instance IDs are i- and 8 (legacy) or 17 hex digits.
	instanceIDRe = regexp.MustCompile(`^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)
	keyPairIDRe  = regexp.MustCompile(`^key-[0-9a-f]{1,32}$`)
	// AMI names: 3–128 characters of this set (CreateImage docs).
	amiNameRe = regexp.MustCompile(`^[A-Za-z0-9 ()\[\]./\-'@_]{3,128}$`)
)
