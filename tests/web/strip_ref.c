/* client/strip.c run on one file, for tests/web/strip.mjs to compare the page's strip.js
 * with: strip_ref IN OUT writes the cleaned bytes to OUT and prints "KIND RC FOUND" (KIND
 * 0 other, 1 JPEG, 2 PNG; RC 0 or -1; FOUND the STRIP_F_ bits) on standard output. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "strip.h"

static int to_file(void *arg, const uint8_t *b, size_t n)
{
	return fwrite(b, 1, n, arg) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int fd = open(argv[1], O_RDONLY);
	FILE *out = fopen(argv[2], "wb");
	if (fd < 0 || out == NULL)
		return 2;
	strip_kind k = strip_detect(fd);
	uint64_t size = 0;
	unsigned found = 0;
	int rc = k == STRIP_OTHER ? -1 : strip_run_found(fd, k, to_file, out, &size, &found);
	printf("%d %d %u\n", (int)k, rc, found);
	close(fd);
	return fclose(out) == 0 ? 0 : 2;
}
