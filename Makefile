# SemiSeg build entry points. Every target installs missing system libraries first.
SWIFT ?= swift
# AVX2+FMA code generation for the hot loops; a plain `swift build` stays correct (only slower).
CPU_FLAGS ?= -Xswiftc -target-cpu -Xswiftc haswell -Xcc -mavx2 -Xcc -mfma
RELEASE = -c release $(CPU_FLAGS)

.PHONY: deps build release test demo clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE)

# Tests run in release mode (training tests need the speed); -enable-testing keeps @testable imports working.
# Then SIGKILL/resume trials of train and compare with the binary just built (scripts/kill-resume.sh, ~1 min), and a
# 2x2 compare grid through a one-node Slurm cluster started and stopped by scripts/slurm-test.sh (~1 min; issue #17).
test: deps
	bash scripts/test-fixtures.sh
	$(SWIFT) build $(RELEASE) -Xswiftc -enable-testing --build-tests
	$(SWIFT) test $(RELEASE) -Xswiftc -enable-testing --skip-build
	SEMISEG=$$($(SWIFT) build $(RELEASE) -Xswiftc -enable-testing --show-bin-path)/semiseg bash scripts/kill-resume.sh
	SEMISEG=$$($(SWIFT) build $(RELEASE) -Xswiftc -enable-testing --show-bin-path)/semiseg bash scripts/slurm-test.sh

# A one-node Slurm cluster on this machine (munged, slurmctld, slurmd from Debian's slurm-wlm): `make slurm-up`, then
# `eval "$$(scripts/slurm-local.sh env)"` in a shell to use sbatch / squeue / `semiseg compare --slurm`; `make slurm-down`.
.PHONY: slurm-up slurm-down
slurm-up: deps
	bash scripts/slurm-local.sh start

slurm-down:
	bash scripts/slurm-local.sh stop

# The suite under AddressSanitizer / ThreadSanitizer (release, own scratch paths .build-asan / .build-tsan); slow, not part of test.
.PHONY: test-asan test-tsan
test-asan: deps
	bash scripts/sanitize.sh address

test-tsan: deps
	bash scripts/sanitize.sh thread

# Synthetic phantoms -> compare six strategies on one split -> demo-out/compare/report.md (+ figures, notebook).
demo: release
	bash scripts/demo.sh

clean:
	rm -rf .build

# libFuzzer on the NIfTI and MSD readers (FUZZ_SECONDS in total, default 600); not part of `make test`.
.PHONY: fuzz
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)
