#!/usr/bin/env bash
# stop-k8s.sh stops the cluster scripts/ensure-k8s.sh started, by the PIDs it
# recorded, and undoes the host changes: sysctls the kubelet set, directories
# it created, the pod bridge, mounts and cgroups. It keeps the state
# directory's certificates and images for the next start, and the built
# binaries. Safe to run when nothing runs.
set -uo pipefail

K="${EC2EMU_K8S_DIR:-/tmp/ec2emu-k8s}"
CTR="ctr -a $K/containerd/containerd.sock -n k8s.io"
[ -d "$K" ] || exit 0

api() {
	curl -sf --cacert "$K/pki/ca.crt" --cert "$K/pki/admin.crt" --key "$K/pki/admin.key" \
		-X "$1" "https://127.0.0.1:6443$2"
}
stop() { # stop NAME: TERM the recorded PID, wait up to 10 s, then KILL
	[ -f "$K/pids/$1" ] || return 0
	local p i
	p=$(cat "$K/pids/$1")
	kill "$p" 2>/dev/null
	for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
	kill -9 "$p" 2>/dev/null
	rm -f "$K/pids/$1"
}

stop scheduler
# The pods' containers die with their tasks below; deleting the pods first
# lets the kubelet tear down their networks.
if api GET /readyz >/dev/null 2>&1; then
	for ns in $(api GET /api/v1/pods | grep -o '"namespace": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort -u); do
		api DELETE "/api/v1/namespaces/$ns/pods?gracePeriodSeconds=0" >/dev/null 2>&1
	done
	for i in $(seq 1 50); do [ -z "$($CTR tasks ls -q 2>/dev/null)" ] && break; sleep 0.2; done
fi
stop kubelet
for t in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks kill -a -s SIGKILL "$t" >/dev/null 2>&1; done
for i in $(seq 1 25); do [ -z "$($CTR tasks ls -q 2>/dev/null | head -1)" ] && break; sleep 0.2; done
for t in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks rm -f "$t" >/dev/null 2>&1; done
stop containerd
stop apiserver
stop etcd
grep " $K/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
for h in /sys/fs/cgroup/*/; do [ -d "${h}kubepods" ] && find "${h}kubepods" -depth -type d -exec rmdir {} \; 2>/dev/null; done
ip link del k8sbr0 2>/dev/null
if [ -f "$K/sysctl-before.txt" ]; then
	while IFS='=' read -r k v; do sysctl -qw "$k=$v"; done <"$K/sysctl-before.txt"
	rm -f "$K/sysctl-before.txt"
fi
if [ -f "$K/created-dirs.txt" ]; then
	while read -r d; do [ -n "$d" ] && rm -rf "$d"; done <"$K/created-dirs.txt"
	rm -f "$K/created-dirs.txt"
fi
# Cluster state goes: the next start begins with an empty etcd and containerd.
rm -rf "$K/etcd" "$K/containerd" "$K/kubelet" "$K/cni/ipam" "$K/pod-logs" "$K/apiserver-certs"
exit 0
