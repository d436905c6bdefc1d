// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the TEE protected DMA-heaps and TEE_IOC_SHM_REGISTER_FD.
 *
 * The tests run against any TEE that registers "protected,*" DMA-heaps
 * and offers OP-TEE's sdp_basic trusted application. On machines without
 * one they load teesim (CONFIG_TEESIM), the simulated TEE, and use its
 * debugfs statistics to prove that nothing leaked and its fault
 * injection knobs to walk the error paths. Without a TEE device or a
 * protected heap every test is skipped with the reason.
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
#include "tee_protmem.h"

#define SZ_4K	4096UL
#define SZ_64K	(64 * 1024UL)
#define SZ_1M	(1024 * 1024UL)

static const char * const heap_names[] = {
	[1] = "protected,secure-video",
	[2] = "protected,trusted-ui",
	[3] = "protected,secure-video-record",
};

/* ---- sysfs, debugfs and module helpers ---- */

static __u64 page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static __u64 page_align(__u64 len)
{
	return (len + page_size() - 1) & ~(page_size() - 1);
}

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Value of "key N" in a teesim stats file, or -1 */
static long long sim_stat(const char *file, const char *key)
{
	char path[PATH_MAX], buf[4096], *line;
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), TEESIM_DEBUGFS "/%s", file);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return atoll(line + klen + 1);
	return -1;
}

static int sim_fault(const char *knob, int countdown)
{
	char path[PATH_MAX], val[16];

	snprintf(path, sizeof(path), TEESIM_DEBUGFS "/%s", knob);
	snprintf(val, sizeof(val), "%d", countdown);
	return write_file(path, val);
}

static bool sim_present(void)
{
	return !access(TEESIM_DEBUGFS "/stats", R_OK);
}

enum sim_op { SIM_STATE, SIM_LOAD, SIM_UNLOAD };

/*
 * Query, load or unload the teesim module with libkmod. SIM_STATE returns
 * the module's KMOD_MODULE_* state (built in, live, ...), SIM_LOAD and
 * SIM_UNLOAD return 0; all return a negative errno on failure.
 */
static int sim_module(enum sim_op op)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int rc;

	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_priority(ctx, LOG_CRIT);
	rc = kmod_module_new_from_name(ctx, TEESIM_NAME, &mod);
	if (rc)
		goto out;
	switch (op) {
	case SIM_STATE:
		rc = kmod_module_get_initstate(mod);
		break;
	case SIM_LOAD:
		rc = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL,
						     NULL);
		break;
	case SIM_UNLOAD:
		rc = kmod_module_remove_module(mod, 0);
		break;
	}
	kmod_module_unref(mod);
out:
	kmod_unref(ctx);
	return rc;
}

/* TEE_IOC_VERSION of the device node @node, or a negative errno */
static int tee_version(const char *node, struct tee_ioctl_version_data *vers)
{
	int fd, rc = 0;

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(vers, 0, sizeof(*vers));
	if (ioctl(fd, TEE_IOC_VERSION, vers))
		rc = -errno;
	close(fd);
	return rc;
}

/* Implementation id of /dev/@name from sysfs, without opening it */
static long long tee_sysfs_impl_id(const char *name)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "/sys/class/tee/%s/implementation_id",
		 name);
	return read_file(path, buf, sizeof(buf)) ? -1 : strtoll(buf, NULL, 0);
}

/*
 * Find a TEE device node as libteec does, whatever the driver: a client
 * device is a /dev/teeN whose TEE_IOC_VERSION reports TEE_GEN_CAP_GP, the
 * supplicant side is /dev/teeprivN, matched by its implementation id in
 * sysfs (it is exclusive, it may not be opened while a supplicant runs).
 * @impl_id picks the TEE, 0 takes the first one. TEE=/dev/teeN in the
 * environment chooses the client device.
 */
