/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A session to OP-TEE's sdp_basic TA, without protected memory.
 *
 * Copyright (c) 2026 Seed 97216e93 maintainers
 */
#ifndef TEE_TA_FIXTURE_H
#define TEE_TA_FIXTURE_H

#include "tee_fixtures.h"

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

#endif /* TEE_TA_FIXTURE_H */
