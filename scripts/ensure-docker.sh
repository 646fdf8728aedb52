#!/usr/bin/env bash
# ensure-docker.sh makes a Docker engine answer for the tests, on this machine
# or a fresh Debian 12 one. It is quiet on success.
#
# If `docker info` already works it only checks for /bin/busybox (the tests
# build their base image from Debian's static busybox, since nothing may pull).
# Otherwise, when run as root, it installs docker.io and busybox-static if they
# are missing, starts dockerd in the background and waits until it answers.
#
# Environment:
#   ENSURE_DOCKER_TIMEOUT  seconds to wait for the daemon (default 60)
#   TMPDIR                 where dockerd's log and pidfile go (default /tmp)
set -euo pipefail

timeout_s="${ENSURE_DOCKER_TIMEOUT:-60}"
tmp="${TMPDIR:-/tmp}"
log="$tmp/ec2emu-dockerd.log"
pidfile="$tmp/ec2emu-dockerd.pid"

die() {
	echo "ensure-docker: $*" >&2
	exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

answers() { docker info >/dev/null 2>&1; }

# apt_install installs the given Debian packages, refreshing the index once.
apt_updated=0
apt_install() {
	is_root || die "need root to install $* (run: sudo apt-get install -y $*)"
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
	if [ "$apt_updated" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
			die "apt-get update failed"
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
		die "apt-get install $* failed"
}

ensure_busybox() {
	if [ ! -x /bin/busybox ]; then
		apt_install busybox-static
	fi
	# The tests copy it into an image with no libc, so it must be static.
	if command -v file >/dev/null 2>&1 && ! file -L /bin/busybox | grep -q 'statically linked'; then
		if is_root; then
			apt_install busybox-static
		else
			die "/bin/busybox is not statically linked; install busybox-static"
		fi
	fi
}

if answers; then
	ensure_busybox
	exit 0
fi

is_root || die "no Docker daemon answers and not root: start one yourself (e.g. sudo systemctl start docker) or run this script as root"

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
	apt_install "${missing[@]}"
fi
ensure_busybox
command -v docker >/dev/null 2>&1 || die "docker CLI not found after installing docker.io"

# ours_alive says whether the daemon in the pidfile still runs. One started
# by an earlier run is checked by name too, in case its pid was reused.
ours_alive() {
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	[ "$inherited" -eq 0 ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]
}

start_dockerd() {
	mkdir -p "$tmp"
	# setsid detaches it from this shell so it outlives the script.
	setsid dockerd --pidfile "$pidfile.dockerd" >"$log" 2>&1 </dev/null &
	echo "$!" >"$pidfile"
}

# A daemon we started earlier may still be coming up: do not start a second.
# It may also be going down (stopped a moment ago: the socket goes first, the
# process a few seconds later); then start a new one once it has gone.
inherited=1
if ! ours_alive; then
	inherited=0
	start_dockerd
fi

deadline=$((SECONDS + timeout_s))
until answers; do
	if ! ours_alive; then
		if [ "$inherited" -eq 1 ]; then
			inherited=0
			start_dockerd
			continue
		fi
		echo "ensure-docker: dockerd exited; last lines of $log:" >&2
		tail -n 20 "$log" >&2 || true
		exit 1
	fi
	if [ "$SECONDS" -ge "$deadline" ]; then
		echo "ensure-docker: dockerd did not answer within ${timeout_s}s; last lines of $log:" >&2
		tail -n 20 "$log" >&2 || true
		exit 1
	fi
	sleep 0.5
done
