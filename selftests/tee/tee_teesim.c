// SPDX-License-Identifier: GPL-2.0
/*
 * teesim only: its devices, taint and enforcement, statistics, fault
 * injection into lending, reclaiming, allocating and invoking. Skipped on
 * any other TEE. Loading and unloading it is tee_modules' concern.
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

#define PM_NAME		teesim
#define PM_NEEDS	PM_NEEDS_TEESIM
#include "tee_pm_fixture.h"

TEST(teesim_discovery)
{
	struct tee_ioctl_version_data vers = { 0 };
	char node[64], path[PATH_MAX], buf[64];
	int fd;

	ensure_backend();
	if (!sim_present())
		SKIP(return, "teesim not available (CONFIG_TEESIM)");

	ASSERT_EQ(0, find_tee_dev(TEESIM_IMPL_ID, false, node, sizeof(node)));
	fd = open(node, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TEE_IOC_VERSION, &vers));
	EXPECT_EQ(TEESIM_IMPL_ID, vers.impl_id);
	EXPECT_EQ(TEE_GEN_CAP_GP | TEE_GEN_CAP_REG_MEM |
		  TEE_GEN_CAP_MEMREF_NULL, vers.gen_caps);
	close(fd);

	snprintf(path, sizeof(path), "/sys/class/tee/%s/implementation_id",
		 node + 5);
	ASSERT_EQ(0, read_file(path, buf, sizeof(buf)));
	EXPECT_EQ(TEESIM_IMPL_ID, atoi(buf));
}

/* teesim protects nothing: it marks the kernel as running test code */
TEST(teesim_taints_kernel)
{
	char buf[32];

	ensure_backend();
	if (!sim_present())
		SKIP(return, "teesim not available (CONFIG_TEESIM)");

	ASSERT_EQ(0, read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)));
	/* TAINT_TEST, bit 18, 'N' in oops reports */
	EXPECT_TRUE(strtoull(buf, NULL, 10) & (1ULL << 18))
		TH_LOG("tainted is %s", buf);
}

/*
 * teesim.enforce=1 on the command line runs the whole suite with the
 * protected pages out of the linear map: make sure it really is on, a
 * guest meant to enforce must not pass without enforcing.
 */
TEST(teesim_enforcement_as_asked)
{
	char val[16];
	bool want;

	ensure_backend();
	want = cmdline_param("teesim.enforce", val, sizeof(val)) &&
	       strchr("1yY", val[0]);
	if (!want && !sim_present())
		SKIP(return, "teesim not available (CONFIG_TEESIM)");

	ASSERT_TRUE(sim_present())
		TH_LOG("teesim.enforce=%s is set but teesim did not start", val);
	EXPECT_EQ(want, sim_stat("stats", "enforce"));
}

TEST(teesim_supplicant_device)
{
	struct tee_ioctl_version_data vers = { 0 };
	char node[64];
	struct stat st;
	int fd;

	ensure_backend();
	if (!sim_present())
		SKIP(return, "teesim not available (CONFIG_TEESIM)");

	ASSERT_EQ(0, find_tee_dev(TEESIM_IMPL_ID, true, node, sizeof(node)));
	ASSERT_EQ(0, stat(node, &st));
	/* Nobody but root may act as the supplicant by default */
	EXPECT_EQ(0, st.st_mode & 0077) TH_LOG("%s mode %o", node, st.st_mode);
	fd = open(node, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TEE_IOC_VERSION, &vers));
	EXPECT_EQ(TEE_GEN_CAP_PRIVILEGED, vers.gen_caps);
	close(fd);
}

/*
 * A TEE_IOC_SUPPL_RECV whose parameters the core refuses half way leaves
 * no reference behind on the shared memory it had resolved: the driver,
 * which drops them, is never called. teesim's statistics see a leak.
 */
