/* SDP offer/answer (sip_sdp.h). */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "sip_sdp.h"

const sip_sdp_codec sip_sdp_our_codecs[3] = {
	{SIP_CODEC_PCMU, 0},
	{SIP_CODEC_PCMA, 8},
	{SIP_CODEC_OPUS, 111},
};

/* Which of our codecs an rtpmap names; -1 for the others (telephone-event,
 * G.722, video...). Static payload types may come without a=rtpmap: sofia
 * then fills the map from its well-known table (rm_predef). */
static int codec_of(const sdp_rtpmap_t *rm)
{
	if (!rm->rm_encoding)
		return -1;
	if (strcasecmp(rm->rm_encoding, "PCMU") == 0 && rm->rm_rate == 8000)
		return SIP_CODEC_PCMU;
	if (strcasecmp(rm->rm_encoding, "PCMA") == 0 && rm->rm_rate == 8000)
		return SIP_CODEC_PCMA;
	if (strcasecmp(rm->rm_encoding, "opus") == 0 && rm->rm_rate == 48000 && rm->rm_pt >= 96)
		return SIP_CODEC_OPUS;
	return -1;
}

static bool usable_address(const sdp_connection_t *c)
{
	return c && c->c_address && c->c_address[0] &&
	       (c->c_addrtype == sdp_addr_ip4 || c->c_addrtype == sdp_addr_ip6) &&
	       strlen(c->c_address) < sizeof(((sip_sdp_audio *)0)->address) && !c->c_mcast;
}

/* sofia-sip 1.12.11's sdp_parse() loops forever on some malformed m=
 * lines (a transport like "RTP]/AVP", a media "-" followed by an address):
 * one INVITE would hang the loop (tests/fuzz/plugins/corpus/fuzz_sip_sdp/
 * sofia_*). So every m= line must match RFC 4566's grammar, strictly,
 * before sofia sees the description. */
/* Takes the longest run (at most max) of chars for which ok() holds from
 * *p; false when it is shorter than min. */
