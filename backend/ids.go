package backend

import "strings"

// DefaultNamespace is the namespace of a backend opened without one (an
// empty Config.Namespace), for every backend and for the Server.
const DefaultNamespace = "default"

// ValidImageID reports whether id is an AMI ID: "ami-" and 1 to 32
// lower-case hex digits. EC2 writes 8 or 17; LocalStack users name their
// images with short ones like ami-000001, so any length up to 32 is
// accepted. It is the one definition: the Server refuses any other as
// InvalidAMIID.Malformed, and a backend does not list an image whose ID
// fails it (it could never be launched).
func ValidImageID(id string) bool {
	hex, ok := strings.CutPrefix(id, "ami-")
	if !ok || len(hex) < 1 || len(hex) > 32 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