TEST(supp_recv_bad_params_leave_nothing)
{
	struct tee_iocl_supp_recv_arg *arg;
	struct norm_shm shm = { .fd = -1 };
	struct tee_ioctl_buf_data data;
	size_t len;
	int fd, n;

	ensure_backend();
	if (tee_under_test() != TEESIM_IMPL_ID)
		SKIP(return, "teesim only (" NO_SIM ", TEE= unset)");
	fd = tee_open(true);
	ASSERT_LE(0, fd) TH_LOG("supplicant device: %s", strerror(-fd));
	ASSERT_EQ(0, norm_shm_alloc(fd, SZ_4K, &shm));

	len = sizeof(*arg) + 2 * sizeof(struct tee_ioctl_param);
	arg = calloc(1, len);
	ASSERT_NE(NULL, arg);
	arg->num_params = 2;
	/* A good reference to the shm, then a parameter of no known type */
	arg->params[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
	arg->params[0].b = SZ_4K;
	arg->params[0].c = shm.id;
	arg->params[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MASK;
	data.buf_ptr = (uintptr_t)arg;
	data.buf_len = len;
	EXPECT_EQ(-1, ioctl(fd, TEE_IOC_SUPPL_RECV, &data));
	EXPECT_EQ(EINVAL, errno);
	free(arg);
	norm_shm_free(&shm);
	close(fd);

	for (n = 0; n < 100 && sim_stat("stats", "shm_pool"); n++)
		usleep(10000);
	EXPECT_EQ(0, sim_stat("stats", "shm_pool"));
	/* And the device is free again: its context was released */
	fd = tee_open(true);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

TEST_F(ta, fault_invoke)
{
	struct tee_invoke inv;
	struct tee_result res;

	if (!sim_present())
		SKIP(return, "fault injection needs teesim");
	ASSERT_EQ(0, sim_fault("fail_invoke", 1));
	inv_init(&inv, self->session, 42);
	ASSERT_EQ(0, inv_do(self->fd, &inv, &res));
	EXPECT_EQ(TEEC_ERROR_COMMUNICATION, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_COMMS, res.origin);
	/* One shot: the next invoke reaches the TA again */
	inv_init(&inv, self->session, 42);
	ASSERT_EQ(0, inv_do(self->fd, &inv, &res));
	EXPECT_EQ(TEEC_ORIGIN_TRUSTED_APP, res.origin);
}

TEST_F(ta, sessions_counted)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	struct tee_result res;
	__u32 s[4];
	int n;

	if (!sim_present())
		SKIP(return, "statistics need teesim");
	for (n = 0; n < 4; n++) {
		ASSERT_EQ(0, open_session(self->fd, uuid, &s[n], &res));
		ASSERT_EQ(TEEC_SUCCESS, res.ret);
	}
	EXPECT_EQ(5, sim_stat("stats", "sessions"));
	EXPECT_LE(5, sim_stat("stats", "sessions_hwm"));
	for (n = 0; n < 4; n++)
		EXPECT_EQ(0, close_session(self->fd, s[n]));
	EXPECT_EQ(1, sim_stat("stats", "sessions"));
}

/*
 * Neither OP-TEE nor the kernel clears a buffer freed into a pool that
 * keeps its memory. A pool that gives its memory back to the kernel gets
 * new memory, zeroed, and the kernel clears what it got back: the next
 * buffer never shows the previous owner's data. Only teesim tells which
 * pools give their memory back.
 */
TEST_F(teesim, cleared_after_reclaim)
{
	struct prot_buf pb;
	int n;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	if (!variant->dynamic)
		SKIP(return, "a static pool keeps its memory");
	for (n = 0; n < 3; n++) {
		ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd,
					    SZ_64K, &pb));
		expect_zeroed(_metadata, self->tee_fd, self->session, &pb, 0,
			      pb.size);
		fill_protected(_metadata, self->tee_fd, self->session, &pb,
			       0x3c);
		prot_buf_free(&pb);
		if (variant->dynamic)
			EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	}
}

TEST_F(teesim, lend_and_reclaim)
{
	long long lends, reclaims;
	struct prot_buf a, b;

	if (!variant->dynamic)
		SKIP(return, "static pools lend nothing");
	lends = pool_stat(variant->pool, "lends");
	reclaims = pool_stat(variant->pool, "reclaims");
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &a));
	EXPECT_EQ(1, pool_stat(variant->pool, "lent_chunks"));
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &b));
	/* One chunk serves both buffers */
	EXPECT_EQ(lends + 1, pool_stat(variant->pool, "lends"));
	prot_buf_free(&a);
	EXPECT_EQ(1, pool_stat(variant->pool, "lent_chunks"));
	prot_buf_free(&b);
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(reclaims + 1, pool_stat(variant->pool, "reclaims"));
}

