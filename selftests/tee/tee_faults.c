// SPDX-License-Identifier: GPL-2.0
/*
 * tee_faults - a fault sweep over the protected heap and TEE paths
 *
 * Each test is a scenario: a fixed sequence of steps (allocate from a
 * protected heap, TEE_IOC_SHM_REGISTER_FD, open a session, invoke with a
 * memref on the registered buffer, import into vgem, and the closes in a
 * given order), run on every protected heap. For N = 1, 2, ... the
 * scenario runs with /proc/thread-self/fail-nth set to N: the Nth fault
 * injection point the task reaches fails. Those are every slab
 * allocation (failslab), every page allocation (fail_page_alloc) and,
 * with teesim, its calls into the simulated secure world, which it marks
 * with ALLOW_ERROR_INJECTION (fail_function): opening a session,
 * invoking, registering memory, a full secure pool, lending and
 * reclaiming a chunk. The sweep of a scenario ends at the first N that
 * the scenario no longer reaches.
 *
 * After each injected fault it checks what the kernel guarantees:
 * - the step that hit the fault either failed with ENOMEM, or with the
 *   errno injected into a secure world call (EIO), or a TEE error code
 *   for a session or an invocation, or succeeded (the fault was
 *   absorbed); every other step behaved as without the fault;
 * - nothing leaked: file descriptors, module references and, with
 *   teesim, its sessions, registered objects, buffers and bytes are back
 *   to what they were;
 * - the next operation works: the scenario runs again without a fault,
 *   and then everything the dynamic pool lent is back too;
 * - nothing in the kernel log: no WARN, BUG, KASAN, UBSAN or lockdep
 *   report.
 * Each test prints the faults it injected, by step and by kind.
 *
 * Needs CONFIG_FAULT_INJECTION_DEBUG_FS, CONFIG_FAILSLAB and
 * CONFIG_FAIL_PAGE_ALLOC; CONFIG_FAIL_FUNCTION adds teesim's secure world
 * calls. On a board (TEE= set) only slab and page allocations fail and
 * the leak checks are those of the kernel (fds, module references).
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "tee_protmem.h"

#define MAX_HEAPS	4
#define MAX_N		5000
#define FAULT_DIR	DEBUGFS_ROOT
#define TIMES_ARMED	1000000

/* The steps scenarios are made of */
enum step {
	S_OPEN_TEE, S_ALLOC, S_REGISTER, S_IMPORT, S_OPEN_SESSION, S_INVOKE,
	S_UNIMPORT, S_CLOSE_SESSION, S_CLOSE_TEE, S_CLOSE_DMABUF, S_CLOSE_SHM,
	S_COUNT
};

static const char * const step_names[S_COUNT] = {
	"open_tee", "alloc", "register_fd", "vgem_import", "open_session",
	"invoke", "vgem_close", "close_session", "close_tee", "close_dmabuf",
	"close_shm",
};

/* What the injected fault was */
enum kind { K_SLAB, K_PAGE, K_FUNCTION, K_OTHER, K_COUNT };

static const char * const kind_names[K_COUNT] = {
	"slab", "page", "function", "other",
};

static const char * const kind_dirs[K_COUNT] = {
	"failslab", "fail_page_alloc", "fail_function", NULL,
};

/* teesim's calls into its secure world, and the errno they fail with */
static const struct {
	const char *name;
	int err;
} sim_functions[] = {
	{ "teesim_open_session", EIO },
	{ "teesim_invoke_func", EIO },
	{ "teesim_shm_register", EIO },
	{ "static_pool_op_alloc", ENOMEM },
	{ "dyn_pool_op_alloc", ENOMEM },
	{ "dyn_pool_sw_lend", EIO },
	{ "dyn_pool_sw_reclaim", EIO },
};

/* A value to restore at teardown */
struct saved {
	char path[PATH_MAX];
	char val[64];
};

