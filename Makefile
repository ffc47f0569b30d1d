# SPDX-License-Identifier: GPL-2.0
# Entry points of the repository; see README.md.

.PHONY: demo test test-debug build reference bench bench-quick config-matrix docs \
	series series-check clean
demo:
	harness/demo.sh
test:
	harness/test.sh
# KASAN + kmemleak kernel: KUnit, our kselftests and a leak check (README.md)
test-debug:
	harness/test.sh --debug
build:
	harness/build.sh test
# Small kernels with DAMON in the configurations 0-day tries (README.md)
config-matrix:
	harness/config-matrix.sh
# The patch series (build/series/patches/) and its checks: git am, every
# prefix builds, checkpatch, get_maintainer, same tree (README.md)
series:
	harness/deps.sh
	harness/series.py make
series-check: series
	harness/series.py check
reference:
	harness/build.sh ref
# The documentation checks of make test alone: Sphinx build, kernel-doc, coverage
docs:
	harness/deps.sh
	harness/docs-check.sh
# Benchmarks of our DAMON against upstream's (not part of make test): see
# README.md, "make bench-quick / make bench".
bench-quick:
	bench/run.py --mode quick
bench:
	bench/run.py --mode full --publish bench/results/$$(date -u +%Y-%m-%d)
clean:
	rm -rf build
