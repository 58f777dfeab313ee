/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Unit tests of the tunnel table under concurrency: several threads send
 * events at once, on keys of their own and on keys they share, as charon's
 * worker threads do, and reload settings that rename devices. Afterwards the devices, as the driver was told about
 * them, must be what each key's SAs call for, no SA may be left waiting,
 * and every driver call but a reconcile's check of an active device must
 * have changed something. Built with ThreadSanitizer (configure
 * --enable-tsan), the same run also checks the table's memory accesses
 * for data races, and that its calls to the driver never overlap: the
 * recording driver, like the real one, is not thread-safe.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include "vti_tunnels.h"
#include "mock_link.h"

/** threads sending events at once */
#define THREADS 8

/** events each thread sends */
#define EVENTS 2000

/** events each thread sends before it waits for the others: all start
 *  each batch together, so that their events interleave */
#define BATCH 50

/** keys each thread has to itself: fixed ones, each between its own
 *  endpoints, the last of them %unique (DYNAMIC_KEY), then two rivals for
 *  one pair of endpoints (RIVAL_KEY and the one after it) */
#define OWN_KEYS 6

/** the %unique key among a thread's own */
#define DYNAMIC_KEY 3

/** the first of the two keys that want the same endpoints */
#define RIVAL_KEY 4

/** keys shared by two or three threads each (each thread shares two:
 *  k and k + 3, k = -num mod 3); the last two are %unique */
#define SHARED_KEYS 6

/** CHILD_SAs one thread holds on one of its own keys at most */
#define MAX_SAS 4

/** CHILD_SAs one thread holds on a shared key at most: with few, the
 *  device goes down and up often */
#define MAX_SHARED_SAS 1

/** seconds after which a hanging test (a deadlock) is killed */
#define DEADLINE 300

/**
 * What one thread believes about one key: the SAs it holds on it.
 */
typedef struct {
	/** VTI key */
	uint32_t key;
	/** whether the key is %unique (device removed with its last SA) */
	bool dynamic;
	/** the two endpoint pairs the tunnel moves between */
	host_t *local[2], *remote[2];
	/** endpoint pair in use */
	int pair;
	/** the peer's identity */
	char peer[32];
	/** unique IDs of the thread's installed CHILD_SAs on this key */
	uint32_t sas[MAX_SAS];
	/** number of them */
	int count;
	/** how many the thread may hold at once */
	int limit;
	/** whether the thread renames the key's device by reloads */
	bool renames;
} key_state_t;

/** naming scheme of each key's device: 0 "vti%k", 1 "ipsec%k"; only the
 *  thread that owns a key changes it, every reload reads it */
static int schemes[2048];

/**
 * Device name of a key under its current naming scheme.
 */
static void name_of_key(uint32_t key, char name[IFNAMSIZ])
{
	vti_config_expand_name(__atomic_load_n(&schemes[key], __ATOMIC_RELAXED)
						   ? "ipsec%k" : "vti%k", key, name);
}

/**
 * The settings of a tunnel, named under its key's scheme.
 */
static vti_config_t *resolve(char *conn, char *child, vti_kind_t kind,
							 uint32_t key)
{
	vti_config_t *cfg = vti_config_resolve(conn, child, kind, key);

	name_of_key(key, cfg->name);
	return cfg;
}

/**
 * Rename a key's device by a reload, while it is up.
 */
static void send_rename(vti_tunnels_t *tunnels, key_state_t *k)
{
	__atomic_store_n(&schemes[k->key],
					 !__atomic_load_n(&schemes[k->key], __ATOMIC_RELAXED),
					 __ATOMIC_RELAXED);
	tunnels->reconfigure(tunnels);
}

/**
 * One sending thread.
 */
typedef struct {
	/** table under test */
	vti_tunnels_t *tunnels;
	/** thread number */
	int num;
	/** send events for its own keys */
	bool own;
	/** send events for the shared keys */
	bool shared;
	/** its own keys */
	key_state_t keys[OWN_KEYS];
	/** its view of the shared keys: its own SAs on them */
	key_state_t shared_keys[SHARED_KEYS];
	/** state of its pseudo-random numbers */
	uint32_t rand;
	/** last CHILD_SA/IKE_SA ID it handed out */
	uint32_t last_id;
	/** the largest get_count() it saw */
	u_int max_count;
	/** the largest get_waiting_count() it saw */
	u_int max_waiting;
	/** where all threads wait for each other before each batch */
	pthread_barrier_t *start;
} worker_t;

