// SPDX-License-Identifier: GPL-2.0
/*
 * tee_bench - the cost of protected buffers against the system heap, in
 * one boot.
 *
 * For each size, the median and 99th percentile of:
 *   alloc+close          system heap, and every protected heap
 *   alloc+register+invoke+close
 *                        every protected heap: allocate, TEE_IOC_SHM_REGISTER_FD,
 *                        one invoke of the sdp_basic TA over the first page,
 *                        close everything
 * each with its ratio to the system heap's alloc+close of the same size,
 * then how many 4K NV12 frames (12,441,600 bytes) each heap holds at once.
 *
 * Absolute times depend on the machine (and in QEMU on TCG); only the
 * ratios, measured in the same boot, mean something. The program refuses
 * to report with a clock coarser than 1 us (CONFIG_HIGH_RES_TIMERS and a
 * continuous clocksource are needed).
 *
 * Not a test: it is installed with the suite (TEST_GEN_PROGS_EXTENDED) and
 * run by the rig's `make bench`.
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/capability.h>
#include <linux/dma-heap.h>

#include "../kselftest.h"
#include "tee_protmem.h"

#define FRAME_4K	12441600ULL	/* 3840 x 2160 NV12 */
#define MAX_HEAPS	8
#define MAX_FRAMES	64
#define MAX_ITERS	200
#define CELL_BUDGET_NS	2000000000ULL	/* per measurement, after warm-up */

static const __u64 sizes[] = {
	4096, 65536, 1 << 20, 4 << 20, FRAME_4K, 32 << 20,
};

struct heap {
	char name[NAME_MAX + 1];
	int fd;
	bool protected;
};

static struct heap heaps[MAX_HEAPS];
static int nheaps;
static int tee_fd = -1;
static __u32 session;
static bool have_ta;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* One alloc+close, or alloc+register+invoke+close: its time, 0 on error */
static __u64 one_op(struct heap *h, __u64 size, bool lifecycle)
{
	struct tee_ioctl_shm_register_fd_data reg;
	struct tee_result res;
	__u64 t0, t;
	int fd, shm_fd;

	t0 = now_ns();
	fd = heap_alloc(h->fd, size);
	if (fd < 0)
		return 0;
	if (lifecycle) {
		shm_fd = register_fd(tee_fd, fd, &reg);
		if (shm_fd < 0) {
			close(fd);
			return 0;
		}
		if (transform(tee_fd, session, reg.id, 0, page_size(), &res) ||
		    res.ret != TEEC_SUCCESS) {
			close(shm_fd);
			close(fd);
			return 0;
		}
		close(shm_fd);
	}
	close(fd);
	t = now_ns() - t0;
	return t ? t : 1;
}

/*
 * Median and p99 of one operation in ns; false if it failed. Five warm-up
 * rounds, then up to MAX_ITERS rounds or CELL_BUDGET_NS.
 */
static bool measure(struct heap *h, __u64 size, bool lifecycle,
		    __u64 *median, __u64 *p99, int *n)
{
	static __u64 t[MAX_ITERS];
	__u64 start;
	int i;

	for (i = 0; i < 5; i++)
		if (!one_op(h, size, lifecycle))
			return false;
	start = now_ns();
	for (i = 0; i < MAX_ITERS && (i < 10 || now_ns() - start < CELL_BUDGET_NS); i++) {
		t[i] = one_op(h, size, lifecycle);
		if (!t[i])
			return false;
	}
	qsort(t, i, sizeof(t[0]), cmp_u64);
	*n = i;
	*median = t[i / 2];
	*p99 = t[(i * 99) / 100 < i ? (i * 99) / 100 : i - 1];
	return true;
}

/* How many 4K frames the heap holds at once (up to MAX_FRAMES) */
static int frames(struct heap *h)
{
	int fds[MAX_FRAMES], n, i;

	for (n = 0; n < MAX_FRAMES; n++) {
		fds[n] = heap_alloc(h->fd, FRAME_4K);
		if (fds[n] < 0)
			break;
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return n;
}

static void add_heap(const char *name, bool prot)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DMA_HEAP_DIR "/%s", name);
	heaps[nheaps].fd = open(path, O_RDONLY | O_CLOEXEC);
	if (heaps[nheaps].fd < 0)
		return;
	snprintf(heaps[nheaps].name, sizeof(heaps[nheaps].name), "%s", name);
	heaps[nheaps].protected = prot;
	nheaps++;
}

/* The system heap first: it is the baseline */
static void find_heaps(void)
{
	struct heap_name names[MAX_HEAPS];
	int i, n = protected_heap_names(names, MAX_HEAPS - 1);

	add_heap("system", false);
	for (i = 0; i < n; i++)
		add_heap(names[i].name, true);
}

static void open_ta(void)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	struct tee_result res;

	tee_fd = tee_open(false);
	if (tee_fd < 0)
		return;
	have_ta = !open_session(tee_fd, uuid, &session, &res) &&
		  res.ret == TEEC_SUCCESS;
}

int main(void)
{
	__u64 base[ARRAY_SIZE(sizes)] = { 0 };
	__u64 med, p99;
	struct timespec res;
	unsigned int s;
	int i, n;

	if (clock_getres(CLOCK_MONOTONIC, &res) || res.tv_sec ||
	    res.tv_nsec > 1000) {
		printf("# tee_bench: clock resolution %ld ns, too coarse: not reporting\n",
		       (long)res.tv_nsec);
		printf("# (needs CONFIG_HIGH_RES_TIMERS and a continuous clocksource)\n");
		return 1;
	}
	ensure_backend();
	find_heaps();
	if (!nheaps || heaps[0].protected) {
		printf("# tee_bench: no system heap (CONFIG_DMABUF_HEAPS_SYSTEM)\n");
		return 1;
	}
	open_ta();
	printf("# tee_bench: clock resolution %ld ns, %ld CPUs, TA %s\n",
	       (long)res.tv_nsec, sysconf(_SC_NPROCESSORS_ONLN),
	       have_ta ? "sdp_basic" : "not available (no lifecycle rows)");
	printf("# %-26s %-22s %10s %4s %12s %12s %7s\n", "heap", "operation",
	       "size", "n", "median_us", "p99_us", "ratio");
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (i = 0; i < nheaps; i++) {
			int lc;

			for (lc = 0; lc <= (heaps[i].protected && have_ta); lc++) {
				const char *op = lc ? "alloc+reg+invoke+close" :
						      "alloc+close";

				if (!measure(&heaps[i], sizes[s], lc, &med, &p99, &n)) {
					printf("  %-26s %-22s %10llu    - %12s %12s %7s\n",
					       heaps[i].name, op,
					       (unsigned long long)sizes[s],
					       "ENOMEM", "-", "-");
					continue;
				}
				if (!i)
					base[s] = med;
				printf("  %-26s %-22s %10llu %4d %12.1f %12.1f %7.2f\n",
				       heaps[i].name, op,
				       (unsigned long long)sizes[s], n,
				       med / 1000.0, p99 / 1000.0,
				       base[s] ? (double)med / base[s] : 0);
			}
		}
	}
	printf("# concurrent 4K NV12 frames (%llu bytes, up to %d)\n",
	       FRAME_4K, MAX_FRAMES);
	for (i = 0; i < nheaps; i++)
		printf("  %-26s %d\n", heaps[i].name, frames(&heaps[i]));
	return 0;
}
