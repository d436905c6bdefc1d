// SPDX-License-Identifier: GPL-2.0
/*
 * tee_stress - random sequences of protected heap allocations,
 * TEE_IOC_SHM_REGISTER_FD, invocations with valid and invalid memrefs,
 * closes in any order and forks, from several threads sharing one TEE
 * context (so that a close races the calls of the others), for a bounded
 * time; content checks run in each thread's own context. Seeded: the same
 * seed gives each thread the same sequence of choices (the interleaving is
 * the scheduler's).
 *
 * It checks what the kernel guarantees, whatever the interleaving:
 * - a memref on a registered buffer that no thread closed during the call
 *   is served (TEEC_SUCCESS), and the bytes written are read back intact;
 * - a memref out of the buffer's bounds, or on an id that was closed, is
 *   refused with EINVAL, never served;
 * - bad allocations and registrations fail with their errno;
 * - at the end, with teesim, its statistics are back to zero: nothing
 *   leaked.
 * Any other outcome counts as unexpected; the exit status is 1 if any.
 *
 * With -m SECONDS, where teesim is a module, the threads also try to
 * unload it now and then, which must fail while anything of it is alive,
 * and every SECONDS they all let go of everything (buffers, sessions,
 * contexts): teesim is then unloaded, which must succeed, loaded again,
 * and the run goes on with the new instance.
 *
 * Not a test: it is installed with the suite (TEST_GEN_PROGS_EXTENDED) and
 * run by the rig's `make stress`.
 * Usage: tee_stress [-s SEED] [-t SECONDS] [-j THREADS] [-m SECONDS] [-n]
 * -n skips the leak check, for runs beside other users of teesim; -t 0
 * only checks for leaks.
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <libkmod.h>

#include "../kselftest.h"
#include "tee_protmem.h"

#define MAX_HEAPS	4
#define MAX_THREADS	16
#define SLOTS		32
#define CHECK_LEN	4096

enum op {
	OP_ALLOC, OP_ALLOC_BAD, OP_REGISTER_BAD, OP_CLOSE, OP_INVOKE,
	OP_INVOKE_OOB, OP_INVOKE_STALE, OP_INVOKE_WRONG_SIDE, OP_CONTENT,
	OP_FORK, OP_RMMOD_BUSY, OP_RELOAD, OP_COUNT
};

static const char * const op_names[OP_COUNT] = {
	"alloc", "alloc_bad", "register_bad", "close", "invoke",
	"invoke_oob", "invoke_stale", "invoke_wrong_side", "content", "fork",
	"rmmod_busy", "reload",
};

static const __u64 sizes[] = { 4096, 8192, 65536, 1 << 20 };

/* A registered protected buffer, shared by the threads */
struct slot {
	int dmabuf_fd;
	int shm_fd;
	int id;
	__u64 size;
	unsigned int gen;	/* bumped at every close */
};