/* What a scenario holds while it runs */
struct run {
	int tee_fd;		/* the fixture's, or its own (S_OPEN_TEE) */
	bool own_tee;
	int dmabuf_fd;
	int shm_fd;
	int shm_id;
	__u32 session;
	bool have_session;
	__u32 handle;
	bool imported;
	int rc[S_COUNT];	/* 0, -errno, or 1: a TEE error code */
	bool ran[S_COUNT];
};

/* What the kernel must give back after every run */
struct snapshot {
	int fds;
	long long mod_refs[2];
	long long sim[7];
};

/* The fixture: what the sweep set up, and what it counted */
struct sweep_state {
	int fail_nth_fd;
	int kmsg_fd;
	int tee_fd;
	char tee_node[64];
	int vgem_fd;
	bool have_ta;
	bool functions;
	bool sim;
	int heap_fds[MAX_HEAPS];
	struct heap_name heaps[MAX_HEAPS];
	int nheaps;
	struct saved saved[32];
	int nsaved;
	long long dyn_max_size, dyn_idle_ms;
	unsigned long long faults, by_step[S_COUNT], by_kind[K_COUNT];
	unsigned long long unexpected;
};

FIXTURE(sweep) {
	struct sweep_state st;
};

static int save_and_write(struct sweep_state *self, const char *path,
			  const char *val)
{
	struct saved *s = &self->saved[self->nsaved];

	if (self->nsaved < (int)ARRAY_SIZE(self->saved) &&
	    !read_file(path, s->val, sizeof(s->val))) {
		snprintf(s->path, sizeof(s->path), "%s", path);
		self->nsaved++;
	}
	return write_file(path, val);
}

/* Every fault kind: nothing fails but the Nth point of our task */
static int setup_attr(struct sweep_state *self, const char *dir)
{
	static const char * const files[][2] = {
		{ "probability", "0" },
		{ "interval", "1" },
		{ "verbose", "0" },
		{ "space", "0" },
		{ "task-filter", "N" },
		{ "ignore-gfp-wait", "N" },
		{ "ignore-gfp-highmem", "Y" },
		{ "min-order", "0" },
	};
	char path[PATH_MAX], val[32];
	unsigned int i;

	snprintf(path, sizeof(path), FAULT_DIR "/%s/times", dir);
	if (access(path, W_OK))
		return -ENOENT;
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), FAULT_DIR "/%s/%s", dir,
			 files[i][0]);
		if (!access(path, W_OK) && save_and_write(self, path, files[i][1]))
			return -EIO;
	}
	snprintf(path, sizeof(path), FAULT_DIR "/%s/times", dir);
	snprintf(val, sizeof(val), "%d", TIMES_ARMED);
	return save_and_write(self, path, val);
}

static long long attr_times(enum kind k)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), FAULT_DIR "/%s/times", kind_dirs[k]);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

/* teesim's error injection points, each with its errno */
static bool setup_functions(struct sweep_state *self)
{
	char path[PATH_MAX], val[32];
	unsigned int i;

	if (write_file(FAULT_DIR "/fail_function/inject", "\n"))
		return false;
	for (i = 0; i < ARRAY_SIZE(sim_functions); i++) {
		if (write_file(FAULT_DIR "/fail_function/inject",
			       sim_functions[i].name)) {
			ksft_print_msg("fail_function: %s is not injectable\n",
				       sim_functions[i].name);
			return false;
		}
		snprintf(path, sizeof(path), FAULT_DIR "/fail_function/%s/retval",
			 sim_functions[i].name);
		snprintf(val, sizeof(val), "%#llx",
			 (unsigned long long)-(long long)sim_functions[i].err);
		if (write_file(path, val))
			return false;
	}
	return true;
}

