# Nova platform: charts, installer and tests.
#   make test    everything CI runs (tools, lint, unit tests)
#   make tools   pinned tools built from Go modules into ./bin (no downloads of binaries)
# yamllint and shellcheck come from apt (.ci/run installs them).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Pinned tool versions: the only place they are named.
HELM_VERSION        := v3.22.0
# The Kubernetes minor helm renders for, defined by the installer's client-only
# renders (release.KubeVersion), so helm template and nova-installer agree.
HELM_K8S_MINOR      := $(shell sed -n 's/^var KubeVersion = .*Minor: "\([0-9]*\)".*/\1/p' installer/release/release.go)
KUBECONFORM_VERSION := v0.8.0
KUBE_SCORE_VERSION  := v1.20.0
# chart-testing (ct) is pinned by the tool line of tools/go.mod.
K8S_SCHEMA_VERSION  := v1.37.2

BIN         := $(CURDIR)/bin
SCHEMA_DIR  := $(CURDIR)/.cache/kube-schemas/$(K8S_SCHEMA_VERSION)
# Charts and profiles are the directories of charts/ and the files of values/
# (presets, whose first line says "# Preset", excluded), as tests/render and
# nova-installer read them.
CHARTS      := $(patsubst charts/%/Chart.yaml,%,$(wildcard charts/*/Chart.yaml))
LIBRARIES   := $(patsubst charts/%/Chart.yaml,%,$(shell grep -l '^type: library' charts/*/Chart.yaml))
UMBRELLA    := nova
APP_CHARTS  := $(filter-out $(LIBRARIES) $(UMBRELLA),$(CHARTS)) $(UMBRELLA)
PROFILES    := $(patsubst values/%.yaml,%,$(shell grep -L '^\# Preset ' values/*.yaml))
# The Kafka, ClickHouse and S3 values that staging and production require.
ENDPOINTS   := values/examples/external-endpoints.yaml
export PATH := $(BIN):$(PATH)

HELM_LDFLAGS := -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_K8S_MINOR)

.PHONY: all tools schemas deps docs docs-check lint score test test-go test-e2e bench-failover bench-failover-k8s bench-deploy installer cluster-tools \
	cluster-up cluster-down demo package clean help system-packages
all: test

help:
	@echo "make demo      a real node + nova-installer deploy --profile local + verify + status (SIMULATED=1: kwok nodes)"
	@echo "make cluster-up / cluster-down  start / stop the simulated cluster (NODES=3), or one real node (REAL=1, root)"
	@echo "make test      tools + lint + every test, end-to-end included (what CI runs)"
	@echo "make lint      helm lint --strict (every chart x profile), ct lint, yamllint"
	@echo "make docs      regenerate the chart READMEs' values tables from values.yaml (helm-docs)"
	@echo "make package   packaged charts and a chart repository index in dist/"
	@echo "make bench-failover  failover times of Redis and PostgreSQL, 5 trials each"
	@echo "make bench-failover-k8s  failover through the chart's Services on the real node, 5 trials each"
	@echo "make bench-deploy    nova-installer deploy vs helm install, 5 rounds each"
	@echo "make score     kube-score advice on the production render"
	@echo "make cluster-tools  build Kubernetes, etcd, kwok and CoreDNS from source into ./bin (about 15 min)"
	@echo "make installer build bin/nova-installer (charts and profiles built in)"
	@echo "make tools     build pinned helm, kubeconform, kube-score, ct into ./bin"

# Debian packages the tests and the demo need (installed when missing, as
# root, without starting their services).
system-packages:
	@bash .ci/apt-packages

# Stamp files carry the version, so changing a pin rebuilds the tool.
tools: $(BIN)/.helm-$(HELM_VERSION) $(BIN)/.kubeconform-$(KUBECONFORM_VERSION) \
	$(BIN)/.kube-score-$(KUBE_SCORE_VERSION) $(BIN)/.ct-$(shell sed -n 's|.*chart-testing/v3 \(v[^ ]*\).*|\1|p' tools/go.mod) schemas

$(BIN)/.helm-%:
	GOBIN=$(BIN) go install -ldflags "$(HELM_LDFLAGS)" helm.sh/helm/v3/cmd/helm@$*
	touch $@
$(BIN)/.kubeconform-%:
	GOBIN=$(BIN) go install github.com/yannh/kubeconform/cmd/kubeconform@$*
	touch $@
$(BIN)/.kube-score-%:
	GOBIN=$(BIN) go install github.com/zegl/kube-score/cmd/kube-score@$*
	touch $@
$(BIN)/.ct-%: tools/go.mod tools/go.sum
	cd tools && GOBIN=$(BIN) go install github.com/helm/chart-testing/v3/ct
	touch $@
HELM_DOCS := $(BIN)/.helm-docs-$(shell sed -n 's|.*norwoodj/helm-docs \(v[^ ]*\).*|\1|p' tools/go.mod)
$(BIN)/.helm-docs-%: tools/go.mod tools/go.sum
	cd tools && GOBIN=$(BIN) go install github.com/norwoodj/helm-docs/cmd/helm-docs
	touch $@

# Chart READMEs: the values tables come from the `# --` comments of each
# values.yaml through README.md.gotmpl (helm-docs); `make lint` fails when a
# README is not what `make docs` would write.
HELM_DOCS_RUN = helm-docs --chart-search-root charts --chart-to-generate $(subst $(space),$(comma),$(addprefix charts/,$(APP_CHARTS))) \
	--ignore-non-descriptions --sort-values-order file --skip-version-footer --log-level warning
space := $(subst ,, )
comma := ,
docs: $(HELM_DOCS)
	$(HELM_DOCS_RUN)
docs-check: $(HELM_DOCS)
	$(HELM_DOCS_RUN) --output-file README.md.check
	@stale=0; for c in $(APP_CHARTS); do \
		diff -u charts/$$c/README.md charts/$$c/README.md.check || { echo "charts/$$c/README.md is stale: run make docs" >&2; stale=1; }; \
		rm -f charts/$$c/README.md.check; done; exit $$stale

# Kubernetes JSON schemas for kubeconform, generated from the OpenAPI spec that
# the k8s.io/kubernetes module ships (fetched through the Go module proxy).
schemas: $(SCHEMA_DIR)/.done
$(SCHEMA_DIR)/.done: $(wildcard tools/kubeschema/*.go)
	cd tools && dir=$$(go mod download -json k8s.io/kubernetes@$(K8S_SCHEMA_VERSION) | sed -n 's/.*"Dir": "\(.*\)",/\1/p') && \
		go run ./kubeschema -spec "$$dir/api/openapi-spec/swagger.json" -out $(SCHEMA_DIR)
	touch $@

# nova-installer, with the charts and profiles of this checkout built in.
installer:
	go build -o $(BIN)/nova-installer ./installer/cmd/nova-installer

# Kubernetes built from source for the proving ground (kube-apiserver,
# kube-controller-manager, kube-scheduler, and for the real node kubelet and
# kube-proxy, v1.36.3; etcd v3.6.8; kwok v0.8.0): pinned by
# tests/cluster/tools/go.mod. About 12 minutes and 2.1 GB from an empty cache.
CLUSTER_TOOLS         := tests/cluster/tools
CLUSTER_K8S_VERSION   := $(shell sed -n 's|^[[:space:]]*k8s.io/kubernetes \(v[0-9.]*\)$$|\1|p' $(CLUSTER_TOOLS)/go.mod)
CLUSTER_K8S_PARTS     := $(subst ., ,$(patsubst v%,%,$(CLUSTER_K8S_VERSION)))
CLUSTER_TOOLS_LDFLAGS := -s -w $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version, \
	-X $(p).gitVersion=$(CLUSTER_K8S_VERSION) -X $(p).gitMajor=$(word 1,$(CLUSTER_K8S_PARTS)) \
	-X $(p).gitMinor=$(word 2,$(CLUSTER_K8S_PARTS)) -X $(p).gitTreeState=clean)

cluster-tools: $(BIN)/.cluster-tools $(BIN)/.coredns $(BIN)/nova-cluster
$(BIN)/.cluster-tools: $(CLUSTER_TOOLS)/go.mod $(CLUSTER_TOOLS)/go.sum $(wildcard $(CLUSTER_TOOLS)/cmd/*/main.go)
	cd $(CLUSTER_TOOLS) && GOBIN=$(BIN) go install -ldflags "$(CLUSTER_TOOLS_LDFLAGS)" ./cmd/...
	touch $@

# The proving ground's own command (the real node starts it as its
# local-volume provisioner).
$(BIN)/nova-cluster: $(wildcard tests/cluster/*.go tests/cluster/cmd/nova-cluster/*.go tests/cluster/images/*.go)
	cd tests && go build -o $(BIN)/nova-cluster ./cluster/cmd/nova-cluster

# CoreDNS (pinned by its own go.mod) with only the plugins the real node's
# cluster DNS needs, and no forward plugin: about 2.5 minutes.
COREDNS := tests/cluster/coredns
$(BIN)/.coredns: $(COREDNS)/go.mod $(COREDNS)/go.sum $(COREDNS)/main.go
	cd $(COREDNS) && go build -trimpath -ldflags "-s -w" -o $(BIN)/coredns .
	touch $@

# Subchart dependencies (file://) packaged into charts/*/charts, as Chart.lock says.
deps: tools
	for c in $(APP_CHARTS); do helm dependency build --skip-refresh charts/$$c >/dev/null; done

lint: system-packages tools deps docs-check
	@command -v yamllint >/dev/null || { echo "yamllint is missing: apt-get install yamllint" >&2; exit 1; }
	@command -v shellcheck >/dev/null || { echo "shellcheck is missing: apt-get install shellcheck" >&2; exit 1; }
	shellcheck -s sh -x -P SCRIPTDIR charts/*/files/*.sh
	@test -z "$$(gofmt -l embed.go installer tests tools)" || { gofmt -l embed.go installer tests tools; echo "gofmt: files above need formatting" >&2; exit 1; }
	for c in $(CHARTS); do helm lint --strict charts/$$c; done
	helm lint --strict charts/$(UMBRELLA) -f values/local.yaml
	for p in $(PROFILES); do helm lint --strict charts/$(UMBRELLA) -f values/$$p.yaml -f $(ENDPOINTS); done
	helm lint --strict charts/$(UMBRELLA) -f values/production.yaml -f $(ENDPOINTS) -f values/topology-consolidated.yaml
	helm lint --strict charts/$(UMBRELLA) -f values/production.yaml -f $(ENDPOINTS) -f values/gitops.yaml
	ct lint --config ct.yaml --lint-conf lintconf.yaml
	yamllint -c lintconf.yaml -s values ct.yaml lintconf.yaml charts/*/Chart.yaml charts/*/values.yaml tests/contract/services-contract.yaml

# kube-score report on the production render (advice, not a gate: probes and
# NetworkPolicies arrive with the tier charts). Ignored on purpose: pull policy
# Always (images are pinned) and the images' own low UIDs.
score: tools deps
	helm template nova charts/$(UMBRELLA) -f values/production.yaml -f $(ENDPOINTS) | kube-score score \
		--ignore-test container-image-pull-policy --ignore-test container-security-context-user-group-id - || true

# The simulated clusters' packages run one at a time after the rest: an API
# server next to the failover tests' timed processes would skew them.
E2E_PACKAGES := ./cluster/... ./e2e/...
test-go: system-packages tools deps
	go vet ./... && go test ./...
	cd tools && go vet ./... && go test ./...
	cd tests && go vet ./... && NOVA_KUBE_SCHEMAS=$(SCHEMA_DIR) go test -timeout 20m \
		$$(go list ./... | grep -v -e /tests/cluster -e /tests/e2e)

# End-to-end: nova-installer, helm and the charts on the simulated cluster.
test-e2e: system-packages tools deps cluster-tools
	cd tests && NOVA_E2E=1 NOVA_BIN=$(BIN) go test -p 1 -count=1 -timeout 25m $(E2E_PACKAGES)

test: lint test-go test-e2e

# The simulated cluster (tests/cluster): a real control plane with kwok nodes.
CLUSTER_DIR := $(CURDIR)/.cache/cluster
NODES       ?= 3
NOVA_CLUSTER = cd tests && go run ./cluster/cmd/nova-cluster
cluster-up: cluster-tools
	$(NOVA_CLUSTER) up --dir $(CLUSTER_DIR) --bin $(BIN) --nodes $(NODES) $(if $(REAL),--real)
cluster-down:
	$(NOVA_CLUSTER) down --dir $(CLUSTER_DIR)

# The README's main command: the local profile on one real node (every
# container runs: the data tiers from Debian's packages, the Nova services
# as their stand-in), verified; SIMULATED=1 uses kwok nodes instead.
demo: system-packages tools cluster-tools installer
ifdef SIMULATED
	$(NOVA_CLUSTER) up --reuse --dir $(CLUSTER_DIR) --bin $(BIN) --nodes $(NODES)
	$(BIN)/nova-installer --kubeconfig $(CLUSTER_DIR)/kubeconfig deploy --profile local -n nova --create-namespace
	$(BIN)/nova-installer --kubeconfig $(CLUSTER_DIR)/kubeconfig status -n nova
	@echo
	@echo "The pods are simulated by kwok: no container runs. Try:"
	@echo "  export KUBECONFIG=$(CLUSTER_DIR)/kubeconfig"
	@echo "  bin/nova-installer history -n nova; bin/helm list -A; kubectl get pods -n nova -o wide"
else
	$(NOVA_CLUSTER) up --reuse --real --dir $(CLUSTER_DIR) --bin $(BIN)
	$(BIN)/nova-installer --kubeconfig $(CLUSTER_DIR)/kubeconfig deploy --profile local \
		-f $(CLUSTER_DIR)/real-node-values.yaml -n nova --create-namespace
	$(BIN)/nova-installer --kubeconfig $(CLUSTER_DIR)/kubeconfig verify -n nova
	$(BIN)/nova-installer --kubeconfig $(CLUSTER_DIR)/kubeconfig status -n nova
	@echo
	@echo "Every container runs on the real node nova-node-1. Try:"
	@echo "  export KUBECONFIG=$(CLUSTER_DIR)/kubeconfig"
	@echo "  kubectl get pods -n nova -o wide"
	@echo "  kubectl delete pod -n nova <the Redis master above>; bin/nova-installer status -n nova"
	@echo "  bin/nova-installer logs user-service -n nova"
endif
	@echo "Stop the cluster with: make cluster-down"

# Failover figures from the charts' own config run as real processes (needs the
# apt packages .ci/run installs): 5 trials per scenario, min/median/max.
# nova-installer deploy vs helm install of the same chart and values, 5 rounds
# each on a fresh simulated cluster: min/median/max and the median ratio.
bench-deploy: tools deps cluster-tools
	cd tests && NOVA_BENCH_DEPLOY=1 NOVA_E2E=1 NOVA_BIN=$(BIN) go test -count=1 -timeout 20m -run TestDeployBenchmark -v ./e2e | \
		grep -v -e '^=== ' -e '^--- ' -e '^PASS' -e '^ok' -e '_test.go:[0-9]*: \$$ '

bench-failover: tools
	cd tests && NOVA_BENCH_FAILOVER=1 go test -count=1 -timeout 40m -run TestFailoverBenchmark -v ./failover | \
		grep -v -e '^=== ' -e '^--- ' -e '^PASS' -e '^ok'

# Failover through the chart's Services on the real node (root): 5 trials
# per fault, the longest stretch without an acknowledged write, and writes lost.
bench-failover-k8s: system-packages tools deps cluster-tools
	cd tests && NOVA_BENCH_FAILOVER_K8S=1 NOVA_E2E=1 NOVA_BIN=$(BIN) go test -count=1 -timeout 60m -run TestFailoverBenchmarkK8s -v ./e2e | \
		grep --line-buffered -v -e '^=== ' -e '^--- ' -e '^PASS' -e '^ok' -e '_test.go:[0-9]*: \$$ '

package: tools deps
	rm -rf dist && mkdir -p dist
	for c in $(APP_CHARTS); do helm package charts/$$c -d dist >/dev/null; done
	helm repo index dist
	@ls dist

clean: cluster-down
	rm -rf bin dist .cache charts/*/charts