static int find_tee_dev(__u32 impl_id, bool priv, char *node, size_t len)
{
	const char *env = getenv("TEE");
	struct tee_ioctl_version_data vers;
	char name[32];
	int n;

	if (!priv && env && *env) {
		if (tee_version(env, &vers) || !(vers.gen_caps & TEE_GEN_CAP_GP) ||
		    (impl_id && vers.impl_id != impl_id))
			return -ENODEV;
		snprintf(node, len, "%s", env);
		return 0;
	}
	for (n = 0; n < 32; n++) {
		snprintf(name, sizeof(name), "%s%d", priv ? "teepriv" : "tee", n);
		snprintf(node, len, "/dev/%s", name);
		if (priv) {
			long long id = tee_sysfs_impl_id(name);

			if (id >= 0 && (!impl_id || id == impl_id))
				return 0;
			continue;
		}
		if (!tee_version(node, &vers) &&
		    (vers.gen_caps & TEE_GEN_CAP_GP) &&
		    (!impl_id || vers.impl_id == impl_id))
			return 0;
	}
	return -ENODEV;
}

/*
 * Make the backend available: mount debugfs for teesim's statistics and
 * load teesim unless it is built in or absent (then a real TEE is used,
 * or the tests skip). Return whether any TEE device exists.
 */
static bool ensure_backend(void)
{
	struct stat st;

	if (stat(DEBUGFS_ROOT "/kmemleak", &st) &&
	    stat(DEBUGFS_ROOT "/tracing", &st) &&
	    stat(TEESIM_DEBUGFS, &st))
		mount("debugfs", DEBUGFS_ROOT, "debugfs", 0, NULL);
	if (!sim_present() && sim_module(SIM_STATE) != KMOD_MODULE_BUILTIN)
		sim_module(SIM_LOAD);
	return !access("/sys/class/tee", F_OK);
}

/* ---- kernel command line and devices ---- */

/* Copy the value of @name=value on the kernel command line to @val */
static bool cmdline_param(const char *name, char *val, size_t len)
{
	char buf[4096], *tok, *save;
	size_t nlen = strlen(name);

	if (read_file("/proc/cmdline", buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save)) {
		if (!strncmp(tok, name, nlen) && tok[nlen] == '=') {
			snprintf(val, len, "%s", tok + nlen + 1);
			return true;
		}
	}
	return false;
}

/* swiotlb=[nslabs,]force: the DMA of every device is bounced */
static bool swiotlb_forced(void)
{
	char val[64];

	return cmdline_param("swiotlb", val, sizeof(val)) &&
	       strstr(val, "force") && !strstr(val, "noforce");
}