TEST_F(teesim, fault_pool_alloc)
{
	int fd;

	long long failures;

	failures = pool_stat(variant->pool, "alloc_failures");
	ASSERT_EQ(0, sim_fault("fail_alloc", 1));
	EXPECT_EQ(-ENOMEM, heap_alloc(self->heap_fd, SZ_4K));
	EXPECT_EQ(failures + 1, pool_stat(variant->pool, "alloc_failures"));
	EXPECT_EQ(0, pool_stat(variant->pool, "buffers"));
	if (variant->dynamic)
		EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	/* The countdown: the second allocation from now fails */
	ASSERT_EQ(0, sim_fault("fail_alloc", 2));
	fd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOMEM, heap_alloc(self->heap_fd, SZ_4K));
	close(fd);
	fd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_F(teesim, fault_lend)
{
	long long failures;
	int fd;

	if (!variant->dynamic)
		SKIP(return, "static pools lend nothing");
	failures = pool_stat(variant->pool, "lend_failures");
	ASSERT_EQ(0, sim_fault("fail_lend", 1));
	EXPECT_EQ(-EIO, heap_alloc(self->heap_fd, SZ_4K));
	EXPECT_EQ(failures + 1, pool_stat(variant->pool, "lend_failures"));
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(0, sim_stat("stats", "protected_ranges") -
		     (sim_stat("static/stats", "size") > 0));
	fd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, pool_stat(variant->pool, "lent_chunks"));
	close(fd);
}

TEST_F(teesim, fault_reclaim)
{
	long long failures;
	struct prot_buf pb;
	int fd;

	if (!variant->dynamic)
		SKIP(return, "static pools reclaim nothing");
	failures = pool_stat(variant->pool, "reclaim_failures");
	ASSERT_EQ(0, sim_fault("fail_reclaim", 1));
	fd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, fd);
	close(fd);
	/* The secure world kept the chunk: it stays lent, nothing leaks */
	EXPECT_EQ(failures + 1, pool_stat(variant->pool, "reclaim_failures"));
	EXPECT_EQ(1, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(0, pool_stat(variant->pool, "buffers"));
	/* and is reused, and reclaimed once the pool empties again */
	if (self->have_ta) {
		ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd,
					    SZ_64K, &pb));
		expect_zeroed(_metadata, self->tee_fd, self->session, &pb, 0,
			      pb.size);
		prot_buf_free(&pb);
	} else {
		fd = heap_alloc(self->heap_fd, SZ_4K);
		ASSERT_LE(0, fd);
		close(fd);
	}
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
}

TEST_F(teesim, fault_invoke_with_buffer)
{
	struct tee_result res;
	struct prot_buf pb;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	ASSERT_EQ(0, sim_fault("fail_invoke", 1));
	ASSERT_EQ(0, transform(self->tee_fd, self->session, pb.shm_id, 0,
			       SZ_4K, &res));
	EXPECT_EQ(TEEC_ERROR_COMMUNICATION, res.ret);
	EXPECT_EQ(TEEC_ORIGIN_COMMS, res.origin);
	/* The shm references taken for the call were dropped */
	prot_buf_free(&pb);
}

/* Free pages in slab caches and every shrinker: memory pressure on demand */
static int memory_pressure(void)
{
	return write_file("/proc/sys/vm/drop_caches", "2");
}

/*
 * A buffer that does not fit in the lent chunks gets a chunk of its own,
 * its size rounded up to the granularity; each chunk is a parent shm of
 * its own in the secure world.
 */
