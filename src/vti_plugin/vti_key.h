/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup vti_key vti_key
 * @{ @ingroup vti
 */

#ifndef VTI_KEY_H_
#define VTI_KEY_H_

#include "vti_config.h"

#include <library.h>
#include <ipsec/ipsec_types.h>

typedef enum vti_key_verdict_t vti_key_verdict_t;

/**
 * What the marks of a CHILD_SA say about its VTI key.
 */
enum vti_key_verdict_t {
	/** both marks equal, full mask, not 0: the value is the key */
	VTI_KEY_VALID,
	/** no marks at all: not a route-based tunnel */
	VTI_KEY_UNMARKED,
	/** inbound and outbound marks differ */
	VTI_KEY_ASYMMETRIC,
	/** a mask other than 0xffffffff */
	VTI_KEY_PARTIAL_MASK,
	/** %unique-dir gives each direction its own mark */
	VTI_KEY_UNIQUE_DIR,
	/** inbound and outbound interface IDs differ */
	VTI_KEY_IF_ID_ASYMMETRIC,
	/** %unique-dir gives each direction its own interface ID */
	VTI_KEY_IF_ID_UNIQUE_DIR,
};

/**
 * What a CHILD_SA's marks and interface IDs are, resolved and configured.
 */
typedef struct {
	/** resolved inbound mark (child_sa_t.get_mark(TRUE)) */
	mark_t mark_in;
	/** resolved outbound mark */
	mark_t mark_out;
	/** inbound mark as configured (child_cfg_t.get_mark(TRUE)) */
	mark_t mark_configured;
	/** resolved inbound interface ID (child_sa_t.get_if_id(TRUE)) */
	uint32_t if_id_in;
	/** resolved outbound interface ID */
	uint32_t if_id_out;
	/** inbound interface ID as configured (the child's, else the
	 *  connection's) */
	uint32_t if_id_configured;
} vti_key_source_t;

/**
 * Derive the VTI key from the resolved marks of a CHILD_SA.
 *
 * @param in			resolved inbound mark (child_sa_t.get_mark(TRUE))
 * @param out			resolved outbound mark
 * @param configured	mark as configured (child_cfg_t.get_mark(TRUE))
 * @param key			receives the key if VTI_KEY_VALID
 * @return				verdict
 */
vti_key_verdict_t vti_key_derive(mark_t in, mark_t out, mark_t configured,
								 uint32_t *key);

/**
 * Derive the kind and key of a CHILD_SA's device: equal interface IDs (not
 * 0) give an XFRM interface with that if_id, whatever the marks; without
 * interface IDs, equal marks give a VTI with that key (vti_key_derive()).
 *
 * @param source		the SA's marks and interface IDs
 * @param kind			receives the kind if VTI_KEY_VALID
 * @param key			receives the key (mark or if_id) if VTI_KEY_VALID
 * @return				verdict; VTI_KEY_UNMARKED for neither
 */
vti_key_verdict_t vti_key_choose(vti_key_source_t *source, vti_kind_t *kind,
								 uint32_t *key);

/**
 * Explain a verdict other than VTI_KEY_VALID for an operator's log line.
 *
 * @param verdict		verdict of vti_key_derive()
 * @return				what is wrong and how to fix it
 */
const char *vti_key_explain(vti_key_verdict_t verdict);

/**
 * Whether a configured mark makes every CHILD_SA its own key (%unique).
 *
 * @param configured	mark as configured (child_cfg_t.get_mark(TRUE))
 * @return				TRUE for %unique
 */
bool vti_key_is_dynamic(mark_t configured);

/**
 * Whether the configured marks or interface IDs of the kind chosen make
 * every CHILD_SA its own key (%unique).
 *
 * @param source		the SA's marks and interface IDs
 * @param kind			kind chosen by vti_key_choose()
 * @return				TRUE for %unique
 */
bool vti_key_source_is_dynamic(vti_key_source_t *source, vti_kind_t kind);

#endif /** VTI_KEY_H_ @}*/
