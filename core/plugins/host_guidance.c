/* The host API's guidance_path() (ABI 1.2): which normalized guidance file
 * a phone channel plays for a line and kind (core/media/media_guidance.h). */
#define TSUNAGU_LOG_TOPIC "plugins"
#include "log.h"

#include <errno.h>
#include <string.h>

#include "media_guidance.h"
#include "plugin_host.h"

/* Loop thread (the plugin's own callbacks run there). line borrowed;
 * *path_out becomes the plugin's (api->free is g_free). */
static int host_guidance_path(tsunagu_host *h, const char *line, int kind, char **path_out)
{
	const char *kind_name = tsunagu_guidance_kind_name(kind);

	if (!h || !path_out || !kind_name)
		return -EINVAL;
	if (!tsunagu_host_alive(h) || !h->core)
		return -ESHUTDOWN;
	return tsunagu_guidance_path(h->core, line, kind_name, path_out);
}

void tsunagu_host_guidance_fill(tsunagu_host_api *api)
{
	api->guidance_path = host_guidance_path;
}
