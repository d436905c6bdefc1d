/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixtures and helpers of the TEE protected DMA-heap selftests that use
 * the test harness. Include after ../kselftest_harness.h.
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */
#ifndef TEE_FIXTURES_H
#define TEE_FIXTURES_H

#include "tee_protmem.h"

/* Wait for deferred releases, then check that everything is back */
static inline void check_no_leak(struct __test_metadata *_metadata,
				 const char *pool, bool dynamic)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (!pool_stat(pool, "buffers") &&
		    !sim_stat("stats", "sessions") &&
		    !sim_stat("stats", "shm_pool") &&
		    !sim_stat("stats", "shm_registered"))
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, pool_stat(pool, "buffers"));
	EXPECT_EQ(0, pool_stat(pool, "bytes"));
	EXPECT_EQ(0, sim_stat("stats", "sessions"));
	EXPECT_EQ(0, sim_stat("stats", "shm_pool"));
	EXPECT_EQ(0, sim_stat("stats", "shm_registered"));
	if (dynamic)
		EXPECT_EQ(0, pool_stat(pool, "lent_chunks"));
}

/* xtest's sdp_basic loop: inject, transform, dump and compare */
static inline void round_trip(struct __test_metadata *_metadata, int fd, __u32 s,
			      struct prot_buf *pb, __u64 offs, __u64 len,
			      unsigned int seed)
{
	struct norm_shm in = { .fd = -1 }, out = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	__u64 n;

	ASSERT_EQ(0, norm_shm_alloc(fd, len, &in));
	ASSERT_EQ(0, norm_shm_alloc(fd, len, &out));
	srand(seed);
	for (n = 0; n < len; n++)
		in.va[n] = rand();
	memset(out.va, 0, len);

	ASSERT_EQ(0, inject(fd, s, in.id, 0, len, pb->shm_id, offs, len,
			    &inv, &res));
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	ASSERT_EQ(0, transform(fd, s, pb->shm_id, offs, len, &res));
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	ASSERT_EQ(0, dump(fd, s, pb->shm_id, offs, len, out.id, 0, len,
			  &inv, &res));
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
	EXPECT_EQ(len, inv.params[1].b);

	for (n = 0; n < len; n++)
		if ((__u8)(~in.va[n] + 1) != out.va[n])
			break;
	EXPECT_EQ(len, n) TH_LOG("mismatch at byte %llu",
				 (unsigned long long)n);
	norm_shm_free(&in);
	norm_shm_free(&out);
}

/* Dump @len bytes at @offs and check they all are @val */
static inline void expect_bytes(struct __test_metadata *_metadata, int fd,
				__u32 s, struct prot_buf *pb, __u64 offs,
				__u64 len, __u8 val)
{
	struct norm_shm out = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	__u64 n;

	ASSERT_EQ(0, norm_shm_alloc(fd, len, &out));
	memset(out.va, ~val, len);
	ASSERT_EQ(0, dump(fd, s, pb->shm_id, offs, len, out.id, 0, len,
			  &inv, &res));
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	for (n = 0; n < len; n++)
		if (out.va[n] != val)
			break;
	EXPECT_EQ(len, n) TH_LOG("byte %llu is %#x, not %#x",
				 (unsigned long long)n, out.va[n], val);
	norm_shm_free(&out);
}

static inline void expect_zeroed(struct __test_metadata *_metadata, int fd,
				 __u32 s, struct prot_buf *pb, __u64 offs,
				 __u64 len)
{
	expect_bytes(_metadata, fd, s, pb, offs, len, 0);
}

static inline void fill_protected(struct __test_metadata *_metadata, int fd,
				  __u32 s, struct prot_buf *pb, __u8 val)
{
	struct norm_shm in = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;

	ASSERT_EQ(0, norm_shm_alloc(fd, pb->size, &in));
	memset(in.va, val, pb->size);
	ASSERT_EQ(0, inject(fd, s, in.id, 0, pb->size, pb->shm_id, 0,
			    pb->size, &inv, &res));
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
	norm_shm_free(&in);
}

/*
 * Tests on protected heaps come in three kinds, a fixture each, with the
 * same data, variants (one per teesim pool kind), setup and teardown:
 *
 * - protmem: the kernel's contract, on any TEE with protected memory
 *   (allocation, register_fd, bounds, close orders, fork, races, no CPU
 *   access, errnos); some use the sdp_basic TA as a tool;
 * - sdp: what OP-TEE's sdp_basic TA and invoke_tests pseudo TA really do
 *   (Documentation/tee/teesim.rst), on any TEE that has them;
 * - teesim: teesim only (fault injection, statistics, pool internals,
 *   module unload), skipped elsewhere.
 */
enum pm_needs { PM_NEEDS_HEAP, PM_NEEDS_TA, PM_NEEDS_TEESIM };

#endif /* TEE_FIXTURES_H */