/**
 * Next pseudo-random number of a thread (xorshift32).
 */
static uint32_t next_rand(worker_t *w)
{
	w->rand ^= w->rand << 13;
	w->rand ^= w->rand >> 17;
	w->rand ^= w->rand << 5;
	return w->rand;
}

/**
 * A fresh ID, unique across all threads.
 */
static uint32_t fresh_id(worker_t *w)
{
	return ((uint32_t)(w->num + 1) << 24) | ++w->last_id;
}

/**
 * Host from a format string.
 */
static host_t *host_fmt(char *fmt, int a, int b)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, a, b);
	return host_create_from_string(buf, 500);
}

/**
 * Set up a key's state with two endpoint pairs.
 */
static void key_init(key_state_t *k, worker_t *w, uint32_t key, bool dynamic,
					 int limit, host_t *l0, host_t *r0, host_t *l1, host_t *r1)
{
	*k = (key_state_t){
		.key = key,
		.dynamic = dynamic,
		.limit = limit,
		.local = { l0, l1 },
		.remote = { r0, r1 },
	};
	snprintf(k->peer, sizeof(k->peer), "peer-%u", key);
}

/**
 * Free a key's hosts.
 */
static void key_free(key_state_t *k)
{
	int i;

	for (i = 0; i < 2; i++)
	{
		k->local[i]->destroy(k->local[i]);
		k->remote[i]->destroy(k->remote[i]);
	}
}

/**
 * Tell the table that an SA of a key is installed; with an old ID, that it
 * was installed as that SA's successor.
 */
static void send_up(worker_t *w, key_state_t *k, uint32_t id, uint32_t old)
{
	vti_sa_t sa = {
		.id = id,
		.kind = VTI_KIND_VTI,
		.key = k->key,
		.dynamic = k->dynamic,
		.local = k->local[k->pair],
		.remote = k->remote[k->pair],
		.conn = "net",
		.child = "net",
		.peer = k->peer,
	};

	if (old)
	{
		w->tunnels->sa_rekeyed(w->tunnels, old, &sa);
	}
	else
	{
		w->tunnels->sa_up(w->tunnels, &sa);
	}
}

/**
 * Tell the table that the IKE_SA of a key's SAs moved to the other pair of
 * endpoints.
 */
static void send_move(worker_t *w, key_state_t *k)
{
	vti_sa_move_t moves[MAX_SAS];
	int i;

	for (i = 0; i < k->count; i++)
	{
		moves[i] = (vti_sa_move_t){ .id = k->sas[i] };
	}
	k->pair = !k->pair;
	w->tunnels->ike_moved(w->tunnels, moves, k->count, k->local[k->pair],
						  k->remote[k->pair]);
}

/**
 * Tell the table that the IKE_SA of a key's SAs goes, with all of them;
 * the down events of its CHILD_SAs that follow change nothing.
 */
static void send_ike_down(worker_t *w, key_state_t *k)
{
	uint32_t ids[MAX_SAS];
	int i, count = k->count;

	memcpy(ids, k->sas, count * sizeof(ids[0]));
	k->count = 0;
	w->tunnels->ike_down(w->tunnels, ids, count);
	for (i = 0; i < count; i++)
	{
		w->tunnels->sa_down(w->tunnels, ids[i]);
	}
}

/**
 * Forget the SA at an index of a key's list.
 */
static uint32_t take_sa(key_state_t *k, int i)
{
	uint32_t id = k->sas[i];

	k->sas[i] = k->sas[--k->count];
	return id;
}

/**
 * Read what an operator sees of the tunnels; there are never more than
 * get_count() says at most.
 */
static void read_status(worker_t *w)
{
	linked_list_t *list;
	u_int changes;

	list = w->tunnels->get_status(w->tunnels, &changes);
	w->max_count = max(w->max_count, (u_int)list->get_count(list));
	list->destroy_function(list, (void*)vti_tunnel_status_destroy);
}

/**
 * Send one random event about a key.
 */
