// Package bootscript is the first-boot program of the container backends
// (docker, kubernetes): one implementation of EC2's first boot for every
// backend whose machines are containers, so user data and key pairs behave
// the same on each.
package bootscript

import (
	"bytes"
	"encoding/base64"
	"slices"
)

// Script is the /bin/sh program every instance container runs as its
// entrypoint. Its arguments are the instance ID, the user data, the user
// data's encoding ("" none, "raw", "base64"), the public key, and then the
// image's own entrypoint and command. It
//
//   - on first boot only (no boot-finished marker for this instance ID):
//     appends the public key to /root/.ssh/authorized_keys, and runs the
//     user data once as a script (with its #! interpreter, else sh), in the
//     background, its output in /var/log/cloud-init-output.log, and then
//     writes its exit status to /var/lib/cloud/instances/<id>/boot-finished;
//   - starts the image's own command in the background, if any;
//   - waits for SIGTERM, so the instance stays up whatever that command
//     does, and then stops its children and exits at once.
//
// Arguments, not environment variables, carry the data, because `docker
// commit` keeps a container's environment in the image it makes.
const Script = `id=$1 ud=$2 enc=$3 key=$4
shift 4
dir=/var/lib/cloud/instances/$id
child= udpid= waiter=
trap 'kill -TERM $child $udpid $waiter 2>/dev/null; exit 0' TERM INT
if [ ! -e "$dir/boot-finished" ]; then
	mkdir -p "$dir" /var/log
	if [ -n "$key" ]; then
		mkdir -p /root/.ssh && chmod 700 /root/.ssh
		printf '%s\n' "$key" >>/root/.ssh/authorized_keys
		chmod 600 /root/.ssh/authorized_keys
	fi
	if [ -n "$enc" ]; then
		if [ "$enc" = base64 ]; then
			printf '%s' "$ud" | base64 -d >"$dir/user-data.txt"
		else
			printf '%s' "$ud" >"$dir/user-data.txt"
		fi
		chmod 700 "$dir/user-data.txt"
		first=
		IFS= read -r first <"$dir/user-data.txt"
		(
			case "$first" in
			'#!'*) "$dir/user-data.txt" ;;
			*) /bin/sh "$dir/user-data.txt" ;;
			esac >>/var/log/cloud-init-output.log 2>&1 </dev/null
			echo $? >"$dir/boot-finished"
		) &
		udpid=$!
	else
		: >"$dir/boot-finished"
	fi
fi
if [ $# -gt 0 ]; then
	"$@" &
	child=$!
fi
while :; do
	if command -v sleep >/dev/null 2>&1; then
		sleep 2147483647 &
	elif command -v tail >/dev/null 2>&1; then
		tail -f /dev/null &
	else
		echo "ec2emu: the image has neither sleep nor tail to wait with" >&2
		exit 1
	fi
	waiter=$!
	wait $waiter
done
`

// Marker is the wrapper's $0, which also marks an entrypoint as ours.
const Marker = "ec2emu-boot"

// Args is the number of wrapper arguments before the image's command.
const Args = 4

// Wrap returns the container entrypoint that boots instance id and then
// runs orig, the image's own entrypoint followed by its command. Empty
// userData and publicKey install nothing.
func Wrap(id string, userData []byte, publicKey string, orig []string) []string {
	var ud, enc string
	switch {
	case len(userData) == 0:
	case bytes.IndexByte(userData, 0) >= 0:
		// A shell word cannot hold NUL bytes.
		ud, enc = base64.StdEncoding.EncodeToString(userData), "base64"
	default:
		ud, enc = string(userData), "raw"
	}
	return append([]string{"/bin/sh", "-c", Script, Marker, id, ud, enc, publicKey}, orig...)
}

// Unwrap returns the image's own entrypoint+command given an image
// config's, undoing Wrap if the image was committed from an
// instance with our wrapper still in its config.
func Unwrap(entrypoint, cmd []string) []string {
	if len(entrypoint) >= 4+Args && entrypoint[0] == "/bin/sh" && entrypoint[1] == "-c" && entrypoint[3] == Marker {
		return slices.Clone(entrypoint[4+Args:])
	}
	return append(slices.Clone(entrypoint), cmd...)
}
