// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading the TEE modules in every order, with protected
 * heaps and live buffers: tee (the core, which owns the protected
 * DMA-heaps), optee and teesim, as Debian builds them (CONFIG_TEE=m,
 * CONFIG_OPTEE=m). The kernel guarantees: a module that a live buffer, an
 * open device or another module still uses refuses to unload; a protected
 * heap, once created, stays and pins tee (heaps cannot be removed), and
 * refuses allocations while its TEE driver is gone; reloading the driver
 * serves the heap again.
 *
 * This program runs first in the collection: tee can only be unloaded
 * before a TEE driver has created a protected heap. Tests whose modules
 * are built in skip, with the config that runs them.
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>

#include "../kselftest_harness.h"
#include "tee_protmem.h"

#define TEE_NAME	"tee"
#define OPTEE_NAME	"optee"

#define NOT_MODULE(m)	m " is built in or not installed as a module"

static bool loaded(const char *name)
{
	int st = module_op(name, SIM_STATE);

	return st == KMOD_MODULE_LIVE || st == KMOD_MODULE_BUILTIN;
}

static bool is_module(const char *name)
{
	return module_op(name, SIM_STATE) != KMOD_MODULE_BUILTIN &&
	       module_op(name, SIM_AVAILABLE) == 1;
}

/* An unload that must be refused: the module is in use */
static bool refused(int rc)
{
	return rc == -EAGAIN || rc == -EBUSY;
}

/* Number of protected heaps, and the path of the first one in @path */
static int protected_heaps(char *path, size_t len)
{
	struct heap_name names[8];
	int n = protected_heap_names(names, ARRAY_SIZE(names));

	if (n && path)
		snprintf(path, len, DMA_HEAP_DIR "/%s", names[0].name);
	return n;
}

/* Allocate 4 KiB from the first protected heap: a dma-buf fd or -errno */
static int alloc_one(void)
{
	char path[PATH_MAX];
	int heap_fd, fd;

	if (!protected_heaps(path, sizeof(path)))
		return -ENOENT;
	heap_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (heap_fd < 0)
		return -errno;
	fd = heap_alloc(heap_fd, SZ_4K);
	close(heap_fd);
	return fd;
}

/* Unload @name if it is loaded and nothing uses it */
static void unload_if_loaded(const char *name)
{
	if (module_op(name, SIM_STATE) == KMOD_MODULE_LIVE)
		module_op(name, SIM_UNLOAD);
}

