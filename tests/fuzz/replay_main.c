/* Replays a fuzz target's corpus (every file in the given directories, and
 * a few thousand mutations of each) without libFuzzer, so each target runs
 * in the ordinary test suite with gcc and under the sanitizers. Exit 0 when
 * no input crashed (a crash kills the process: the test fails). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long rng_state = 0x2545F491u;
static unsigned rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33);
}

/* Deterministic mutations: flips, inserts, deletes, splices of dictionary
 * bytes, so the replay also explores near the seeds. */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
	static const char *const dict[] = {"\"", "\\", "[", "]", "=", "\n", "\0", "\xff",
					   "%", ";", "{", "}", "\xe3\x81\x82", "999999999999"};
	int ops = 1 + (int)(rnd() % 4);
	for (int i = 0; i < ops; i++) {
		unsigned op = rnd() % 4;
		if (op == 0 && len) {
			buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		} else if (op == 1 && len) {
			size_t at = rnd() % len, n = 1 + rnd() % 8;
			if (at + n > len)
				n = len - at;
			memmove(buf + at, buf + at + n, len - at - n);
			len -= n;
		} else {
			const char *d = dict[rnd() % (sizeof dict / sizeof *dict)];
			size_t n = strlen(d) ? strlen(d) : 1;
			if (len + n > cap)
				continue;
			size_t at = len ? rnd() % (len + 1) : 0;
			memmove(buf + at + n, buf + at, len - at);
			memcpy(buf + at, d, n);
			len += n;
		}
	}
	return len;
}

static int run_file(const char *path, unsigned mutations)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap), *work = malloc(cap + 64);
	size_t len = fread(buf, 1, cap, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	for (unsigned i = 0; i < mutations; i++) {
		memcpy(work, buf, len);
		size_t n = mutate(work, len, cap + 64);
		uint8_t *exact = malloc(n ? n : 1); /* exact size: ASan sees overreads */
		memcpy(exact, work, n);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	free(buf);
	free(work);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned files = 0;
	unsigned mutations = getenv("FUZZ_MUTATIONS") ? (unsigned)atoi(getenv("FUZZ_MUTATIONS")) : 2000;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: not found\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			files += run_file(argv[i], mutations) == 0;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
			files += run_file(path, mutations) == 0;
		}
		if (d)
			closedir(d);
	}
	if (!files) {
		fprintf(stderr, "replay: no corpus files: a fuzz target needs seeds\n");
		return 1;
	}
	printf("replayed %u corpus files with %u mutations each\n", files, mutations);
	return 0;
}
