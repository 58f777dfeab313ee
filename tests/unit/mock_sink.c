/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "mock_sink.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <collections/linked_list.h>

typedef struct private_mock_sink_t private_mock_sink_t;
typedef struct entry_t entry_t;

/**
 * A route in the model kernel, or a failure set up for a place.
 */
struct entry_t {

	/** its place */
	char *place;

	/** the route as text, or the error */
	char *text;

	/** someone else's route */
	bool foreign;
};

/**
 * Private data of the recording sink.
 */
struct private_mock_sink_t {

	/** public interface */
	mock_sink_t public;

	/** recorded calls, as text */
	linked_list_t *calls;

	/** routes in the model kernel, as entry_t* */
	linked_list_t *routes;

	/** failures set up, as entry_t* */
	linked_list_t *failures;

	/** what lookup() answers */
	int picked;
};

/**
 * Record a call.
 */
static void record(private_mock_sink_t *this, char *fmt, ...)
{
	char buf[256];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	this->calls->insert_last(this->calls, strdup(buf));
}

/**
 * Write the destination of a route, "NET/LEN".
 */
static char *prefix_of(vti_route_t *route, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	chunk_t bytes = route->net->get_address(route->net);

	inet_ntop(route->net->get_family(route->net), bytes.ptr, addr,
			  sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, route->prefixlen);
	return buf;
}

/**
 * Write the place of a route.
 */
static void place_of(vti_route_t *route, char *buf, size_t len)
{
	char prefix[INET6_ADDRSTRLEN + 4];

	snprintf(buf, len, "%s table %u metric %u",
			 prefix_of(route, prefix, sizeof(prefix)), route->table,
			 route->metric);
}

/**
 * Write a route.
 */
static void text_of(vti_route_t *route, char *buf, size_t len)
{
	char prefix[INET6_ADDRSTRLEN + 4];

	prefix_of(route, prefix, sizeof(prefix));
	if (route->blackhole)
	{
		snprintf(buf, len, "blackhole %s table %u metric %u", prefix,
				 route->table, route->metric);
	}
	else
	{
		snprintf(buf, len, "%s dev %s (%d) table %u metric %u", prefix,
				 route->dev, route->ifindex, route->table, route->metric);
	}
}

/**
 * Free an entry.
 */
static void entry_destroy(entry_t *entry)
{
	free(entry->place);
	free(entry->text);
	free(entry);
}

/**
 * The entry of a list at a place, NULL if none.
 */
