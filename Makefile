# tenantctl: build, test and demo targets, plus the seed's guild targets wrapping the release binary.
CARGO ?= cargo
TENANTCTL ?= ./target/release/tenantctl

.PHONY: build test

build:
	$(CARGO) build --release

test:
	$(CARGO) test