static struct slot slots[SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static int heap_fds[MAX_HEAPS], nheaps;
static int tee_fd = -1;
static bool have_ta;
static __u32 session;
static time_t deadline;
static unsigned long long counts[OP_COUNT], unexpected;
static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Module churn (-m): the main thread sets want_reload; each worker lets go
 * of its context and parks; once all are parked, the main thread closes
 * the rest, reloads teesim and wakes them. park_lock protects the three.
 */
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static bool want_reload;
static unsigned int parked, running;
static unsigned int churn_secs;

static void count(enum op op, bool ok, const char *what, int rc)
{
	pthread_mutex_lock(&counts_lock);
	counts[op]++;
	if (!ok) {
		unexpected++;
		printf("# unexpected: %s: %s (%d)\n", op_names[op], what, rc);
	}
	pthread_mutex_unlock(&counts_lock);
}

/* A free slot is claimed (id -2) so that nobody else fills it */
static int claim_slot(unsigned int *seed)
{
	int n, i;

	pthread_mutex_lock(&slots_lock);
	for (n = 0; n < SLOTS; n++) {
		i = (rand_r(seed) + n) % SLOTS;
		if (slots[i].shm_fd < 0 && slots[i].id != -2) {
			slots[i].id = -2;
			pthread_mutex_unlock(&slots_lock);
			return i;
		}
	}
	pthread_mutex_unlock(&slots_lock);
	return -1;
}

static void op_alloc(unsigned int *seed)
{
	struct prot_buf pb;
	int i, rc;

	i = claim_slot(seed);
	if (i < 0)
		return;
	rc = prot_buf_alloc(heap_fds[rand_r(seed) % nheaps], tee_fd,
			    sizes[rand_r(seed) % ARRAY_SIZE(sizes)], &pb);
	pthread_mutex_lock(&slots_lock);
	if (rc) {
		slots[i].id = -1;
	} else {
		slots[i].dmabuf_fd = pb.dmabuf_fd;
		slots[i].shm_fd = pb.shm_fd;
		slots[i].id = pb.shm_id;
		slots[i].size = pb.size;
	}
	pthread_mutex_unlock(&slots_lock);
	/* The pools may run out: that is the only acceptable failure */
	count(OP_ALLOC, !rc || rc == -ENOMEM, "alloc+register", rc);
}

static void op_alloc_bad(unsigned int *seed)
{
	int rc, heap = heap_fds[rand_r(seed) % nheaps];

	rc = heap_alloc(heap, rand_r(seed) % 2 ? 0 : 1ULL << 62);
	if (rc >= 0)
		close(rc);
	count(OP_ALLOC_BAD, rc == -EINVAL || rc == -ENOMEM, "bad size", rc);
}

static void op_register_bad(unsigned int *seed)
{
	struct tee_ioctl_shm_register_fd_data data;
	int64_t fds[] = { -1, tee_fd, heap_fds[0], 1LL << 40 };
	int rc;

	rc = register_fd(tee_fd, fds[rand_r(seed) % ARRAY_SIZE(fds)], &data);
	if (rc >= 0)
		close(rc);
	count(OP_REGISTER_BAD, rc == -EINVAL || rc == -EBADF, "bad fd", rc);
}

static void op_close(unsigned int *seed)
{
	int i = rand_r(seed) % SLOTS, dfd = -1, sfd = -1;

	pthread_mutex_lock(&slots_lock);
	if (slots[i].shm_fd >= 0) {
		dfd = slots[i].dmabuf_fd;
		sfd = slots[i].shm_fd;
		slots[i].shm_fd = -1;
		slots[i].dmabuf_fd = -1;
		slots[i].id = -1;
		slots[i].gen++;
	}
	pthread_mutex_unlock(&slots_lock);
	if (sfd < 0)
		return;
	/* Either order: the registered object keeps the dma-buf */
	if (rand_r(seed) % 2) {
		close(dfd);
		close(sfd);
	} else {
		close(sfd);
		close(dfd);
	}
	count(OP_CLOSE, true, "", 0);
}

/* A snapshot of a live slot, or false */
static bool pick(unsigned int *seed, struct slot *s, int *idx)
{
	int n, i;

	pthread_mutex_lock(&slots_lock);
	for (n = 0; n < SLOTS; n++) {
		i = (rand_r(seed) + n) % SLOTS;
		if (slots[i].shm_fd >= 0) {
			*s = slots[i];
			*idx = i;
			pthread_mutex_unlock(&slots_lock);
			return true;
		}
	}
	pthread_mutex_unlock(&slots_lock);
	return false;
}

static bool unchanged(int idx, unsigned int gen)
{
	bool same;

	pthread_mutex_lock(&slots_lock);
	same = slots[idx].gen == gen;
	pthread_mutex_unlock(&slots_lock);
	return same;
}

static void op_invoke(unsigned int *seed, enum op kind)
{
	struct tee_invoke inv;
	struct tee_result res;
	__u64 offs, len;
	struct slot s;
	int idx, rc, id;
	__u64 attr = MEM_INOUT;

	if (!pick(seed, &s, &idx))
		return;
	len = page_size() * (1 + rand_r(seed) % 2);
	if (len > s.size)
		len = s.size;
	offs = (rand_r(seed) % (s.size / page_size())) * page_size();
	if (offs + len > s.size)
		offs = s.size - len;
	id = s.id;
	if (kind == OP_INVOKE_OOB)
		offs = s.size - len + page_size();
	if (kind == OP_INVOKE_STALE)
		id = 0x7fff0000 + rand_r(seed) % 256;	/* -1 is a NULL memref */
	if (kind == OP_INVOKE_WRONG_SIDE)
		attr = MEM_IN;

	inv_init(&inv, session, SDP_CMD_TRANSFORM);
	inv_memref(&inv, 0, attr, id, offs, len);
	rc = inv_do(tee_fd, &inv, &res);

	switch (kind) {
	case OP_INVOKE:
		/* Served unless the buffer was closed during the call */
		if (!unchanged(idx, s.gen))
			count(kind, !rc || rc == -EINVAL, "racing a close", rc);
		else
			count(kind, !rc && res.ret == TEEC_SUCCESS, "valid memref",
			      rc ? rc : (int)res.ret);
		break;
	case OP_INVOKE_OOB:
		/* A close may have given the id to a bigger buffer */
		count(kind, rc == -EINVAL || !unchanged(idx, s.gen),
		      "memref out of bounds", rc);
		break;
	case OP_INVOKE_STALE:
		count(kind, rc == -EINVAL, "memref on an unknown id", rc);
		break;
	default:
		/* The TA checks the direction of its parameter */
		count(kind, (!rc && res.ret != TEEC_SUCCESS) || rc == -EINVAL,
		      "input memref to transform", rc ? rc : (int)res.ret);
		break;
	}
}

/*
 * Inject a pattern into a fresh buffer, dump it back: the bytes are the
 * TA's, intact. In the thread's own context: the other threads' memrefs,
 * whose ids may be reused after a close, cannot reach it.
 */
static void op_content(unsigned int *seed, int ctx_fd, __u32 ctx_session)
{
	struct norm_shm in = { .fd = -1 }, out = { .fd = -1 };
	struct prot_buf pb = { .dmabuf_fd = -1, .shm_fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	int i, rc;

	rc = prot_buf_alloc(heap_fds[rand_r(seed) % nheaps], ctx_fd,
			    sizes[rand_r(seed) % ARRAY_SIZE(sizes)], &pb);
	if (!rc)
		rc = norm_shm_alloc(ctx_fd, CHECK_LEN, &in);
	if (!rc)
		rc = norm_shm_alloc(ctx_fd, CHECK_LEN, &out);
	if (rc) {
		count(OP_CONTENT, rc == -ENOMEM, "alloc", rc);
		goto out;
	}
	for (i = 0; i < CHECK_LEN; i++)
		in.va[i] = rand_r(seed);
	memset(out.va, 0, CHECK_LEN);
	rc = inject(ctx_fd, ctx_session, in.id, 0, CHECK_LEN, pb.shm_id, 0,
		    CHECK_LEN, &inv, &res);
	if (!rc && res.ret == TEEC_SUCCESS)
		rc = dump(ctx_fd, ctx_session, pb.shm_id, 0, CHECK_LEN, out.id,
			  0, CHECK_LEN, &inv, &res);
	count(OP_CONTENT, !rc && res.ret == TEEC_SUCCESS &&
	      !memcmp(in.va, out.va, CHECK_LEN), "inject+dump",
	      rc ? rc : (int)res.ret);
out:
	norm_shm_free(&in);
	norm_shm_free(&out);
	if (pb.dmabuf_fd >= 0)
		prot_buf_free(&pb);
}

/* A child inherits every fd, invokes once and exits without closing */
static void op_fork(unsigned int *seed)
{
	struct tee_invoke inv;
	struct tee_result res;
	struct slot s;
	int idx, status;
	pid_t pid;

	if (!pick(seed, &s, &idx))
		return;
	pid = fork();
	if (pid < 0) {
		count(OP_FORK, false, "fork", -errno);
		return;
	}
	if (!pid) {
		int rc;

		inv_init(&inv, session, SDP_CMD_TRANSFORM);
		inv_memref(&inv, 0, MEM_INOUT, s.id, 0, page_size());
		rc = inv_do(tee_fd, &inv, &res);
		if (rc == -EINVAL || (!rc && res.ret == TEEC_SUCCESS))
			_exit(0);
		dprintf(1, "# fork: child's invoke: %d, ret %#x origin %u\n",
			rc, res.ret, res.origin);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	count(OP_FORK, WIFEXITED(status) && !WEXITSTATUS(status), "child", status);
}

/* Nothing of teesim's may go while the shared context is open */
static void op_rmmod_busy(void)
{
	int rc = sim_module(SIM_UNLOAD);

	count(OP_RMMOD_BUSY, rc == -EAGAIN || rc == -EBUSY,
	      "rmmod teesim while in use", rc);
	if (!rc)
		sim_module(SIM_LOAD);
}

static void park(void)
{
	pthread_mutex_lock(&park_lock);
	parked++;
	pthread_cond_broadcast(&park_cond);
	while (want_reload)
		pthread_cond_wait(&park_cond, &park_lock);
	parked--;
	pthread_mutex_unlock(&park_lock);
}

static bool open_ctx(int *fd, __u32 *s)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	struct tee_result res;

	*fd = tee_open(false);
	if (*fd < 0)
		return false;
	if (!open_session(*fd, uuid, s, &res) && res.ret == TEEC_SUCCESS)
		return true;
	close(*fd);
	*fd = -1;
	return false;
}

static void *worker(void *arg)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	unsigned int seed = (uintptr_t)arg;
	struct tee_result res;
	__u32 ctx_session;
	int ctx_fd;

	/* The thread's own context, for the content checks */
	ctx_fd = tee_open(false);
	if (ctx_fd < 0 || open_session(ctx_fd, uuid, &ctx_session, &res) ||
	    res.ret != TEEC_SUCCESS) {
		count(OP_CONTENT, false, "own context", ctx_fd);
		if (ctx_fd >= 0)
			close(ctx_fd);
		return NULL;
	}

	while (time(NULL) < deadline) {
		unsigned int r = rand_r(&seed) % 100;

		if (__atomic_load_n(&want_reload, __ATOMIC_ACQUIRE)) {
			close_session(ctx_fd, ctx_session);
			close(ctx_fd);
			park();
			if (!open_ctx(&ctx_fd, &ctx_session)) {
				count(OP_RELOAD, false, "own context, teesim loaded again",
				      ctx_fd);
				break;
			}
			continue;
		}
		if (churn_secs && !(rand_r(&seed) % 50))
			op_rmmod_busy();
		else if (r < 25)
			op_alloc(&seed);
		else if (r < 45)
			op_close(&seed);
		else if (r < 70)
			op_invoke(&seed, OP_INVOKE);
		else if (r < 75)
			op_invoke(&seed, OP_INVOKE_OOB);
		else if (r < 80)
			op_invoke(&seed, OP_INVOKE_STALE);
		else if (r < 84)
			op_invoke(&seed, OP_INVOKE_WRONG_SIDE);
		else if (r < 92)
			op_content(&seed, ctx_fd, ctx_session);
		else if (r < 95)
			op_alloc_bad(&seed);
		else if (r < 98)
			op_register_bad(&seed);
		else
			op_fork(&seed);
	}
	if (ctx_fd >= 0) {
		close_session(ctx_fd, ctx_session);
		close(ctx_fd);
	}
	pthread_mutex_lock(&park_lock);
	running--;
	pthread_cond_broadcast(&park_cond);
	pthread_mutex_unlock(&park_lock);
	return NULL;
}

static void close_slots(void)
{
	int i;

	for (i = 0; i < SLOTS; i++) {
		if (slots[i].shm_fd >= 0) {
			close(slots[i].shm_fd);
			close(slots[i].dmabuf_fd);
		}
		slots[i] = (struct slot){ .dmabuf_fd = -1, .shm_fd = -1,
					  .id = -1, .gen = slots[i].gen + 1 };
	}
}

/*
 * Everybody parked: let go of the rest, unload teesim (nothing of it is
 * alive, so it must go), load it again and open a new shared context.
 */
static void reload(void)
{
	int tries, rc;

	close_slots();
	close_session(tee_fd, session);
	close(tee_fd);
	tee_fd = -1;
	for (tries = 0; tries < 100; tries++) {
		rc = sim_module(SIM_UNLOAD);
		if (rc != -EAGAIN && rc != -EBUSY)
			break;
		usleep(10000);
	}
	count(OP_RELOAD, !rc, "rmmod teesim once everything is closed", rc);
	if (!rc) {
		rc = sim_module(SIM_LOAD);
		count(OP_RELOAD, !rc, "modprobe teesim", rc);
	}
	if (!open_ctx(&tee_fd, &session))
		count(OP_RELOAD, false, "shared context, teesim loaded again", tee_fd);
}

/* Every churn_secs, until the deadline: park the workers and reload */
static void churn(void)
{
	time_t next = time(NULL) + churn_secs;

	while (time(NULL) < deadline) {
		sleep(1);
		if (time(NULL) < next || time(NULL) >= deadline)
			continue;
		pthread_mutex_lock(&park_lock);
		__atomic_store_n(&want_reload, true, __ATOMIC_RELEASE);
		while (parked < running)
			pthread_cond_wait(&park_cond, &park_lock);
		pthread_mutex_unlock(&park_lock);
		if (running)
			reload();
		pthread_mutex_lock(&park_lock);
		__atomic_store_n(&want_reload, false, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&park_cond);
		pthread_mutex_unlock(&park_lock);
		next = time(NULL) + churn_secs;
	}
}

static void find_heaps(void)
{
	struct heap_name names[MAX_HEAPS];
	char path[PATH_MAX];
	int i, n = protected_heap_names(names, MAX_HEAPS);

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), DMA_HEAP_DIR "/%s", names[i].name);
		heap_fds[nheaps] = open(path, O_RDONLY | O_CLOEXEC);
		if (heap_fds[nheaps] >= 0)
			nheaps++;
	}
}

