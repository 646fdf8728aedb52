# ec2emu — the two commands a newcomer runs: `make run` and `make test`.
GO ?= go
EC2_VM_MANAGER ?= docker

.PHONY: run run-mock build test test-k8s test-short fuzz vet bench bench-micro bench-k8s

## run: build bin/ec2emu and run it on $(ADDR) (docker backend; starts dockerd if needed).
## The recipe execs the binary, so make's child is the server: stopping it stops the server
## (`go run` would leave its own child serving).
ADDR ?= 127.0.0.1:4566
run: build
	@if [ "$(EC2_VM_MANAGER)" = docker ]; then bash scripts/ensure-docker.sh; fi
	exec env EC2_VM_MANAGER=$(EC2_VM_MANAGER) ./bin/ec2emu -addr $(ADDR)

## run-mock: the same with the in-memory backend (needs nothing)
run-mock: build
	exec env EC2_VM_MANAGER=mock ./bin/ec2emu -addr $(ADDR)

## build: the standalone server as bin/ec2emu
build:
	$(GO) build -o bin/ec2emu ./examples/ec2emu

## test: every test, with the race detector, against a real Docker engine and the real AWS CLI
test:
	bash scripts/ensure-docker.sh
	bash scripts/ensure-clients.sh
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) test-k8s
	$(MAKE) fuzz

## test-k8s: the kubernetes backend (its own module) against the cluster $KUBECONFIG names or,
## when it is unset, a single-node cluster scripts/ensure-k8s.sh starts for the run (building it
## once, ~4 min with cold Go caches) and scripts/stop-k8s.sh stops afterwards, even on failure
test-k8s:
	cd kubernetes && $(GO) vet ./...
	@if [ -n "$$KUBECONFIG" ]; then \
		cd kubernetes && $(GO) test -race -count=1 -timeout 20m ./...; \
	else \
		trap 'bash $(CURDIR)/scripts/stop-k8s.sh' EXIT; trap 'exit 130' INT TERM; \
		kc=$$(bash scripts/ensure-k8s.sh) || exit 1; \
		echo "KUBECONFIG=$$kc"; \
		cd kubernetes && KUBECONFIG=$$kc $(GO) test -race -count=1 -timeout 20m ./...; \
	fi

## bench-k8s: the kubernetes figures of docs/kubernetes.md (RunInstances → running against the same pod made
## with client-go, median of 10; DescribeInstances over 100 pods against 100 docker containers, same run),
## on the cluster $KUBECONFIG names or one scripts/ensure-k8s.sh starts and stops as test-k8s does
bench-k8s:
	bash scripts/ensure-docker.sh
	@if [ -n "$$KUBECONFIG" ]; then \
		cd kubernetes && EC2_K8S_BENCH=1 $(GO) test -count=1 -timeout 30m -run '^(TestLaunchVsRawPod|TestDescribe100VsDocker)$$' -v .; \
	else \
		trap 'bash $(CURDIR)/scripts/stop-k8s.sh' EXIT; trap 'exit 130' INT TERM; \
		kc=$$(bash scripts/ensure-k8s.sh) || exit 1; \
		cd kubernetes && KUBECONFIG=$$kc EC2_K8S_BENCH=1 $(GO) test -count=1 -timeout 30m -run '^(TestLaunchVsRawPod|TestDescribe100VsDocker)$$' -v .; \
	fi

## test-short: the tests that need neither Docker nor the AWS CLI
test-short:
	$(GO) test -race -count=1 -short ./...
	cd kubernetes && $(GO) test -race -count=1 -short ./...

## fuzz: each fuzz target for a bounded time (FUZZTIME each, about a minute in all); failures land in testdata/fuzz
FUZZTIME ?= 15s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzServeHTTP$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzSigV4$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./xmlproto

## bench: the performance table of docs/performance.md (mock over loopback HTTP with the real SDK,
## docker side by side with the raw engine, memory of 10,000 instances); BENCHFLAGS=-docker=false skips docker
bench:
	@case "$(BENCHFLAGS)" in *-docker=false*) ;; *) bash scripts/ensure-docker.sh;; esac
	$(GO) run ./internal/cmd/ec2bench $(BENCHFLAGS)
	@case "$(BENCHFLAGS)" in *-docker=false*) ;; *) $(GO) test -run '^$$' -bench '^BenchmarkAccess$$' -benchtime 1x ./docker && $(GO) test -run '^$$' -bench '^(BenchmarkAttachVisible|BenchmarkCreateSnapshot100MiB)$$' -benchtime 10x ./docker;; esac

## bench-micro: the in-process hot paths (decode, encode, filters, DescribeInstances, RunInstances) with allocations
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem . ./xmlproto

vet:
	gofmt -l . | (! grep .) || (echo "gofmt needed on the files above"; exit 1)
	$(GO) vet ./...
	cd kubernetes && $(GO) vet ./...