/* vgem stands in for a decoder: it maps the buffers it imports */
static int vgem_open(void)
{
	char name[16], path[64];
	struct drm_version v;
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

static int vgem_import(int vgem_fd, int dmabuf_fd, __u32 *handle)
{
	struct drm_prime_handle args = { .fd = dmabuf_fd };

	if (ioctl(vgem_fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args))
		return -errno;
	*handle = args.handle;
	return 0;
}

static int vgem_close(int vgem_fd, __u32 handle)
{
	struct drm_gem_close args = { .handle = handle };

	return ioctl(vgem_fd, DRM_IOCTL_GEM_CLOSE, &args) ? -errno : 0;
}

/* ---- TEE ioctl helpers ---- */

/* The TEE under test: teesim if it is there and TEE= is not set */
static __u32 tee_under_test(void)
{
	return sim_present() && !getenv("TEE") ? TEESIM_IMPL_ID : 0;
}

static int tee_open(bool priv)
{
	char node[64];
	int fd;

	if (find_tee_dev(tee_under_test(), priv, node, sizeof(node)))
		return -ENODEV;
	fd = open(node, O_RDWR);
	return fd < 0 ? -errno : fd;
}

static int open_session(int fd, const __u8 *uuid, __u32 *session,
			struct tee_result *res)
{
	struct tee_ioctl_open_session_arg arg = {
		.clnt_login = TEE_IOCTL_LOGIN_PUBLIC,
	};
	struct tee_ioctl_buf_data buf = {
		.buf_ptr = (uintptr_t)&arg,
		.buf_len = sizeof(arg),
	};
	int rc;

	res->ret = ~0U;
	res->origin = ~0U;
	memcpy(arg.uuid, uuid, sizeof(arg.uuid));
	rc = ioctl(fd, TEE_IOC_OPEN_SESSION, &buf);
	if (rc)
		return -errno;
	res->ret = arg.ret;
	res->origin = arg.ret_origin;
	*session = arg.session;
	return 0;
}

static int close_session(int fd, __u32 session)
{
	struct tee_ioctl_close_session_arg arg = { .session = session };

	return ioctl(fd, TEE_IOC_CLOSE_SESSION, &arg) ? -errno : 0;
}

static void inv_init(struct tee_invoke *inv, __u32 session, __u32 cmd)
{
	memset(inv, 0, sizeof(*inv));
	inv->arg.session = session;
	inv->arg.func = cmd;
	inv->arg.num_params = 4;
}

static void inv_memref(struct tee_invoke *inv, int n, __u64 attr,
		       int shm_id, __u64 offs, __u64 size)
{
	inv->params[n].attr = attr;
	inv->params[n].a = offs;
	inv->params[n].b = size;
	inv->params[n].c = shm_id;
}

/* 0 with the result in @res, or -errno of the ioctl */
static int inv_do(int fd, struct tee_invoke *inv, struct tee_result *res)
{
	struct tee_ioctl_buf_data buf = {
		.buf_ptr = (uintptr_t)inv,
		.buf_len = sizeof(inv->arg) +
			   inv->arg.num_params * sizeof(inv->params[0]),
	};

	res->ret = ~0U;
	res->origin = ~0U;
	if (ioctl(fd, TEE_IOC_INVOKE, &buf))
		return -errno;
	res->ret = inv->arg.ret;
	res->origin = inv->arg.ret_origin;
	return 0;
}

static int norm_shm_alloc(int fd, size_t size, struct norm_shm *shm)
{
	struct tee_ioctl_shm_alloc_data data = { .size = size };
	int shm_fd;

	shm_fd = ioctl(fd, TEE_IOC_SHM_ALLOC, &data);
	if (shm_fd < 0)
		return -errno;
	shm->va = mmap(NULL, data.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       shm_fd, 0);
	if (shm->va == MAP_FAILED) {
		close(shm_fd);
		return -errno;
	}
	shm->fd = shm_fd;
	shm->id = data.id;
	shm->size = data.size;
	return 0;
}

static void norm_shm_free(struct norm_shm *shm)
{
	if (shm->va && shm->va != MAP_FAILED)
		munmap(shm->va, shm->size);
	if (shm->fd >= 0)
		close(shm->fd);
	shm->va = NULL;
	shm->fd = -1;
}

static int heap_alloc(int heap_fd, __u64 len)
{
	struct dma_heap_allocation_data data = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data))
		return -errno;
	return data.fd;
}

static int register_fd(int tee_fd, int64_t dmabuf_fd,
		       struct tee_ioctl_shm_register_fd_data *data)
{
	int rc;

	memset(data, 0, sizeof(*data));
	data->fd = dmabuf_fd;
	rc = ioctl(tee_fd, TEE_IOC_SHM_REGISTER_FD, data);
	return rc < 0 ? -errno : rc;
}

static int prot_buf_alloc(int heap_fd, int tee_fd, __u64 len,
			  struct prot_buf *buf)
{
	struct tee_ioctl_shm_register_fd_data data;
	int rc;

	buf->shm_fd = -1;
	buf->dmabuf_fd = heap_alloc(heap_fd, len);
	if (buf->dmabuf_fd < 0)
		return buf->dmabuf_fd;
	rc = register_fd(tee_fd, buf->dmabuf_fd, &data);
	if (rc < 0) {
		close(buf->dmabuf_fd);
		buf->dmabuf_fd = -1;
		return rc;
	}
	buf->shm_fd = rc;
	buf->shm_id = data.id;
	buf->size = data.size;
	return 0;
}

static void prot_buf_free(struct prot_buf *buf)
{
	if (buf->shm_fd >= 0)
		close(buf->shm_fd);
	if (buf->dmabuf_fd >= 0)
		close(buf->dmabuf_fd);
	buf->shm_fd = -1;
	buf->dmabuf_fd = -1;
}

