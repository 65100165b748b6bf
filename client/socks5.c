/* ghostdrop SOCKS5 (RFC 1928, RFC 1929) for reaching the drop through Tor: remote name
 * resolution only, username/password for circuit isolation. Pure encode/parse functions. */
#include "socks5.h"

#include <string.h>

#include "i18n.h"

size_t socks5_greeting(uint8_t out[3])
{
	out[0] = 5; /* version */
	out[1] = 1; /* one method */
	out[2] = 2; /* username/password */
	return 3;
}

int socks5_parse_method(const uint8_t *in, size_t len)
{
	if (len < 2)
		return len > 0 && in[0] != 5 ? SOCKS_ERR_PROTOCOL : SOCKS_MORE;
	if (in[0] != 5 || len > 2)
		return SOCKS_ERR_PROTOCOL;
	if (in[1] == 0xff)
		return SOCKS_ERR_AUTH;
	return in[1] == 2 ? SOCKS_OK : SOCKS_ERR_PROTOCOL; /* we offered nothing else */
}

size_t socks5_auth(uint8_t *out, size_t cap, const char *user, const char *pass)
{
	size_t ul = strlen(user), pl = strlen(pass);
	if (ul < 1 || ul > 255 || pl < 1 || pl > 255 || cap < 3 + ul + pl)
		return 0;
	out[0] = 1; /* sub-negotiation version */
	out[1] = (uint8_t)ul;
	memcpy(out + 2, user, ul);
	out[2 + ul] = (uint8_t)pl;
	memcpy(out + 3 + ul, pass, pl);
	return 3 + ul + pl;
}

int socks5_parse_auth(const uint8_t *in, size_t len)
{
	if (len < 2)
		return len > 0 && in[0] != 1 ? SOCKS_ERR_PROTOCOL : SOCKS_MORE;
	if (in[0] != 1 || len > 2)
		return SOCKS_ERR_PROTOCOL;
	return in[1] == 0 ? SOCKS_OK : SOCKS_ERR_AUTH;
}

size_t socks5_connect(uint8_t *out, size_t cap, const char *host, uint16_t port)
{
	size_t hl = strlen(host);
	if (hl < 1 || hl > 255 || cap < 7 + hl)
		return 0;
	out[0] = 5;
	out[1] = 1; /* CONNECT */
	out[2] = 0;
	out[3] = 3; /* a domain name: resolved by the proxy */
	out[4] = (uint8_t)hl;
	memcpy(out + 5, host, hl);
	out[5 + hl] = (uint8_t)(port >> 8);
	out[6 + hl] = (uint8_t)port;
	return 7 + hl;
}

int socks5_parse_connect(const uint8_t *in, size_t len, size_t *used, uint8_t *code)
{
	size_t need;
	if (len >= 1 && in[0] != 5)
		return SOCKS_ERR_PROTOCOL;
	if (len >= 3 && in[2] != 0)
		return SOCKS_ERR_PROTOCOL;
	if (len < 5)
		return SOCKS_MORE;
	switch (in[3]) { /* the bound address, which we ignore but must skip exactly */
	case 1:
		need = 4 + 4 + 2;
		break;
	case 4:
		need = 4 + 16 + 2;
		break;
	case 3:
		need = 4 + 1 + (size_t)in[4] + 2;
		break;
	default:
		return SOCKS_ERR_PROTOCOL;
	}
	if (len < need)
		return SOCKS_MORE;
	if (in[1] != 0) {
		*code = in[1];
		return SOCKS_ERR_REFUSED;
	}
	*used = need;
	return SOCKS_OK;
}

/* Marked only: the caller translates (_(socks5_reply_text(code))). */
const char *socks5_reply_text(uint8_t code)
{
	switch (code) {
	case 0x01:
		return N_("general failure");
	case 0x02:
		return N_("not allowed by the proxy");
	case 0x03:
		return N_("network unreachable");
	case 0x04:
		return N_("host unreachable");
	case 0x05:
		return N_("connection refused");
	case 0x06:
		/* TRANSLATORS: TTL stays as it is */
		return N_("TTL expired (Tor: the circuit timed out)");
	case 0x07:
		return N_("command not supported");
	case 0x08:
		return N_("address type not supported");
	/* Tor's extended errors for onion services (tor 0.4.3+, ExtendedErrors) */
	case 0xf0:
		return N_("onion service descriptor not found (offline, or a typo in the address)");
	case 0xf1:
		return N_("onion service descriptor is invalid");
	case 0xf2:
		return N_("onion service introduction failed");
	case 0xf3:
		return N_("onion service rendezvous failed");
	case 0xf4:
		return N_("onion service needs client authorisation");
	case 0xf5:
		return N_("onion service client authorisation was refused");
	case 0xf6:
		return N_("invalid onion address");
	case 0xf7:
		return N_("onion service introduction timed out");
	default:
		/* TRANSLATORS: SOCKS stays as it is */
		return N_("unknown SOCKS error");
	}
}
