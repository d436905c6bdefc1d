// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the TEE protected DMA-heap selftests: finding the TEE and
 * its heaps, the TEE and DMA-heap ioctls, and teesim's debugfs and module.
 * No test harness in here; see tee_fixtures.h for what needs it.
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

#include "tee_protmem.h"

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

const char * const heap_names[] = {
	[1] = "protected,secure-video",
	[2] = "protected,trusted-ui",
	[3] = "protected,secure-video-record",
};

__u64 page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

__u64 page_align(__u64 len)
{
	return (len + page_size() - 1) & ~(page_size() - 1);
}

int read_file(const char *path, char *buf, size_t len)
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

int write_file(const char *path, const char *val)
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
long long sim_stat(const char *file, const char *key)
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

int sim_fault(const char *knob, int countdown)
{
	char path[PATH_MAX], val[16];

	snprintf(path, sizeof(path), TEESIM_DEBUGFS "/%s", knob);
	snprintf(val, sizeof(val), "%d", countdown);
	return write_file(path, val);
}

/* teesim's module parameter @name, or -1 */
long long sim_param(const char *name)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "/sys/module/" TEESIM_NAME "/parameters/%s",
		 name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

int sim_set_param(const char *name, long long val)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "/sys/module/" TEESIM_NAME "/parameters/%s",
		 name);
	snprintf(buf, sizeof(buf), "%lld", val);
	return write_file(path, buf);
}

bool sim_present(void)
{
	return !access(TEESIM_DEBUGFS "/stats", R_OK);
}

/*
 * Query, load or unload the module @name with libkmod. SIM_STATE returns
 * the module's KMOD_MODULE_* state (built in, live, ...) or -ENOENT when it
 * is not loaded, SIM_AVAILABLE whether it is built in or installed, SIM_LOAD
 * (with its dependencies, as modprobe) and SIM_UNLOAD return 0; all return
 * a negative errno on failure.
 */
int module_op(const char *name, enum sim_op op)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int rc;

	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_priority(ctx, LOG_CRIT);
	rc = kmod_module_new_from_name(ctx, name, &mod);
	if (rc)
		goto out;
	switch (op) {
	case SIM_STATE:
		rc = kmod_module_get_initstate(mod);
		break;
	case SIM_AVAILABLE:
		rc = kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN ||
		     kmod_module_get_path(mod);
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

int sim_module(enum sim_op op)
{
	return module_op(TEESIM_NAME, op);
}

/* TEE_IOC_VERSION of the device node @node, or a negative errno */
int tee_version(const char *node, struct tee_ioctl_version_data *vers)
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
long long tee_sysfs_impl_id(const char *name)
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
int find_tee_dev(__u32 impl_id, bool priv, char *node, size_t len)
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
bool ensure_backend(void)
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

/* Copy the value of @name=value on the kernel command line to @val */
bool cmdline_param(const char *name, char *val, size_t len)
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
bool swiotlb_forced(void)
{
	char val[64];

	return cmdline_param("swiotlb", val, sizeof(val)) &&
	       strstr(val, "force") && !strstr(val, "noforce");
}

/* vgem stands in for a decoder: it maps the buffers it imports */
int vgem_open(void)
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

int vgem_import(int vgem_fd, int dmabuf_fd, __u32 *handle)
{
	struct drm_prime_handle args = { .fd = dmabuf_fd };

	if (ioctl(vgem_fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args))
		return -errno;
	*handle = args.handle;
	return 0;
}

int vgem_close(int vgem_fd, __u32 handle)
{
	struct drm_gem_close args = { .handle = handle };

	return ioctl(vgem_fd, DRM_IOCTL_GEM_CLOSE, &args) ? -errno : 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The names of the protected heaps in /dev/dma_heap, sorted; how many */
int protected_heap_names(struct heap_name *names, int max)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir(DMA_HEAP_DIR);
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		if (strncmp(de->d_name, "protected,", 10))
			continue;
		snprintf(names[n++].name, sizeof(names->name), "%s",
			 de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmp_names);
	return n;
}

/*
 * HEAP=name[:name] in the environment: the heap the fixture variant
 * @index (0: static_pool, 1: dynamic_pool) tests, or NULL.
 */
const char *heap_from_env(int index, char *buf, size_t len)
{
	const char *p = getenv("HEAP");
	const char *end;

	while (p && index-- > 0) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p || !*p)
		return NULL;
	end = strchrnul(p, ':');
	snprintf(buf, len, "%.*s", (int)(end - p), p);
	return buf;
}

/* The TEE under test: teesim if it is there and TEE= is not set */
__u32 tee_under_test(void)
{
	return sim_present() && !getenv("TEE") ? TEESIM_IMPL_ID : 0;
}

