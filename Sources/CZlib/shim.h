// zlib, for gzip-encoded scrapes (Debian: zlib1g-dev).
#include <zlib.h>