/* ---- standalone tests ---- */

/* The uAPI of mainline (v6.18), which real user space is built against */
static_assert(TEE_IOC_SHM_REGISTER_FD == 0xC018A408UL, "ioctl number");
static_assert(sizeof(struct tee_ioctl_shm_register_fd_data) == 24, "size");
static_assert(offsetof(struct tee_ioctl_shm_register_fd_data, fd) == 0, "fd");
static_assert(offsetof(struct tee_ioctl_shm_register_fd_data, size) == 8,
	      "size");
static_assert(offsetof(struct tee_ioctl_shm_register_fd_data, flags) == 16,
	      "flags");
static_assert(offsetof(struct tee_ioctl_shm_register_fd_data, id) == 20,
	      "id");
static_assert(TEE_IOC_SHM_REGISTER == 0xC018A409UL, "neighbour moved");
static_assert(DMA_HEAP_IOCTL_ALLOC == 0xC0184800UL, "neighbour moved");

/*
 * Runs first: say which TEE and which heaps the suite tests, and check
 * that the device found is a TEE client device.
 */
TEST(backend)
{
	struct tee_ioctl_version_data vers;
	char node[64], path[PATH_MAX], rev[64] = "";
	struct dirent *de;
	DIR *dir;

	if (!ensure_backend() ||
	    find_tee_dev(tee_under_test(), false, node, sizeof(node)))
		SKIP(return,
		     "no TEE client device (load teesim or a TEE driver, or set TEE=/dev/teeN)");
	ASSERT_EQ(0, tee_version(node, &vers));
	ASSERT_TRUE(vers.gen_caps & TEE_GEN_CAP_GP);
	snprintf(path, sizeof(path), "/sys/class/tee/%s/revision", node + 5);
	if (!read_file(path, rev, sizeof(rev)))
		rev[strcspn(rev, "\n")] = '\0';
	ksft_print_msg("TEE %s: implementation id %#x%s%s%s, gen_caps %#x\n",
		       node, vers.impl_id,
		       vers.impl_id == TEESIM_IMPL_ID ? " (teesim)" :
		       vers.impl_id == TEE_IMPL_ID_OPTEE ? " (OP-TEE)" : "",
		       *rev ? ", revision " : "", rev, vers.gen_caps);
	dir = opendir(DMA_HEAP_DIR);
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "protected,", 10))
			ksft_print_msg("protected heap %s\n", de->d_name);
	closedir(dir);
}

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

#define NO_PTA	"no invoke_tests pseudo TA (OP-TEE: CFG_TEE_CORE_EMBED_INTERNAL_TESTS=y)"

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

/* ---- the sdp_basic trusted application, without protected memory ---- */

FIXTURE(ta)
{
	int fd;
	__u32 session;
};

FIXTURE_SETUP(ta)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	struct tee_result res;

	self->fd = -1;
	if (!ensure_backend())
		SKIP(return, "no TEE device (load teesim or a TEE driver)");
	self->fd = tee_open(false);
	if (self->fd < 0)
		SKIP(return, "no TEE client device");
	ASSERT_EQ(0, open_session(self->fd, uuid, &self->session, &res));
	if (res.ret == TEEC_ERROR_ITEM_NOT_FOUND)
		SKIP(return, "sdp_basic TA not available");
	ASSERT_EQ(TEEC_SUCCESS, res.ret);
}

FIXTURE_TEARDOWN(ta)
{
	if (self->fd >= 0)
		close(self->fd);
	if (tee_under_test() == TEESIM_IMPL_ID)
		EXPECT_EQ(0, sim_stat("stats", "sessions"));
}

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

/* ---- protected heaps: one variant per pool kind ---- */

FIXTURE(protmem)
{
	char heap[128];
	bool sim;
	int heap_fd;
	int tee_fd;
	__u32 session;
	bool have_ta;
	long long pool_size;
};

FIXTURE_VARIANT(protmem)
{
	const char *pool;		/* teesim debugfs directory */
	const char *default_heap;	/* heap without teesim */
	bool dynamic;
};