static entry_t *find(linked_list_t *list, char *place)
{
	enumerator_t *enumerator;
	entry_t *entry, *found = NULL;

	enumerator = list->create_enumerator(list);
	while (!found && enumerator->enumerate(enumerator, &entry))
	{
		if (streq(entry->place, place))
		{
			found = entry;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/**
 * Set or clear the entry of a list at a place.
 */
static void set_entry(linked_list_t *list, char *place, char *text,
					  bool foreign)
{
	entry_t *entry = find(list, place);

	if (entry)
	{
		list->remove(list, entry, NULL);
		entry_destroy(entry);
	}
	if (text)
	{
		INIT(entry,
			.place = strdup(place),
			.text = strdup(text),
			.foreign = foreign,
		);
		list->insert_last(list, entry);
	}
}

METHOD(vti_route_sink_t, install, vti_route_status_t,
	private_mock_sink_t *this, vti_route_t *route, char **why)
{
	char place[128], text[128];
	entry_t *entry;

	place_of(route, place, sizeof(place));
	text_of(route, text, sizeof(text));
	record(this, "install %s", text);
	entry = find(this->failures, place);
	if (entry)
	{
		*why = strdup(entry->text);
		return VTI_ROUTE_FAILED;
	}
	entry = find(this->routes, place);
	if (entry && entry->foreign)
	{
		*why = strdup(entry->text);
		return VTI_ROUTE_BLOCKED;
	}
	if (entry)
	{
		free(entry->text);
		entry->text = strdup(text);
	}
	else
	{
		set_entry(this->routes, place, text, FALSE);
	}
	return VTI_ROUTE_INSTALLED;
}

METHOD(vti_route_sink_t, remove_, void,
	private_mock_sink_t *this, vti_route_t *route)
{
	char place[128], text[128];
	entry_t *entry;

	place_of(route, place, sizeof(place));
	text_of(route, text, sizeof(text));
	record(this, "remove %s", text);
	entry = find(this->routes, place);
	if (entry && !entry->foreign && streq(entry->text, text))
	{
		set_entry(this->routes, place, NULL, FALSE);
	}
}

/**
 * Whether a filter keeps a route of ours, read back from its text.
 */
static bool keeps(entry_t *entry,
				  bool (*keep)(void *data, vti_route_t *route), void *data)
{
	char prefix[64], *slash;
	vti_route_t route = {};
	u_int len, table, metric;
	bool kept = FALSE;

	if (!keep)
	{
		return FALSE;
	}
	route.blackhole = strpfx(entry->text, "blackhole ");
	if (sscanf(entry->place, "%63s table %u metric %u", prefix, &table,
			   &metric) != 3 || !(slash = strchr(prefix, '/')))
	{
		return FALSE;
	}
	*slash = '\0';
	len = atoi(slash + 1);
	route.net = host_create_from_string(prefix, 0);
	route.prefixlen = len;
	route.table = table;
	route.metric = metric;
	if (route.net)
	{
		kept = keep(data, &route);
		route.net->destroy(route.net);
	}
	return kept;
}

METHOD(vti_route_sink_t, lookup, int,
	private_mock_sink_t *this, host_t *dst)
{
	record(this, "lookup %H", dst);
	return this->picked;
}

METHOD(mock_sink_t, pick, void,
	private_mock_sink_t *this, int ifindex)
{
	this->picked = ifindex;
}

METHOD(vti_route_sink_t, sweep, void,
	private_mock_sink_t *this,
	bool (*keep)(void *data, vti_route_t *route), void *data)
{
	enumerator_t *enumerator;
	entry_t *entry;

	record(this, keep ? "sweep" : "flush");
	enumerator = this->routes->create_enumerator(this->routes);
	while (enumerator->enumerate(enumerator, &entry))
	{
		if (!entry->foreign && !keeps(entry, keep, data))
		{
			this->routes->remove_at(this->routes, enumerator);
			entry_destroy(entry);
		}
	}
	enumerator->destroy(enumerator);
}

METHOD(mock_sink_t, next_call, char*,
	private_mock_sink_t *this)
{
	char *call = NULL;

	this->calls->remove_first(this->calls, (void**)&call);
	return call;
}

METHOD(mock_sink_t, foreign, void,
	private_mock_sink_t *this, char *place, char *route)
{
	set_entry(this->routes, place, route, TRUE);
}

METHOD(mock_sink_t, refuse, void,
	private_mock_sink_t *this, char *place, char *error)
{
	set_entry(this->failures, place, error, FALSE);
}

METHOD(mock_sink_t, drop, void,
	private_mock_sink_t *this, char *dev)
{
	enumerator_t *enumerator;
	entry_t *entry;
	char match[IFNAMSIZ + 8];

	snprintf(match, sizeof(match), " dev %s (", dev);
	enumerator = this->routes->create_enumerator(this->routes);
	while (enumerator->enumerate(enumerator, &entry))
	{
		if (!entry->foreign && strstr(entry->text, match))
		{
			this->routes->remove_at(this->routes, enumerator);
			entry_destroy(entry);
		}
	}
	enumerator->destroy(enumerator);
}

METHOD(mock_sink_t, kernel, char*,
	private_mock_sink_t *this)
{
	enumerator_t *enumerator;
	entry_t *entry;
	char buf[1024] = "";
	size_t len = 0;

	enumerator = this->routes->create_enumerator(this->routes);
	while (enumerator->enumerate(enumerator, &entry))
	{
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s%s",
						len ? "; " : "", entry->foreign ? "foreign " : "",
						entry->text);
	}
	enumerator->destroy(enumerator);
	return strdup(buf);
}

METHOD(vti_route_sink_t, destroy, void,
	private_mock_sink_t *this)
{
	this->calls->destroy_function(this->calls, free);
	this->routes->destroy_function(this->routes, (void*)entry_destroy);
	this->failures->destroy_function(this->failures, (void*)entry_destroy);
	free(this);
}

/*
 * Described in header
 */
mock_sink_t *mock_sink_create(void)
{
	private_mock_sink_t *this;

	INIT(this,
		.public = {
			.sink = {
				.install = _install,
				.remove = _remove_,
				.lookup = _lookup,
				.sweep = _sweep,
				.destroy = _destroy,
			},
			.next_call = _next_call,
			.foreign = _foreign,
			.refuse = _refuse,
			.drop = _drop,
			.kernel = _kernel,
			.pick = _pick,
		},
		.calls = linked_list_create(),
		.routes = linked_list_create(),
		.failures = linked_list_create(),
		.picked = -1,
	);
	return &this->public;
}
