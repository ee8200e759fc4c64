/* Bitcoin block validation: one raw serialized block (80-byte header, the
 * transaction count, the transactions, with or without segwit) from the input
 * block, by default default_block.h.  Prints "valid <block id>" (SHA-256d of
 * the header, byte-reversed hex) or "invalid <reason>"; kernel.json lists the
 * reasons and the order in which they are checked.
 *
 * One pass over the transactions parses them strictly and feeds two streaming
 * Merkle computations (txids, and wtxids when the coinbase commits to them),
 * so memory does not grow with the block: a level-indexed stack of 32 subtree
 * hashes per tree, Bitcoin's duplicate-last-node rule at the end, and the
 * CVE-2012-2459 mutation check (two equal siblings) on the way.  Hashes are
 * kept as the 8 big-endian words of their bytes (sha256_core.h's form). */
#include <stdint.h>

#include "../common/crv_bitops.h"
#include "../common/kernel_input.h"
#include "../common/sha256_core.h"
#include "default_block.h"

#define HEADER_LEN 80

typedef struct {
	const uint8_t *p, *end;
	const char *err; /* the first parse error */
} reader;

static int fail(reader *r, const char *why)
{
	if (!r->err)
		r->err = why;
	return 0;
}

static int skip(reader *r, uint32_t n)
{
	if ((uint32_t)(r->end - r->p) < n)
		return fail(r, "truncated");
	r->p += n;
	return 1;
}