FIXTURE_VARIANT_ADD(protmem, static_pool)
{
	.pool = "static",
	.default_heap = "protected,secure-video",
	.dynamic = false,
};

FIXTURE_VARIANT_ADD(protmem, dynamic_pool)
{
	.pool = "dynamic",
	.default_heap = "protected,trusted-ui",
	.dynamic = true,
};

static long long pool_stat(const char *pool, const char *key)
{
	char file[64];

	snprintf(file, sizeof(file), "%s/stats", pool);
	return sim_stat(file, key);
}

FIXTURE_SETUP(protmem)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	const char *name = variant->default_heap;
	struct tee_result res;
	long long id;

	self->heap_fd = -1;
	self->tee_fd = -1;
	ensure_backend();
	self->sim = tee_under_test() == TEESIM_IMPL_ID;
	if (self->sim) {
		id = pool_stat(variant->pool, "heap_id");
		if (id < 1 || id > 3)
			SKIP(return, "teesim has no %s pool", variant->pool);
		name = heap_names[id];
		self->pool_size = pool_stat(variant->pool, "size");
	}
	snprintf(self->heap, sizeof(self->heap), DMA_HEAP_DIR "/%s", name);
	self->heap_fd = open(self->heap, O_RDWR | O_CLOEXEC);
	if (self->heap_fd < 0)
		SKIP(return,
		     "no protected heap %s (load teesim or enable the TEE's protected memory)",
		     self->heap);
	self->tee_fd = tee_open(false);
	if (self->tee_fd < 0)
		SKIP(return, "no TEE client device for %s", self->heap);
	ASSERT_EQ(0, open_session(self->tee_fd, uuid, &self->session, &res));
	self->have_ta = res.ret == TEEC_SUCCESS;
}