static bool take(const char **p, const char *end, size_t min, size_t max, int (*ok)(int))
{
	size_t n = 0;
	while (*p < end && n < max && ok((unsigned char)**p)) {
		(*p)++;
		n++;
	}
	return n >= min && (n < max || *p == end || !ok((unsigned char)**p));
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int is_fmt(int c)
{
	return is_alnum(c) || (c && strchr("*._+-", c));
}

static bool take_char(const char **p, const char *end, char c)
{
	if (*p < end && **p == c) {
		(*p)++;
		return true;
	}
	return false;
}

/* m=<alpha>+ <port>[/<n>] <proto> <fmt>{1,64}; proto = ALPHA ALNUM* ('/' ALPHA ALNUM*)* */
static bool media_line_ok(const char *line, size_t n)
{
	const char *p = line + 2, *end = line + n;
	if (!take(&p, end, 1, 32, is_alpha) || !take_char(&p, end, ' ') ||
	    !take(&p, end, 1, 5, is_digit))
		return false;
	if (take_char(&p, end, '/') && !take(&p, end, 1, 3, is_digit))
		return false;
	if (!take_char(&p, end, ' '))
		return false;
	do {
		if (p == end || !is_alpha((unsigned char)*p++) || !take(&p, end, 0, 32, is_alnum))
			return false;
	} while (take_char(&p, end, '/'));
	int fmts = 0;
	while (p < end && fmts < 64) {
		if (!take_char(&p, end, ' ') || !take(&p, end, 1, 32, is_fmt))
			return false;
		fmts++;
	}
	return fmts > 0 && p == end;
}

static bool media_lines_safe(const char *text, size_t len)
{
	/* sofia ends a line at CR or LF, so both end one here */
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\r' && text[i] != '\n')
			continue;
		if (i - start >= 2 && text[start] == 'm' && text[start + 1] == '=' &&
		    !media_line_ok(text + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

int sip_sdp_parse(const char *text, size_t len, sip_sdp_audio *out, const char **why)
{
	const char *reason = NULL;
	int rc = -EINVAL;
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sdp_parser_t *p = NULL;
	const sdp_session_t *s;
	const sdp_media_t *m;

	memset(out, 0, sizeof *out);
	if (!text || len == 0 || len > 64 * 1024) {
		reason = "empty or oversized session description";
		goto out;
	}
	/* sofia's parser stops at a NUL: one inside the body is malformed. */
	if (memchr(text, '\0', len)) {
		reason = "NUL byte in the session description";
		goto out;
	}
	if (!media_lines_safe(text, len)) {
		reason = "malformed m= line";
		goto out;
	}
	p = sdp_parse(home, text, (issize_t)len, sdp_f_strict);
	s = p ? sdp_session(p) : NULL;
	if (!s) {
		reason = "malformed session description";
		goto out;
	}
	rc = -ENOTSUP;
	reason = "no RTP audio stream";
	for (m = s->sdp_media; m; m = m->m_next) {
		if (m->m_type != sdp_media_audio || m->m_proto != sdp_proto_rtp || m->m_port == 0 ||
		    m->m_port > 65535 || m->m_rejected)
			continue;
		const sdp_connection_t *c = m->m_connections ? m->m_connections : s->sdp_connection;
		if (!usable_address(c)) {
			rc = -EINVAL;
			reason = "no usable connection address for the audio stream";
			goto out;
		}
		for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
			int codec = codec_of(rm);
			if (codec < 0 || out->n_codecs == SIP_SDP_MAX_CODECS)
				continue;
			out->codecs[out->n_codecs].codec = (sip_codec)codec;
			out->codecs[out->n_codecs].payload_type = rm->rm_pt;
			out->n_codecs++;
		}
		if (out->n_codecs == 0) {
			reason = "no common codec (PCMU, PCMA or Opus)";
			goto out;
		}
		g_strlcpy(out->address, c->c_address, sizeof out->address);
		out->port = (uint16_t)m->m_port;
		out->on_hold = m->m_mode != sdp_sendrecv && m->m_mode != sdp_recvonly;
		out->mode = m->m_mode == sdp_sendonly	? SIP_SDP_SENDONLY
			    : m->m_mode == sdp_recvonly ? SIP_SDP_RECVONLY
			    : m->m_mode == sdp_inactive ? SIP_SDP_INACTIVE
							: SIP_SDP_SENDRECV;
		if (strcmp(out->address, "0.0.0.0") == 0)
			out->on_hold = true;
		rc = 0;
		reason = NULL;
		goto out;
	}
out:
	if (rc) {
		out->n_codecs = 0;
		out->port = 0;
	}
	if (why)
		*why = reason;
	if (p)
		sdp_parser_free(p);
	su_home_deinit(home);
	return rc;
}

static const char *codec_name(sip_codec c)
{
	switch (c) {
	case SIP_CODEC_PCMU:
		return "PCMU/8000";
	case SIP_CODEC_PCMA:
		return "PCMA/8000";
	case SIP_CODEC_OPUS:
		return "opus/48000/2";
	}
	return NULL;
}

sip_sdp_mode sip_sdp_answer_mode(sip_sdp_mode offered)
{
	switch (offered) {
	case SIP_SDP_SENDONLY:
		return SIP_SDP_RECVONLY;
	case SIP_SDP_RECVONLY:
		return SIP_SDP_SENDONLY;
	case SIP_SDP_INACTIVE:
		return SIP_SDP_INACTIVE;
	default:
		return SIP_SDP_SENDRECV;
	}
}

char *sip_sdp_build(const char *ip, uint16_t port, uint64_t session_id, uint64_t version,
		    const sip_sdp_codec *codecs, size_t n)
{
	return sip_sdp_build_mode(ip, port, session_id, version, codecs, n, SIP_SDP_SENDRECV);
}

char *sip_sdp_build_mode(const char *ip, uint16_t port, uint64_t session_id, uint64_t version,
			 const sip_sdp_codec *codecs, size_t n, sip_sdp_mode mode)
{
	static const char *const mode_attr[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
	if ((unsigned)mode >= G_N_ELEMENTS(mode_attr))
		return NULL;
	if (!ip || !ip[0] || n == 0)
		return NULL;
	const char *family = strchr(ip, ':') ? "IP6" : "IP4";
	GString *s = g_string_new(NULL);
	g_string_append_printf(s,
			       "v=0\r\n"
			       "o=tsunagu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN %s %s\r\n"
			       "s=tsunagu\r\n"
			       "c=IN %s %s\r\n"
			       "t=0 0\r\n"
			       "m=audio %u RTP/AVP",
			       session_id, version, family, ip, family, ip, (unsigned)port);
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, " %d", codecs[i].payload_type);
	g_string_append(s, "\r\n");
	for (size_t i = 0; i < n; i++) {
		const char *name = codec_name(codecs[i].codec);
		if (name)
			g_string_append_printf(s, "a=rtpmap:%d %s\r\n", codecs[i].payload_type, name);
	}
	/* Opus in one direction only ever carries mono speech here. */
	for (size_t i = 0; i < n; i++)
		if (codecs[i].codec == SIP_CODEC_OPUS)
			g_string_append_printf(s, "a=fmtp:%d useinbandfec=1\r\n",
					       codecs[i].payload_type);
	g_string_append_printf(s, "a=ptime:20\r\na=%s\r\n", mode_attr[mode]);
	return g_string_free(s, FALSE);
}
