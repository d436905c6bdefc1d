// SPDX-License-Identifier: GPL-2.0
/*
 * What OP-TEE's sdp_basic TA and invoke_tests pseudo TA do with normal
 * and protected memory, as measured on OP-TEE 4.10, nothing more: any TEE
 * with the sdp_basic TA (teesim follows OP-TEE, see
 * Documentation/tee/teesim.rst).
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
#include "tee_ta_fixture.h"

#define PM_NAME		sdp
#define PM_NEEDS	PM_NEEDS_TA
#include "tee_pm_fixture.h"

TEST_F(ta, unknown_uuid)
{
	__u8 uuid[16] = { 0xde, 0xad };
	struct tee_result res;
	__u32 s;

	ASSERT_EQ(0, open_session(self->fd, uuid, &s, &res));
	EXPECT_EQ(TEEC_ERROR_ITEM_NOT_FOUND, res.ret);
	EXPECT_NE(TEEC_ORIGIN_TRUSTED_APP, res.origin);
}

/* OP-TEE opens a session to its invoke_tests pseudo TA from user space */
TEST_F(ta, invoke_tests_pta_opens)
{
	static const __u8 uuid[] = INVOKE_TESTS_PTA_UUID;
	struct tee_result res;
	__u32 s;

	ASSERT_EQ(0, open_session(self->fd, uuid, &s, &res));
	if (res.ret == TEEC_ERROR_ITEM_NOT_FOUND)
		SKIP(return, NO_PTA);
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(0, close_session(self->fd, s));
}

TEST_F(ta, close_session_twice)
{
	ASSERT_EQ(0, close_session(self->fd, self->session));
	EXPECT_EQ(-EINVAL, close_session(self->fd, self->session));
}

TEST_F(ta, invoke_closed_session)
{
	struct tee_invoke inv;
	struct tee_result res;

	ASSERT_EQ(0, close_session(self->fd, self->session));
	inv_init(&inv, self->session, SDP_CMD_TRANSFORM);
	EXPECT_EQ(-EINVAL, inv_do(self->fd, &inv, &res));
}

TEST_F(ta, unknown_command)
{
	struct tee_invoke inv;
	struct tee_result res;

	inv_init(&inv, self->session, 42);
	ASSERT_EQ(0, inv_do(self->fd, &inv, &res));
	EXPECT_EQ(TEEC_ERROR_BAD_PARAMETERS, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
}

TEST_F(ta, wrong_param_types)
{
	static const __u32 cmds[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct norm_shm shm = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	unsigned int n;

	ASSERT_EQ(0, norm_shm_alloc(self->fd, SZ_4K, &shm));
	for (n = 0; n < ARRAY_SIZE(cmds); n++) {
		/* No command takes a value nor four memrefs */
		inv_init(&inv, self->session, cmds[n]);
		inv.params[0].attr = VAL_IN;
		inv_memref(&inv, 1, MEM_IN, shm.id, 0, 16);
		inv_memref(&inv, 2, MEM_IN, shm.id, 0, 16);
		ASSERT_EQ(0, inv_do(self->fd, &inv, &res));
		EXPECT_EQ(TEEC_ERROR_BAD_PARAMETERS, res.ret)
			TH_LOG("cmd %u", cmds[n]);
		EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	}
	norm_shm_free(&shm);
}

TEST_F(ta, protected_side_not_protected)
{
	struct norm_shm shm = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;

	ASSERT_EQ(0, norm_shm_alloc(self->fd, SZ_4K, &shm));
	/* TRANSFORM on normal memory: the TA must refuse it */
	inv_init(&inv, self->session, SDP_CMD_TRANSFORM);
	inv_memref(&inv, 0, MEM_INOUT, shm.id, 0, 64);
	memset(shm.va, 0x5a, 64);
	ASSERT_EQ(0, inv_do(self->fd, &inv, &res));
	EXPECT_NE(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	EXPECT_EQ(0x5a, shm.va[0]);
	norm_shm_free(&shm);
}

/*
 * OP-TEE refuses protected memory sent from user space to its
 * invoke_tests pseudo TA: only TAs may pass it protected memory.
 */
TEST_F(sdp, invoke_tests_pta_refuses_protected_memory)
{
	static const __u8 uuid[] = INVOKE_TESTS_PTA_UUID;
	struct tee_invoke inv;
	struct tee_result res;
	struct prot_buf pb;
	__u32 s;

	ASSERT_EQ(0, open_session(self->tee_fd, uuid, &s, &res));
	if (res.ret == TEEC_ERROR_ITEM_NOT_FOUND)
		SKIP(return, NO_PTA);
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	inv_init(&inv, s, PTA_INVOKE_TESTS_CMD_READ_MODIFY_SEC);
	inv_memref(&inv, 0, MEM_INOUT, pb.shm_id, 0, SZ_4K);
	ASSERT_EQ(0, inv_do(self->tee_fd, &inv, &res));
	EXPECT_EQ(TEEC_ERROR_BAD_PARAMETERS, res.ret);
	prot_buf_free(&pb);
	EXPECT_EQ(0, close_session(self->tee_fd, s));
}

TEST_F(sdp, round_trip_5000)
{
	struct prot_buf pb;
	int n;

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, 5000, &pb));
	for (n = 0; n < 10; n++)
		round_trip(_metadata, self->tee_fd, self->session, &pb, 0,
			   5000 - 255, n);
	prot_buf_free(&pb);
}

TEST_F(sdp, round_trip_offsets)
{
	static const __u64 offs[] = { 1, 255, 4095, 4096, 4097 };
	struct prot_buf pb;
	unsigned int n;

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, 17000, &pb));
	for (n = 0; n < ARRAY_SIZE(offs); n++)
		round_trip(_metadata, self->tee_fd, self->session, &pb,
			   offs[n], 17000 - 4097, n);
	/* The last byte alone is in bounds */
	round_trip(_metadata, self->tee_fd, self->session, &pb, pb.size - 1,
		   1, 7);
	prot_buf_free(&pb);
}

