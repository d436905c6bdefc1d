// SPDX-License-Identifier: GPL-2.0
/*
 * The protected DMA-heaps: allocation, no CPU access, import into a
 * device, permissions. Kernel contract: any TEE with protected memory.
 *
 * Permissions: the /dev/tee*, /dev/teepriv* and /dev/dma_heap nodes are root
 * only by default (mode 0600). The privilege tests expect that an
 * unprivileged user can open a node exactly when its mode bits allow
 * it, that CAP_DAC_OVERRIDE overrides the mode, and that a file
 * descriptor opened before dropping privileges keeps working.
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
#include <sys/resource.h>
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

#define PM_NAME		protmem
#define PM_NEEDS	PM_NEEDS_HEAP
#include "tee_pm_fixture.h"

TEST_F(protmem, heap_discovery)
{
	struct stat st;

	ASSERT_EQ(0, stat(self->heap, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0, strncmp(basename(self->heap), "protected,", 10));
	if (self->sim) {
		EXPECT_LT(0, self->pool_size);
		EXPECT_EQ(0, self->pool_size % page_size());
	}
}

TEST_F(protmem, alloc_zero_einval)
{
	EXPECT_EQ(-EINVAL, heap_alloc(self->heap_fd, 0));
}

TEST_F(protmem, alloc_bad_flags)
{
	struct dma_heap_allocation_data data = {
		.len = SZ_4K,
		.fd_flags = O_RDWR | O_CLOEXEC,
		.heap_flags = 1,
	};

	EXPECT_EQ(-1, ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &data));
	EXPECT_EQ(EINVAL, errno);
	data.heap_flags = 0;
	data.fd_flags = O_APPEND;
	EXPECT_EQ(-1, ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &data));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(protmem, alloc_sizes)
{
	static const __u64 sizes[] = { 1, SZ_4K, 5000, 17000, SZ_64K + 1 };
	struct prot_buf pb;
	unsigned int n;

	for (n = 0; n < ARRAY_SIZE(sizes); n++) {
		ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd,
					    sizes[n], &pb))
			TH_LOG("size %llu", (unsigned long long)sizes[n]);
		/* The heap rounds up to pages, REGISTER_FD reports that */
		EXPECT_EQ(page_align(sizes[n]), pb.size);
		if (self->sim) {
			EXPECT_EQ(1, pool_stat(variant->pool, "buffers"));
			EXPECT_EQ(pb.size, pool_stat(variant->pool, "bytes"));
		}
		prot_buf_free(&pb);
	}
}

TEST_F(protmem, alloc_larger_than_pool)
{
	if (!self->sim)
		SKIP(return, NO_SIM);
	EXPECT_EQ(-ENOMEM, heap_alloc(self->heap_fd, self->pool_size + SZ_4K));
	EXPECT_LE(1, pool_stat(variant->pool, "alloc_failures"));
}

TEST_F(protmem, alloc_whole_pool)
{
	int fd;

	if (!self->sim)
		SKIP(return, NO_SIM);
	fd = heap_alloc(self->heap_fd, self->pool_size);
	ASSERT_LE(0, fd);
	EXPECT_EQ(self->pool_size, pool_stat(variant->pool, "bytes"));
	EXPECT_EQ(-ENOMEM, heap_alloc(self->heap_fd, SZ_4K));
	close(fd);
}

/* Without teesim the pool size is unknown: give up after 1 GiB */
#define EXHAUST_MAX	(16 * 1024)

TEST_F(protmem, exhaustion_and_recovery)
{
	int max, n, count = 0, rc = 0;
	struct rlimit rl;
	int *fds;

	/* teesim reports the pool size: one more than fits must fail */
	max = self->sim ? self->pool_size / SZ_64K + 1 : EXHAUST_MAX;
	fds = calloc(max, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	/* Every buffer is an fd: room for them all (root may raise it) */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < (rlim_t)max + 64) {
		rl.rlim_cur = max + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (n = 0; n < max; n++) {
		rc = heap_alloc(self->heap_fd, SZ_64K);
		if (rc < 0)
			break;
		fds[count++] = rc;
	}
	if (rc == -EMFILE) {
		while (count)
			close(fds[--count]);
		free(fds);
		SKIP(return, "out of file descriptors first (RLIMIT_NOFILE): run as root");
	}
	if (rc >= 0 && !self->sim) {
		while (count)
			close(fds[--count]);
		free(fds);
		SKIP(return, "the heap gave %d MiB without running out",
		     EXHAUST_MAX / 16);
	}
	ASSERT_EQ(-ENOMEM, rc) TH_LOG("%d buffers of 64 KiB", count);
	ASSERT_LT(0, count);
	if (self->sim) {
		EXPECT_EQ(count, pool_stat(variant->pool, "buffers"));
		EXPECT_LE(count, pool_stat(variant->pool, "buffers_hwm"));
		EXPECT_EQ(self->pool_size / SZ_64K, count);
	}

	/* Freeing one buffer makes room for exactly one */
	close(fds[--count]);
	rc = heap_alloc(self->heap_fd, SZ_64K);
	ASSERT_LE(0, rc);
	fds[count++] = rc;
	EXPECT_EQ(-ENOMEM, heap_alloc(self->heap_fd, SZ_64K));

	while (count)
		close(fds[--count]);
	free(fds);
	/* And everything comes back */
	rc = heap_alloc(self->heap_fd, SZ_64K);
	ASSERT_LE(0, rc);
	close(rc);
}

TEST_F(protmem, no_mmap)
{
	int fd = heap_alloc(self->heap_fd, SZ_4K);
	void *va;

	ASSERT_LE(0, fd);
	va = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, va);
	if (va != MAP_FAILED)
		munmap(va, SZ_4K);
	va = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, va);
	if (va != MAP_FAILED)
		munmap(va, SZ_4K);
	close(fd);
}

