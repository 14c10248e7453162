/* Secrets the SIP plugin must be able to use again (the password of an
 * outbound trunk, which digest auth needs in clear for a realm not known in
 * advance), kept encrypted at rest: libsodium secretbox (XSalsa20-Poly1305)
 * under a 32-byte key of a file only the server reads (mode 0600), named
 * by [plugin.sip] secret_file. The server has no key of its own that a
 * plugin can reach, hence the file. The sealed form is base64 of
 * nonce || ciphertext, stored in the plugin's settings; it never leaves the
 * server through the API.
 *
 * Pure functions except sip_secret_key_load (file system). Any thread.
 */
#pragma once

#include <stddef.h>

#define SIP_SECRET_KEY_BYTES 32
#define SIP_SECRET_MAX_PLAIN 256

/* Reads the key of path, or creates the file (0600, exclusively) with a new
 * random key when it does not exist. 0; -EINVAL path empty or the file is
 * not a key (wrong size); -EPERM the file is readable by group or others;
 * another negative errno from the file system. key untouched on error. */
int sip_secret_key_load(const char *path, unsigned char key[SIP_SECRET_KEY_BYTES]);

/* Wipes a key from memory (before it is freed). */
void sip_secret_key_forget(unsigned char key[SIP_SECRET_KEY_BYTES]);

/* The sealed form of plain (1..SIP_SECRET_MAX_PLAIN bytes), g_free() it;
 * NULL when plain is too long or libsodium cannot start. */
char *sip_secret_seal(const unsigned char key[SIP_SECRET_KEY_BYTES], const char *plain);

/* Opens a sealed form: 0 with *plain_out (free it with sip_secret_free);
 * -EINVAL not a sealed form; -EACCES sealed under another key, or altered. */
int sip_secret_open(const unsigned char key[SIP_SECRET_KEY_BYTES], const char *sealed,
		    char **plain_out);

/* Wipes and frees an opened secret (NULL is a no-op). */
void sip_secret_free(char *plain);
