/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the listener: which bus events reach the tunnel table, with
 * which key and which description of the SA. The IKE_SAs, CHILD_SAs and
 * child configs are small fakes with only the methods the listener calls;
 * what it asks of charon goes through vti_listener_env_t, and its log
 * lines through a bus that records them.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vti_listener.h"
#include "vti_prefix.h"

#include <daemon.h>

/** charon, as far as the listener's log lines reach it: its bus */
daemon_t *charon;

/** Log lines of level 1 or lower, and events, in the order they came */
static linked_list_t *events;

/** Record a line */
static void record(char *fmt, ...)
{
	char buf[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	events->insert_last(events, strdup(buf));
}

/** Record a log line of libstrongswan's dbg() */
static void record_dbg(debug_t group, level_t level, char *fmt, ...)
{
	char buf[512];
	va_list args;

	if (level > LEVEL_CTRL)
	{
		return;
	}
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	record("log %s", buf);
}

/** Record a log line of charon's bus */
static void bus_log(bus_t *bus, debug_t group, level_t level, char *fmt, ...)
{
	char buf[512];
	va_list args;

	if (level > LEVEL_CTRL)
	{
		return;
	}
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	record("log %s", buf);
}

/** Print a list of prefixes, separated by spaces */
static char *print_prefixes(array_t *list, char *buf, size_t len)
{
	enumerator_t *enumerator;
	vti_prefix_t *prefix;
	char str[VTI_PREFIX_STRLEN];
	size_t pos = 0;

	buf[0] = '\0';
	enumerator = array_create_enumerator(list);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		pos += snprintf(buf + pos, len - pos, "%s%s", pos ? " " : "",
						prefix->print(prefix, str, sizeof(str)));
	}
	enumerator->destroy(enumerator);
	return buf;
}

/** Print what the table learns of an SA: all but its settings */
static void record_sa(char *what, vti_sa_t *sa)
{
	char ts[256];

	/* the table resolves the settings, the listener sends none */
	assert_null(sa->cfg);
	record("%s %u key %u%s %H %H %s/%s peer %s kind %s ts [%s] underlay '%s' "
		   "overhead %u/%u", what, sa->id, sa->key,
		   sa->dynamic ? " dynamic" : "", sa->local, sa->remote, sa->conn,
		   sa->child, sa->peer, vti_kind_name(sa->kind),
		   print_prefixes(sa->remote_ts, ts, sizeof(ts)), sa->underlay,
		   sa->overhead.fixed, sa->overhead.block);
}

static void rec_sa_up(vti_tunnels_t *t, vti_sa_t *sa)
{
	record_sa("up", sa);
}

static void rec_sa_down(vti_tunnels_t *t, uint32_t id)
{
	record("down %u", id);
}

static void rec_sa_destroyed(vti_tunnels_t *t, uint32_t id)
{
	record("destroyed %u", id);
}

static void rec_sa_rekeyed(vti_tunnels_t *t, uint32_t old_id, vti_sa_t *sa)
{
	char what[32];

	snprintf(what, sizeof(what), "rekeyed %u ->", old_id);
	record_sa(what, sa);
}

static void rec_ike_down(vti_tunnels_t *t, uint32_t *ids, u_int count)
{
	char buf[128];
	size_t pos = 0;
	u_int i;

	for (i = 0; i < count; i++)
	{
		pos += snprintf(buf + pos, sizeof(buf) - pos, " %u", ids[i]);
	}
	record("ike_down%s", buf);
}

static void rec_ike_moved(vti_tunnels_t *t, vti_sa_move_t *moves,
						  u_int count, host_t *local, host_t *remote)
{
	char buf[256];
	size_t pos = 0;
	u_int i;

	for (i = 0; i < count; i++)
	{
		pos += snprintf(buf + pos, sizeof(buf) - pos, " %u '%s' %u/%u",
						moves[i].id, moves[i].underlay, moves[i].overhead.fixed,
						moves[i].overhead.block);
	}
	record("moved %H %H%s", local, remote, buf);
}