/*
 * The heap has no begin/end_cpu_access, so the dma-buf core treats
 * DMA_BUF_IOCTL_SYNC as a no-op, or a backend may refuse it. Either
 * way it must not open a CPU path: mmap still fails afterwards and the
 * protected data is unchanged.
 */
TEST_F(protmem, sync_gives_no_cpu_access)
{
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START |
					      DMA_BUF_SYNC_RW };
	struct prot_buf pb;
	void *va;
	int rc;

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	rc = ioctl(pb.dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
	EXPECT_TRUE(!rc || errno == EPERM || errno == EINVAL ||
		    errno == ENOTTY) TH_LOG("sync: %s", strerror(errno));
	va = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, pb.dmabuf_fd, 0);
	EXPECT_EQ(MAP_FAILED, va);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	ioctl(pb.dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);

	/* Invalid sync flags are always refused */
	sync.flags = 0x80;
	EXPECT_EQ(-1, ioctl(pb.dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync));
	EXPECT_EQ(EINVAL, errno);
	prot_buf_free(&pb);
}

/*
 * A device imports a protected buffer as a decoder would: vgem attaches
 * and maps it at import. The CPU must not touch the buffer to do so: when
 * the device's DMA would be bounced through swiotlb (swiotlb=force) the
 * kernel refuses with EOPNOTSUPP instead of copying protected memory.
 */
TEST_F(protmem, import_into_device)
{
	struct prot_buf pb = { .shm_fd = -1, .dmabuf_fd = -1 };
	int vfd, hfd, sfd, rc;
	__u32 handle = 0;

	vfd = vgem_open();
	if (vfd < 0)
		SKIP(return, "no vgem device to import into (CONFIG_DRM_VGEM)");

	/* The device does import ordinary buffers */
	hfd = open(DMA_HEAP_DIR "/system", O_RDWR | O_CLOEXEC);
	if (hfd >= 0) {
		sfd = heap_alloc(hfd, SZ_64K);
		ASSERT_LE(0, sfd);
		ASSERT_EQ(0, vgem_import(vfd, sfd, &handle));
		EXPECT_EQ(0, vgem_close(vfd, handle));
		close(sfd);
		close(hfd);
	}

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_64K, &pb));
	rc = vgem_import(vfd, pb.dmabuf_fd, &handle);
	if (swiotlb_forced()) {
		EXPECT_EQ(-EOPNOTSUPP, rc);
	} else {
		ASSERT_EQ(0, rc) TH_LOG("import: %s", strerror(-rc));
		/* The TEE still uses it while the device holds it */
		if (self->have_ta)
			round_trip(_metadata, self->tee_fd, self->session, &pb,
				   0, SZ_4K, 11);
		/* The device's reference outlives the user's */
		prot_buf_free(&pb);
		EXPECT_EQ(0, vgem_close(vfd, handle));
	}
	prot_buf_free(&pb);
	close(vfd);
}

TEST_F(protmem, privilege_device_nodes)
{
	char node[64];
	const char *paths[3] = { self->heap, node, NULL };
	char pnode[64];
	int n;

	if (geteuid())
		SKIP(return, "must run as root to drop privileges");
	ASSERT_EQ(0, find_tee_dev(tee_under_test(), false, node,
				  sizeof(node)));
	if (!find_tee_dev(tee_under_test(), true, pnode, sizeof(pnode)))
		paths[2] = pnode;
	for (n = 0; n < 3 && paths[n]; n++) {
		int want = others_rw(paths[n]) ? 0 : 2;

		EXPECT_EQ(want, open_unprivileged(paths[n], -1))
			TH_LOG("%s without capabilities", paths[n]);
		EXPECT_EQ(0, open_unprivileged(paths[n], CAP_DAC_OVERRIDE))
			TH_LOG("%s with CAP_DAC_OVERRIDE", paths[n]);
	}
}

TEST_F(protmem, privilege_fd_survives_drop)
{
	struct prot_buf pb;
	int status;
	pid_t pid;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	if (geteuid())
		SKIP(return, "must run as root to drop privileges");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_privileges())
			_exit(10);
		if (!others_rw(self->heap) && open(self->heap, O_RDWR) >= 0)
			_exit(11);
		/* Descriptors opened with privileges keep working */
		if (prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb))
			_exit(12);
		round_trip(_metadata, self->tee_fd, self->session, &pb, 0,
			   SZ_4K, 9);
		prot_buf_free(&pb);
		_exit(_metadata->exit_code == KSFT_FAIL ? 13 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
