// SPDX-License-Identifier: GPL-2.0
/*
 * Runs after all the others: kmemleak finds nothing the tests left
 * behind (needs CONFIG_DEBUG_KMEMLEAK).
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */

#define _GNU_SOURCE
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libkmod.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>

#include <drm/drm.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/tee.h>

#include "../kselftest_harness.h"
#include "tee_fixtures.h"

/* Registered last, so it runs last: everything above has been freed */
FIXTURE(leaks)
{
};

FIXTURE_SETUP(leaks)
{
}

FIXTURE_TEARDOWN(leaks)
{
}

TEST_F_TIMEOUT(leaks, kmemleak_clean, 60)
{
	char buf[65536], *p;
	int fd, pass;
	ssize_t n;

	if (access(DEBUGFS_ROOT "/kmemleak", W_OK))
		SKIP(return, "no kmemleak (CONFIG_DEBUG_KMEMLEAK)");
	/* Objects must be a few seconds old to be reported */
	for (pass = 0; pass < 2; pass++) {
		ASSERT_EQ(0, write_file(DEBUGFS_ROOT "/kmemleak", "scan"));
		if (!pass)
			sleep(6);
	}
	fd = open(DEBUGFS_ROOT "/kmemleak", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LE(0, n);
	buf[n] = '\0';
	/* Only leaks in the TEE, dma-buf and heap code are ours */
	p = strstr(buf, "tee");
	if (!p)
		p = strstr(buf, "dma_heap");
	if (!p)
		p = strstr(buf, "dma_buf");
	EXPECT_EQ(NULL, p) TH_LOG("kmemleak:\n%s", buf);
}

TEST_HARNESS_MAIN
