/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vti_mtu.h"

/** ESP header: SPI and sequence number */
#define ESP_HEADER 8

/** ESP trailer: pad length and next header */
#define ESP_TRAILER 2

/** UDP header of NAT-T encapsulation */
#define UDP_HEADER 8

/** The smallest MTU IPv4 allows */
#define MIN_MTU 68u

/** Worst case of any algorithm: a 16-byte IV and block, a 32-byte ICV */
#define WORST_IV 16
#define WORST_BLOCK 16
#define WORST_ICV 32

/**
 * IV and block size of an encryption algorithm; ICV size if it is an AEAD.
 */
static void encryption_cost(uint16_t alg, uint32_t *iv, uint32_t *block,
							uint32_t *icv)
{
	*iv = 8;
	*block = 4;
	*icv = 0;
	switch (alg)
	{
		case ENCR_AES_GCM_ICV8:
		case ENCR_AES_CCM_ICV8:
			*icv = 8;
			break;
		case ENCR_AES_GCM_ICV12:
		case ENCR_AES_CCM_ICV12:
			*icv = 12;
			break;
		case ENCR_AES_GCM_ICV16:
		case ENCR_AES_CCM_ICV16:
		case ENCR_CHACHA20_POLY1305:
		case ENCR_NULL_AUTH_AES_GMAC:
			*icv = 16;
			break;
		case ENCR_AES_CTR:
			break;
		case ENCR_NULL:
			*iv = 0;
			break;
		case ENCR_3DES:
			*block = 8;
			break;
		case ENCR_AES_CBC:
		case ENCR_CAMELLIA_CBC:
			*iv = 16;
			*block = 16;
			break;
		default:
			*iv = WORST_IV;
			*block = WORST_BLOCK;
			break;
	}
}

/**
 * ICV size of an integrity algorithm.
 */
static uint32_t integrity_cost(uint16_t alg)
{
	switch (alg)
	{
		case AUTH_UNDEFINED:
			return 0;
		case AUTH_HMAC_MD5_96:
		case AUTH_HMAC_SHA1_96:
		case AUTH_AES_XCBC_96:
		case AUTH_AES_CMAC_96:
			return 12;
		case AUTH_HMAC_SHA2_256_128:
			return 16;
		case AUTH_HMAC_SHA2_384_192:
			return 24;
		case AUTH_HMAC_SHA2_512_256:
		default:
			return WORST_ICV;
	}
}

/*
 * Described in header
 */
vti_overhead_t vti_mtu_overhead(proposal_t *proposal, bool ipv6, bool encap)
{
	uint16_t encr = 0, integ = AUTH_UNDEFINED;
	uint32_t iv = WORST_IV, block = WORST_BLOCK, icv = WORST_ICV;

	if (proposal &&
		proposal->get_algorithm(proposal, ENCRYPTION_ALGORITHM, &encr, NULL))
	{
		encryption_cost(encr, &iv, &block, &icv);
		if (!icv)
		{
			proposal->get_algorithm(proposal, INTEGRITY_ALGORITHM, &integ,
									NULL);
			icv = integrity_cost(integ);
		}
	}
	return (vti_overhead_t){
		.fixed = (ipv6 ? 40 : 20) + (encap ? UDP_HEADER : 0) + ESP_HEADER +
				 iv + icv + ESP_TRAILER,
		.block = block,
	};
}

/*
 * Described in header
 */
uint32_t vti_mtu_inner(uint32_t underlay, vti_overhead_t overhead)
{
	uint32_t room, mtu;

	if (underlay <= overhead.fixed)
	{
		return MIN_MTU;
	}
	/* inner packet plus trailer, padded to the block, must fit the room the
	 * fixed part leaves; the trailer is counted in the fixed part */
	room = underlay - overhead.fixed + ESP_TRAILER;
	mtu = room / overhead.block * overhead.block - ESP_TRAILER;
	return max(mtu, MIN_MTU);
}
