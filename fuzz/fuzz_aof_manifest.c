/* libFuzzer: the multi-part AOF manifest parser on any bytes. A manifest it
 * accepts is formatted and parsed again: the same files, seqs and types
 * (base first, then history, then incr, each in manifest order); every
 * name is a plain file name within the cap. A refusal frees everything. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_aof_manifest m, m2;
    ep_error err;
    ep_buf b;
    size_t i, j = 0, o;
    static const char order[3] = {'b', 'h', 'i'};
    if (ep_aof_manifest_parse(data, size, NULL, &m, &err) != EP_OK) {
        if (m.files || m.n) abort();
        return 0;
    }
    for (i = 0; i < m.n; i++) {
        size_t n = strlen(m.files[i].name);
        if (n == 0 || n > EP_AOF_MANIFEST_NAME_MAX || strchr(m.files[i].name, '/') || m.files[i].seq == 0) abort();
    }
    ep_buf_init(&b, NULL);
    if (ep_aof_manifest_format(&m, &b) != EP_OK) abort();
    if (ep_aof_manifest_parse(b.data, b.len, NULL, &m2, &err) != EP_OK || m2.n != m.n) abort();
    for (o = 0; o < 3; o++)
        for (i = 0; i < m.n; i++) {
            if ((char)m.files[i].type != order[o]) continue;
            if (strcmp(m.files[i].name, m2.files[j].name) != 0 || m.files[i].seq != m2.files[j].seq ||
                m.files[i].type != m2.files[j].type)
                abort();
            j++;
        }
    ep_aof_manifest_free(&m);
    ep_aof_manifest_free(&m2);
    ep_buf_free(&b);
    return 0;
}
