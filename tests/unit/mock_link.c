/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "mock_link.h"
#include "vti_prefix.h"

#include <collections/linked_list.h>

typedef struct private_mock_link_t private_mock_link_t;

/**
 * Private data of the recording driver.
 */
struct private_mock_link_t {

	/** public interface */
	mock_link_t public;

	/** recorded calls, as text */
	linked_list_t *calls;

	/** name set() refuses, if any */
	char *failing;

	/** what set() returns when it does not refuse */
	vti_link_result_t result;

	/** name whose creation a device in the way blocks, if any */
	char *blocked;

	/** the device in the way */
	vti_link_occupant_t occupant;
};

/**
 * Record a call.
 */
static void record(private_mock_link_t *this, char *fmt, ...)
{
	char buf[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	this->calls->insert_last(this->calls, strdup(buf));
}

METHOD(vti_link_t, set, vti_link_result_t,
	private_mock_link_t *this, vti_link_spec_t *spec, bool up)
{
	char routes[256] = "", str[VTI_PREFIX_STRLEN];
	enumerator_t *enumerator;
	vti_prefix_t *prefix;
	size_t len = 0;

	if (this->failing && streq(this->failing, spec->cfg->name))
	{
		record(this, "refuse %s", spec->cfg->name);
		return VTI_LINK_FAILED;
	}
	if (this->blocked && streq(this->blocked, spec->cfg->name))
	{
		record(this, "blocked %s", spec->cfg->name);
		return VTI_LINK_BLOCKED;
	}
	enumerator = array_create_enumerator(spec->routes);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		len += snprintf(routes + len, sizeof(routes) - len, " %s",
						prefix->print(prefix, str, sizeof(str)));
	}
	enumerator->destroy(enumerator);
	record(this, "set %s %s %s %u %H %H %s%s", spec->cfg->name,
		   up ? "up" : "down",
		   spec->cfg->kind == VTI_KIND_XFRM ? "if_id" : "key", spec->key,
		   spec->local, spec->remote, spec->owner, routes);
	return this->result;
}

METHOD(vti_link_t, find_occupant, bool,
	private_mock_link_t *this, vti_link_spec_t *spec,
	vti_link_occupant_t *occupant)
{
	if (!this->blocked || !streq(this->blocked, spec->cfg->name))
	{
		return FALSE;
	}
	*occupant = this->occupant;
	return TRUE;
}

METHOD(vti_link_t, discard, bool,
	private_mock_link_t *this, char *name)
{
	record(this, "discard %s", name);
	if (!this->blocked || !streq(this->occupant.name, name))
	{
		return TRUE;
	}
	if (!this->occupant.ours)
	{
		return FALSE;
	}
	free(this->blocked);
	this->blocked = NULL;
	return TRUE;
}

METHOD(vti_link_t, remove_, void,
	private_mock_link_t *this, vti_link_spec_t *spec)
{
	record(this, "remove %s", spec->cfg->name);
}

METHOD(vti_link_t, protect, void,
	private_mock_link_t *this, char *holder, char *owner,
	linked_list_t *prefixes, uint32_t table, uint32_t metric)
{
	char list[256] = "", str[VTI_PREFIX_STRLEN];
	enumerator_t *enumerator;
	vti_prefix_t *prefix;
	size_t len = 0;

	enumerator = prefixes->create_enumerator(prefixes);
	while (enumerator->enumerate(enumerator, &prefix))
	{
		len += snprintf(list + len, sizeof(list) - len, " %s",
						prefix->print(prefix, str, sizeof(str)));
	}
	enumerator->destroy(enumerator);
	record(this, "protect %s table %u metric %u%s", holder, table, metric,
		   list);
}

METHOD(vti_link_t, sweep, void,
	private_mock_link_t *this, linked_list_t *owners)
{
	record(this, "sweep");
}

METHOD(vti_link_t, check, void,
	private_mock_link_t *this)
{
}

METHOD(mock_link_t, next_call, char*,
	private_mock_link_t *this)
{
	char *call = NULL;

	this->calls->remove_first(this->calls, (void**)&call);
	return call;
}

METHOD(mock_link_t, fail_for, void,
	private_mock_link_t *this, char *name)
{
	free(this->failing);
	this->failing = name ? strdup(name) : NULL;
}

METHOD(mock_link_t, report, void,
	private_mock_link_t *this, vti_link_result_t result)
{
	this->result = result;
}

METHOD(mock_link_t, block, void,
	private_mock_link_t *this, char *name, vti_link_occupant_t *occupant)
{
	free(this->blocked);
	this->blocked = strdup(name);
	this->occupant = *occupant;
}

METHOD(vti_link_t, destroy, void,
	private_mock_link_t *this)
{
	free(this->blocked);
	this->calls->destroy_function(this->calls, free);
	free(this->failing);
	free(this);
}

/*
 * Described in header
 */
mock_link_t *mock_link_create(void)
{
	private_mock_link_t *this;

	INIT(this,
		.public = {
			.link = {
				.set = _set,
				.find_occupant = _find_occupant,
				.discard = _discard,
				.remove = _remove_,
				.protect = _protect,
				.sweep = _sweep,
				.check = _check,
				.destroy = _destroy,
			},
			.next_call = _next_call,
			.fail_for = _fail_for,
			.report = _report,
			.block = _block,
		},
		.calls = linked_list_create(),
		.result = VTI_LINK_UNCHANGED,
	);
	return &this->public;
}