/* teesim is loaded and serves its heaps */
static void expect_teesim_serves(struct __test_metadata *_metadata)
{
	int fd;

	ASSERT_TRUE(sim_present());
	fd = alloc_one();
	EXPECT_LE(0, fd) TH_LOG("alloc: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
}

/* Unload teesim, which must be refused while @what holds it */
static void expect_teesim_held(struct __test_metadata *_metadata,
			       const char *what)
{
	int rc = sim_module(SIM_UNLOAD);

	EXPECT_TRUE(refused(rc)) TH_LOG("rmmod teesim with %s: %d", what, rc);
	ASSERT_TRUE(sim_present()) TH_LOG("teesim unloaded under %s", what);
}

static void reload_teesim(struct __test_metadata *_metadata)
{
	int rc = sim_module(SIM_UNLOAD);

	ASSERT_EQ(0, rc) TH_LOG("rmmod teesim: %s", strerror(-rc));
	ASSERT_FALSE(sim_present());
	ASSERT_EQ(0, sim_module(SIM_LOAD));
	expect_teesim_serves(_metadata);
}

/*
 * The core alone, twice: it loads and unloads cleanly while no TEE driver
 * has created a heap. Nothing else is unloaded for it: on a board, where
 * OP-TEE is loaded at boot, it skips.
 */
TEST(tee_core_alone)
{
	int i, rc;

	if (!is_module(TEE_NAME))
		SKIP(return, NOT_MODULE(TEE_NAME) " (CONFIG_TEE=m)");
	if (protected_heaps(NULL, 0))
		SKIP(return, "a protected heap pins tee: run tee_modules first after boot");
	for (i = 0; i < 2; i++) {
		unload_if_loaded(TEE_NAME);
		if (loaded(TEE_NAME))
			SKIP(return, "a TEE driver (optee?) uses tee: unload it first");
		ASSERT_EQ(0, module_op(TEE_NAME, SIM_LOAD));
		EXPECT_TRUE(loaded(TEE_NAME));
		EXPECT_EQ(0, protected_heaps(NULL, 0));
		rc = module_op(TEE_NAME, SIM_UNLOAD);
		EXPECT_EQ(0, rc) TH_LOG("rmmod tee: %s", strerror(-rc));
		EXPECT_FALSE(loaded(TEE_NAME));
	}
}

/*
 * OP-TEE on the core: the core cannot go while optee uses it; optee can.
 * Where a secure world gave optee a protected heap, tee then stays. An
 * optee loaded before the test is loaded again after it.
 */
TEST(optee_on_tee)
{
	bool was_loaded = loaded(OPTEE_NAME);
	int rc;

	if (!is_module(TEE_NAME) || !is_module(OPTEE_NAME))
		SKIP(return, NOT_MODULE(OPTEE_NAME) " (arm64, CONFIG_OPTEE=m)");
	unload_if_loaded(OPTEE_NAME);
	if (loaded(OPTEE_NAME))
		SKIP(return, "optee is in use (tee-supplicant?): stop its users first");
	ASSERT_EQ(0, module_op(OPTEE_NAME, SIM_LOAD));
	ASSERT_TRUE(loaded(TEE_NAME));
	rc = module_op(TEE_NAME, SIM_UNLOAD);
	EXPECT_TRUE(refused(rc)) TH_LOG("rmmod tee under optee: %d", rc);
	ASSERT_TRUE(loaded(TEE_NAME));

	rc = module_op(OPTEE_NAME, SIM_UNLOAD);
	ASSERT_EQ(0, rc) TH_LOG("rmmod optee: %s", strerror(-rc));
	if (!loaded(TEESIM_NAME)) {
		rc = module_op(TEE_NAME, SIM_UNLOAD);
		if (protected_heaps(NULL, 0)) {
			EXPECT_TRUE(refused(rc)) TH_LOG("rmmod tee with a heap: %d", rc);
			EXPECT_TRUE(loaded(TEE_NAME));
		} else {
			EXPECT_EQ(0, rc) TH_LOG("rmmod tee: %s", strerror(-rc));
		}
	}
	if (was_loaded)
		ASSERT_EQ(0, module_op(OPTEE_NAME, SIM_LOAD));
}

/*
 * teesim creates protected heaps: from then on tee stays. Without teesim
 * the heaps stay and refuse allocations; reloaded, teesim serves them.
 */
TEST(teesim_pins_tee)
{
	int heaps, rc, fd;

	if (!is_module(TEESIM_NAME))
		SKIP(return, NOT_MODULE(TEESIM_NAME) " (CONFIG_TEESIM=m)");
	unload_if_loaded(TEESIM_NAME);
	ASSERT_FALSE(sim_present()) TH_LOG("teesim in use");
	ASSERT_EQ(0, sim_module(SIM_LOAD));
	ASSERT_TRUE(loaded(TEE_NAME));
	heaps = protected_heaps(NULL, 0);
	ASSERT_LT(0, heaps);
	expect_teesim_serves(_metadata);

	rc = module_op(TEE_NAME, SIM_UNLOAD);
	EXPECT_TRUE(refused(rc)) TH_LOG("rmmod tee under teesim: %d", rc);
	rc = sim_module(SIM_UNLOAD);
	ASSERT_EQ(0, rc) TH_LOG("rmmod teesim: %s", strerror(-rc));
	EXPECT_EQ(heaps, protected_heaps(NULL, 0));
	if (is_module(TEE_NAME)) {
		rc = module_op(TEE_NAME, SIM_UNLOAD);
		EXPECT_TRUE(refused(rc)) TH_LOG("rmmod tee with heaps: %d", rc);
		EXPECT_TRUE(loaded(TEE_NAME));
	}
	fd = alloc_one();
	EXPECT_EQ(-EINVAL, fd);
	if (fd >= 0)
		close(fd);

	ASSERT_EQ(0, sim_module(SIM_LOAD));
	EXPECT_EQ(heaps, protected_heaps(NULL, 0));
	expect_teesim_serves(_metadata);
}

/* A heap fd opened before teesim went away serves the reloaded teesim */
TEST(heap_fd_across_reload)
{
	char path[PATH_MAX];
	int heap_fd, fd;

	if (!is_module(TEESIM_NAME))
		SKIP(return, NOT_MODULE(TEESIM_NAME) " (CONFIG_TEESIM=m)");
	if (!sim_present())
		ASSERT_EQ(0, sim_module(SIM_LOAD));
	ASSERT_LT(0, protected_heaps(path, sizeof(path)));
	heap_fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, heap_fd);
	reload_teesim(_metadata);
	fd = heap_alloc(heap_fd, SZ_4K);
	EXPECT_LE(0, fd) TH_LOG("alloc: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	close(heap_fd);
}

/* A buffer registered with the TEE, its dma-buf fd closed, holds teesim */
static void registered_buffer_holds_teesim(struct __test_metadata *_metadata)
{
	char path[PATH_MAX];
	int heap_fd, tee_fd;
	struct prot_buf pb;

	ASSERT_LT(0, protected_heaps(path, sizeof(path)));
	heap_fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, heap_fd);
	tee_fd = tee_open(false);
	ASSERT_LE(0, tee_fd);
	ASSERT_EQ(0, prot_buf_alloc(heap_fd, tee_fd, SZ_4K, &pb));
	close(heap_fd);
	close(tee_fd);
	close(pb.dmabuf_fd);
	pb.dmabuf_fd = -1;
	expect_teesim_held(_metadata, "a registered buffer");
	prot_buf_free(&pb);
	reload_teesim(_metadata);
}

