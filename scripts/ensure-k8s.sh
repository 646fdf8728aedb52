#!/usr/bin/env bash
# ensure-k8s.sh starts a single-node Kubernetes cluster on this machine for the
# kubernetes backend's tests, or does nothing when one of ours already answers.
# It needs root and Debian (12). It:
#
#   - installs what is missing: etcd-server, containerd, runc,
#     containernetworking-plugins, busybox-static, openssl (apt);
#   - builds kube-apiserver, kubelet and kube-scheduler once (k8s-build.sh,
#     cached outside the repository);
#   - starts etcd, a containerd of its own with the CRI plugin (not the one
#     Docker uses), kube-apiserver on 127.0.0.1:6443, kube-scheduler and a
#     kubelet, each in the background with its PID in $DIR/pids;
#   - imports two images made from the host's static busybox (nothing is
#     pulled): the pod sandbox image and localstack-ec2/busybox:$AMI, an AMI;
#   - creates the namespaces the tests use, with their default ServiceAccount
#     (there is no kube-controller-manager), and waits for the node to be Ready;
#   - writes $DIR/admin.kubeconfig.
#
# scripts/stop-k8s.sh stops it all by PID and restores the host settings the
# kubelet changes. Host side effects: sysctls (restored), the k8sbr0 bridge and
# /var/lib/kubelet, /var/lib/cni, /run/netns, /var/log/containers if they were
# not there (removed), cgroups under kubepods (removed).
#
# Environment:
#   EC2EMU_K8S_DIR    runtime state (default /tmp/ec2emu-k8s)
#   EC2EMU_K8S_CACHE  built binaries (default $HOME/.cache/ec2emu-k8s)
set -euo pipefail

K="${EC2EMU_K8S_DIR:-/tmp/ec2emu-k8s}"
HERE=$(cd "$(dirname "$0")" && pwd)
AMI=ami-0000000000000b0b
NAMESPACES="ec2emu-test ec2emu-test2"
export KUBECONFIG="$K/admin.kubeconfig"