TEST_F(teesim, multi_chunk)
{
	long long chunk, lends;
	struct prot_buf pb[3];
	int n;

	if (!variant->dynamic)
		SKIP(return, "static pools lend nothing");
	chunk = pool_stat(variant->pool, "chunk_size");
	ASSERT_LT(0, chunk);
	ASSERT_LE(3 * chunk, self->pool_size);
	lends = pool_stat(variant->pool, "lends");

	/* Three whole chunks, then one of twice the granularity */
	for (n = 0; n < 2; n++)
		ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, chunk,
					    &pb[n]));
	EXPECT_EQ(2, pool_stat(variant->pool, "lent_chunks"));
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd,
				    chunk + SZ_4K, &pb[2]));
	EXPECT_EQ(3, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(4 * chunk, pool_stat(variant->pool, "lent_bytes"));
	EXPECT_EQ(lends + 3, pool_stat(variant->pool, "lends"));

	/* Each works with the TA: the first and the last page */
	if (self->have_ta) {
		for (n = 0; n < 3; n++) {
			round_trip(_metadata, self->tee_fd, self->session,
				   &pb[n], 0, SZ_4K, n);
			round_trip(_metadata, self->tee_fd, self->session,
				   &pb[n], pb[n].size - SZ_4K, SZ_4K, n + 3);
		}
	}

	/* Each chunk goes back with its last buffer */
	prot_buf_free(&pb[1]);
	EXPECT_EQ(2, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(3 * chunk, pool_stat(variant->pool, "lent_bytes"));
	prot_buf_free(&pb[0]);
	prot_buf_free(&pb[2]);
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_bytes"));
}

/* The pool lends up to its limit: ENOMEM past it, and nothing kept */
TEST_F(teesim, lend_limit)
{
	long long chunk, failures;
	int fds[64], n = 0, fd;

	if (!variant->dynamic)
		SKIP(return, "static pools lend nothing");
	chunk = pool_stat(variant->pool, "chunk_size");
	ASSERT_LT(0, chunk);
	ASSERT_GE(64, self->pool_size / chunk);
	failures = pool_stat(variant->pool, "alloc_failures");

	/* A buffer bigger than the limit is refused without lending */
	EXPECT_EQ(-ENOMEM, heap_alloc(self->heap_fd, self->pool_size + SZ_4K));
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	while (n < 64) {
		fd = heap_alloc(self->heap_fd, chunk);
		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	EXPECT_EQ(-ENOMEM, fd);
	EXPECT_EQ(self->pool_size / chunk, n);
	EXPECT_EQ(self->pool_size, pool_stat(variant->pool, "lent_bytes"));
	EXPECT_EQ(failures + 2, pool_stat(variant->pool, "alloc_failures"));
	while (n)
		close(fds[--n]);
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));

	/* And the pool serves again */
	fd = heap_alloc(self->heap_fd, SZ_4K);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

/*
 * After its last buffer a chunk stays lent for dyn_idle_ms: the next
 * allocation takes it without lending. Only the last idle chunk stays.
 */
TEST_F(teesim, warm_chunk)
{
	long long chunk, lends, reclaims;
	int fds[3], n, fd;

	if (!variant->dynamic)
		SKIP(return, "static pools lend nothing");
	chunk = pool_stat(variant->pool, "chunk_size");
	ASSERT_LE(3 * chunk, self->pool_size);
	ASSERT_EQ(0, sim_set_param("dyn_idle_ms", 600000));
	lends = pool_stat(variant->pool, "lends");

	fd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(1, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(1, pool_stat(variant->pool, "idle_chunks"));
	reclaims = pool_stat(variant->pool, "reclaims");
	for (n = 0; n < 10; n++) {
		fd = heap_alloc(self->heap_fd, SZ_64K);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, pool_stat(variant->pool, "idle_chunks"));
		close(fd);
	}
	EXPECT_EQ(lends + 1, pool_stat(variant->pool, "lends"));
	EXPECT_EQ(reclaims, pool_stat(variant->pool, "reclaims"));

	/* Three chunks in use, then idle: only one stays */
	for (n = 0; n < 3; n++) {
		fds[n] = heap_alloc(self->heap_fd, chunk);
		ASSERT_LE(0, fds[n]);
	}
	EXPECT_EQ(3, pool_stat(variant->pool, "lent_chunks"));
	for (n = 0; n < 3; n++)
		close(fds[n]);
	EXPECT_EQ(1, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(1, pool_stat(variant->pool, "idle_chunks"));

	/* The idle delay is bounded: a short one releases it */
	ASSERT_EQ(0, sim_set_param("dyn_idle_ms", 50));
	fd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, fd);
	close(fd);
	for (n = 0; n < 100 && pool_stat(variant->pool, "lent_chunks"); n++)
		usleep(20000);
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(0, pool_stat(variant->pool, "idle_chunks"));
}

/* Memory pressure takes the warm chunk back at once */
TEST_F(teesim, warm_chunk_shrinker)
{
	long long shrunk;
	int fd;

	if (!variant->dynamic)
		SKIP(return, "static pools lend nothing");
	ASSERT_EQ(0, sim_set_param("dyn_idle_ms", 600000));
	shrunk = pool_stat(variant->pool, "shrinker_reclaims");
	fd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, fd);

	/* A chunk with a buffer is not the shrinker's */
	ASSERT_EQ(0, memory_pressure());
	EXPECT_EQ(1, pool_stat(variant->pool, "lent_chunks"));
	close(fd);
	EXPECT_EQ(1, pool_stat(variant->pool, "idle_chunks"));

	ASSERT_EQ(0, memory_pressure());
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	EXPECT_EQ(0, pool_stat(variant->pool, "idle_chunks"));
	EXPECT_EQ(shrunk + 1, pool_stat(variant->pool, "shrinker_reclaims"));

	/* and the pool lends again */
	fd = heap_alloc(self->heap_fd, SZ_4K);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, memory_pressure());
	EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
}

TEST_HARNESS_MAIN
