/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_policy_check.h"

#include <daemon.h>
#include <processing/jobs/callback_job.h>

typedef struct check_t check_t;

/**
 * What the check of one CHILD_SA's policies needs, copied from the SA.
 */
struct check_t {

	/** CHILD_SA name */
	char *child;

	/** connection name */
	char *conn;

	/** VTI key */
	uint32_t key;

	/** outbound mark of the policies */
	mark_t mark;

	/** outbound interface ID of the policies */
	uint32_t if_id;

	/** security label of the policies, if any */
	sec_label_t *label;

	/** source selectors of the outbound policies */
	linked_list_t *src;

	/** destination selectors, in the same order */
	linked_list_t *dst;
};

/**
 * Free a check.
 */
static void check_destroy(check_t *check)
{
	check->src->destroy_offset(check->src,
							   offsetof(traffic_selector_t, destroy));
	check->dst->destroy_offset(check->dst,
							   offsetof(traffic_selector_t, destroy));
	DESTROY_IF(check->label);
	free(check->child);
	free(check->conn);
	free(check);
}

/**
 * Ask the kernel for each outbound policy; log the first one missing.
 */
static job_requeue_t run_check(check_t *check)
{
	kernel_ipsec_policy_id_t id = {
		.dir = POLICY_OUT,
		.mark = check->mark,
		.if_id = check->if_id,
		.label = check->label,
	};
	kernel_ipsec_query_policy_t query = {};
	traffic_selector_t *src = NULL, *dst = NULL;
	enumerator_t *srcs, *dsts;
	time_t use_time;
	u_int missing = 0, all = 0;

	srcs = check->src->create_enumerator(check->src);
	dsts = check->dst->create_enumerator(check->dst);
	while (srcs->enumerate(srcs, &id.src_ts) &&
		   dsts->enumerate(dsts, &id.dst_ts))
	{
		all++;
		if (charon->kernel->query_policy(charon->kernel, &id, &query,
										 &use_time) != SUCCESS && !missing++)
		{
			src = id.src_ts;
			dst = id.dst_ts;
		}
	}
	if (missing)
	{
		DBG1(DBG_KNL, "vti: CHILD_SA %s of '%s' has no outbound policy %R === "
			 "%R with mark %u (%u of %u missing): traffic routed into vti%u "
			 "is dropped; do not set 'policies = no' on this child",
			 check->child, check->conn, src, dst, check->key, missing, all,
			 check->key);
	}
	srcs->destroy(srcs);
	dsts->destroy(dsts);
	return JOB_REQUEUE_NONE;
}

/*
 * Described in header
 */
void vti_policy_check_queue(ike_sa_t *ike_sa, child_sa_t *child_sa,
							uint32_t key)
{
	traffic_selector_t *src, *dst;
	enumerator_t *enumerator;
	sec_label_t *label = child_sa->get_label(child_sa);
	check_t *check;

	INIT(check,
		.child = strdup(child_sa->get_name(child_sa)),
		.conn = strdup(ike_sa->get_name(ike_sa)),
		.key = key,
		.mark = child_sa->get_mark(child_sa, FALSE),
		.if_id = child_sa->get_if_id(child_sa, FALSE),
		.label = label ? label->clone(label) : NULL,
		.src = linked_list_create(),
		.dst = linked_list_create(),
	);
	enumerator = child_sa->create_policy_enumerator(child_sa);
	while (enumerator->enumerate(enumerator, &src, &dst))
	{
		check->src->insert_last(check->src, src->clone(src));
		check->dst->insert_last(check->dst, dst->clone(dst));
	}
	enumerator->destroy(enumerator);
	lib->processor->queue_job(lib->processor,
		(job_t*)callback_job_create((callback_job_cb_t)run_check, check,
									(callback_job_cleanup_t)check_destroy,
									NULL));
}