int tee_open(bool priv)
{
	char node[64];
	int fd;

	if (find_tee_dev(tee_under_test(), priv, node, sizeof(node)))
		return -ENODEV;
	fd = open(node, O_RDWR);
	return fd < 0 ? -errno : fd;
}

int open_session(int fd, const __u8 *uuid, __u32 *session,
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

int close_session(int fd, __u32 session)
{
	struct tee_ioctl_close_session_arg arg = { .session = session };

	return ioctl(fd, TEE_IOC_CLOSE_SESSION, &arg) ? -errno : 0;
}

void inv_init(struct tee_invoke *inv, __u32 session, __u32 cmd)
{
	memset(inv, 0, sizeof(*inv));
	inv->arg.session = session;
	inv->arg.func = cmd;
	inv->arg.num_params = 4;
}

void inv_memref(struct tee_invoke *inv, int n, __u64 attr,
		int shm_id, __u64 offs, __u64 size)
{
	inv->params[n].attr = attr;
	inv->params[n].a = offs;
	inv->params[n].b = size;
	inv->params[n].c = shm_id;
}

/* 0 with the result in @res, or -errno of the ioctl */
int inv_do(int fd, struct tee_invoke *inv, struct tee_result *res)
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

int norm_shm_alloc(int fd, size_t size, struct norm_shm *shm)
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

void norm_shm_free(struct norm_shm *shm)
{
	if (shm->va && shm->va != MAP_FAILED)
		munmap(shm->va, shm->size);
	if (shm->fd >= 0)
		close(shm->fd);
	shm->va = NULL;
	shm->fd = -1;
}

int heap_alloc(int heap_fd, __u64 len)
{
	struct dma_heap_allocation_data data = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data))
		return -errno;
	return data.fd;
}

int register_fd(int tee_fd, int64_t dmabuf_fd,
		struct tee_ioctl_shm_register_fd_data *data)
{
	int rc;

	memset(data, 0, sizeof(*data));
	data->fd = dmabuf_fd;
	rc = ioctl(tee_fd, TEE_IOC_SHM_REGISTER_FD, data);
	return rc < 0 ? -errno : rc;
}

int prot_buf_alloc(int heap_fd, int tee_fd, __u64 len,
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

void prot_buf_free(struct prot_buf *buf)
{
	if (buf->shm_fd >= 0)
		close(buf->shm_fd);
	if (buf->dmabuf_fd >= 0)
		close(buf->dmabuf_fd);
	buf->shm_fd = -1;
	buf->dmabuf_fd = -1;
}

long long pool_stat(const char *pool, const char *key)
{
	char file[64];

	snprintf(file, sizeof(file), "%s/stats", pool);
	return sim_stat(file, key);
}

int inject(int fd, __u32 s, int src_id, __u64 src_offs,
	   __u64 len, int dst_id, __u64 dst_offs,
	   __u64 dst_len, struct tee_invoke *inv,
	   struct tee_result *res)
{
	inv_init(inv, s, SDP_CMD_INJECT);
	inv_memref(inv, 0, MEM_IN, src_id, src_offs, len);
	inv_memref(inv, 1, MEM_OUT, dst_id, dst_offs, dst_len);
	return inv_do(fd, inv, res);
}

int transform(int fd, __u32 s, int id, __u64 offs,
	      __u64 len, struct tee_result *res)
{
	struct tee_invoke inv;

	inv_init(&inv, s, SDP_CMD_TRANSFORM);
	inv_memref(&inv, 0, MEM_INOUT, id, offs, len);
	return inv_do(fd, &inv, res);
}

int dump(int fd, __u32 s, int src_id, __u64 src_offs,
	 __u64 len, int dst_id, __u64 dst_offs, __u64 dst_len,
	 struct tee_invoke *inv, struct tee_result *res)
{
	inv_init(inv, s, SDP_CMD_DUMP);
	inv_memref(inv, 0, MEM_IN, src_id, src_offs, len);
	inv_memref(inv, 1, MEM_OUT, dst_id, dst_offs, dst_len);
	return inv_do(fd, inv, res);
}

/* Open @path as an unprivileged user, with only the capability @cap */
int open_unprivileged(const char *path, cap_value_t cap)
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

bool others_rw(const char *path)
{
	struct stat st;

	return !stat(path, &st) && (st.st_mode & 0006) == 0006;
}

/* Drop to an unprivileged user without capabilities */
int drop_privileges(void)
{
	cap_t caps = cap_init();
	int rc;

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -1;
	rc = cap_set_proc(caps);
	cap_free(caps);
	return rc;
}