/** The table the listener feeds: records every event */
static vti_tunnels_t recorder = {
	.sa_up = rec_sa_up,
	.sa_down = rec_sa_down,
	.sa_destroyed = rec_sa_destroyed,
	.sa_rekeyed = rec_sa_rekeyed,
	.ike_down = rec_ike_down,
	.ike_moved = rec_ike_moved,
};

/** "dynamic" stands for the peer's address */
static linked_list_t *env_get_dynamic_hosts(ike_sa_t *ike_sa)
{
	return linked_list_create_with_items(ike_sa->get_other_host(ike_sa),
										 NULL);
}

/** Record the policy check */
static void env_check_policies(ike_sa_t *ike_sa, child_sa_t *child_sa,
							   uint32_t key)
{
	record("check %u key %u", child_sa->get_unique_id(child_sa), key);
}

/** What the listener asks of charon */
static vti_listener_env_t env = {
	.get_dynamic_hosts = env_get_dynamic_hosts,
	.check_policies = env_check_policies,
};

/**
 * A child config: its inbound mark and remote traffic selectors.
 */
typedef struct {
	/** the methods the listener calls */
	child_cfg_t public;
	/** configured inbound mark */
	mark_t mark;
	/** configured interface ID */
	uint32_t if_id;
	/** configured remote selectors, traffic_selector_t* */
	linked_list_t *remote_ts;
} fake_cfg_t;

/**
 * A CHILD_SA: name, unique ID, resolved marks, negotiated remote selectors.
 */
typedef struct {
	/** the methods the listener calls */
	child_sa_t public;
	/** its config */
	fake_cfg_t *cfg;
	/** name */
	char *name;
	/** unique ID */
	uint32_t id;
	/** resolved marks */
	mark_t in, out;
	/** resolved interface IDs */
	uint32_t if_in, if_out;
	/** negotiated remote selectors, traffic_selector_t* */
	linked_list_t *remote_ts;
} fake_child_t;

/**
 * An IKE_SA: name, endpoints, peer identity, CHILD_SAs, NAT.
 */
typedef struct {
	/** the methods the listener calls */
	ike_sa_t public;
	/** connection name */
	char *name;
	/** endpoints */
	host_t *me, *other;
	/** peer identity */
	identification_t *other_id;
	/** its CHILD_SAs, fake_child_t* */
	linked_list_t *children;
	/** a NAT was detected */
	bool nat;
} fake_ike_t;

METHOD(child_cfg_t, cfg_get_mark, mark_t,
	fake_cfg_t *this, bool inbound)
{
	return this->mark;
}

METHOD(child_cfg_t, cfg_get_if_id, uint32_t,
	fake_cfg_t *this, bool inbound)
{
	return this->if_id;
}

#ifdef HAVE_CHILD_CFG_T_SELECT_TRAFFIC_SELECTORS
METHOD(child_cfg_t, cfg_get_ts, linked_list_t*,
	fake_cfg_t *this, bool local, linked_list_t *hosts)
#else
METHOD(child_cfg_t, cfg_get_ts, linked_list_t*,
	fake_cfg_t *this, bool local, linked_list_t *supplied,
	linked_list_t *hosts, bool log)
#endif
{
	return this->remote_ts->clone_offset(this->remote_ts,
										 offsetof(traffic_selector_t, clone));
}

METHOD(child_sa_t, child_get_config, child_cfg_t*,
	fake_child_t *this)
{
	return &this->cfg->public;
}

METHOD(child_sa_t, child_get_mark, mark_t,
	fake_child_t *this, bool inbound)
{
	return inbound ? this->in : this->out;
}

METHOD(child_sa_t, child_get_if_id, uint32_t,
	fake_child_t *this, bool inbound)
{
	return inbound ? this->if_in : this->if_out;
}

METHOD(child_sa_t, child_get_name, char*,
	fake_child_t *this)
{
	return this->name;
}

