/* Ethereum transaction sender recovery for each raw signed transaction of
 * the input block (default: default_vector.h): u32 count, then per
 * transaction u32 length || bytes, all little-endian counts.  Legacy
 * (v = 27/28), EIP-155 legacy (v = chainId * 2 + 35/36), EIP-2930 (0x01) and
 * EIP-1559 (0x02) transactions are decoded as strict RLP, hashed for signing
 * by their type, and the signer is recovered as ecrecover does, with EIP-2's
 * low s.  Prints "from <address>" or "invalid". */
#include "../bignum/ecrecover.h"
#include "../common/kernel_input.h"
#include "default_vector.h"

#define MAX_FIELDS 12
#define MAX_PREIMAGE 32768

typedef struct {
	const uint8_t *enc;  /* the item's encoding, header included */
	uint32_t enc_len;
	const uint8_t *data; /* its payload */
	uint32_t len;
	int list;
} rlp_item;

/* n / 2: a transaction's s must not exceed it (EIP-2) */
static const uint8_t half_n[32] = {
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d,
	0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};

static uint8_t preimage[MAX_PREIMAGE];

/* One canonically encoded item at the start of p[0..len); 0 when the header
 * is not the shortest one or the payload overruns. */
static int rlp_next(rlp_item *it, const uint8_t *p, uint32_t len)
{
	uint32_t b, hdr, n;

	if (len == 0)
		return 0;
	b = p[0];
	it->list = b >= 0xc0;
	if (b < 0x80) {
		hdr = 0;
		n = 1;
	} else if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
		hdr = 1;
		n = b - (it->list ? 0xc0 : 0x80);
		/* a single byte below 0x80 is its own encoding */
		if (!it->list && n == 1 && (len < 2 || p[1] < 0x80))
			return 0;
	} else {
		uint32_t ll = b - (it->list ? 0xf7 : 0xb7);
		if (ll > 4 || len < 1 + ll || p[1] == 0)
			return 0;
		n = 0;
		for (uint32_t i = 0; i < ll; i++)
			n = n << 8 | p[1 + i];
		if (n < 56)
			return 0;
		hdr = 1 + ll;
	}
	if (n > len - hdr)
		return 0;
	it->enc = p;
	it->enc_len = hdr + n;
	it->data = p + hdr;
	it->len = n;
	return 1;
}

/* The items of a list's payload into f[0..max); their number, -1 if malformed. */
static int rlp_split(rlp_item *f, int max, const uint8_t *p, uint32_t len)
{
	int k = 0;

	while (len) {
		if (k == max || !rlp_next(&f[k], p, len))
			return -1;
		p += f[k].enc_len;
		len -= f[k].enc_len;
		k++;
	}
	return k;
}

/* An integer: a string of at most max bytes without leading zeros. */
static int rlp_int(const rlp_item *it, uint32_t max)
{
	return !it->list && it->len <= max && (it->len == 0 || it->data[0] != 0);
}

static int rlp_string(const rlp_item *it, uint32_t len)
{
	return !it->list && it->len == len;
}

/* [[address, [storageKey, ...]], ...] */
static int access_list_ok(const rlp_item *al)
{
	const uint8_t *p = al->data;
	uint32_t len = al->len;
	rlp_item e, f[2], k;

	if (!al->list)
		return 0;
	while (len) {
		if (!rlp_next(&e, p, len) || !e.list || rlp_split(f, 2, e.data, e.len) != 2)
			return 0;
		if (!rlp_string(&f[0], 20) || !f[1].list)
			return 0;
		for (uint32_t off = 0; off < f[1].len; off += k.enc_len)
			if (!rlp_next(&k, f[1].data + off, f[1].len - off) || !rlp_string(&k, 32))
				return 0;
		p += e.enc_len;
		len -= e.enc_len;
	}
	return 1;
}

static uint32_t put_header(uint8_t *out, uint32_t len, uint8_t base)
{
	uint32_t ll = 0;

	if (len < 56) {
		out[0] = base + len;
		return 1;
	}
	for (uint32_t t = len; t; t >>= 8)
		ll++;
	out[0] = base + 55 + ll;
	for (uint32_t i = 0; i < ll; i++)
		out[ll - i] = len >> (8 * i);
	return 1 + ll;
}

