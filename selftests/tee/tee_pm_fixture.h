/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the tests on protected heaps, see tee_fixtures.h.
 * Included once per program, with PM_NAME (the fixture's name: protmem,
 * sdp or teesim) and PM_NEEDS (enum pm_needs) defined.
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */

/* Expand PM_NAME before the harness pastes it into identifiers */
#define PM_FIXTURE_(f)			FIXTURE(f)
#define PM_FIXTURE_VARIANT_(f)		FIXTURE_VARIANT(f)
#define PM_FIXTURE_VARIANT_ADD_(f, v)	FIXTURE_VARIANT_ADD(f, v)
#define PM_FIXTURE_SETUP_(f)		FIXTURE_SETUP(f)
#define PM_FIXTURE_TEARDOWN_(f)		FIXTURE_TEARDOWN(f)

PM_FIXTURE_(PM_NAME)
{
	char heap[128];
	bool sim;
	int heap_fd;
	int tee_fd;
	__u32 session;
	bool have_ta;
	long long pool_size;
	long long saved_max_size;
	long long saved_idle_ms;
};

PM_FIXTURE_VARIANT_(PM_NAME)
{
	const char *pool;		/* teesim debugfs directory */
	const char *default_heap;	/* heap without teesim */
	bool dynamic;
};

PM_FIXTURE_VARIANT_ADD_(PM_NAME, static_pool)
{
	.pool = "static",
	.default_heap = "protected,secure-video",
	.dynamic = false,
};

PM_FIXTURE_VARIANT_ADD_(PM_NAME, dynamic_pool)
{
	.pool = "dynamic",
	.default_heap = "protected,trusted-ui",
	.dynamic = true,
};

PM_FIXTURE_SETUP_(PM_NAME)
{
	static const __u8 uuid[] = SDP_BASIC_UUID;
	const enum pm_needs needs = PM_NEEDS;
	const char *name = variant->default_heap;
	struct tee_result res;
	char env[128];
	long long id;

	self->heap_fd = -1;
	self->tee_fd = -1;
	ensure_backend();
	/* HEAP= chooses the heaps; teesim's statistics are not used then */
	if (getenv("HEAP")) {
		name = heap_from_env(variant->dynamic, env, sizeof(env));
		if (!name)
			SKIP(return, "HEAP= names no heap for this variant");
	}
	self->sim = tee_under_test() == TEESIM_IMPL_ID && !getenv("HEAP");
	if (needs == PM_NEEDS_TEESIM && !self->sim)
		SKIP(return, "teesim only (" NO_SIM ", TEE= and HEAP= unset)");
	if (self->sim) {
		self->saved_max_size = sim_param("dyn_max_size");
		self->saved_idle_ms = sim_param("dyn_idle_ms");
		ASSERT_EQ(0, sim_set_param("dyn_max_size", SIM_DYN_MAX_SIZE));
		ASSERT_EQ(0, sim_set_param("dyn_idle_ms", SIM_DYN_IDLE_MS));
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
	if (needs == PM_NEEDS_TA && !self->have_ta)
		SKIP(return, NO_TA);
}

PM_FIXTURE_TEARDOWN_(PM_NAME)
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
	if (self->sim) {
		sim_set_param("dyn_max_size", self->saved_max_size);
		sim_set_param("dyn_idle_ms", self->saved_idle_ms);
	}
}