METHOD(child_sa_t, child_get_unique_id, uint32_t,
	fake_child_t *this)
{
	return this->id;
}

METHOD(child_sa_t, child_create_ts_enumerator, enumerator_t*,
	fake_child_t *this, bool local)
{
	return this->remote_ts->create_enumerator(this->remote_ts);
}

METHOD(child_sa_t, child_get_proposal, proposal_t*,
	fake_child_t *this)
{
	return NULL;
}

METHOD(child_sa_t, child_has_encap, bool,
	fake_child_t *this)
{
	return FALSE;
}

METHOD(ike_sa_t, ike_get_name, char*,
	fake_ike_t *this)
{
	return this->name;
}

METHOD(ike_sa_t, ike_get_my_host, host_t*,
	fake_ike_t *this)
{
	return this->me;
}

METHOD(ike_sa_t, ike_get_other_host, host_t*,
	fake_ike_t *this)
{
	return this->other;
}

METHOD(ike_sa_t, ike_get_other_id, identification_t*,
	fake_ike_t *this)
{
	return this->other_id;
}

METHOD(ike_sa_t, ike_get_peer_cfg, peer_cfg_t*,
	fake_ike_t *this)
{
	return NULL;
}

METHOD(ike_sa_t, ike_get_child_count, int,
	fake_ike_t *this)
{
	return this->children->get_count(this->children);
}

METHOD(ike_sa_t, ike_create_child_sa_enumerator, enumerator_t*,
	fake_ike_t *this)
{
	return this->children->create_enumerator(this->children);
}

METHOD(ike_sa_t, ike_has_condition, bool,
	fake_ike_t *this, ike_condition_t condition)
{
	return condition == COND_NAT_ANY && this->nat;
}

/** Test fixture */
typedef struct {
	/** the listener under test */
	vti_listener_t *listener;
	/** its hook durations */
	vti_hook_stats_t *stats;
	/** charon's bus, recording */
	bus_t bus;
	/** charon */
	daemon_t daemon;
	/** the IKE_SA "site" between 10.9.0.1 and 10.9.0.2 */
	fake_ike_t *ike;
	/** child configs, freed at teardown */
	linked_list_t *cfgs;
	/** CHILD_SAs not in the IKE_SA, freed at teardown */
	linked_list_t *loose;
} fixture_t;

/** The fixture of the running test */
static fixture_t *current;

/** A mark with a full mask */
static mark_t mark(uint32_t value)
{
	return (mark_t){ .value = value, .mask = 0xffffffff };
}

/** A selector from NET/LEN or FROM-TO */
static traffic_selector_t *ts(char *str)
{
	char from[64], *dash = strchr(str, '-');
	traffic_selector_t *ts;
	host_t *a, *b;

	if (!dash)
	{
		return traffic_selector_create_from_cidr(str, 0, 0, 65535);
	}
	snprintf(from, sizeof(from), "%.*s", (int)(dash - str), str);
	a = host_create_from_string(from, 0);
	b = host_create_from_string(dash + 1, 0);
	ts = traffic_selector_create_from_bytes(0, TS_IPV4_ADDR_RANGE,
						a->get_address(a), 0, b->get_address(b), 65535);
	a->destroy(a);
	b->destroy(b);
	return ts;
}

/** A list of selectors from a space-separated string */
static linked_list_t *ts_list(char *str)
{
	enumerator_t *enumerator;
	linked_list_t *list = linked_list_create();
	char *token;

	enumerator = enumerator_create_token(str, " ", "");
	while (enumerator->enumerate(enumerator, &token))
	{
		list->insert_last(list, ts(token));
	}
	enumerator->destroy(enumerator);
	return list;
}

