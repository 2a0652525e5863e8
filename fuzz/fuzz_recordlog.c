/* libFuzzer: arbitrary bytes as a whole record-log file: both read modes
 * and the writer's open (repair) never crash; after the writer, a strict
 * read accepts the file. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ep_vfs *v = NULL;
    ep_recordlog_config c;
    ep_recordlog_info i1, i2;
    ep_recordlog *l = NULL;
    if (ep_vfs_mem_create(NULL, &v) != EP_OK) return 0;
    ep_vfs_write_all(v, "log", data, size, NULL);
    ep_recordlog_config_init(&c);
    c.vfs = v;
    c.mode = EP_WAL_BEST_EFFORT;
    if (ep_recordlog_read("log", &c, NULL, NULL, &i1, NULL) == EP_OK) {
        c.mode = EP_WAL_STRICT;
        if (ep_recordlog_read("log", &c, NULL, NULL, &i2, NULL) == EP_OK && i2.records != i1.records) abort();
    }
    c.repair_tail = size > 0 && (data[size - 1] & 1);
    if (ep_recordlog_open("log", &c, &l, NULL) == EP_OK) {
        ep_recordlog_append(l, "x", 1, NULL);
        if (ep_recordlog_close(l) == EP_OK) {
            c.mode = EP_WAL_STRICT;
            if (ep_recordlog_read("log", &c, NULL, NULL, &i2, NULL) != EP_OK) abort();
        }
    }
    ep_vfs_mem_free(v);
    return 0;
}
