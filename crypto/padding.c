/* libghostdrop padding buckets: 16 KiB floor, then Padmé. PROTOCOL.md §6.4. */
#include "internal.h"

static unsigned floor_log2(uint64_t x)
{
	unsigned r = 0;
	while (x >>= 1)
		r++;
	return r;
}

uint64_t gd_padme(uint64_t len)
{
	if (len < 2)
		return len;
	unsigned e = floor_log2(len);
	unsigned s = floor_log2(e) + 1;
	unsigned last_bits = e - s;
	uint64_t mask = (1ULL << last_bits) - 1;
	return (len + mask) & ~mask;
}

uint64_t gd_pad_envelope(uint64_t len)
{
	return len <= GD_PAD_FLOOR ? GD_PAD_FLOOR : gd_padme(len);
}
