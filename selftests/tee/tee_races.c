// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers closed, freed and reallocated while calls use them, and fork:
 * no call ever sees another owner's buffer, nothing leaks, no splat.
 * Kernel contract, using the sdp_basic TA to keep calls busy.
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

TEST_F(protmem, close_orders)
{
	struct prot_buf pb;
	int tfd;

	/* shm first, then dma-buf */
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	close(pb.shm_fd);
	close(pb.dmabuf_fd);

	/* dma-buf first, then shm */
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	close(pb.dmabuf_fd);
	close(pb.shm_fd);

	/* tee context first: the shm fd still holds everything */
	tfd = tee_open(false);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, tfd, SZ_4K, &pb));
	close(tfd);
	close(pb.dmabuf_fd);
	if (self->sim)
		EXPECT_EQ(1, pool_stat(variant->pool, "buffers"));
	close(pb.shm_fd);

	/* heap fd first: buffers do not depend on it */
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	close(self->heap_fd);
	self->heap_fd = open(self->heap, O_RDWR | O_CLOEXEC);
	prot_buf_free(&pb);
}

TEST_F(protmem, fork)
{
	struct prot_buf pb;
	int status;
	pid_t pid;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, 8192, &pb));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Same context, same session, same shm id in the child */
		round_trip(_metadata, self->tee_fd, self->session, &pb, 0,
			   8192, 3);
		prot_buf_free(&pb);
		close(self->tee_fd);
		_exit(_metadata->exit_code == KSFT_FAIL ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* The child's closes did not free the parent's buffer */
	round_trip(_metadata, self->tee_fd, self->session, &pb, 0, 8192, 4);
	prot_buf_free(&pb);
}

struct race {
	int tee_fd;
	__u32 session;
	int shm_id;
	int stop;
	int ok;
	int refused;
};

static void *race_invoke(void *arg)
{
	struct race *r = arg;
	struct tee_result res;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (transform(r->tee_fd, r->session, r->shm_id, 0, 64, &res))
			__atomic_fetch_add(&r->refused, 1, __ATOMIC_RELAXED);
		else if (res.ret == TEEC_SUCCESS)
			__atomic_fetch_add(&r->ok, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F(protmem, race_close_vs_invoke)
{
	struct race r = { .tee_fd = self->tee_fd, .session = self->session };
	pthread_t th[2];
	struct prot_buf pb;
	int n, t;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	for (n = 0; n < 20; n++) {
		ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd,
					    SZ_4K, &pb));
		r.shm_id = pb.shm_id;
		r.stop = 0;
		for (t = 0; t < 2; t++)
			ASSERT_EQ(0, pthread_create(&th[t], NULL, race_invoke,
						    &r));
		usleep(1000);
		/* Pull the buffer from under the invocations */
		prot_buf_free(&pb);
		usleep(1000);
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
		for (t = 0; t < 2; t++)
			pthread_join(th[t], NULL);
	}
	/* Once closed, the id is gone */
	EXPECT_LT(0, r.refused);
}

TEST_F(protmem, race_close_session_vs_invoke)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	struct race r = { .tee_fd = self->tee_fd };
	struct tee_result res;
	struct prot_buf pb;
	pthread_t th;
	int n;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	r.shm_id = pb.shm_id;
	for (n = 0; n < 20; n++) {
		ASSERT_EQ(0, open_session(self->tee_fd, uuid, &r.session,
					  &res));
		ASSERT_EQ(TEEC_SUCCESS, res.ret);
		r.stop = 0;
		ASSERT_EQ(0, pthread_create(&th, NULL, race_invoke, &r));
		usleep(500);
		EXPECT_EQ(0, close_session(self->tee_fd, r.session));
		usleep(500);
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
		pthread_join(th, NULL);
	}
	EXPECT_LT(0, r.refused);
	prot_buf_free(&pb);
}

/* One TRANSFORM, in a thread of its own */
struct slow_call {
	int tee_fd;
	__u32 session;
	int shm_id;
	int started;
	int done;
	int rc;
	__u32 ret;
};