static void find_heaps(struct sweep_state *self)
{
	char path[PATH_MAX];
	int i;

	if (!getenv("HEAP")) {
		self->nheaps = protected_heap_names(self->heaps, MAX_HEAPS);
	} else {
		while (self->nheaps < MAX_HEAPS &&
		       heap_from_env(self->nheaps, self->heaps[self->nheaps].name,
				     sizeof(self->heaps->name)))
			self->nheaps++;
	}
	for (i = 0; i < self->nheaps; i++) {
		snprintf(path, sizeof(path), DMA_HEAP_DIR "/%s",
			 self->heaps[i].name);
		self->heap_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
}

static void setup(struct __test_metadata *_metadata,
		  struct sweep_state *self)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	struct tee_result res;
	__u32 session;

	memset(self, 0, sizeof(*self));
	self->tee_fd = -1;
	self->vgem_fd = -1;
	self->kmsg_fd = -1;
	self->fail_nth_fd = -1;
	if (geteuid())
		SKIP(return, "needs root: fault injection is in debugfs");
	ensure_backend();
	self->fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (self->fail_nth_fd < 0)
		SKIP(return,
		     "no /proc/thread-self/fail-nth: needs CONFIG_FAULT_INJECTION");
	if (setup_attr(self, "failslab") ||
	    setup_attr(self, "fail_page_alloc"))
		SKIP(return,
		     "needs CONFIG_FAULT_INJECTION_DEBUG_FS, CONFIG_FAILSLAB and CONFIG_FAIL_PAGE_ALLOC");

	if (!find_tee_dev(tee_under_test(), false, self->tee_node,
			  sizeof(self->tee_node)))
		self->tee_fd = open(self->tee_node, O_RDWR);
	find_heaps(self);
	if (self->tee_fd < 0 || !self->nheaps)
		SKIP(return, "needs a TEE device and a protected heap");
	self->have_ta = !open_session(self->tee_fd, uuid, &session, &res) &&
			res.ret == TEEC_SUCCESS;
	if (self->have_ta)
		close_session(self->tee_fd, session);
	self->vgem_fd = vgem_open();

	self->sim = tee_under_test() == TEESIM_IMPL_ID;
	if (self->sim) {
		self->functions = !setup_attr(self, "fail_function") &&
				  setup_functions(self);
		self->dyn_max_size = sim_param("dyn_max_size");
		self->dyn_idle_ms = sim_param("dyn_idle_ms");
		sim_set_param("dyn_max_size", SIM_DYN_MAX_SIZE);
		sim_set_param("dyn_idle_ms", SIM_DYN_IDLE_MS);
	}

	self->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (self->kmsg_fd >= 0)
		lseek(self->kmsg_fd, 0, SEEK_END);
	/* A page fault of ours must not be what fails */
	mlockall(MCL_CURRENT | MCL_FUTURE);
}

static void teardown(struct sweep_state *self)
{
	int i;

	if (self->fail_nth_fd >= 0) {
		write(self->fail_nth_fd, "0", 1);
		close(self->fail_nth_fd);
	}
	if (self->functions)
		write_file(FAULT_DIR "/fail_function/inject", "\n");
	for (i = self->nsaved - 1; i >= 0; i--)
		write_file(self->saved[i].path, self->saved[i].val);
	if (self->sim) {
		sim_set_param("dyn_max_size", self->dyn_max_size);
		sim_set_param("dyn_idle_ms", self->dyn_idle_ms);
	}
	for (i = 0; i < self->nheaps; i++)
		if (self->heap_fds[i] >= 0)
			close(self->heap_fds[i]);
	if (self->vgem_fd >= 0)
		close(self->vgem_fd);
	if (self->tee_fd >= 0)
		close(self->tee_fd);
	if (self->kmsg_fd >= 0)
		close(self->kmsg_fd);
}

FIXTURE_SETUP(sweep)
{
	setup(_metadata, &self->st);
}

FIXTURE_TEARDOWN(sweep)
{
	teardown(&self->st);
}

static int count_fds(void)
{
	struct dirent *de;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		n++;
	closedir(dir);
	return n;
}

static long long module_refs(const char *name)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

static void snapshot(struct sweep_state *self, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->fds = count_fds();
	s->mod_refs[0] = module_refs("tee");
	s->mod_refs[1] = module_refs(TEESIM_NAME);
	if (!self->sim)
		return;
	s->sim[0] = sim_stat("stats", "sessions");
	s->sim[1] = sim_stat("stats", "shm_registered");
	s->sim[2] = sim_stat("stats", "shm_pool");
	s->sim[3] = pool_stat("static", "buffers");
	s->sim[4] = pool_stat("static", "bytes");
	s->sim[5] = pool_stat("dynamic", "buffers");
	s->sim[6] = pool_stat("dynamic", "bytes");
}