/* CompactSize, shortest form only; a value the input cannot hold is truncation. */
static int varint(reader *r, uint32_t *out)
{
	uint32_t b, n, v;

	if (r->p == r->end)
		return fail(r, "truncated");
	b = *r->p++;
	if (b < 0xfd) {
		*out = b;
		return 1;
	}
	n = b == 0xfd ? 2 : b == 0xfe ? 4 : 8;
	if ((uint32_t)(r->end - r->p) < n)
		return fail(r, "truncated");
	v = r->p[0] | (uint32_t)r->p[1] << 8;
	if (n >= 4)
		v |= (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	if (n == 8 ? load_le32(r->p + 4) == 0 : v < (n == 2 ? 0xfdu : 0x10000u))
		return fail(r, "bad-varint");
	if (n == 8)
		return fail(r, "truncated"); /* 2^32 bytes or more */
	r->p += n;
	*out = v;
	return 1;
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void words_of(const uint8_t *p, uint32_t w[8])
{
	for (int i = 0; i < 8; i++)
		w[i] = load_be32(p + 4 * i);
}

static int same(const uint32_t a[8], const uint32_t b[8])
{
	uint32_t d = 0;
	for (int i = 0; i < 8; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* ---- SHA-256d ---- */

/* The 64-byte message's padding block: 0x80, zeros, length 512 bits. */
static const uint32_t pad64[16] = {0x80000000u, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 512};

/* SHA-256d(left || right); out may be either input. */
static void hash_pair(const uint32_t left[8], const uint32_t right[8], uint32_t out[8])
{
	uint32_t w[16], st[8];
	for (int i = 0; i < 8; i++) {
		w[i] = left[i];
		w[8 + i] = right[i];
		st[i] = sha256_iv[i];
	}
	sha256_compress_words(st, w);
	sha256_compress_words(st, pad64);
	sha256_of_digest_words(st, out);
}

/* SHA-256d of a message given in pieces (a segwit transaction's txid skips
 * the marker, the flag and the witnesses). */
typedef struct {
	uint32_t st[8];
	uint32_t buf[16];
	uint32_t fill, total;
} sha_stream;

static void stream_init(sha_stream *s)
{
	for (int i = 0; i < 8; i++)
		s->st[i] = sha256_iv[i];
	s->fill = s->total = 0;
}

static void stream_add(sha_stream *s, const uint8_t *p, uint32_t n)
{
	uint8_t *b = (uint8_t *)s->buf;

	s->total += n;
	if (s->fill) {
		uint32_t take = 64 - s->fill < n ? 64 - s->fill : n;
		__builtin_memcpy(b + s->fill, p, take);
		s->fill += take;
		p += take;
		n -= take;
		if (s->fill < 64)
			return;
		sha256_blocks(s->st, b, 1);
		s->fill = 0;
	}
	if (((uintptr_t)p & 3) == 0) {
		sha256_blocks(s->st, p, n / 64);
		p += n & ~63u;
		n &= 63;
	}
	for (; n >= 64; p += 64, n -= 64) {
		__builtin_memcpy(b, p, 64);
		sha256_blocks(s->st, b, 1);
	}
	__builtin_memcpy(b, p, n);
	s->fill = n;
}

static void stream_end(sha_stream *s, uint32_t out[8])
{
	uint8_t *b = (uint8_t *)s->buf;
	uint32_t i = s->fill;

	b[i++] = 0x80;
	if (i > 56) {
		while (i < 64)
			b[i++] = 0;
		sha256_blocks(s->st, b, 1);
		i = 0;
	}
	while (i < 56)
		b[i++] = 0;
	store_be32(b + 56, s->total >> 29);
	store_be32(b + 60, s->total << 3);
	sha256_blocks(s->st, b, 1);
	sha256_of_digest_words(s->st, out);
}

/* ---- streaming Merkle root ---- */

typedef struct {
	uint32_t inner[32][8]; /* inner[k]: the last complete subtree of 2^k leaves */
	uint32_t count;
	int mutated;           /* two equal hashes were paired */
} merkle;

static void merkle_add(merkle *m, const uint32_t leaf[8])
{
	uint32_t h[8];
	int level;

	for (int i = 0; i < 8; i++)
		h[i] = leaf[i];
	m->count++;
	/* each low zero bit of the new count closes a subtree: pair it up */
	for (level = 0; !(m->count & (1u << level)); level++) {
		m->mutated |= same(m->inner[level], h);
		hash_pair(m->inner[level], h, h);
	}
	for (int i = 0; i < 8; i++)
		m->inner[level][i] = h[i];
}

/* The root: the rightmost subtrees paired up, an odd one with itself. */
static void merkle_root(const merkle *m, uint32_t out[8])
{
	uint32_t count = m->count, h[8];
	int level = 0;

	if (count == 0) {
		for (int i = 0; i < 8; i++)
			out[i] = 0;
		return;
	}
	while (!(count & (1u << level)))
		level++;
	for (int i = 0; i < 8; i++)
		h[i] = m->inner[level][i];
	while (count != 1u << level) {
		hash_pair(h, h, h);
		count += 1u << level;
		level++;
		while (!(count & (1u << level))) {
			hash_pair(m->inner[level], h, h);
			level++;
		}
	}
	for (int i = 0; i < 8; i++)
		out[i] = h[i];
}

/* ---- transactions ---- */

/* BIP-141: OP_RETURN, a 36-byte push, aa21a9ed, then the 32-byte commitment. */
static const uint8_t commitment_head[6] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};

typedef struct {
	const uint8_t *commitment; /* the last matching output of the coinbase */
	const uint8_t *reserved;   /* its witness: one 32-byte item, else NULL */
} coinbase_facts;

typedef struct {
	const uint8_t *start, *body, *body_end, *end; /* body: inputs and outputs */
	int witness;
	int coinbase;
} tx_span;

static int is_null_prevout(const uint8_t *p)
{
	uint32_t z = 0;
	for (int i = 0; i < 32; i++)
		z |= p[i];
	return z == 0 && load_le32(p + 32) == 0xffffffffu;
}

/* One transaction at r->p; facts about the coinbase when cb is not NULL. */
static int parse_tx(reader *r, tx_span *t, coinbase_facts *cb)
{
	uint32_t nin, nout, n, items;
	int any = 0;

	t->start = r->p;
	if (!skip(r, 4))
		return 0;
	t->witness = 0;
	if (r->p != r->end && r->p[0] == 0) { /* segwit marker */
		if (!skip(r, 2))
			return 0;
		if (r->p[-1] != 1)
			return fail(r, "bad-witness-flag");
		t->witness = 1;
	}
	t->body = r->p;
	if (!varint(r, &nin))
		return 0;
	t->coinbase = 0;
	for (uint32_t i = 0; i < nin; i++) {
		if ((uint32_t)(r->end - r->p) < 36)
			return fail(r, "truncated");
		if (i == 0)
			t->coinbase = nin == 1 && is_null_prevout(r->p);
		r->p += 36;
		if (!varint(r, &n) || !skip(r, n) || !skip(r, 4))
			return 0;
	}
	if (!varint(r, &nout))
		return 0;
	for (uint32_t i = 0; i < nout; i++) {
		if (!skip(r, 8) || !varint(r, &n))
			return 0;
		const uint8_t *script = r->p;
		if (!skip(r, n))
			return 0;
		if (cb && n >= 38 && __builtin_memcmp(script, commitment_head, 6) == 0)
			cb->commitment = script + 6;
	}
	t->body_end = r->p;
	if (t->witness) {
		for (uint32_t i = 0; i < nin; i++) {
			if (!varint(r, &items))
				return 0;
			any |= items != 0;
			for (uint32_t k = 0; k < items; k++) {
				if (!varint(r, &n))
					return 0;
				if (cb && i == 0 && items == 1 && n == 32)
					cb->reserved = r->p;
				if (!skip(r, n))
					return 0;
			}
		}
		if (!any) /* a marker and flag, then nothing to mark */
			return fail(r, "superfluous-witness");
	}
	if (!skip(r, 4))
		return 0;
	t->end = r->p;
	return 1;
}

static void txid(const tx_span *t, uint32_t out[8])
{
	sha_stream s;

	if (!t->witness) {
		sha256d_state(t->start, (uint32_t)(t->end - t->start), out);
		return;
	}
	stream_init(&s);
	stream_add(&s, t->start, 4);
	stream_add(&s, t->body, (uint32_t)(t->body_end - t->body));
	stream_add(&s, t->end - 4, 4);
	stream_end(&s, out);
}

/* ---- the header ---- */

/* "bad-diffbits", "high-hash" or NULL: Bitcoin's compact target (a 3-byte
 * mantissa, bit 23 its sign, times 256^(exponent - 3)) must be positive and
 * fit 256 bits, and the header hash, a little-endian number, must not exceed it. */
static const char *check_pow(const uint8_t *header, const uint8_t hash[32])
{
	uint32_t bits = load_le32(header + 72), size = bits >> 24, word = bits & 0x007fffffu;
	uint8_t target[32] = {0};

	if (size <= 3)
		word >>= 8 * (3 - size);
	if (word == 0 || (bits & 0x00800000u) || size > 34 || (word > 0xff && size > 33) ||
	    (word > 0xffff && size > 32))
		return "bad-diffbits";
	for (uint32_t k = 0; k < 3; k++) {
		uint32_t at = (size > 3 ? size - 3 : 0) + k;
		if (at < 32)
			target[at] = (uint8_t)(word >> (8 * k));
	}
	for (int i = 31; i >= 0; i--)
		if (hash[i] != target[i])
			return hash[i] > target[i] ? "high-hash" : 0;
	return 0;
}

/* ---- the block ---- */

static merkle txids, wtxids;

static const char *check_block(const uint8_t *blk, uint32_t len, uint8_t hash[32])
{
	reader r = {blk, blk + len, 0};
	coinbase_facts cb = {0, 0};
	tx_span t;
	uint32_t ntx, h[8], root[8], extra_coinbase = 0, any_witness = 0;
	const char *pow;

	if (len < HEADER_LEN)
		return "truncated";
	sha256d_state(blk, HEADER_LEN, h);
	sha256_state_to_bytes(h, hash);
	r.p += HEADER_LEN;
	if (!varint(&r, &ntx))
		return r.err;
	txids.count = wtxids.count = 0;
	txids.mutated = wtxids.mutated = 0;
	for (uint32_t i = 0; i < ntx; i++) {
		if (!parse_tx(&r, &t, i == 0 ? &cb : 0))
			return r.err;
		txid(&t, h);
		merkle_add(&txids, h);
		any_witness |= t.witness;
		if (i == 0) {
			if (!t.coinbase)
				extra_coinbase = 1u << 31;  /* no coinbase first */
			for (int k = 0; k < 8; k++)
				h[k] = 0;               /* the coinbase's wtxid */
		} else {
			extra_coinbase |= t.coinbase;
			if (cb.commitment && t.witness)
				sha256d_state(t.start, (uint32_t)(t.end - t.start), h);
		}
		if (cb.commitment)
			merkle_add(&wtxids, h);
	}
	if (r.p != r.end)
		return "trailing-bytes";
	if ((pow = check_pow(blk, hash)))
		return pow;
	if (ntx == 0)
		return "bad-blk-length";
	merkle_root(&txids, root);
	words_of(blk + 36, h);
	if (!same(root, h))
		return "bad-txnmrklroot";
	if (txids.mutated)
		return "bad-txns-duplicate";
	if (extra_coinbase >> 31)
		return "bad-cb-missing";
	if (extra_coinbase)
		return "bad-cb-multiple";
	if (cb.commitment) {
		if (!cb.reserved)
			return "bad-witness-nonce-size";
		merkle_root(&wtxids, root);
		words_of(cb.reserved, h);
		hash_pair(root, h, root);
		words_of(cb.commitment, h);
		if (!same(root, h))
			return "bad-witness-merkle-match";
	} else if (any_witness) {
		return "unexpected-witness";
	}
	return 0;
}

int main(void)
{
	uint32_t len;
	const uint8_t *blk = kernel_input(&len, default_block, sizeof default_block);
	uint8_t hash[32];
	const char *why = check_block(blk, len, hash);

	if (why) {
		crv_puts("invalid ");
		crv_puts(why);
	} else {
		crv_puts("valid ");
		for (int i = 31; i >= 0; i--)
			crv_print_hex(hash + i, 1);
	}
	crv_putc('\n');
	return 0;
}