static void send_event(worker_t *w, key_state_t *k, bool may_move)
{
	uint32_t r = next_rand(w), id, old;
	int i = k->count ? (int)((r >> 8) % k->count) : 0;

	switch (r % 10)
	{
		case 0:
		case 1:
			if (k->count < k->limit)
			{
				id = fresh_id(w);
				send_up(w, k, id, 0);
				k->sas[k->count++] = id;
			}
			break;
		case 2:
			if (k->count)
			{
				w->tunnels->sa_down(w->tunnels, take_sa(k, i));
			}
			break;
		case 3:
			/* a rekey: the successor joins, then the replaced SA goes */
			if (k->count)
			{
				old = k->sas[i];
				id = fresh_id(w);
				send_up(w, k, id, old);
				k->sas[i] = id;
				w->tunnels->sa_destroyed(w->tunnels, old);
			}
			break;
		case 4:
			if (k->count)
			{
				w->tunnels->sa_destroyed(w->tunnels, take_sa(k, i));
			}
			break;
		case 5:
			/* only an active tunnel moves with its IKE_SA */
			if (may_move && k->count)
			{
				send_move(w, k);
			}
			break;
		case 6:
			if ((r >> 16) % 4 == 0)
			{
				send_ike_down(w, k);
			}
			break;
		case 7:
			/* a repeated event, and events about SAs that are gone */
			if (k->count)
			{
				send_up(w, k, k->sas[i], 0);
			}
			w->tunnels->sa_down(w->tunnels, fresh_id(w));
			w->tunnels->sa_destroyed(w->tunnels, fresh_id(w));
			break;
		case 8:
			w->max_count = max(w->max_count,
							   w->tunnels->get_count(w->tunnels));
			w->max_waiting = max(w->max_waiting,
								 w->tunnels->get_waiting_count(w->tunnels));
			read_status(w);
			break;
		case 9:
			if ((r >> 16) % 20 == 0)
			{
				w->tunnels->reconfigure(w->tunnels);
			}
			else if ((r >> 16) % 20 == 2 && k->renames && k->count)
			{
				send_rename(w->tunnels, k);
			}
			else if ((r >> 16) % 20 == 1)
			{
				w->tunnels->reconcile(w->tunnels);
			}
			break;
	}
}

/**
 * One of the two shared keys a thread sends events for, by a random number.
 */
static int shared_key(int num, uint32_t r)
{
	return (3 - num % 3) % 3 + 3 * (r & 1);
}

/**
 * The thread that leaves an SA on a shared key at the end, if any: on even
 * keys the first that shares it, on odd keys none.
 */
static int keeper(int key)
{
	return key % 2 ? -1 : (3 - key % 3) % 3;
}

/**
 * Take down all SAs a thread holds on a key.
 */
static void release_all(worker_t *w, key_state_t *k)
{
	while (k->count)
	{
		w->tunnels->sa_down(w->tunnels, take_sa(k, 0));
	}
}

/**
 * Body of a sending thread.
 */
static void *work(void *arg)
{
	worker_t *w = arg;
	uint32_t r;
	int i, k;

	for (i = 0; i < EVENTS; i++)
	{
		if (i % BATCH == 0)
		{
			pthread_barrier_wait(w->start);
		}
		r = next_rand(w);
		if (w->shared && (!w->own || r & 1))
		{
			send_event(w, &w->shared_keys[shared_key(w->num, r >> 1)], FALSE);
		}
		else
		{
			k = (r >> 1) % OWN_KEYS;
			send_event(w, &w->keys[k], k < RIVAL_KEY);
		}
	}
	/* the first rival gets the endpoints if it still has SAs */
	if (w->own)
	{
		release_all(w, &w->keys[RIVAL_KEY + 1]);
	}
	for (i = 0; w->shared && i < SHARED_KEYS; i++)
	{
		release_all(w, &w->shared_keys[i]);
		if (keeper(i) == w->num)
		{
			r = fresh_id(w);
			send_up(w, &w->shared_keys[i], r, 0);
			w->shared_keys[i].sas[w->shared_keys[i].count++] = r;
		}
	}
	return NULL;
}

/**
 * What the driver was told about one device, replayed.
 */
typedef struct {
	/** device name */
	char name[IFNAMSIZ];
	/** 0 never made or removed, 1 down, 2 up */
	int state;
	/** endpoints in the last call, "LOCAL REMOTE" */
	char endpoints[64];
} device_t;

/**
 * Everything one test works with.
 */
