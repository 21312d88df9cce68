# tenantctl: build, test and demo, plus the seed's guild targets as thin wrappers of the release binary.
CARGO ?= cargo
TENANTCTL ?= ./target/release/tenantctl
ARGOCD_NAMESPACE ?= argocd

.PHONY: build test judges fuzz-smoke fuzz demo bench validate render deploy-applicationset create-guild update-guild move-guild list-guilds \
	guild-status delete-guild argocd-sync-guilds

build: ## Build the release binary
	$(CARGO) build --release

# The judges the tests run live in the project's own environment, installed on first use: the
# Python ones (check-jsonschema, kubernetes-validate, checkov, ...) in .venv/ from
# requirements-test.txt, the npm ones (@monokle/validation,
# @kubernetes-models/prometheus-operator) in node_modules/ from package-lock.json.
VENV ?= .venv
JUDGES := $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements-test.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

judges: $(JUDGES) ## Install the test judges into .venv/ and node_modules/

test: $(JUDGES) ## Every test: unit, integration (real git, kubectl kustomize, check-jsonschema), clippy, fmt
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --lib --no-default-features -- -D warnings
	PATH="$(abspath $(VENV))/bin:$$PATH" $(CARGO) test --all-targets

# cargo-fuzz on the stable toolchain: RUSTC_BOOTSTRAP lets it pass its -Z flags.
FUZZ = RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --sanitizer none

fuzz-smoke: ## The fuzz target for 30 seconds (CI; a debug build: 2.5 instead of 6 minutes to build)
	$(FUZZ) --dev load_validate -- -max_total_time=30

fuzz: ## The fuzz target for 10 minutes; FUZZ_SECONDS=3600 for longer
	$(FUZZ) load_validate -- -max_total_time=$(or $(FUZZ_SECONDS),600) -print_final_stats=1

demo: build ## The whole flow on the embedded example, in a temporary directory
	TENANTCTL=$(abspath $(TENANTCTL)) ./scripts/demo.sh

# Installs its peers (ajv-cli, check-jsonschema) into bench/.peers/; writes bench/results.md.
bench: build ## Benchmark validate, render, create at BENCH_SIZES="1000 10000" files vs ajv-cli, check-jsonschema, cat, cp -r (BENCH_RUNS=5)
	TENANTCTL=$(abspath $(TENANTCTL)) ./bench/run.sh

validate: build ## Validate this repo's example config
	$(TENANTCTL) validate

render: build ## Re-render this repo's generated files
	$(TENANTCTL) render

deploy-applicationset: build ## Apply every rendered AppProject and ApplicationSet (kustomize/argocd) to the cluster
	$(TENANTCTL) render --check
	kubectl apply -k kustomize/argocd

create-guild: build ## make create-guild GUILD_ID=123456789 TIER=free
	@test -n "$(GUILD_ID)" || { echo "usage: make create-guild GUILD_ID=<id> TIER=<tier>"; exit 2; }
	$(TENANTCTL) create-guild $(GUILD_ID) --tier $(or $(TIER),free) $(if $(CLUSTER),--cluster $(CLUSTER))

move-guild: build ## make move-guild GUILD_ID=987654321 CLUSTER=pro-us-east
	@test -n "$(GUILD_ID)" -a -n "$(CLUSTER)" || { echo "usage: make move-guild GUILD_ID=<id> CLUSTER=<cluster>"; exit 2; }
	$(TENANTCTL) move-guild $(GUILD_ID) --cluster $(CLUSTER)

update-guild: build ## make update-guild GUILD_ID=123456789 TIER=pro
	@test -n "$(GUILD_ID)" || { echo "usage: make update-guild GUILD_ID=<id> TIER=<tier>"; exit 2; }
	$(TENANTCTL) update-guild $(GUILD_ID) $(if $(TIER),--tier $(TIER))

list-guilds: build ## List all configured guilds
	$(TENANTCTL) list

guild-status: build ## make guild-status GUILD_ID=123456789
	@test -n "$(GUILD_ID)" || { echo "usage: make guild-status GUILD_ID=<id>"; exit 2; }
	$(TENANTCTL) status $(GUILD_ID)

delete-guild: build ## make delete-guild GUILD_ID=123456789
	@test -n "$(GUILD_ID)" || { echo "usage: make delete-guild GUILD_ID=<id>"; exit 2; }
	$(TENANTCTL) delete-guild $(GUILD_ID) --yes

argocd-sync-guilds: build ## Ask Argo CD to refresh every guild's Application
	$(TENANTCTL) sync --all