static const char * const snapshot_names[] = {
	"sessions", "shm_registered", "shm_pool", "static buffers",
	"static bytes", "dynamic buffers", "dynamic bytes",
};

/* Wait for deferred releases; false and a log line if something stayed */
static bool same_snapshot(struct __test_metadata *_metadata,
			  struct sweep_state *self,
			  const struct snapshot *before, const char *where)
{
	struct snapshot now;
	unsigned int i;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		snapshot(self, &now);
		if (!memcmp(&now, before, sizeof(now)))
			return true;
		usleep(10000);
	}
	if (now.fds != before->fds)
		TH_LOG("%s: %d fds, %d before", where, now.fds, before->fds);
	for (i = 0; i < 2; i++)
		if (now.mod_refs[i] != before->mod_refs[i])
			TH_LOG("%s: module %s refcnt %lld, %lld before", where,
			       i ? TEESIM_NAME : "tee", now.mod_refs[i],
			       before->mod_refs[i]);
	for (i = 0; i < ARRAY_SIZE(snapshot_names); i++)
		if (now.sim[i] != before->sim[i])
			TH_LOG("%s: teesim %s %lld, %lld before", where,
			       snapshot_names[i], now.sim[i], before->sim[i]);
	return false;
}

/* Report and count what the kernel logged that a test must never see */
static int kmsg_splats(struct __test_metadata *_metadata,
		       struct sweep_state *self, const char *where)
{
	static const char * const bad[] = {
		"WARNING:", "BUG:", "KASAN:", "UBSAN:", "Oops", "kernel BUG",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "suspicious RCU usage",
		"refcount_t:", "list_add corruption", "list_del corruption",
		"unreferenced object",
	};
	char rec[2048];
	unsigned int i;
	int n = 0;
	ssize_t len;

	if (self->kmsg_fd < 0)
		return 0;
	for (;;) {
		len = read(self->kmsg_fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0)
			break;
		rec[len] = 0;
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (strstr(rec, bad[i])) {
				TH_LOG("%s: kernel log: %s", where,
				       strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				n++;
				break;
			}
		}
	}
	return n;
}

