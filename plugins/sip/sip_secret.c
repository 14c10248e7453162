/* Secrets encrypted at rest (sip_secret.h). */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sip_secret.h"

G_STATIC_ASSERT(SIP_SECRET_KEY_BYTES == crypto_secretbox_KEYBYTES);

/* A new key file: written under a temporary name then linked in place, so
 * a crash never leaves a short key that would lock the secrets out. */
static int key_create(const char *path, unsigned char key[SIP_SECRET_KEY_BYTES])
{
	unsigned char fresh[SIP_SECRET_KEY_BYTES];
	char *tmp = g_strconcat(path, ".new", NULL);
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	randombytes_buf(fresh, sizeof fresh);
	if (write(fd, fresh, sizeof fresh) != (ssize_t)sizeof fresh || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	/* link() fails when another process made the key first: use theirs */
	if (rc == 0 && link(tmp, path) != 0)
		rc = -errno;
	unlink(tmp);
	if (rc == 0)
		memcpy(key, fresh, sizeof fresh);
out:
	sodium_memzero(fresh, sizeof fresh);
	g_free(tmp);
	return rc;
}

int sip_secret_key_load(const char *path, unsigned char key[SIP_SECRET_KEY_BYTES])
{
	unsigned char buf[SIP_SECRET_KEY_BYTES + 1];
	struct stat sb;
	int rc = 0;

	if (!path || !path[0])
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOSYS;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		rc = key_create(path, key);
		if (rc != -EEXIST)
			return rc;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
		rc = S_ISREG(sb.st_mode) ? -EPERM : -EINVAL;
		goto out;
	}
	ssize_t n = read(fd, buf, sizeof buf);
	if (n != SIP_SECRET_KEY_BYTES) {
		rc = n < 0 ? -errno : -EINVAL;
		goto out;
	}
	memcpy(key, buf, SIP_SECRET_KEY_BYTES);
out:
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return rc;
}

void sip_secret_key_forget(unsigned char key[SIP_SECRET_KEY_BYTES])
{
	sodium_memzero(key, SIP_SECRET_KEY_BYTES);
}

char *sip_secret_seal(const unsigned char key[SIP_SECRET_KEY_BYTES], const char *plain)
{
	size_t n = plain ? strlen(plain) : 0;
	if (n == 0 || n > SIP_SECRET_MAX_PLAIN || sodium_init() < 0)
		return NULL;
	size_t len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	unsigned char *box = g_malloc(len);
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, n,
			      box, key);
	char *out = g_base64_encode(box, len);
	g_free(box);
	return out;
}

int sip_secret_open(const unsigned char key[SIP_SECRET_KEY_BYTES], const char *sealed,
		    char **plain_out)
{
	const size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
	size_t len = 0;
	int rc = -EINVAL;
	/* base64 of at most SIP_SECRET_MAX_PLAIN + over bytes */
	if (!sealed || !sealed[0] || strlen(sealed) > 4 * ((SIP_SECRET_MAX_PLAIN + over) / 3 + 1))
		return -EINVAL;
	for (const char *p = sealed; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("+/=", *p))
			return -EINVAL;
	if (sodium_init() < 0)
		return -ENOSYS;
	unsigned char *box = g_base64_decode(sealed, &len);
	if (len <= over || len > SIP_SECRET_MAX_PLAIN + over)
		goto out;
	size_t n = len - over;
	char *plain = sodium_malloc(n + 1);
	if (!plain) {
		rc = -ENOMEM;
		goto out;
	}
	if (crypto_secretbox_open_easy((unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
				       len - crypto_secretbox_NONCEBYTES, box, key) != 0) {
		sodium_free(plain);
		rc = -EACCES;
		goto out;
	}
	plain[n] = '\0';
	/* a password is text: a NUL inside would cut it short unseen */
	if (strlen(plain) != n) {
		sodium_free(plain);
		goto out;
	}
	*plain_out = plain;
	rc = 0;
out:
	g_free(box);
	return rc;
}

void sip_secret_free(char *plain)
{
	if (plain)
		sodium_free(plain);
}