die() { echo "ensure-k8s: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (it runs a kubelet)"

api() { # api METHOD PATH [JSON]: one call to the apiserver as admin
	curl -sf --cacert "$K/pki/ca.crt" --cert "$K/pki/admin.crt" --key "$K/pki/admin.key" \
		-X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "https://127.0.0.1:6443$2"
}
alive() { [ -f "$K/pids/$1" ] && kill -0 "$(cat "$K/pids/$1")" 2>/dev/null; }

if alive kubelet && alive apiserver && api GET /readyz >/dev/null 2>&1; then
	echo "$KUBECONFIG"
	exit 0
fi
if [ -d "$K/pids" ] && [ -n "$(ls -A "$K/pids" 2>/dev/null)" ]; then
	bash "$HERE/stop-k8s.sh" >/dev/null
fi

# --- packages ---
missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v iptables >/dev/null || missing+=(iptables)
if [ "${#missing[@]}" -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
BIN=$(bash "$HERE/k8s-build.sh" | tail -n 1)

NODE=$(hostname)
NODE_IP=$(hostname -I | awk '{print $1}')
mkdir -p "$K"
cd "$K"
mkdir -p pki logs pids etcd containerd/root containerd/state containerd/opt containerd/runc cni/net.d cni/ipam kubelet pod-logs images
for k in vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes; do
	echo "$k=$(sysctl -n $k)"
done >sysctl-before.txt
for d in /var/lib/kubelet /var/lib/cni /var/log/containers /run/netns /var/lib/ec2emu; do [ -e $d ] || echo $d; done >created-dirs.txt

# --- certificates and kubeconfigs (once per state directory) ---
if [ ! -f pki/ca.crt ]; then
	(
		cd pki
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=ec2emu-k8s-ca" 2>/dev/null
		mk() {
			openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
			printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$3" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$1.ext" 2>/dev/null
			rm -f "$1.csr" "$1.ext"
		}
		mk apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,IP:$NODE_IP,DNS:localhost,DNS:$NODE,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
		mk admin "/O=system:masters/CN=admin" "extendedKeyUsage=clientAuth"
		mk apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
		mk kubelet-client "/O=system:nodes/CN=system:node:$NODE" "extendedKeyUsage=clientAuth"
		mk kubelet-serving "/CN=$NODE" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$NODE_IP,DNS:$NODE,DNS:localhost"
		openssl genrsa -out sa.key 2048 2>/dev/null
		openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
	)
	for u in admin kubelet-client; do
		cat >"$u.kubeconfig" <<EOK
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: $K/pki/ca.crt}
users:
- name: $u
  user: {client-certificate: $K/pki/$u.crt, client-key: $K/pki/$u.key}
contexts:
- name: local
  context: {cluster: local, user: $u}
current-context: local
EOK
	done
fi

# --- images: a docker-archive of static busybox, tagged twice ---
if [ ! -f images/images.tar ]; then
	rm -rf images/build && mkdir -p images/build/root && (
		cd images/build
		r=root
		mkdir -p $r/bin $r/etc $r/tmp $r/proc $r/sys $r/dev $r/root $r/var/run $r/var/log
		chmod 1777 $r/tmp
		cp /bin/busybox $r/bin/busybox
		for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
		printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >$r/etc/passwd
		printf 'root:x:0:\nnobody:x:65534:\n' >$r/etc/group
		tar --owner=0 --group=0 --numeric-owner --sort=name --mtime=2026-01-01 -C $r -cf layer.tar .
		diff="sha256:$(sha256sum layer.tar | cut -d' ' -f1)"
		manifest="["
		for img in "k8s.local/pause:1|[\"/bin/sh\",\"-c\",\"trap 'exit 0' TERM INT; sleep 2147483647 & wait\"]" \
			"localstack-ec2/busybox:$AMI|[\"/bin/sh\"]"; do
			tag=${img%%|*} cmd=${img#*|}
			printf '{"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z","config":{"Env":["PATH=/bin"],"Cmd":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
				"$cmd" "$diff" >cfg.json
			h=$(sha256sum cfg.json | cut -d' ' -f1)
			mv cfg.json "$h.json"
			[ "$manifest" = "[" ] || manifest="$manifest,"
			manifest="$manifest{\"Config\":\"$h.json\",\"RepoTags\":[\"$tag\"],\"Layers\":[\"layer.tar\"]}"
		done
		echo "$manifest]" >manifest.json
		tar -cf ../images.tar manifest.json ./*.json layer.tar
	)
	rm -rf images/build
fi

# --- etcd ---
setsid etcd --name ec2emu --data-dir "$K/etcd/data" --listen-client-urls http://127.0.0.1:23790 \
	--advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 \
	--initial-advertise-peer-urls http://127.0.0.1:23800 --initial-cluster ec2emu=http://127.0.0.1:23800 \
	--listen-metrics-urls '' >logs/etcd.log 2>&1 </dev/null &
echo $! >pids/etcd

# --- containerd with CRI, apart from Docker's ---
cat >containerd/config.toml <<EOC
version = 2
root = "$K/containerd/root"
state = "$K/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$K/containerd/containerd.sock"
[ttrpc]
  address = "$K/containerd/containerd.sock.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$K/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "k8s.local/pause:1"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # CAP_SYS_RESOURCE may be missing from the bounding set: a negative
  # oom_score_adj then fails in runc.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$K/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$K/containerd/runc"
EOC
cat >cni/net.d/10-bridge.conflist <<EOC
{"cniVersion": "0.4.0", "name": "ec2emu-k8s", "plugins": [
  {"type": "bridge", "bridge": "k8sbr0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$K/cni/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}, "snat": false}]}
EOC
setsid containerd --config "$K/containerd/config.toml" >logs/containerd.log 2>&1 </dev/null &
echo $! >pids/containerd
wait_for() { # wait_for SECONDS WHAT COMMAND...: poll a condition with a deadline
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "ensure-k8s: $what not ready; see $K/logs" >&2; exit 1; }
		sleep 0.2
	done
}
wait_for 30 containerd test -S containerd/containerd.sock
wait_for 30 containerd ctr -a "$K/containerd/containerd.sock" version
ctr -a "$K/containerd/containerd.sock" -n k8s.io images import images/images.tar >/dev/null

# --- kube-apiserver ---
P=$K/pki
setsid "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:23790 --bind-address=127.0.0.1 --secure-port=6443 \
	--advertise-address="$NODE_IP" --service-cluster-ip-range=10.96.0.0/24 --client-ca-file="$P/ca.crt" \
	--tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
	--service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
	--service-account-issuer=https://kubernetes.default.svc --authorization-mode=Node,RBAC --allow-privileged=false \
	--profiling=false --cert-dir="$K/apiserver-certs" \
	--kubelet-client-certificate="$P/apiserver-kubelet-client.crt" --kubelet-client-key="$P/apiserver-kubelet-client.key" \
	--kubelet-certificate-authority="$P/ca.crt" --kubelet-preferred-address-types=Hostname,InternalIP \
	>logs/apiserver.log 2>&1 </dev/null &
echo $! >pids/apiserver
wait_for 90 kube-apiserver api GET /readyz

# --- kube-scheduler ---
setsid "$BIN/kube-scheduler" --kubeconfig="$K/admin.kubeconfig" --authentication-kubeconfig="$K/admin.kubeconfig" \
	--authorization-kubeconfig="$K/admin.kubeconfig" --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false \
	>logs/scheduler.log 2>&1 </dev/null &
echo $! >pids/scheduler

# What kube-controller-manager would make (it is not run): each namespace's
# default ServiceAccount and root CA ConfigMap.
ca_json=$(sed ':a;N;$!ba;s/\n/\\n/g' "$P/ca.crt")
for ns in default $NAMESPACES; do
	api GET "/api/v1/namespaces/$ns" >/dev/null 2>&1 ||
		api POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" >/dev/null
	api GET "/api/v1/namespaces/$ns/serviceaccounts/default" >/dev/null 2>&1 ||
		api POST "/api/v1/namespaces/$ns/serviceaccounts" '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}}' >/dev/null
	api GET "/api/v1/namespaces/$ns/configmaps/kube-root-ca.crt" >/dev/null 2>&1 ||
		api POST "/api/v1/namespaces/$ns/configmaps" "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"kube-root-ca.crt\"},\"data\":{\"ca.crt\":\"$ca_json\"}}" >/dev/null
done

# --- kubelet ---
cat >kubelet-config.yaml <<EOC
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
tlsCertFile: $P/kubelet-serving.crt
tlsPrivateKeyFile: $P/kubelet-serving.key
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $P/ca.crt}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
makeIPTablesUtilChains: false
containerRuntimeEndpoint: unix://$K/containerd/containerd.sock
podLogsDir: $K/pod-logs
imageGCHighThresholdPercent: 100
nodeStatusMaxImages: -1
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
EOC
setsid "$BIN/kubelet" --config="$K/kubelet-config.yaml" --kubeconfig="$K/kubelet-client.kubeconfig" --root-dir="$K/kubelet" \
	--hostname-override="$NODE" --node-ip="$NODE_IP" >logs/kubelet.log 2>&1 </dev/null &
echo $! >pids/kubelet
node_ready() {
	api GET "/api/v1/nodes/$NODE" | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'
}
node_has_ami() {
	api GET "/api/v1/nodes/$NODE" | grep -q "localstack-ec2/busybox:$AMI"
}
wait_for 120 "node $NODE" node_ready
# The kubelet registers the node tainted not-ready; kube-controller-manager's
# node lifecycle controller would lift the taint once the node is Ready.
curl -sf --cacert "$K/pki/ca.crt" --cert "$K/pki/admin.crt" --key "$K/pki/admin.key" -X PATCH \
	-H 'Content-Type: application/merge-patch+json' --data '{"spec":{"taints":null}}' \
	"https://127.0.0.1:6443/api/v1/nodes/$NODE" >/dev/null || die "could not untaint node $NODE"
wait_for 120 "the AMI image in node $NODE's status" node_has_ami
echo "$KUBECONFIG"
