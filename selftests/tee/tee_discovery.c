// SPDX-License-Identifier: GPL-2.0
/*
 * Which TEE and which protected heaps the suite tests, found as libteec
 * finds them, and the supplicant device. Kernel contract.
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */

#define _GNU_SOURCE
#include <assert.h>
#include <ctype.h>
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

/*
 * Runs first: say which TEE and which heaps the suite tests, and check
 * that sysfs agrees with TEE_IOC_VERSION about the implementation.
 */
TEST(backend)
{
	struct tee_ioctl_version_data vers;
	char node[64], path[PATH_MAX], rev[64] = "";
	struct heap_name names[8];
	int i, n;

	if (!ensure_backend() ||
	    find_tee_dev(tee_under_test(), false, node, sizeof(node)))
		SKIP(return,
		     "no TEE client device (load teesim or a TEE driver, or set TEE=/dev/teeN)");
	ASSERT_EQ(0, tee_version(node, &vers));
	/* sysfs and TEE_IOC_VERSION name the same implementation */
	EXPECT_EQ(vers.impl_id, tee_sysfs_impl_id(basename(node)));
	snprintf(path, sizeof(path), "/sys/class/tee/%s/revision",
		 basename(node));
	if (!read_file(path, rev, sizeof(rev)))
		rev[strcspn(rev, "\n")] = '\0';
	ksft_print_msg("TEE %s: implementation id %#x%s%s%s, gen_caps %#x\n",
		       node, vers.impl_id,
		       vers.impl_id == TEESIM_IMPL_ID ? " (teesim)" :
		       vers.impl_id == TEE_IMPL_ID_OPTEE ? " (OP-TEE)" : "",
		       *rev ? ", revision " : "", rev, vers.gen_caps);
	n = protected_heap_names(names, ARRAY_SIZE(names));
	for (i = 0; i < n; i++)
		ksft_print_msg("protected heap %s\n", names[i].name);
}

/*
 * Like OP-TEE's, the supplicant device has one user at a time: it is busy
 * while a supplicant (tee-supplicant, or this test) holds it.
 */
TEST(supplicant_device_exclusive)
{
	char node[64];
	int fd, fd2;

	ensure_backend();
	if (find_tee_dev(tee_under_test(), true, node, sizeof(node)))
		SKIP(return, "no privileged TEE device");
	fd = open(node, O_RDWR);
	if (fd < 0 && errno == EBUSY)
		return;		/* a supplicant holds it: exclusive */
	ASSERT_LE(0, fd) TH_LOG("%s: %s", node, strerror(errno));
	fd2 = open(node, O_RDWR);
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	if (fd2 >= 0)
		close(fd2);
	close(fd);
	/* Free again once closed */
	fd = open(node, O_RDWR);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

TEST_HARNESS_MAIN
