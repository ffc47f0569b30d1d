# SPDX-License-Identifier: GPL-2.0
# Entry points of the repository; see README.md.

.PHONY: demo test build reference clean
demo:
	harness/demo.sh
test:
	harness/test.sh
build:
	harness/build.sh test
reference:
	harness/build.sh ref
clean:
	rm -rf build