/* The sender of one transaction; 0 when the transaction is invalid. */
static int eth_tx_sender(uint8_t addr[20], const uint8_t *tx, uint32_t len)
{
	rlp_item top, f[MAX_FIELDS];
	uint8_t item[128], suffix[12], *q = preimage;
	uint32_t type = 0, nf, to, body, slen = 0, parity;
	int k;

	if (len && tx[0] < 0x80) {
		type = tx[0];
		if (type != 1 && type != 2)
			return 0;
		tx++;
		len--;
	}
	if (!rlp_next(&top, tx, len) || !top.list || top.enc_len != len)
		return 0;
	nf = type == 0 ? 9 : type == 1 ? 11 : 12;
	k = rlp_split(f, MAX_FIELDS, top.data, top.len);
	if (k != (int)nf)
		return 0;
	/* [chainId,] nonce, fees..., gasLimit, to, value, data, [accessList,] v, r, s */
	to = type == 0 ? 3 : type == 1 ? 4 : 5;
	for (uint32_t i = 0; i < nf - 3; i++) {
		int ok;
		if (i == to)
			ok = rlp_string(&f[i], 0) || rlp_string(&f[i], 20); /* empty: creation */
		else if (i == to + 2)
			ok = !f[i].list; /* data */
		else if (i == to + 3)
			ok = access_list_ok(&f[i]);
		else
			ok = rlp_int(&f[i], 32);
		if (!ok)
			return 0;
	}
	if (!rlp_int(&f[nf - 3], 8) || !rlp_int(&f[nf - 2], 32) || !rlp_int(&f[nf - 1], 32))
		return 0;
	{
		uint64_t v = 0;
		for (uint32_t i = 0; i < f[nf - 3].len; i++)
			v = v << 8 | f[nf - 3].data[i];
		if (type) {
			if (v > 1)
				return 0;
			parity = v;
		} else if (v == 27 || v == 28) {
			parity = v - 27;
		} else if (v >= 35) {
			/* EIP-155: the signed list ends with chainId, 0, 0 */
			uint64_t chain = (v - 35) >> 1;
			uint32_t cl = 0;
			parity = (v - 35) & 1;
			for (uint64_t t = chain; t; t >>= 8)
				cl++;
			if (cl == 1 && chain < 0x80) {
				suffix[slen++] = chain;
			} else {
				suffix[slen++] = 0x80 + cl;
				for (uint32_t i = 0; i < cl; i++)
					suffix[slen++] = chain >> (8 * (cl - 1 - i));
			}
			suffix[slen++] = 0x80;
			suffix[slen++] = 0x80;
		} else {
			return 0;
		}
	}
	/* the signing hash: keccak([type ||] rlp(fields without v, r, s [|| suffix])) */
	body = (uint32_t)(f[nf - 3].enc - f[0].enc);
	if (body + slen + 6 > MAX_PREIMAGE)
		return 0;
	if (type)
		*q++ = type;
	q += put_header(q, body + slen, 0xc0);
	for (uint32_t i = 0; i < body; i++)
		*q++ = f[0].enc[i];
	for (uint32_t i = 0; i < slen; i++)
		*q++ = suffix[i];
	keccak256(preimage, (uint32_t)(q - preimage), item);
	/* as an ecrecover item: hash || v || r || s, r and s left-padded */
	for (int i = 32; i < 128; i++)
		item[i] = 0;
	item[63] = 27 + parity;
	for (uint32_t i = 0; i < f[nf - 2].len; i++)
		item[96 - f[nf - 2].len + i] = f[nf - 2].data[i];
	for (uint32_t i = 0; i < f[nf - 1].len; i++)
		item[128 - f[nf - 1].len + i] = f[nf - 1].data[i];
	for (int i = 0; i < 32; i++) {
		if (item[96 + i] != half_n[i]) {
			if (item[96 + i] > half_n[i])
				return 0;
			break;
		}
	}
	return ecrecover(addr, item);
}

int main(void)
{
	uint32_t len, count;
	const uint8_t *p = kernel_input(&len, default_vector, sizeof default_vector);
	const uint8_t *end = p + len;

	count = len >= 4 ? p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24) : 0;
	p += len >= 4 ? 4 : len;
	/* the framing first, so that a malformed block prints nothing else */
	for (uint32_t i = 0, n, avail; i < count; i++, p += n) {
		avail = (uint32_t)(end - p);
		n = avail >= 4 ? p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24) : 0;
		if (avail < 4 || n > avail - 4) {
			len = 0;
			break;
		}
		p += 4;
	}
	if (len < 4 || p != end) {
		crv_puts("error: input must be a u32 count and count u32-length-prefixed transactions\n");
		return 1;
	}
	p = end - len + 4;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t n = p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
		uint8_t addr[20];
		if (eth_tx_sender(addr, p + 4, n)) {
			crv_puts("from ");
			crv_print_hex(addr, 20);
			crv_putc('\n');
		} else {
			crv_puts("invalid\n");
		}
		p += 4 + n;
	}
	return 0;
}