/** A child config with a mark and remote selectors */
static fake_cfg_t *cfg(mark_t mark, char *remote_ts)
{
	fake_cfg_t *cfg;

	INIT(cfg,
		.public = {
			.get_mark = _cfg_get_mark,
			.get_if_id = _cfg_get_if_id,
			.get_traffic_selectors = _cfg_get_ts,
		},
		.mark = mark,
		.remote_ts = ts_list(remote_ts),
	);
	current->cfgs->insert_last(current->cfgs, cfg);
	return cfg;
}

/** A CHILD_SA "net" of a config, with resolved marks and negotiated remote
 *  selectors; not yet in the IKE_SA */
static child_sa_t *child(uint32_t id, fake_cfg_t *cfg, mark_t in, mark_t out,
						 char *remote_ts)
{
	fake_child_t *child;

	INIT(child,
		.public = {
			.get_config = _child_get_config,
			.get_mark = _child_get_mark,
			.get_if_id = _child_get_if_id,
			.get_name = _child_get_name,
			.get_unique_id = _child_get_unique_id,
			.create_ts_enumerator = _child_create_ts_enumerator,
			.get_proposal = _child_get_proposal,
			.has_encap = _child_has_encap,
		},
		.cfg = cfg,
		.name = "net",
		.id = id,
		.in = in,
		.out = out,
		.remote_ts = ts_list(remote_ts),
	);
	current->loose->insert_last(current->loose, child);
	return &child->public;
}

/** A CHILD_SA with key 42 and default selectors */
static child_sa_t *keyed(uint32_t id)
{
	return child(id, cfg(mark(42), "10.0.0.0/8"), mark(42), mark(42),
				 "10.1.0.0/16");
}

/** Put a CHILD_SA into the IKE_SA */
static child_sa_t *adopt(child_sa_t *child)
{
	current->loose->remove(current->loose, child, NULL);
	current->ike->children->insert_last(current->ike->children, child);
	return child;
}

/** Free a fake CHILD_SA */
static void child_destroy(fake_child_t *child)
{
	child->remote_ts->destroy_offset(child->remote_ts,
									 offsetof(traffic_selector_t, destroy));
	free(child);
}

/** Free a fake child config */
static void cfg_destroy(fake_cfg_t *cfg)
{
	cfg->remote_ts->destroy_offset(cfg->remote_ts,
								   offsetof(traffic_selector_t, destroy));
	free(cfg);
}

static int setup(void **state)
{
	fixture_t *f;

	INIT(f,
		.stats = vti_hook_stats_create(),
		.bus = {
			.log = bus_log,
		},
		.cfgs = linked_list_create(),
		.loose = linked_list_create(),
	);
	f->daemon.bus = &f->bus;
	charon = &f->daemon;
	events = linked_list_create();
	dbg = record_dbg;
	INIT(f->ike,
		.public = {
			.get_name = _ike_get_name,
			.get_my_host = _ike_get_my_host,
			.get_other_host = _ike_get_other_host,
			.get_other_id = _ike_get_other_id,
			.get_peer_cfg = _ike_get_peer_cfg,
			.get_child_count = _ike_get_child_count,
			.create_child_sa_enumerator = _ike_create_child_sa_enumerator,
			.has_condition = _ike_has_condition,
		},
		.name = "site",
		.me = host_create_from_string("10.9.0.1", 500),
		.other = host_create_from_string("10.9.0.2", 500),
		.other_id = identification_create_from_string("peer.example"),
		.children = linked_list_create(),
	);
	f->listener = vti_listener_create(&recorder, f->stats, &env);
	current = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	char *line = NULL;

	events->remove_first(events, (void**)&line);
	if (line)
	{
		fail_msg("unexpected: %s", line);
	}
	f->listener->destroy(f->listener);
	f->stats->destroy(f->stats);
	f->ike->me->destroy(f->ike->me);
	f->ike->other->destroy(f->ike->other);
	f->ike->other_id->destroy(f->ike->other_id);
	f->ike->children->destroy_function(f->ike->children,
									   (void*)child_destroy);
	free(f->ike);
	f->loose->destroy_function(f->loose, (void*)child_destroy);
	f->cfgs->destroy_function(f->cfgs, (void*)cfg_destroy);
	events->destroy(events);
	charon = NULL;
	free(f);
	return 0;
}

