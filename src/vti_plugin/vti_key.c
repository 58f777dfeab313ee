/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_key.h"

/** A mask that compares every bit of the mark */
#define FULL_MASK 0xffffffff

/*
 * Described in header
 */
vti_key_verdict_t vti_key_derive(mark_t in, mark_t out, mark_t configured,
								 uint32_t *key)
{
	if (configured.value == MARK_UNIQUE_DIR)
	{
		return VTI_KEY_UNIQUE_DIR;
	}
	if (!in.value && !out.value)
	{
		return VTI_KEY_UNMARKED;
	}
	if (in.value != out.value || in.mask != out.mask)
	{
		return VTI_KEY_ASYMMETRIC;
	}
	if (in.mask != FULL_MASK)
	{
		return VTI_KEY_PARTIAL_MASK;
	}
	*key = in.value;
	return VTI_KEY_VALID;
}

/*
 * Described in header
 */
vti_key_verdict_t vti_key_choose(vti_key_source_t *source, vti_kind_t *kind,
								 uint32_t *key)
{
	if (source->if_id_configured == IF_ID_UNIQUE_DIR)
	{
		return VTI_KEY_IF_ID_UNIQUE_DIR;
	}
	if (!source->if_id_in && !source->if_id_out)
	{
		*kind = VTI_KIND_VTI;
		return vti_key_derive(source->mark_in, source->mark_out,
							  source->mark_configured, key);
	}
	if (source->if_id_in != source->if_id_out)
	{
		return VTI_KEY_IF_ID_ASYMMETRIC;
	}
	*kind = VTI_KIND_XFRM;
	*key = source->if_id_in;
	return VTI_KEY_VALID;
}

/*
 * Described in header
 */
const char *vti_key_explain(vti_key_verdict_t verdict)
{
	switch (verdict)
	{
		case VTI_KEY_VALID:
			return "marks are valid";
		case VTI_KEY_UNMARKED:
			return "child has no marks; set mark_in = mark_out = KEY";
		case VTI_KEY_ASYMMETRIC:
			return "mark_in and mark_out differ; set both to the same value";
		case VTI_KEY_PARTIAL_MASK:
			return "marks have a partial mask; use a plain value without /MASK";
		case VTI_KEY_UNIQUE_DIR:
			return "%unique-dir gives each direction its own mark; "
				   "use %unique or a fixed value";
		case VTI_KEY_IF_ID_ASYMMETRIC:
			return "if_id_in and if_id_out differ; set both to the same "
				   "value";
		case VTI_KEY_IF_ID_UNIQUE_DIR:
			return "%unique-dir gives each direction its own if_id; "
				   "use %unique or a fixed value";
	}
	return "unknown mark verdict";
}

/*
 * Described in header
 */
bool vti_key_is_dynamic(mark_t configured)
{
	return configured.value == MARK_UNIQUE;
}

/*
 * Described in header
 */
bool vti_key_source_is_dynamic(vti_key_source_t *source, vti_kind_t kind)
{
	if (kind == VTI_KIND_XFRM)
	{
		return source->if_id_configured == IF_ID_UNIQUE;
	}
	return vti_key_is_dynamic(source->mark_configured);
}
