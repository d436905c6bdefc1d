/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Definitions and helpers shared by the selftests of the TEE protected
 * DMA-heaps and TEE_IOC_SHM_REGISTER_FD.
 *
 * The tests run against any TEE that registers "protected,*" DMA-heaps
 * and offers OP-TEE's sdp_basic trusted application. On machines without
 * one they load teesim (CONFIG_TEESIM), the simulated TEE, and use its
 * debugfs statistics to prove that nothing leaked and its fault
 * injection knobs to walk the error paths. Without a TEE device or a
 * protected heap every test is skipped with the reason.
 *
 * One program per concern: tee_modules (first: loading and unloading the
 * TEE modules), tee_discovery, tee_heap, tee_register_fd and tee_races test
 * the kernel's contract, tee_invoke what OP-TEE's TAs do, tee_teesim
 * teesim itself, tee_faults sweeps injected faults over those paths;
 * tee_leaks runs last.
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */
#ifndef TEE_PROTMEM_H
#define TEE_PROTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include <linux/tee.h>

#define TEESIM_NAME		"teesim"
#define TEESIM_IMPL_ID		0x7e51
#define TEESIM_DEBUGFS		"/sys/kernel/debug/teesim"
#define DEBUGFS_ROOT		"/sys/kernel/debug"
#define DMA_HEAP_DIR		"/dev/dma_heap"

/* TEE_SHM_DMA_BUF, the kernel-internal flag REGISTER_FD reports */
#define TEE_SHM_FLAG_DMA_BUF	0x10

#define TEEC_SUCCESS			0x00000000
#define TEEC_ERROR_BAD_PARAMETERS	0xFFFF0006
#define TEEC_ERROR_ITEM_NOT_FOUND	0xFFFF0008
#define TEEC_ERROR_COMMUNICATION	0xFFFF000E
#define TEEC_ERROR_SECURITY		0xFFFF000F
#define TEEC_ERROR_SHORT_BUFFER		0xFFFF0010

#define TEEC_ORIGIN_COMMS		2
#define TEEC_ORIGIN_TEE			3
#define TEEC_ORIGIN_TRUSTED_APP		4

/* OP-TEE's sdp_basic TA (optee_test), and its commands */
#define SDP_BASIC_UUID { 0x12, 0x34, 0x56, 0x78, 0x5b, 0x69, 0x11, 0xe4, \
			 0x9d, 0xbb, 0x10, 0x1f, 0x74, 0xf0, 0x00, 0x99 }
/* OP-TEE's invoke_tests pseudo TA: opens, but refuses protected memory */
#define INVOKE_TESTS_PTA_UUID { 0xd9, 0x6a, 0x5b, 0x40, 0xc3, 0xe5, 0x21, 0xe3, \
				0x87, 0x94, 0x10, 0x02, 0xa5, 0xd5, 0xc6, 0x1b }

/* invoke_tests: read, modify and write back a protected buffer */
#define PTA_INVOKE_TESTS_CMD_READ_MODIFY_SEC	4

#define SDP_CMD_INJECT		0
#define SDP_CMD_TRANSFORM	1
#define SDP_CMD_DUMP		2

#define MEM_IN		TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define MEM_OUT		TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT
#define MEM_INOUT	TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT
#define VAL_IN		TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT

struct tee_result {
	__u32 ret;
	__u32 origin;
};

struct tee_invoke {
	struct tee_ioctl_invoke_arg arg;
	struct tee_ioctl_param params[4];
};

/* A protected buffer registered with the TEE */
struct prot_buf {
	int dmabuf_fd;
	int shm_fd;
	int shm_id;
	__u64 size;
};

/* A normal shared memory object, mapped in this process */
struct norm_shm {
	int fd;
	int id;
	size_t size;
	__u8 *va;
};

#define SZ_4K	4096UL
#define SZ_64K	(64 * 1024UL)
#define SZ_1M	(1024 * 1024UL)

/*
 * What the fixtures set teesim's dynamic pool to: a limit that the
 * guests' CMA holds, and no idle delay, so that a chunk goes back as soon
 * as its last buffer does (the warm chunk has tests of its own).
 */
#define SIM_DYN_MAX_SIZE	(4 * SZ_1M)
#define SIM_DYN_IDLE_MS		0

#define NO_TA	"sdp_basic TA not available"
#define NO_SIM	"needs teesim's debugfs"
#define NO_PTA	"no invoke_tests pseudo TA (OP-TEE: CFG_TEE_CORE_EMBED_INTERNAL_TESTS=y)"

enum sim_op { SIM_STATE, SIM_AVAILABLE, SIM_LOAD, SIM_UNLOAD };

/* The name of a dma-heap, as readdir() gives it */
struct heap_name {
	char name[256];
};

/* tee_lib.c */
extern const char * const heap_names[];
__u64 page_size(void);
__u64 page_align(__u64 len);
int read_file(const char *path, char *buf, size_t len);
int write_file(const char *path, const char *val);
long long sim_stat(const char *file, const char *key);
int sim_fault(const char *knob, int countdown);
long long sim_param(const char *name);
int sim_set_param(const char *name, long long val);
bool sim_present(void);
int module_op(const char *name, enum sim_op op);
int sim_module(enum sim_op op);
int tee_version(const char *node, struct tee_ioctl_version_data *vers);
long long tee_sysfs_impl_id(const char *name);
int find_tee_dev(__u32 impl_id, bool priv, char *node, size_t len);
bool ensure_backend(void);
bool cmdline_param(const char *name, char *val, size_t len);
bool swiotlb_forced(void);
int vgem_open(void);
int vgem_import(int vgem_fd, int dmabuf_fd, __u32 *handle);
int vgem_close(int vgem_fd, __u32 handle);
int protected_heap_names(struct heap_name *names, int max);
const char *heap_from_env(int index, char *buf, size_t len);
__u32 tee_under_test(void);
int tee_open(bool priv);
int open_session(int fd, const __u8 *uuid, __u32 *session,
		 struct tee_result *res);
int close_session(int fd, __u32 session);
void inv_init(struct tee_invoke *inv, __u32 session, __u32 cmd);
void inv_memref(struct tee_invoke *inv, int n, __u64 attr,
		int shm_id, __u64 offs, __u64 size);
int inv_do(int fd, struct tee_invoke *inv, struct tee_result *res);
int norm_shm_alloc(int fd, size_t size, struct norm_shm *shm);
void norm_shm_free(struct norm_shm *shm);
int heap_alloc(int heap_fd, __u64 len);
int register_fd(int tee_fd, int64_t dmabuf_fd,
		struct tee_ioctl_shm_register_fd_data *data);
int prot_buf_alloc(int heap_fd, int tee_fd, __u64 len,
		   struct prot_buf *buf);
void prot_buf_free(struct prot_buf *buf);
long long pool_stat(const char *pool, const char *key);
int inject(int fd, __u32 s, int src_id, __u64 src_offs,
	   __u64 len, int dst_id, __u64 dst_offs,
	   __u64 dst_len, struct tee_invoke *inv,
	   struct tee_result *res);
int transform(int fd, __u32 s, int id, __u64 offs,
	      __u64 len, struct tee_result *res);
int dump(int fd, __u32 s, int src_id, __u64 src_offs,
	 __u64 len, int dst_id, __u64 dst_offs, __u64 dst_len,
	 struct tee_invoke *inv, struct tee_result *res);
int open_unprivileged(const char *path, cap_value_t cap);
bool others_rw(const char *path);
int drop_privileges(void);

#endif /* TEE_PROTMEM_H */