/** Assert the next event or log line, in full */
static void expect(char *expected)
{
	char *line = NULL;

	events->remove_first(events, (void**)&line);
	if (!line)
	{
		fail_msg("nothing recorded, expected: %s", expected);
	}
	if (!streq(line, expected))
	{
		fail_msg("recorded: %s\nexpected: %s", line, expected);
	}
	free(line);
}

/** Assert that nothing more was recorded */
static void expect_nothing(void)
{
	char *line = NULL;

	events->remove_first(events, (void**)&line);
	if (line)
	{
		fail_msg("unexpected: %s", line);
	}
}

/** Raise child_updown() */
static void child_updown(fixture_t *f, child_sa_t *child, bool up)
{
	listener_t *l = &f->listener->listener;

	assert_true(l->child_updown(l, &f->ike->public, child, up));
}

/** Overhead the listener gives for unknown algorithms, without NAT */
static char *plain_overhead(char *buf, size_t len)
{
	vti_overhead_t o = vti_mtu_overhead(NULL, FALSE, FALSE);

	snprintf(buf, len, "%u/%u", o.fixed, o.block);
	return buf;
}

/** Equal marks in and out give the key; the SA reaches the table with
 *  its endpoints, names, peer, kind, selectors and underlay, after
 *  its policies were queued for the check */
static void test_key_from_marks(void **state)
{
	fixture_t *f = *state;
	char line[512], o[32];

	child_updown(f, adopt(keyed(7)), TRUE);
	expect("check 7 key 42");
	snprintf(line, sizeof(line), "up 7 key 42 10.9.0.1 10.9.0.2 site/net "
			 "peer peer.example kind vti ts [10.1.0.0/16] underlay '' "
			 "overhead %s", plain_overhead(o, sizeof(o)));
	expect(line);
	expect_nothing();
}

/** %unique: the resolved marks are the key, and the SA is dynamic */
static void test_unique(void **state)
{
	fixture_t *f = *state;
	mark_t unique = { .value = MARK_UNIQUE, .mask = 0xffffffff };
	char line[512], o[32];

	child_updown(f, adopt(child(7, cfg(unique, "10.0.0.0/8"), mark(1000),
								mark(1000), "10.1.0.0/16")), TRUE);
	expect("check 7 key 1000");
	snprintf(line, sizeof(line), "up 7 key 1000 dynamic 10.9.0.1 10.9.0.2 "
			 "site/net peer peer.example kind vti ts [10.1.0.0/16] "
			 "underlay '' overhead %s", plain_overhead(o, sizeof(o)));
	expect(line);
}

/** Marks that differ in and out, or a partial mask, are refused with one
 *  line per config, and nothing reaches the table */
static void test_bad_marks(void **state)
{
	fixture_t *f = *state;
	fake_cfg_t *c = cfg(mark(42), "10.0.0.0/8");
	mark_t partial = { .value = 42, .mask = 0xff };

	child_updown(f, adopt(child(7, c, mark(42), mark(43), "10.1.0.0/16")),
				 TRUE);
	expect("log vti: CHILD_SA net of 'site' gets no VTI: mark_in and "
		   "mark_out differ; set both to the same value");
	/* the same config again: no second line */
	child_updown(f, adopt(child(8, c, mark(42), mark(43), "10.1.0.0/16")),
				 TRUE);
	child_updown(f, adopt(child(9, c, partial, partial, "10.1.0.0/16")),
				 TRUE);
	expect_nothing();
}

/** A CHILD_SA "net" with equal interface IDs and no marks */
static child_sa_t *if_id_child(uint32_t id, uint32_t in, uint32_t out)
{
	fake_cfg_t *c = cfg((mark_t){}, "10.0.0.0/8");
	fake_child_t *sa;

	c->if_id = in;
	sa = (fake_child_t*)child(id, c, (mark_t){}, (mark_t){}, "10.1.0.0/16");
	sa->if_in = in;
	sa->if_out = out;
	return &sa->public;
}