/* With teesim: everything is back once the last fd is gone */
static void check_leaks(void)
{
	static const char * const keys[] = { "buffers", "bytes" };
	static const char * const pools[] = { "static", "dynamic" };
	long long v;
	int tries, p, k;
	bool clean;

	if (!sim_present() || getenv("TEE") || getenv("HEAP"))
		return;
	for (tries = 0; tries < 100; tries++) {
		clean = !sim_stat("stats", "shm_registered") &&
			!sim_stat("stats", "sessions");
		for (p = 0; p < 2; p++)
			for (k = 0; k < 2; k++)
				clean &= pool_stat(pools[p], keys[k]) <= 0;
		if (clean)
			break;
		usleep(10000);
	}
	for (p = 0; p < 2; p++) {
		for (k = 0; k < 2; k++) {
			v = pool_stat(pools[p], keys[k]);
			if (v > 0) {
				unexpected++;
				printf("# leak: teesim %s pool %s %lld\n",
				       pools[p], keys[k], v);
			}
		}
	}
	v = sim_stat("stats", "shm_registered");
	if (v > 0) {
		unexpected++;
		printf("# leak: teesim shm_registered %lld\n", v);
	}
}

int main(int argc, char **argv)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	unsigned int seed = time(NULL), threads = 4, secs = 10, i;
	pthread_t tids[MAX_THREADS];
	unsigned long long total = 0;
	bool leak_check = true;
	struct tee_result res;
	int opt;

	while ((opt = getopt(argc, argv, "s:t:j:m:n")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 't':
			secs = strtoul(optarg, NULL, 0);
			break;
		case 'j':
			threads = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			churn_secs = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			leak_check = false;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-s SEED] [-t SECS] [-j THREADS] [-m SECS] [-n]\n",
				argv[0]);
			return 2;
		}
	}
	if (!threads || threads > MAX_THREADS)
		threads = MAX_THREADS;

	ensure_backend();
	find_heaps();
	tee_fd = tee_open(false);
	if (tee_fd >= 0)
		have_ta = !open_session(tee_fd, uuid, &session, &res) &&
			  res.ret == TEEC_SUCCESS;
	if (!nheaps || !have_ta) {
		printf("# tee_stress: needs a protected heap and the sdp_basic TA\n");
		return KSFT_SKIP;
	}
	for (i = 0; i < SLOTS; i++)
		slots[i] = (struct slot){ .dmabuf_fd = -1, .shm_fd = -1, .id = -1 };

	if (churn_secs && sim_module(SIM_STATE) != KMOD_MODULE_LIVE) {
		printf("# tee_stress: -m needs teesim as a module: no churn\n");
		churn_secs = 0;
	}
	printf("# tee_stress: seed %u, %u threads, %u s, %d protected heaps, reload every %u s\n",
	       seed, threads, secs, nheaps, churn_secs);
	deadline = time(NULL) + secs;
	running = threads;
	for (i = 0; i < threads; i++)
		pthread_create(&tids[i], NULL, worker,
			       (void *)(uintptr_t)(seed + i * 7919));
	if (churn_secs)
		churn();
	for (i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);

	close_slots();
	if (tee_fd >= 0) {
		close_session(tee_fd, session);
		close(tee_fd);
	}
	if (leak_check)
		check_leaks();

	for (i = 0; i < OP_COUNT; i++) {
		printf("# %-18s %llu\n", op_names[i], counts[i]);
		total += counts[i];
	}
	printf("# tee_stress: seed %u: %llu operations, %llu unexpected\n",
	       seed, total, unexpected);
	return unexpected ? 1 : 0;
}