typedef struct {
	/** recording driver */
	mock_link_t *mock;
	/** table under test */
	vti_tunnels_t *tunnels;
	/** sending threads */
	worker_t workers[THREADS];
	/** devices replayed from the driver's calls, under either name */
	device_t devices[2 * (THREADS * OWN_KEYS + SHARED_KEYS)];
	/** number of them */
	int ndevices;
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	worker_t *w;
	int t, k;

	memset(schemes, 0, sizeof(schemes));
	f->mock = mock_link_create();
	/* %unique devices go with their last SA */
	f->tunnels = vti_tunnels_create(&f->mock->link, 0, resolve);
	for (t = 0; t < THREADS; t++)
	{
		w = &f->workers[t];
		w->tunnels = f->tunnels;
		w->num = t;
		w->rand = 0x9e3779b9u * (t + 1);
		for (k = 0; k < RIVAL_KEY; k++)
		{
			key_init(&w->keys[k], w, 1000 + 16 * t + k, k == DYNAMIC_KEY,
					 MAX_SAS, host_fmt("10.1.%d.%d", t, k), host_fmt("10.2.%d.%d", t, k),
					 host_fmt("10.3.%d.%d", t, k), host_fmt("10.4.%d.%d", t, k));
			/* a device is renamed only while up: a renamed idle device
			 * would be made anew, down */
			w->keys[k].renames = k < DYNAMIC_KEY;
		}
		for (k = RIVAL_KEY; k < OWN_KEYS; k++)
		{
			key_init(&w->keys[k], w, 1000 + 16 * t + k, FALSE, MAX_SAS,
					 host_fmt("10.7.%d.%d", t, 0), host_fmt("10.8.%d.%d", t, 0),
					 host_fmt("10.7.%d.%d", t, 0), host_fmt("10.8.%d.%d", t, 0));
		}
		for (k = 0; k < SHARED_KEYS; k++)
		{
			key_init(&w->shared_keys[k], w, 100 + k, k >= SHARED_KEYS - 2,
					 MAX_SHARED_SAS, host_fmt("10.5.%d.%d", 0, k), host_fmt("10.6.%d.%d", 0, k),
					 host_fmt("10.5.%d.%d", 0, k), host_fmt("10.6.%d.%d", 0, k));
		}
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	worker_t *w;
	int t, k;

	f->tunnels->destroy(f->tunnels);
	f->mock->link.destroy(&f->mock->link);
	for (t = 0; t < THREADS; t++)
	{
		w = &f->workers[t];
		for (k = 0; k < OWN_KEYS; k++)
		{
			key_free(&w->keys[k]);
		}
		for (k = 0; k < SHARED_KEYS; k++)
		{
			key_free(&w->shared_keys[k]);
		}
	}
	free(f);
	return 0;
}

/**
 * Run all threads at once, sending events of the given kinds.
 */
static void run_threads(fixture_t *f, bool own, bool shared)
{
	pthread_t threads[THREADS];
	pthread_barrier_t start;
	int t;

	assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
	for (t = 0; t < THREADS; t++)
	{
		f->workers[t].own = own;
		f->workers[t].shared = shared;
		f->workers[t].start = &start;
		assert_int_equal(pthread_create(&threads[t], NULL, work,
										&f->workers[t]), 0);
	}
	for (t = 0; t < THREADS; t++)
	{
		assert_int_equal(pthread_join(threads[t], NULL), 0);
	}
	pthread_barrier_destroy(&start);
}

/**
 * The replayed device with a name, added if new.
 */
static device_t *device_named(fixture_t *f, char *name)
{
	device_t *dev;
	int i;

	for (i = 0; i < f->ndevices; i++)
	{
		if (streq(f->devices[i].name, name))
		{
			return &f->devices[i];
		}
	}
	assert_true(f->ndevices < (int)countof(f->devices));
	dev = &f->devices[f->ndevices++];
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	return dev;
}

/**
 * Apply one recorded driver call to the replayed devices; it must have
 * changed something, unless it is a reconcile's check of an active device.
 */
static void replay_call(fixture_t *f, char *call)
{
	char name[IFNAMSIZ], updown[8], local[32], remote[32], endpoints[64];
	device_t *dev;
	u_int key;

	if (sscanf(call, "remove %15s", name) == 1)
	{
		dev = device_named(f, name);
		if (dev->state == 0)
		{
			fail_msg("removing %s, which is gone: %s", name, call);
		}
		dev->state = 0;
		return;
	}
	if (sscanf(call, "set %15s %7s key %u %31s %31s", name, updown, &key,
			   local, remote) != 5)
	{
		fail_msg("unexpected driver call: %s", call);
	}
	snprintf(endpoints, sizeof(endpoints), "%s %s", local, remote);
	dev = device_named(f, name);
	if (dev->state == 0 && !streq(updown, "up"))
	{
		fail_msg("%s is made down: %s", name, call);
	}
	if (dev->state == 1 && !streq(updown, "up") &&
		streq(dev->endpoints, endpoints))
	{
		fail_msg("%s is told what it is already: %s", name, call);
	}
	dev->state = streq(updown, "up") ? 2 : 1;
	snprintf(dev->endpoints, sizeof(dev->endpoints), "%s", endpoints);
}

/**
 * Replay all recorded driver calls; returns the devices that exist.
 */
static int replay(fixture_t *f)
{
	char *call;
	int i, existing = 0;

	while ((call = f->mock->next_call(f->mock)))
	{
		replay_call(f, call);
		free(call);
	}
	for (i = 0; i < f->ndevices; i++)
	{
		existing += f->devices[i].state != 0;
	}
	return existing;
}

/**
 * snprintf() with strongSwan's printf hooks (%H), which the compiler's
 * format check does not know.
 */
static void print_to(char *buf, size_t len, char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, len, fmt, args);
	va_end(args);
}