/** Equal if_ids give an XFRM interface named by its template, with no
 *  policy check (that is for marks) */
static void test_if_id(void **state)
{
	fixture_t *f = *state;
	char line[512], o[32];

	child_updown(f, adopt(if_id_child(7, 7, 7)), TRUE);
	snprintf(line, sizeof(line), "up 7 key 7 10.9.0.1 10.9.0.2 site/net "
			 "peer peer.example kind xfrm ts [10.1.0.0/16] underlay '' "
			 "overhead %s", plain_overhead(o, sizeof(o)));
	expect(line);
	expect_nothing();
}

/** if_ids that differ in and out are refused with one line per config */
static void test_bad_if_ids(void **state)
{
	fixture_t *f = *state;

	child_updown(f, adopt(if_id_child(7, 7, 8)), TRUE);
	expect("log vti: CHILD_SA net of 'site' gets no XFRM interface: "
		   "if_id_in and if_id_out differ; set both to the same value");
	expect_nothing();
}

/** Without marks, no tunnel and no line: not a route-based child */
static void test_unmarked(void **state)
{
	fixture_t *f = *state;
	mark_t none = {};

	child_updown(f, adopt(child(7, cfg(none, "10.0.0.0/8"), none, none,
								"10.1.0.0/16")), TRUE);
	expect_nothing();
}

/** The SA's selectors reach the table typed: inside the configured ones,
 *  ranges as their CIDR blocks; one outside gets one line */
static void test_selectors(void **state)
{
	fixture_t *f = *state;
	char line[512], o[32];

	child_updown(f, adopt(child(7, cfg(mark(42), "10.0.0.0/8"), mark(42),
								mark(42), "10.1.0.0/16 10.2.0.1-10.2.0.2 "
								"192.168.0.0/24 10.1.0.0/16")), TRUE);
	expect("check 7 key 42");
	expect("log vti: site/net: not routing remote traffic selector "
		   "192.168.0.0/24: it is not inside the child's remote_ts "
		   "(10.0.0.0/8); narrow the peer's local_ts or widen remote_ts");
	snprintf(line, sizeof(line), "up 7 key 42 10.9.0.1 10.9.0.2 site/net "
			 "peer peer.example kind vti ts [10.1.0.0/16 10.2.0.1/32 "
			 "10.2.0.2/32] underlay '' overhead %s",
			 plain_overhead(o, sizeof(o)));
	expect(line);
}

/** A CHILD_SA rekey hands the successor to the table with the old ID; a
 *  successor without a valid key is dropped */
static void test_child_rekey(void **state)
{
	fixture_t *f = *state;
	listener_t *l = &f->listener->listener;
	child_sa_t *old = adopt(keyed(7)), *new = adopt(keyed(8));
	mark_t none = {};
	char line[512], o[32];

	assert_true(l->child_rekey(l, &f->ike->public, old, new));
	snprintf(line, sizeof(line), "rekeyed 7 -> 8 key 42 10.9.0.1 10.9.0.2 "
			 "site/net peer peer.example kind vti ts [10.1.0.0/16] "
			 "underlay '' overhead %s", plain_overhead(o, sizeof(o)));
	expect(line);
	new = adopt(child(9, cfg(none, "10.0.0.0/8"), none, none, "10.1.0.0/16"));
	assert_true(l->child_rekey(l, &f->ike->public, old, new));
	expect_nothing();
}

/** An IKE rekey moves the CHILD_SAs, IDs and all, to the new IKE_SA, and
 *  reauthentication brings new CHILD_SAs with their own child_updown():
 *  the listener has no hooks for them */
static void test_ike_rekey_reauth(void **state)
{
	fixture_t *f = *state;
	listener_t *l = &f->listener->listener;

	assert_null(l->ike_rekey);
	assert_null(l->ike_reestablish_pre);
	assert_null(l->ike_reestablish_post);
}

