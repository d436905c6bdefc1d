# TEE protected DMA-buf heaps for Debian's linux-source-6.12: the one entry
# point.  `make help` lists the targets.

ARCH ?= x86_64
EXTRA ?=
GUEST_CMD ?=
BOOT_ARGS ?=
export EXTRA GUEST_CMD BOOT_ARGS

S := scripts
ARCHES := x86_64 arm64

.PHONY: help deps source apply build initramfs run shell check lint bisect \
	kunit deb deb-test debian-check bench stress soak faults send-email selftest-patch upstream-gen clean

help: ## list the targets
	@echo "Targets (ARCH=x86_64|arm64, default x86_64):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		sed 's/^\([a-z-]*\):.*## /  \1\t/' | expand -t 18

deps: ## install the missing Debian packages (apt-get; prints the sudo command as a user)
	@$(S)/deps.sh

source: deps ## unpack /usr/src/linux-source-6.12.tar.xz once per Debian version, print it
	@$(S)/source.sh

apply: deps ## fresh copy of the pristine tree in build/tree + quilt push -a --fuzz=0
	@$(S)/apply.sh

build: apply ## configure (configs/ fragments, checked) and build the kernel for ARCH
	@$(S)/build.sh $(ARCH)

initramfs: build ## busybox + installed kselftests + modules (+ EXTRA dir, GUEST_CMD)
	@$(S)/initramfs.sh $(ARCH)

run: initramfs ## boot the ARCH guest in QEMU (+ BOOT_ARGS), run the kselftests (then GUEST_CMD)
	@$(S)/qemu.sh $(ARCH) $(if $(GUEST_CMD),$(if $(NOTESTS),cmd,tests),tests)
	@$(S)/results.sh $(ARCH) build/logs/$(ARCH)-console.log

shell: initramfs ## boot the ARCH guest with an interactive shell (exit powers off)
	@$(S)/qemu.sh $(ARCH) shell

check: deps ## lint + build and run both arches and the upstream tree + kunit; last line: N passed, N failed, N skipped
	@$(S)/check.sh

lint: deps ## both series: series <-> patches, fuzz 0, checkpatch --strict, generated patches in sync, shellcheck
	@$(S)/lint.sh

bisect: deps ## build every prefix of the 6.12 and the upstream series on x86_64 and arm64 (incrementally)
	@$(S)/bisect.sh

kunit: apply ## run the series' KUnit suites with kunit.py under QEMU
	@$(S)/kunit.sh

deb: apply ## Debian packages for ARCH in build/deb/ (CONFIG=small: the QEMU guest kernel; CONFIG=debian: Debian's config, for boards, hours)
	@$(S)/deb.sh $(ARCH)

deb-test: apply ## package test: the small ARCH package, unpacked from its .deb, booted, kselftests run
	@$(S)/deb-test.sh $(ARCH)

debian-check: apply ## Debian's amd64 and arm64 configs + configs/debian.config: drivers/tee, drivers/dma-buf with W=1 and sparse
	@$(S)/debian-check.sh x86_64
	@$(S)/debian-check.sh arm64

bench: apply ## tee_bench in one boot of a non-debug x86_64 guest with a ns clock: protected heaps vs the system heap (ratios)
	@$(S)/bench.sh

stress: apply ## tee_stress in the ARCH debug guest for DURATION s (60), SEED=, THREADS=; ARCH=arm64: teesim is a module, reloaded every RELOAD s (5)
	@$(S)/stress.sh

soak: apply ## make stress with the tee_races kselftest and the tee_faults sweep looping beside it, for DURATION s: operations, faults, splats
	@SOAK=1 $(S)/stress.sh

faults: apply ## tee_faults alone in the ARCH debug guest, each injected fault listed (TEE_FAULTS_VERBOSE), with the totals
	@$(S)/faults.sh

send-email: deps ## BASE=mainline|6.12 [TOOL=b4]: format-patch + cover letter + get_maintainer + checkpatch; --dry-run unless DRY_RUN=0
	@$(S)/send-email.sh

selftest-patch: ## regenerate the selftests/tee patches (6.12 and upstream) from selftests/tee/
	@$(S)/selftest-patch.sh
	@$(S)/upstream-gen.sh

upstream-gen: deps ## regenerate upstream/patches that come from the 6.12 series (teesim, selftests)
	@$(S)/upstream-gen.sh

clean: ## remove build outputs (keeps the pristine source and ccache)
	rm -rf build/tree build/upstream-tree build/out build/bisect-* build/kunit-* build/logs build/deb build/send