static void *slow_transform(void *arg)
{
	struct slow_call *c = arg;
	struct tee_result res = { };

	__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
	c->rc = transform(c->tee_fd, c->session, c->shm_id, 0, SZ_4K, &res);
	c->ret = res.ret;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

#define RACE_ROUNDS		100
#define RACE_DELAY_MS		50

/*
 * One round: a TRANSFORM of a buffer runs while the buffer is closed and
 * freed, and a new buffer of the same size is allocated and filled. The
 * call holds its buffer until it returns, so the new buffer, and @keep if
 * there is one, must keep their content. Returns whether the free and the
 * reallocation happened while the call was in flight.
 */
static bool race_round(struct __test_metadata *_metadata, int heap_fd,
		       int tee_fd, __u32 session, bool sim,
		       struct prot_buf *keep)
{
	struct slow_call c = { .tee_fd = tee_fd, .session = session };
	struct norm_shm blocker = { .fd = -1 };
	struct prot_buf victim, next;
	bool raced;
	pthread_t th;
	int rc;

	rc = prot_buf_alloc(heap_fd, tee_fd, SZ_4K, &victim);
	EXPECT_EQ(0, rc);
	if (rc)
		return false;
	fill_protected(_metadata, tee_fd, session, &victim, 0x22);
	c.shm_id = victim.shm_id;
	rc = pthread_create(&th, NULL, slow_transform, &c);
	EXPECT_EQ(0, rc);
	if (rc) {
		prot_buf_free(&victim);
		return false;
	}
	while (!__atomic_load_n(&c.started, __ATOMIC_ACQUIRE))
		sched_yield();
	/* Let the call reach the TEE */
	usleep(sim ? RACE_DELAY_MS * 1000 / 10 : 500);

	prot_buf_free(&victim);
	/*
	 * The victim's id is the lowest free one, and ids are reused: a
	 * normal buffer takes it, so that a call that comes too late finds
	 * that buffer, which the TA refuses, and never the new one.
	 */
	EXPECT_EQ(0, norm_shm_alloc(tee_fd, SZ_4K, &blocker));
	EXPECT_EQ(0, prot_buf_alloc(heap_fd, tee_fd, SZ_4K, &next));
	if (next.shm_fd >= 0)
		fill_protected(_metadata, tee_fd, session, &next, 0x33);
	raced = !__atomic_load_n(&c.done, __ATOMIC_ACQUIRE);
	pthread_join(th, NULL);
	norm_shm_free(&blocker);

	/*
	 * A call in flight when its buffer went succeeds; one too late for
	 * the id gets EINVAL, or an error from the TA for the normal buffer
	 * that took the id (teesim: TEEC_ERROR_SECURITY; what OP-TEE's TA
	 * returns there is not measured, so any error). Either way the
	 * buffers keep their content: that is what this test asserts.
	 */
	if (!c.rc && sim) {
		EXPECT_TRUE(c.ret == TEEC_SUCCESS ||
			    c.ret == TEEC_ERROR_SECURITY) {
			TH_LOG("TRANSFORM: %#x", c.ret);
		}
	} else if (c.rc) {
		EXPECT_EQ(-EINVAL, c.rc);
	}
	if (next.shm_fd >= 0)
		expect_bytes(_metadata, tee_fd, session, &next, 0, SZ_4K, 0x33);
	if (keep)
		expect_bytes(_metadata, tee_fd, session, keep, 0, SZ_4K, 0x11);
	prot_buf_free(&next);
	return raced;
}

/*
 * Free and reallocate buffers while calls still use them, with another
 * buffer keeping the pool's memory in use (a reused range) and without
 * (a dynamic pool's chunk would be reclaimed). On teesim, TRANSFORM is
 * slowed down so that every round races; elsewhere the race is left to
 * chance.
 */
TEST_F_TIMEOUT(protmem, race_close_vs_invoke_content, 300)
{
	struct prot_buf keep;
	int n, raced = 0, rounds = 0;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	if (self->sim)
		ASSERT_EQ(0, sim_fault("transform_delay_ms", RACE_DELAY_MS));

	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &keep));
	fill_protected(_metadata, self->tee_fd, self->session, &keep, 0x11);
	for (n = 0; n < RACE_ROUNDS && !_metadata->exit_code; n++, rounds++)
		raced += race_round(_metadata, self->heap_fd, self->tee_fd,
				    self->session, self->sim, &keep);
	prot_buf_free(&keep);

	for (n = 0; n < RACE_ROUNDS / 4 && !_metadata->exit_code;
	     n++, rounds++)
		raced += race_round(_metadata, self->heap_fd, self->tee_fd,
				    self->session, self->sim, NULL);

	TH_LOG("%d of %d calls raced the free and reallocation of their buffer",
	       raced, rounds);
	if (self->sim)
		EXPECT_LE(rounds / 2, raced);
}

TEST_HARNESS_MAIN
