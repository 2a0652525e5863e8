/* EP_NO_ERROR_TEXT: no message texts in the binary (flash-sized builds).
 * The implementation is compiled here with the switch (EMBER_PERSIST_STATIC,
 * beside the default build this program links): failures keep their code and
 * offset, the message is ep_result_str(code), and a format's arguments are
 * never evaluated. */
#define EP_NO_ERROR_TEXT
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "harness.h"

#include <string.h>

static int evaluated;
static const char *side_effect(void) {
    evaluated++;
    return "x";
}

EPT_CASE(code_offset_and_the_result_text) {
    ep_error e;
    ep_error_clear(&e);
    EPT_CHECK_EQ(ep_error_set(&e, EP_ERR_CHECKSUM, 42, "entry %s at %d", side_effect(), 7), EP_ERR_CHECKSUM);
    EPT_CHECK_EQ(e.code, EP_ERR_CHECKSUM);
    EPT_CHECK_EQ(e.offset, 42);
    EPT_CHECK(strcmp(e.message, ep_result_str(EP_ERR_CHECKSUM)) == 0);
    EPT_CHECK_EQ(evaluated, 0);
    EPT_CHECK_EQ(ep_error_set(NULL, EP_ERR_IO, 0, "no handle"), EP_ERR_IO);
}

EPT_CASE(a_library_failure_says_what_without_text) {
    ep_vfs *vfs = NULL;
    ep_aof_reader_config cfg;
    ep_aof_reader *r = NULL;
    ep_error e;
    ep_file *f = NULL;
    static const uint8_t bad[8] = {'N', 'O', 'P', 'E', 2, 0, 0, 0};
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    EPT_CHECK_OK(vfs->open(vfs, "x.aof", EP_OPEN_WRITE | EP_OPEN_CREATE, &f, NULL));
    EPT_CHECK_OK(vfs->write(vfs, f, 0, bad, sizeof bad, NULL));
    EPT_CHECK_OK(vfs->close(vfs, f, NULL));
    ep_aof_reader_config_init(&cfg);
    cfg.vfs = vfs;
    EPT_CHECK_EQ(ep_aof_reader_open("x.aof", &cfg, &r, &e), EP_ERR_BAD_MAGIC);
    EPT_CHECK_EQ(e.code, EP_ERR_BAD_MAGIC);
    EPT_CHECK(strcmp(e.message, ep_result_str(EP_ERR_BAD_MAGIC)) == 0);
    ep_vfs_mem_free(vfs);
}

EPT_MAIN()