/**
 * Check that a key's device is as the SAs held on it call for.
 */
static void check_key(fixture_t *f, key_state_t *k, int held)
{
	char name[IFNAMSIZ], endpoints[64];
	device_t *dev;

	name_of_key(k->key, name);
	dev = device_named(f, name);
	if (held)
	{
		print_to(endpoints, sizeof(endpoints), "%H %H", k->local[k->pair],
				 k->remote[k->pair]);
		if (dev->state != 2 || !streq(dev->endpoints, endpoints))
		{
			fail_msg("%s: %d SAs, but the device is %s between %s, "
					 "expected up between %s", name, held,
					 dev->state == 2 ? "up" : dev->state ? "down" : "absent",
					 dev->endpoints, endpoints);
		}
	}
	else if (dev->state == 2 || (k->dynamic && dev->state))
	{
		fail_msg("%s: no SA left, but the device is %s", name,
				 dev->state == 2 ? "up" : "still there");
	}
}

/**
 * Check every key a test used, and the table's count of tunnels.
 */
static void check_all(fixture_t *f, bool own, bool shared)
{
	int existing, t, k, held;

	existing = replay(f);
	for (t = 0; t < THREADS; t++)
	{
		assert_true(f->workers[t].max_count <= THREADS * OWN_KEYS +
					SHARED_KEYS);
		assert_true(f->workers[t].max_waiting <= THREADS * MAX_SAS);
		for (k = 0; own && k < OWN_KEYS; k++)
		{
			check_key(f, &f->workers[t].keys[k], f->workers[t].keys[k].count);
		}
	}
	for (k = 0; shared && k < SHARED_KEYS; k++)
	{
		for (held = 0, t = 0; t < THREADS; t++)
		{
			held += f->workers[t].shared_keys[k].count;
		}
		assert_int_equal(held, keeper(k) >= 0);
		/* any thread's view has the key's endpoints */
		check_key(f, &f->workers[0].shared_keys[k], held);
	}
	assert_int_equal(f->tunnels->get_count(f->tunnels), existing);
	assert_int_equal(f->tunnels->get_waiting_count(f->tunnels), 0);
}

/**
 * Number of devices the driver was told about under their second name.
 */
static int renamed_devices(fixture_t *f)
{
	int i, renamed = 0;

	for (i = 0; i < f->ndevices; i++)
	{
		renamed += strpfx(f->devices[i].name, "ipsec");
	}
	return renamed;
}

/** Each thread on keys of its own: no event disturbs another key, and
 *  reloads rename devices on the way */
static void test_own_keys(void **state)
{
	fixture_t *f = *state;

	run_threads(f, TRUE, FALSE);
	check_all(f, TRUE, FALSE);
	assert_true(renamed_devices(f) > 0);
}

/** Two or three threads on each key: a device counts all their SAs */
static void test_shared_keys(void **state)
{
	fixture_t *f = *state;

	run_threads(f, FALSE, TRUE);
	check_all(f, FALSE, TRUE);
}

/** Both at once */
static void test_mixed(void **state)
{
	fixture_t *f = *state;

	run_threads(f, TRUE, TRUE);
	check_all(f, TRUE, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_own_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed, setup, teardown),
	};
	int failed;

	/* a deadlock ends the test instead of hanging it */
	alarm(DEADLINE);
	library_init(NULL, "vti-unit");
	/* thousands of tunnel events: keep their log lines out of the output */
	dbg_default_set_level(LEVEL_SILENT);
	failed = cmocka_run_group_tests_name("vti_tunnels_threads", tests, NULL,
										 NULL);
	library_deinit();
	return failed;
}
