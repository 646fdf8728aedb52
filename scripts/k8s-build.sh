#!/usr/bin/env bash
# k8s-build.sh builds kube-apiserver, kubelet and kube-scheduler of one
# Kubernetes release from the Go module proxy into $EC2EMU_K8S_CACHE/<version>/bin,
# once: a second run finds the binaries and returns at once. It prints the bin
# directory. scripts/ensure-k8s.sh calls it.
#
# k8s.io/kubernetes lists its staging modules (k8s.io/api, client-go, …) at
# v0.0.0 with local replaces, so a scratch module pins each to the published
# v0.<minor>.<patch> of the same release. With empty Go caches this takes about
# 4 minutes of two cores (1.4 GB of modules, ~3.5 GB of build cache).
#
# Environment:
#   EC2EMU_K8S_VERSION  the release (default v1.34.4, which kubernetes/go.mod's
#                       k8s.io/client-go v0.34.4 matches)
#   EC2EMU_K8S_CACHE    where binaries are kept (default $HOME/.cache/ec2emu-k8s)
set -euo pipefail

V="${EC2EMU_K8S_VERSION:-v1.34.4}"
cache="${EC2EMU_K8S_CACHE:-$HOME/.cache/ec2emu-k8s}"
out="$cache/$V/bin"
targets=(kube-apiserver kubelet kube-scheduler)

have_all() {
	local t
	for t in "${targets[@]}"; do [ -x "$out/$t" ] || return 1; done
}
if have_all; then
	echo "$out"
	exit 0
fi

command -v go >/dev/null 2>&1 || { echo "k8s-build: go not found" >&2; exit 1; }
build="$cache/$V/build"
mkdir -p "$build" "$out"
cd "$build"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
modfile=$(go mod download -json "k8s.io/kubernetes@$V" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -f "$modfile" ] || { echo "k8s-build: cannot download k8s.io/kubernetes@$V" >&2; exit 1; }
minor="v0.${V#v1.}"
{
	echo "module ec2emu.k8sbuild"
	echo "go 1.24.0"
	echo "require k8s.io/kubernetes $V"
	echo "replace ("
	grep -E '^\s+k8s.io/[a-z-]+ v0\.0\.0$' "$modfile" | awk -v v="$minor" '{print "\t" $1 " => " $1 " " v}'
	echo ")"
} >go.mod
{
	echo "package k8sbuild"
	echo "import ("
	for t in "${targets[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$t\""; done
	echo ")"
} >tools.go
go mod tidy >/dev/null 2>&1 || go mod tidy
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ld="$ld -X $p.gitVersion=$V -X $p.gitMajor=1 -X $p.gitMinor=$(echo "$V" | cut -d. -f2) -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
done
pkgs=()
for t in "${targets[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$t"); done
go build -trimpath -ldflags "$ld" -o "$out/" "${pkgs[@]}"
have_all || { echo "k8s-build: build finished without every binary in $out" >&2; exit 1; }
echo "$out"
