/* The first admin account: on the very first start (no staff at all) an
 * account "admin" is created with a random password, which is printed once on
 * stdout and never again; only its Argon2id hash is stored. Loop thread. */
#pragma once

#include "core.h"

/* 0 when staff exist or the admin was created and committed. */
int tsunagu_first_admin_ensure(tsunagu_core *core);