static unsigned int fail_nth_left(struct sweep_state *self)
{
	char buf[32] = "";

	if (pread(self->fail_nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return 0;
	return strtoul(buf, NULL, 10);
}

/* Fail the @n th fault injection point of this task from now; 0: none */
static void arm(struct sweep_state *self, unsigned int n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (write(self->fail_nth_fd, buf, len) != len)
		ksft_exit_fail_msg("fail-nth: %s\n", strerror(errno));
}

/* Close *@fd and forget it; -EAGAIN if there is none */
static int close_fd(int *fd)
{
	int rc;

	if (*fd < 0)
		return -EAGAIN;
	rc = close(*fd) ? -errno : 0;
	*fd = -1;
	return rc;
}

/* One step; 0, -errno, or 1 for a TEE error code; -EAGAIN: not its turn */
static int do_step(struct sweep_state *self, struct run *r, enum step s,
		   int heap_fd)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	struct tee_ioctl_shm_register_fd_data data;
	struct tee_result res;
	int rc;

	switch (s) {
	case S_OPEN_TEE:
		/* Only the open: looking the device up is not under test */
		rc = open(self->tee_node, O_RDWR);
		if (rc < 0)
			return -errno;
		r->tee_fd = rc;
		r->own_tee = true;
		return 0;
	case S_ALLOC:
		rc = heap_alloc(heap_fd, 16 * page_size());
		if (rc < 0)
			return rc;
		r->dmabuf_fd = rc;
		return 0;
	case S_REGISTER:
		if (r->dmabuf_fd < 0 || r->tee_fd < 0)
			return -EAGAIN;
		rc = register_fd(r->tee_fd, r->dmabuf_fd, &data);
		if (rc < 0)
			return rc;
		r->shm_fd = rc;
		r->shm_id = data.id;
		return 0;
	case S_IMPORT:
		if (r->dmabuf_fd < 0)
			return -EAGAIN;
		rc = vgem_import(self->vgem_fd, r->dmabuf_fd, &r->handle);
		r->imported = !rc;
		return rc;
	case S_OPEN_SESSION:
		if (r->tee_fd < 0)
			return -EAGAIN;
		rc = open_session(r->tee_fd, uuid, &r->session, &res);
		if (rc)
			return rc;
		r->have_session = res.ret == TEEC_SUCCESS;
		return r->have_session ? 0 : 1;
	case S_INVOKE:
		if (!r->have_session || r->shm_fd < 0)
			return -EAGAIN;
		rc = transform(r->tee_fd, r->session, r->shm_id, 0,
			       page_size(), &res);
		if (rc)
			return rc;
		return res.ret == TEEC_SUCCESS ? 0 : 1;
	case S_UNIMPORT:
		if (!r->imported)
			return -EAGAIN;
		r->imported = false;
		return vgem_close(self->vgem_fd, r->handle);
	case S_CLOSE_SESSION:
		if (!r->have_session)
			return -EAGAIN;
		r->have_session = false;
		return close_session(r->tee_fd, r->session);
	case S_CLOSE_TEE:
		if (!r->own_tee)
			return -EAGAIN;
		/* Whatever it still holds goes with the context */
		r->have_session = false;
		r->own_tee = false;
		return close_fd(&r->tee_fd);
	case S_CLOSE_DMABUF:
		return close_fd(&r->dmabuf_fd);
	case S_CLOSE_SHM:
		return close_fd(&r->shm_fd);
	default:
		return -EINVAL;
	}
}

/* Run the steps; the step in which fail-nth reached 0, or -1 */
static int run_steps(struct sweep_state *self, struct run *r,
		     const enum step *steps, int nsteps, int heap_fd,
		     unsigned int n)
{
	int i, fired = -1;

	memset(r, 0, sizeof(*r));
	r->tee_fd = self->tee_fd;
	r->dmabuf_fd = -1;
	r->shm_fd = -1;
	if (n)
		arm(self, n);
	for (i = 0; i < nsteps; i++) {
		if (steps[i] == S_OPEN_TEE)
			r->tee_fd = -1;
		r->rc[i] = do_step(self, r, steps[i], heap_fd);
		r->ran[i] = r->rc[i] != -EAGAIN;
		if (n && fired < 0 && !fail_nth_left(self))
			fired = i;
	}
	if (n)
		arm(self, 0);
	/* Nothing may be left once the closes ran; make sure of it */
	if (r->imported)
		vgem_close(self->vgem_fd, r->handle);
	if (r->have_session && r->tee_fd >= 0)
		close_session(r->tee_fd, r->session);
	if (r->shm_fd >= 0)
		close(r->shm_fd);
	if (r->dmabuf_fd >= 0)
		close(r->dmabuf_fd);
	if (r->own_tee)
		close(r->tee_fd);
	return fired;
}

static bool allowed(int rc, enum step s)
{
	if (rc == 1)
		return s == S_OPEN_SESSION || s == S_INVOKE;
	return rc == -ENOMEM || rc == -EIO;
}

/* Which attribute's times went down: the kind of fault injected */
static enum kind fired_kind(const long long *times)
{
	int k;

	for (k = 0; k < K_OTHER; k++)
		if (times[k] >= 0 && attr_times(k) < times[k])
			return k;
	return K_OTHER;
}

struct tally {
	unsigned long long faults, failed, absorbed, bad, by_kind[K_COUNT];
};

static void log_rc(struct __test_metadata *_metadata, const char *where,
		   const char *what, enum step s, int rc)
{
	TH_LOG("%s: %s%s gave %s", where, what, step_names[s],
	       rc == 1 ? "a TEE error" : strerror(-rc));
}

/* Every fault the scenario reaches, one at a time */
static void sweep_heap(struct __test_metadata *_metadata,
		       struct sweep_state *self, const char *scenario,
		       const enum step *steps, int nsteps, int h,
		       struct tally *t)
{
	long long times[K_OTHER];
	struct snapshot base;
	char where[160];
	unsigned int n;
	enum kind kind;
	struct run r;
	int i, k, fired;
	bool ok;

	snapshot(self, &base);
	for (n = 1; n < MAX_N; n++) {
		for (k = 0; k < K_OTHER; k++)
			times[k] = (k != K_FUNCTION || self->functions) ?
				   attr_times(k) : -1;
		fired = run_steps(self, &r, steps, nsteps, self->heap_fds[h], n);
		if (fired < 0)
			break;
		kind = fired_kind(times);
		snprintf(where, sizeof(where), "%s on %s, %s fault %u (in %s)",
			 scenario, self->heaps[h].name, kind_names[kind], n,
			 step_names[steps[fired]]);
		t->faults++;
		t->by_kind[kind]++;
		self->by_step[steps[fired]]++;
		self->by_kind[kind]++;

		/* Only the step that hit the fault may fail, with its errno */
		ok = true;
		for (i = 0; i < nsteps; i++) {
			if (!r.ran[i] || !r.rc[i])
				continue;
			if (i == fired && allowed(r.rc[i], steps[i])) {
				t->failed++;
				continue;
			}
			log_rc(_metadata, where, "", steps[i], r.rc[i]);
			ok = false;
		}
		if (ok && !r.rc[fired])
			t->absorbed++;
		if (getenv("TEE_FAULTS_VERBOSE"))
			ksft_print_msg("%s: %s\n", where, !r.rc[fired] ?
				       "absorbed" : r.rc[fired] == 1 ?
				       "a TEE error" : strerror(-r.rc[fired]));
		ok &= same_snapshot(_metadata, self, &base, where);

		/* The next operation works, and gives everything back */
		run_steps(self, &r, steps, nsteps, self->heap_fds[h], 0);
		for (i = 0; i < nsteps; i++) {
			if (r.ran[i] && r.rc[i]) {
				log_rc(_metadata, where, "then, without a fault, ",
				       steps[i], r.rc[i]);
				ok = false;
			}
		}
		ok &= same_snapshot(_metadata, self, &base, where);
		if (self->sim && pool_stat("dynamic", "lent_chunks") > 0) {
			TH_LOG("%s: the dynamic pool keeps %lld chunks lent",
			       where, pool_stat("dynamic", "lent_chunks"));
			ok = false;
		}
		ok &= !kmsg_splats(_metadata, self, where);
		if (!ok)
			t->bad++;
	}
	EXPECT_LT(n, MAX_N);
}

static const char no_function_msg[] =
	"  no fail_function (CONFIG_FAIL_FUNCTION): teesim's calls were not failed\n";
static const char function_unreached_msg[] =
	"  fail-nth did not reach teesim's calls: on x86 needs CONFIG_DYNAMIC_FTRACE\n";

static void sweep(struct __test_metadata *_metadata, struct sweep_state *self,
		  const char *scenario, const enum step *steps, int nsteps,
		  bool needs_ta, bool needs_vgem)
{
	struct snapshot base;
	char where[160];
	struct tally t;
	struct run r;
	int h, i, k;

	if (needs_ta && !self->have_ta)
		SKIP(return, NO_TA);
	if (needs_vgem && self->vgem_fd < 0)
		SKIP(return, "needs vgem (CONFIG_DRM_VGEM) to import the buffers");
	if (needs_vgem && swiotlb_forced())
		SKIP(return, "swiotlb=force: imports are refused (tee_heap tests it)");

	for (h = 0; h < self->nheaps; h++) {
		/* Without a fault the scenario succeeds, and leaves nothing */
		snapshot(self, &base);
		run_steps(self, &r, steps, nsteps, self->heap_fds[h], 0);
		for (i = 0; i < nsteps; i++) {
			ASSERT_EQ(0, r.ran[i] ? r.rc[i] : 0) {
				TH_LOG("%s on %s: %s fails without a fault",
				       scenario, self->heaps[h].name,
				       step_names[steps[i]]);
			}
		}
		ASSERT_TRUE(same_snapshot(_metadata, self, &base, scenario));

		memset(&t, 0, sizeof(t));
		sweep_heap(_metadata, self, scenario, steps, nsteps, h, &t);
		snprintf(where, sizeof(where), "%s on %s", scenario,
			 self->heaps[h].name);
		ksft_print_msg("%s: %llu faults: slab %llu, page %llu, tee %llu, other %llu\n",
			       where, t.faults, t.by_kind[K_SLAB],
			       t.by_kind[K_PAGE], t.by_kind[K_FUNCTION],
			       t.by_kind[K_OTHER]);
		ksft_print_msg("%s: %llu failed with their errno, %llu absorbed, %llu unexpected\n",
			       where, t.failed, t.absorbed, t.bad);
		self->faults += t.faults;
		self->unexpected += t.bad;
		EXPECT_LT(0, t.faults);
	}
	for (i = 0; i < S_COUNT; i++)
		if (self->by_step[i])
			ksft_print_msg("  in %-14s %llu\n", step_names[i],
				       self->by_step[i]);
	for (k = 0; k < K_COUNT; k++)
		if (self->by_kind[k])
			ksft_print_msg("  %-17s %llu\n", kind_names[k],
				       self->by_kind[k]);
	if (!self->functions && self->sim)
		ksft_print_msg("%s", no_function_msg);
	else if (self->functions && !self->by_kind[K_FUNCTION])
		ksft_print_msg("%s", function_unreached_msg);
	else if (!self->sim)
		ksft_print_msg("  not teesim: slab and page allocations only\n");
	ksft_print_msg("faults: %s: %llu injected, %llu unexpected\n", scenario,
		       self->faults, self->unexpected);
	EXPECT_EQ(0, self->unexpected);
}

#define STEPS(...) ((const enum step[]){ __VA_ARGS__ })
#define NSTEPS(...) ARRAY_SIZE(STEPS(__VA_ARGS__))
#define SWEEP(name, ta, vgem, ...)					\
	sweep(_metadata, &self->st, #name, STEPS(__VA_ARGS__),		\
	      NSTEPS(__VA_ARGS__), ta, vgem)

/* Allocate and free */
TEST_F_TIMEOUT(sweep, alloc, 600)
{
	SWEEP(alloc, false, false, S_ALLOC, S_CLOSE_DMABUF);
}

/* Register, then close the registered object before the dma-buf */
TEST_F_TIMEOUT(sweep, register_fd, 600)
{
	SWEEP(register_fd, false, false, S_ALLOC, S_REGISTER, S_CLOSE_SHM,
	      S_CLOSE_DMABUF);
}

/* Register, then close the dma-buf first: the registration holds it */
TEST_F_TIMEOUT(sweep, register_fd_dmabuf_closed_first, 600)
{
	SWEEP(register_fd_dmabuf_closed_first, false, false, S_ALLOC,
	      S_REGISTER, S_CLOSE_DMABUF, S_CLOSE_SHM);
}

/* A memref on a buffer whose dma-buf fd is already closed */
TEST_F_TIMEOUT(sweep, invoke, 600)
{
	SWEEP(invoke, true, false, S_ALLOC, S_REGISTER, S_CLOSE_DMABUF,
	      S_OPEN_SESSION, S_INVOKE, S_CLOSE_SESSION, S_CLOSE_SHM);
}

/* A context of its own, closed with a session and a registration alive */
TEST_F_TIMEOUT(sweep, context_closed_first, 600)
{
	SWEEP(context_closed_first, true, false, S_OPEN_TEE, S_ALLOC,
	      S_REGISTER, S_OPEN_SESSION, S_INVOKE, S_CLOSE_TEE, S_CLOSE_SHM,
	      S_CLOSE_DMABUF);
}

/* Another device imports the buffer (attach and map) */
TEST_F_TIMEOUT(sweep, import, 600)
{
	SWEEP(import, false, true, S_ALLOC, S_IMPORT, S_CLOSE_DMABUF,
	      S_UNIMPORT);
}

TEST_HARNESS_MAIN