TEST_F(sdp, round_trip_registered_normal_memory)
{
	struct tee_ioctl_shm_register_data reg = { 0 };
	struct norm_shm out = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	struct prot_buf pb;
	__u8 *mem;
	int sfd, n;

	mem = mmap(NULL, 3 * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	for (n = 0; n < 6000; n++)
		mem[100 + n] = n * 7;
	/* Unaligned user memory spanning three pages */
	reg.addr = (uintptr_t)mem + 100;
	reg.length = 6000;
	sfd = ioctl(self->tee_fd, TEE_IOC_SHM_REGISTER, &reg);
	ASSERT_LE(0, sfd);
	if (self->sim)
		EXPECT_EQ(1, sim_stat("stats", "shm_registered"));

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, 6000, &pb));
	ASSERT_EQ(0, inject(self->tee_fd, self->session, reg.id, 0, 6000,
			    pb.shm_id, 0, 6000, &inv, &res));
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	ASSERT_EQ(0, norm_shm_alloc(self->tee_fd, 6000, &out));
	ASSERT_EQ(0, dump(self->tee_fd, self->session, pb.shm_id, 0, 6000,
			  out.id, 0, 6000, &inv, &res));
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(0, memcmp(mem + 100, out.va, 6000));
	norm_shm_free(&out);
	prot_buf_free(&pb);
	close(sfd);
	munmap(mem, 3 * SZ_4K);
}

TEST_F(sdp, destination_not_protected)
{
	struct norm_shm in = { .fd = -1 }, out = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;

	ASSERT_EQ(0, norm_shm_alloc(self->tee_fd, SZ_4K, &in));
	ASSERT_EQ(0, norm_shm_alloc(self->tee_fd, SZ_4K, &out));
	memset(out.va, 0x11, SZ_4K);
	memset(in.va, 0x22, SZ_4K);
	ASSERT_EQ(0, inject(self->tee_fd, self->session, in.id, 0, SZ_4K,
			    out.id, 0, SZ_4K, &inv, &res));
	EXPECT_NE(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	EXPECT_EQ(0x11, out.va[0]);
	norm_shm_free(&in);
	norm_shm_free(&out);
}

TEST_F(sdp, normal_side_protected)
{
	struct prot_buf pa, pb;
	struct tee_invoke inv;
	struct tee_result res;

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pa));
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	/* Inject from protected memory: the source must be normal memory */
	ASSERT_EQ(0, inject(self->tee_fd, self->session, pa.shm_id, 0, SZ_4K,
			    pb.shm_id, 0, SZ_4K, &inv, &res));
	EXPECT_NE(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	/* Dump into protected memory: the destination must be normal */
	ASSERT_EQ(0, dump(self->tee_fd, self->session, pa.shm_id, 0, SZ_4K,
			  pb.shm_id, 0, SZ_4K, &inv, &res));
	EXPECT_NE(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	prot_buf_free(&pa);
	prot_buf_free(&pb);
}

TEST_F(sdp, short_buffer)
{
	struct norm_shm shm = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	struct prot_buf pb;

	ASSERT_EQ(0, norm_shm_alloc(self->tee_fd, SZ_4K, &shm));
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	ASSERT_EQ(0, inject(self->tee_fd, self->session, shm.id, 0, 1000,
			    pb.shm_id, 0, 999, &inv, &res));
	EXPECT_EQ(TEEC_ERROR_SHORT_BUFFER, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	/* OP-TEE's sdp_basic TA leaves the size as passed */
	EXPECT_EQ(999, inv.params[1].b);
	ASSERT_EQ(0, dump(self->tee_fd, self->session, pb.shm_id, 0, 1000,
			  shm.id, 0, 10, &inv, &res));
	EXPECT_EQ(TEEC_ERROR_SHORT_BUFFER, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	EXPECT_EQ(10, inv.params[1].b);
	prot_buf_free(&pb);
	norm_shm_free(&shm);
}

TEST_F(sdp, output_size_not_shrunk)
{
	struct norm_shm shm = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	struct prot_buf pb;

	ASSERT_EQ(0, norm_shm_alloc(self->tee_fd, SZ_4K, &shm));
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	ASSERT_EQ(0, inject(self->tee_fd, self->session, shm.id, 0, 100,
			    pb.shm_id, 0, SZ_4K, &inv, &res));
	EXPECT_EQ(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(SZ_4K, inv.params[1].b);
	ASSERT_EQ(0, dump(self->tee_fd, self->session, pb.shm_id, 0, 100,
			  shm.id, 0, SZ_4K, &inv, &res));
	EXPECT_EQ(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(SZ_4K, inv.params[1].b);
	prot_buf_free(&pb);
	norm_shm_free(&shm);
}

TEST_HARNESS_MAIN