/** child_updown() down and the destruction of a CHILD_SA go by its ID */
static void test_child_down(void **state)
{
	fixture_t *f = *state;
	listener_t *l = &f->listener->listener;
	child_sa_t *c = adopt(keyed(7));

	child_updown(f, c, FALSE);
	expect("down 7");
	assert_true(l->child_state_change(l, &f->ike->public, c, CHILD_DELETED));
	expect_nothing();
	assert_true(l->child_state_change(l, &f->ike->public, c,
									  CHILD_DESTROYING));
	expect("destroyed 7");
}

/** ike_updown() down takes all CHILD_SAs of the IKE_SA at once; up, or
 *  without CHILD_SAs, nothing */
static void test_ike_down(void **state)
{
	fixture_t *f = *state;
	listener_t *l = &f->listener->listener;
	mark_t none = {};

	assert_true(l->ike_updown(l, &f->ike->public, FALSE));
	expect_nothing();
	adopt(keyed(7));
	adopt(child(9, cfg(none, "10.0.0.0/8"), none, none, "10.1.0.0/16"));
	assert_true(l->ike_updown(l, &f->ike->public, TRUE));
	expect_nothing();
	assert_true(l->ike_updown(l, &f->ike->public, FALSE));
	expect("ike_down 7 9");
}

/** MOBIKE: ike_update() walks the IKE_SA's own CHILD_SAs, those with a
 *  key, with the overhead of a NAT (the worker looks up the underlay) */
static void test_ike_update(void **state)
{
	fixture_t *f = *state;
	listener_t *l = &f->listener->listener;
	host_t *local = host_create_from_string("10.9.0.5", 4500);
	host_t *remote = host_create_from_string("10.9.0.2", 4500);
	vti_overhead_t nat = vti_mtu_overhead(NULL, FALSE, TRUE);
	mark_t none = {};
	char line[256];

	assert_true(l->ike_update(l, &f->ike->public, local, remote));
	expect_nothing();
	adopt(keyed(7));
	adopt(child(8, cfg(none, "10.0.0.0/8"), none, none, "10.1.0.0/16"));
	adopt(child(9, cfg(mark(43), "10.0.0.0/8"), mark(43), mark(43),
				"10.1.0.0/16"));
	f->ike->nat = TRUE;
	assert_true(l->ike_update(l, &f->ike->public, local, remote));
	snprintf(line, sizeof(line), "moved 10.9.0.5 10.9.0.2 7 '' %u/%u "
			 "9 '' %u/%u", nat.fixed, nat.block, nat.fixed, nat.block);
	expect(line);
	local->destroy(local);
	remote->destroy(remote);
}

/** Every hook counts in the hook statistics */
static void test_hook_stats(void **state)
{
	fixture_t *f = *state;
	listener_t *l = &f->listener->listener;
	child_sa_t *c = adopt(keyed(7));
	char line[512], o[32];

	child_updown(f, c, TRUE);
	assert_true(l->child_state_change(l, &f->ike->public, c,
									  CHILD_INSTALLED));
	assert_true(l->ike_updown(l, &f->ike->public, TRUE));
	assert_int_equal(f->stats->get_count(f->stats), 3);
	expect("check 7 key 42");
	snprintf(line, sizeof(line), "up 7 key 42 10.9.0.1 10.9.0.2 site/net "
			 "peer peer.example kind vti ts [10.1.0.0/16] underlay '' "
			 "overhead %s", plain_overhead(o, sizeof(o)));
	expect(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_from_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_if_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_if_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmarked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ike_rekey_reauth, setup,
										teardown),
		cmocka_unit_test_setup_teardown(test_child_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ike_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ike_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook_stats, setup, teardown),
	};
	int failed;

	library_init(NULL, "vti-unit");
	failed = cmocka_run_group_tests_name("vti_listener", tests, NULL, NULL);
	library_deinit();
	return failed;
}
