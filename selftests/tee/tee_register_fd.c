// SPDX-License-Identifier: GPL-2.0
/*
 * TEE_IOC_SHM_REGISTER_FD and memory references to registered
 * protected buffers: errnos, bounds, close orders of the descriptors.
 * Kernel contract: any TEE with protected memory.
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

#define PM_NAME		protmem
#define PM_NEEDS	PM_NEEDS_HEAP
#include "tee_pm_fixture.h"

TEST_F(protmem, register_fd)
{
	struct tee_ioctl_shm_register_fd_data data;
	int dfd, sfd;

	dfd = heap_alloc(self->heap_fd, 5000);
	ASSERT_LE(0, dfd);
	sfd = register_fd(self->tee_fd, dfd, &data);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(8192, data.size);
	EXPECT_LE(0, data.id);
	/* Output flags are the kernel's TEE_SHM_DMA_BUF, as in mainline */
	EXPECT_EQ(TEE_SHM_FLAG_DMA_BUF, data.flags);
	close(sfd);
	close(dfd);
}

TEST_F(protmem, register_fd_nonzero_flags)
{
	struct tee_ioctl_shm_register_fd_data data = { .flags = 1 };
	int dfd;

	dfd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, dfd);
	data.fd = dfd;
	EXPECT_EQ(-1, ioctl(self->tee_fd, TEE_IOC_SHM_REGISTER_FD, &data));
	EXPECT_EQ(EINVAL, errno);
	data.flags = 0x2;	/* TEE_IOCTL_SHM_DMA_BUF */
	EXPECT_EQ(-1, ioctl(self->tee_fd, TEE_IOC_SHM_REGISTER_FD, &data));
	EXPECT_EQ(EINVAL, errno);
	close(dfd);
}

TEST_F(protmem, register_fd_bad_fd)
{
	struct tee_ioctl_shm_register_fd_data data;

	EXPECT_EQ(-EINVAL, register_fd(self->tee_fd, -1, &data));
	EXPECT_EQ(-EINVAL, register_fd(self->tee_fd, 100000, &data));
	EXPECT_EQ(-EINVAL, register_fd(self->tee_fd, 1LL << 40, &data));
}

TEST_F(protmem, register_fd_not_dmabuf)
{
	struct tee_ioctl_shm_register_fd_data data;
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	EXPECT_EQ(-EINVAL, register_fd(self->tee_fd, pfd[0], &data));
	EXPECT_EQ(-EINVAL, register_fd(self->tee_fd, self->heap_fd, &data));
	EXPECT_EQ(-EINVAL, register_fd(self->tee_fd, self->tee_fd, &data));
	close(pfd[0]);
	close(pfd[1]);
}

TEST_F(protmem, register_fd_system_heap)
{
	struct tee_ioctl_shm_register_fd_data data;
	int hfd, dfd;

	hfd = open(DMA_HEAP_DIR "/system", O_RDWR | O_CLOEXEC);
	if (hfd < 0)
		SKIP(return, "no system heap (CONFIG_DMABUF_HEAPS_SYSTEM)");
	dfd = heap_alloc(hfd, SZ_4K);
	ASSERT_LE(0, dfd);
	/* Only buffers of the TEE's own heaps can be registered */
	EXPECT_EQ(-EINVAL, register_fd(self->tee_fd, dfd, &data));
	close(dfd);
	close(hfd);
}

TEST_F(protmem, register_fd_on_supplicant_device)
{
	struct tee_ioctl_shm_register_fd_data data;
	int pfd, dfd;

	pfd = tee_open(true);
	if (pfd == -EBUSY)
		SKIP(return,
		     "the supplicant device is held by a supplicant: stop tee-supplicant to run this");
	if (pfd < 0)
		SKIP(return, "no privileged TEE device");
	dfd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, dfd);
	/* The buffer belongs to another tee_device */
	EXPECT_EQ(-EINVAL, register_fd(pfd, dfd, &data));
	close(dfd);
	close(pfd);
}

TEST_F(protmem, register_fd_twice)
{
	struct tee_ioctl_shm_register_fd_data d1, d2;
	struct prot_buf pb1, pb2;
	int dfd, s1, s2;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	dfd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, dfd);
	s1 = register_fd(self->tee_fd, dfd, &d1);
	ASSERT_LE(0, s1);
	s2 = register_fd(self->tee_fd, dfd, &d2);
	ASSERT_LE(0, s2);
	EXPECT_NE(d1.id, d2.id);
	EXPECT_EQ(d1.size, d2.size);

	/* Both name the same memory */
	pb1 = (struct prot_buf){ .dmabuf_fd = -1, .shm_fd = s1,
				 .shm_id = d1.id, .size = d1.size };
	pb2 = (struct prot_buf){ .dmabuf_fd = -1, .shm_fd = s2,
				 .shm_id = d2.id, .size = d2.size };
	fill_protected(_metadata, self->tee_fd, self->session, &pb1, 0x77);
	close(dfd);
	close(s1);
	expect_bytes(_metadata, self->tee_fd, self->session, &pb2, 0, SZ_4K,
		     0x77);
	if (self->sim)
		EXPECT_EQ(1, pool_stat(variant->pool, "buffers"));
	close(s2);
}

TEST_F(protmem, register_fd_then_close_dmabuf)
{
	struct prot_buf pb;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, 17000, &pb));
	/* As xtest does: the tee_shm keeps the dma-buf alive */
	close(pb.dmabuf_fd);
	pb.dmabuf_fd = -1;
	if (self->sim)
		EXPECT_EQ(1, pool_stat(variant->pool, "buffers"));
	round_trip(_metadata, self->tee_fd, self->session, &pb, 0, 17000, 1);
	prot_buf_free(&pb);
}

TEST_F(protmem, register_fd_shm_no_mmap)
{
	struct prot_buf pb;
	void *va;

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	va = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, pb.shm_fd, 0);
	EXPECT_EQ(MAP_FAILED, va);
	if (va != MAP_FAILED)
		munmap(va, SZ_4K);
	prot_buf_free(&pb);
}

/* The out-of-bounds cases of xtest's sdp_basic, and overflows */
TEST_F(protmem, out_of_bounds)
{
	struct {
		__u64 offs;
		__u64 len;
	} cases[] = {
		{ 0, 0 },	/* offsets relative to size, fixed below */
		{ 0, 0 }, { 0, 0 }, { 0, 0 }, { 2, ~0ULL },
		{ ~0ULL, 2 }, { 1ULL << 63, 1ULL << 63 },
	};
	struct tee_result res;
	struct prot_buf pb;
	unsigned int n;

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, 17000, &pb));
	cases[0].offs = pb.size - 1; cases[0].len = 2;
	cases[1].offs = pb.size - 1; cases[1].len = 5000;
	cases[2].offs = pb.size;     cases[2].len = 1;
	cases[3].offs = pb.size;     cases[3].len = 4096;
	for (n = 0; n < ARRAY_SIZE(cases); n++) {
		/* Refused by the TEE core: the TA is never reached */
		EXPECT_EQ(-EINVAL, transform(self->tee_fd, self->session,
					     pb.shm_id, cases[n].offs,
					     cases[n].len, &res))
			TH_LOG("offs %#llx len %#llx",
			       (unsigned long long)cases[n].offs,
			       (unsigned long long)cases[n].len);
	}
	prot_buf_free(&pb);
}

TEST_F(protmem, bad_shm_id)
{
	struct tee_result res;

	EXPECT_EQ(-EINVAL, transform(self->tee_fd, self->session, 0x7ffffff0,
				     0, 1, &res));
}

TEST_HARNESS_MAIN