/*
 * Everything that holds teesim: a buffer's dma-buf fd, the buffer
 * registered with the TEE (its fd closed), the buffer imported by another
 * driver (vgem), an open TEE device. Each refuses the unload; once it is
 * gone teesim unloads, and the next teesim serves the heap.
 */
TEST(live_buffers_hold_teesim)
{
	__u32 handle;
	int fd, vgem;

	if (!is_module(TEESIM_NAME))
		SKIP(return, NOT_MODULE(TEESIM_NAME) " (CONFIG_TEESIM=m)");
	if (!sim_present())
		ASSERT_EQ(0, sim_module(SIM_LOAD));

	fd = alloc_one();
	ASSERT_LE(0, fd);
	expect_teesim_held(_metadata, "a dma-buf fd");
	close(fd);
	reload_teesim(_metadata);

	fd = tee_open(false);
	ASSERT_LE(0, fd);
	expect_teesim_held(_metadata, "an open TEE device");
	close(fd);
	reload_teesim(_metadata);

	registered_buffer_holds_teesim(_metadata);

	vgem = vgem_open();
	if (vgem < 0)
		return;
	fd = alloc_one();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vgem_import(vgem, fd, &handle));
	close(fd);
	expect_teesim_held(_metadata, "a buffer imported by vgem");
	EXPECT_EQ(0, vgem_close(vgem, handle));
	close(vgem);
	reload_teesim(_metadata);
}

/*
 * optee and teesim, loaded and unloaded in all four orders, with a live
 * teesim buffer throughout: optee comes and goes under it, teesim only
 * goes once the buffer is freed.
 */
TEST(optee_and_teesim_orders)
{
	static const char * const names[] = { OPTEE_NAME, TEESIM_NAME };
	int order, i, fd, rc;

	if (!is_module(OPTEE_NAME) || !is_module(TEESIM_NAME))
		SKIP(return, "needs optee.ko and teesim.ko (CONFIG_OPTEE=m, CONFIG_TEESIM=m)");
	for (order = 0; order < 4; order++) {
		const char *first = names[order & 1];
		const char *second = names[!(order & 1)];
		const char *unload[2] = {
			names[(order >> 1) & 1], names[!((order >> 1) & 1)]
		};

		unload_if_loaded(OPTEE_NAME);
		unload_if_loaded(TEESIM_NAME);
		ASSERT_FALSE(loaded(OPTEE_NAME) || sim_present());
		ASSERT_EQ(0, module_op(first, SIM_LOAD));
		ASSERT_EQ(0, module_op(second, SIM_LOAD));
		fd = alloc_one();
		ASSERT_LE(0, fd) TH_LOG("load %s, %s: alloc: %s", first, second,
					strerror(-fd));
		for (i = 0; i < 2; i++) {
			if (!strcmp(unload[i], TEESIM_NAME)) {
				expect_teesim_held(_metadata, "a dma-buf fd");
				close(fd);
				fd = -1;
			}
			rc = module_op(unload[i], SIM_UNLOAD);
			EXPECT_EQ(0, rc) TH_LOG("load %s, %s, unload %s: %s",
						first, second, unload[i],
						strerror(-rc));
			EXPECT_FALSE(loaded(unload[i]));
		}
	}
	ASSERT_EQ(0, sim_module(SIM_LOAD));
	expect_teesim_serves(_metadata);
}

TEST_HARNESS_MAIN
