/* Fuzzes the web plugin's visitor frame parser (plugins/web/web_frame.c):
 * any bytes give a frame or a refusal with a code, never a crash; an
 * accepted frame honours every bound it promises. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "web_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {16, 4096};
	for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
		web_frame f;
		const char *code = NULL, *why = NULL;
		int rc = web_frame_parse((const char *)data, size, limits[i], &f, &code, &why);
		if (rc) {
			if (!code || !why || f.root)
				g_error("refusal without a code or with a frame left");
			if (strlen(f.error_id) > WEB_FRAME_ID_MAX)
				g_error("error id too long");
			continue;
		}
		switch (f.type) {
		case WEB_FRAME_HELLO:
			if (!f.channel || !*f.channel || f.last_id < 0 || (!f.user_id != !f.user_hash))
				g_error("hello accepted without its bounds");
			break;
		case WEB_FRAME_SEND:
			if (!f.id || strlen(f.id) > WEB_FRAME_ID_MAX || !f.text ||
			    strlen(f.text) > limits[i] || !web_text_valid(f.text, strlen(f.text)) ||
			    !g_utf8_validate(f.text, -1, NULL))
				g_error("send accepted without its bounds");
			break;
		case WEB_FRAME_ATTRIBUTES:
			if (!json_is_object(f.attributes) || json_object_size(f.attributes) == 0 ||
			    json_object_size(f.attributes) > WEB_FRAME_ATTRS_MAX)
				g_error("attributes accepted without their bounds");
			break;
		case WEB_FRAME_PING:
			break;
		default:
			g_error("unknown frame type accepted");
		}
		web_frame_clear(&f);
	}
	return 0;
}
