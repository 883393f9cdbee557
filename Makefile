# sscard: `make demo` runs the main job against the built-in emulated card; `make test` runs the suite.
# Both install what they need first (Debian packages when missing, then the Python package in .venv)
# and start pcscd when it is not running (stopping it again afterwards).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_CARD ?= .demo/card.json
APT_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev swig gcc python3-dev python3-venv pcsc-tools procps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install system-deps benchmark clean

demo: install
	VENV=$(VENV) DEMO_CARD=$(DEMO_CARD) .ci/demo

test: install
	@.ci/pcscd start
	@$(BIN)/python -m pytest -q; rc=$$?; .ci/pcscd stop; exit $$rc

benchmark: install
	$(BIN)/python benchmarks/apdu_throughput.py
	@.ci/pcscd start
	@$(BIN)/python benchmarks/pcsc_throughput.py; rc=$$?; .ci/pcscd stop; exit $$rc

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) .demo build *.egg-info