/* Wait for deferred releases, then check that everything is back */
static void check_no_leak(struct __test_metadata *_metadata,
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

FIXTURE_TEARDOWN(protmem)
{
	if (self->tee_fd >= 0)
		close(self->tee_fd);
	if (self->heap_fd >= 0)
		close(self->heap_fd);
	if (self->sim && self->heap_fd >= 0) {
		sim_fault("fail_lend", 0);
		sim_fault("fail_reclaim", 0);
		sim_fault("fail_alloc", 0);
		sim_fault("fail_invoke", 0);
		sim_fault("transform_delay_ms", 0);
		check_no_leak(_metadata, variant->pool, variant->dynamic);
	}
}

#define NO_TA	"sdp_basic TA not available"
#define NO_SIM	"needs teesim's debugfs"

static int inject(int fd, __u32 s, int src_id, __u64 src_offs,
		  __u64 len, int dst_id, __u64 dst_offs,
		  __u64 dst_len, struct tee_invoke *inv,
		  struct tee_result *res)
{
	inv_init(inv, s, SDP_CMD_INJECT);
	inv_memref(inv, 0, MEM_IN, src_id, src_offs, len);
	inv_memref(inv, 1, MEM_OUT, dst_id, dst_offs, dst_len);
	return inv_do(fd, inv, res);
}

static int transform(int fd, __u32 s, int id, __u64 offs,
		     __u64 len, struct tee_result *res)
{
	struct tee_invoke inv;

	inv_init(&inv, s, SDP_CMD_TRANSFORM);
	inv_memref(&inv, 0, MEM_INOUT, id, offs, len);
	return inv_do(fd, &inv, res);
}

static int dump(int fd, __u32 s, int src_id, __u64 src_offs,
		__u64 len, int dst_id, __u64 dst_offs, __u64 dst_len,
		struct tee_invoke *inv, struct tee_result *res)
{
	inv_init(inv, s, SDP_CMD_DUMP);
	inv_memref(inv, 0, MEM_IN, src_id, src_offs, len);
	inv_memref(inv, 1, MEM_OUT, dst_id, dst_offs, dst_len);
	return inv_do(fd, inv, res);
}

/* xtest's sdp_basic loop: inject, transform, dump and compare */
static void round_trip(struct __test_metadata *_metadata, int fd, __u32 s,
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
static void expect_bytes(struct __test_metadata *_metadata, int fd,
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

static void expect_zeroed(struct __test_metadata *_metadata, int fd,
			  __u32 s, struct prot_buf *pb, __u64 offs,
			  __u64 len)
{
	expect_bytes(_metadata, fd, s, pb, offs, len, 0);
}

static void fill_protected(struct __test_metadata *_metadata, int fd,
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
	int *fds;

	/* teesim reports the pool size: one more than fits must fail */
	max = self->sim ? self->pool_size / SZ_64K + 1 : EXHAUST_MAX;
	fds = calloc(max, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	for (n = 0; n < max; n++) {
		rc = heap_alloc(self->heap_fd, SZ_64K);
		if (rc < 0)
			break;
		fds[count++] = rc;
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

/*
 * OP-TEE refuses protected memory sent from user space to its
 * invoke_tests pseudo TA: only TAs may pass it protected memory.
 */
TEST_F(protmem, invoke_tests_pta_refuses_protected_memory)
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

TEST_F(protmem, round_trip_5000)
{
	struct prot_buf pb;
	int n;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, 5000, &pb));
	for (n = 0; n < 10; n++)
		round_trip(_metadata, self->tee_fd, self->session, &pb, 0,
			   5000 - 255, n);
	prot_buf_free(&pb);
}

TEST_F(protmem, round_trip_offsets)
{
	static const __u64 offs[] = { 1, 255, 4095, 4096, 4097 };
	struct prot_buf pb;
	unsigned int n;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, 17000, &pb));
	for (n = 0; n < ARRAY_SIZE(offs); n++)
		round_trip(_metadata, self->tee_fd, self->session, &pb,
			   offs[n], 17000 - 4097, n);
	/* The last byte alone is in bounds */
	round_trip(_metadata, self->tee_fd, self->session, &pb, pb.size - 1,
		   1, 7);
	prot_buf_free(&pb);
}

TEST_F(protmem, round_trip_registered_normal_memory)
{
	struct tee_ioctl_shm_register_data reg = { 0 };
	struct norm_shm out = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	struct prot_buf pb;
	__u8 *mem;
	int sfd, n;

	if (!self->have_ta)
		SKIP(return, NO_TA);
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

TEST_F(protmem, destination_not_protected)
{
	struct norm_shm in = { .fd = -1 }, out = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;

	if (!self->have_ta)
		SKIP(return, NO_TA);
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

TEST_F(protmem, normal_side_protected)
{
	struct prot_buf pa, pb;
	struct tee_invoke inv;
	struct tee_result res;

	if (!self->have_ta)
		SKIP(return, NO_TA);
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

TEST_F(protmem, short_buffer)
{
	struct norm_shm shm = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	struct prot_buf pb;

	if (!self->have_ta)
		SKIP(return, NO_TA);
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

TEST_F(protmem, output_size_not_shrunk)
{
	struct norm_shm shm = { .fd = -1 };
	struct tee_invoke inv;
	struct tee_result res;
	struct prot_buf pb;

	if (!self->have_ta)
		SKIP(return, NO_TA);
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

/*
 * Neither OP-TEE nor the kernel clears a buffer freed into a pool that
 * keeps its memory. A pool that gives its memory back to the kernel gets
 * new memory, zeroed, and the kernel clears what it got back: the next
 * buffer never shows the previous owner's data. Only teesim tells which
 * pools give their memory back.
 */
TEST_F(protmem, cleared_after_reclaim)
{
	struct prot_buf pb;
	int n;

	if (!self->have_ta)
		SKIP(return, NO_TA);
	if (!self->sim || !variant->dynamic)
		SKIP(return, "a static pool keeps its memory (dynamic pools: teesim tells)");
	for (n = 0; n < 3; n++) {
		ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd,
					    SZ_64K, &pb));
		expect_zeroed(_metadata, self->tee_fd, self->session, &pb, 0,
			      pb.size);
		fill_protected(_metadata, self->tee_fd, self->session, &pb,
			       0x3c);
		prot_buf_free(&pb);
		if (self->sim && variant->dynamic)
			EXPECT_EQ(0, pool_stat(variant->pool, "lent_chunks"));
	}
}

TEST_F(protmem, lend_and_reclaim)
{
	long long lends, reclaims;
	struct prot_buf a, b;

	if (!self->sim)
		SKIP(return, NO_SIM);
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
	EXPECT_EQ(0, prot_buf_alloc(heap_fd, tee_fd, SZ_4K, &next));
	if (next.shm_fd >= 0)
		fill_protected(_metadata, tee_fd, session, &next, 0x33);
	raced = !__atomic_load_n(&c.done, __ATOMIC_ACQUIRE);
	pthread_join(th, NULL);

	/* Too late for the id is fine, but a call that ran must succeed */
	if (!c.rc)
		EXPECT_EQ(TEEC_SUCCESS, c.ret);
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

TEST_F(protmem, fault_pool_alloc)
{
	int fd;

	long long failures;

	if (!self->sim)
		SKIP(return, NO_SIM);
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

TEST_F(protmem, fault_lend)
{
	long long failures;
	int fd;

	if (!self->sim)
		SKIP(return, NO_SIM);
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

TEST_F(protmem, fault_reclaim)
{
	long long failures;
	struct prot_buf pb;
	int fd;

	if (!self->sim)
		SKIP(return, NO_SIM);
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

TEST_F(protmem, fault_invoke_with_buffer)
{
	struct tee_result res;
	struct prot_buf pb;

	if (!self->sim)
		SKIP(return, NO_SIM);
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

/*
 * The backend cannot go away under a live buffer: unloading teesim is
 * refused while one exists, and works once it is gone. The heap itself
 * stays (dma-heaps cannot be removed) and refuses allocations until
 * teesim is back.
 */
TEST_F(protmem, module_unload_with_live_buffer)
{
	struct prot_buf pb;
	int rc, fd;

	if (!self->sim)
		SKIP(return, NO_SIM);
	if (sim_module(SIM_STATE) != KMOD_MODULE_LIVE)
		SKIP(return, "teesim is not a loaded module");
	ASSERT_EQ(0, prot_buf_alloc(self->heap_fd, self->tee_fd, SZ_4K, &pb));
	close(self->tee_fd);
	self->tee_fd = -1;
	close(pb.dmabuf_fd);
	pb.dmabuf_fd = -1;

	rc = sim_module(SIM_UNLOAD);
	EXPECT_TRUE(rc == -EAGAIN || rc == -EBUSY) TH_LOG("rmmod: %d", rc);
	ASSERT_TRUE(sim_present());

	prot_buf_free(&pb);
	rc = sim_module(SIM_UNLOAD);
	ASSERT_EQ(0, rc) TH_LOG("rmmod: %s", strerror(-rc));
	EXPECT_FALSE(sim_present());

	fd = heap_alloc(self->heap_fd, SZ_4K);
	EXPECT_GT(0, fd);
	if (fd >= 0)
		close(fd);

	ASSERT_EQ(0, sim_module(SIM_LOAD));
	ASSERT_TRUE(sim_present());
	fd = heap_alloc(self->heap_fd, SZ_4K);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

/* Open @path as an unprivileged user, with only the capability @cap */
static int open_unprivileged(const char *path, cap_value_t cap)
{
	int status, rc;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		cap_t caps = cap_init();

		prctl(PR_SET_KEEPCAPS, 1);
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		if (cap >= 0) {
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &cap, CAP_SET);
			cap_set_flag(caps, CAP_PERMITTED, 1, &cap, CAP_SET);
		}
		if (cap_set_proc(caps))
			_exit(101);
		rc = open(path, O_RDWR);
		/* EBUSY: allowed, but held (by a supplicant) */
		_exit(rc >= 0 || errno == EBUSY ? 0 : errno == EACCES ? 2 : 3);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool others_rw(const char *path)
{
	struct stat st;

	return !stat(path, &st) && (st.st_mode & 0006) == 0006;
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

/* Drop to an unprivileged user without capabilities */
static int drop_privileges(void)
{
	cap_t caps = cap_init();
	int rc;

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -1;
	rc = cap_set_proc(caps);
	cap_free(caps);
	return rc;
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
