/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the TEE protected DMA-heap selftests.
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

#endif /* TEE_PROTMEM_H */
