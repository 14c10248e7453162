/* Password hashing with Argon2id (libsodium crypto_pwhash_str), and its
 * verification off the loop thread. */
#define TSUNAGU_LOG_TOPIC "auth"
#include "auth.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "log.h"

static void ensure_sodium(void)
{
	static gsize once = 0;
	if (g_once_init_enter(&once)) {
		if (sodium_init() < 0)
			g_error("libsodium cannot initialise");
		g_once_init_leave(&once, 1);
	}
}

int tsunagu_auth_password_hash(const char *password, tsunagu_role role, char **out)
{
	char hash[crypto_pwhash_STRBYTES];
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	size_t len;

	*out = NULL;
	ensure_sodium();
	if (!password || !*password)
		return -EINVAL;
	len = strlen(password);
	if (len > TSUNAGU_PASSWORD_MAX_LEN)
		return -EINVAL;
	/* Admin accounts get more passes over the same memory: costlier to
	 * guess offline, while the per-login memory (and so what a burst of
	 * logins can make us allocate) stays at the interactive 64 MiB. */
	if (role == TSUNAGU_ROLE_ADMIN)
		ops = crypto_pwhash_OPSLIMIT_MODERATE;
	if (crypto_pwhash_str(hash, password, len, ops, mem) != 0)
		return -ENOMEM;
	*out = g_strdup(hash);
	sodium_memzero(hash, sizeof(hash));
	return 0;
}

bool tsunagu_auth_password_verify(const char *hash, const char *password)
{
	ensure_sodium();
	if (!hash || !password || strlen(password) > TSUNAGU_PASSWORD_MAX_LEN)
		return false;
	if (strnlen(hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
		return false;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

typedef struct {
	char *hash;
	char *password;
} verify_job;

static void verify_job_free(void *p)
{
	verify_job *j = p;
	if (j->password)
		sodium_memzero(j->password, strlen(j->password));
	g_free(j->password);
	g_free(j->hash);
	g_free(j);
}

/* Worker thread of GLib's pool: touches only the job's own copies. */
static void verify_thread(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	verify_job *j = data;
	/* no hash: an unknown login, checked against the dummy (computed here
	 * on first use, off the loop) so that it costs what a real one does */
	const char *hash = j->hash ? j->hash : tsunagu_auth_dummy_hash();
	bool ok = tsunagu_auth_password_verify(hash, j->password);
	g_task_return_boolean(task, j->hash ? ok : false);
}

void tsunagu_auth_password_verify_async(const char *hash, const char *password,
					GCancellable *cancellable, GAsyncReadyCallback cb,
					void *user_data)
{
	GTask *task = g_task_new(NULL, cancellable, cb, user_data);
	verify_job *j = g_new0(verify_job, 1);

	j->hash = g_strdup(hash);
	j->password = g_strdup(password);
	g_task_set_task_data(task, j, verify_job_free);
	g_task_run_in_thread(task, verify_thread);
	g_object_unref(task);
}

bool tsunagu_auth_password_verify_finish(GAsyncResult *res)
{
	GError *err = NULL;
	bool ok = g_task_propagate_boolean(G_TASK(res), &err);
	g_clear_error(&err);
	return ok;
}

const char *tsunagu_auth_dummy_hash(void)
{
	static char *dummy;
	static gsize once = 0;

	if (g_once_init_enter(&once)) {
		char *pw = tsunagu_auth_random_password();
		if (tsunagu_auth_password_hash(pw, TSUNAGU_ROLE_OPERATOR, &dummy) < 0)
			g_error("cannot compute the dummy password hash");
		g_free(pw);
		g_once_init_leave(&once, 1);
	}
	return dummy;
}

char *tsunagu_auth_random_password(void)
{
	/* no 0/O, 1/l/I: read off a terminal and typed by a person */
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char *pw = g_malloc(21);

	ensure_sodium();
	for (int i = 0; i < 20; i++)
		pw[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	pw[20] = '\0';
	return pw;
}
