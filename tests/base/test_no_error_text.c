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

#include <stdlib.h>
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

/* The snapshot reader's own failure helper (entry index, repeated state)
 * goes through ep_error_set too: the text is the code's, the rest stays. */
EPT_CASE(snapshot_reader_failures_keep_code_offset_index) {
    ep_vfs *vfs = NULL;
    ep_snapshot_reader_config cfg;
    ep_snapshot_reader *r = NULL;
    ep_snap_entry e[2], got;
    ep_error err;
    uint8_t *bytes = NULL;
    size_t n = 0;
    static const uint8_t short_head[3] = {'E', 'S', 'N'};
    memset(e, 0, sizeof e);
    e[0].key = ep_bytes_of("a", 1);
    e[0].value = ep_bytes_of("1", 1);
    e[0].type = EP_TYPE_STRING;
    e[0].expire_ms = -1;
    e[1] = e[0];
    e[1].key = ep_bytes_of("b", 1);
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    ep_snapshot_reader_config_init(&cfg);
    cfg.vfs = vfs;
    /* too short for the header */
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "short.snap", short_head, sizeof short_head, NULL));
    EPT_CHECK_EQ(ep_snapshot_reader_open("short.snap", &cfg, &r, &err), EP_ERR_EOF);
    EPT_CHECK_EQ(err.offset, 3);
    EPT_CHECK(strcmp(err.message, ep_result_str(EP_ERR_EOF)) == 0);
    /* missing file: the vfs's failure behind the reader's context */
    EPT_CHECK_EQ(ep_snapshot_reader_open("none.snap", &cfg, &r, &err), EP_ERR_NOT_FOUND);
    EPT_CHECK(strcmp(err.message, ep_result_str(EP_ERR_NOT_FOUND)) == 0);
    /* a flipped footer byte: the checksum failure after both entries */
    EPT_CHECK_OK(ep_snapshot_write_bytes(7, e, 2, NULL, &bytes, &n));
    bytes[n - 1] ^= 0x40;
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "bad.snap", bytes, n, NULL));
    EPT_CHECK_OK(ep_snapshot_reader_open("bad.snap", &cfg, &r, &err));
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &got));
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &got));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &got), EP_ERR_CHECKSUM);
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &got), EP_ERR_CHECKSUM); /* repeated */
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->code, EP_ERR_CHECKSUM);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->offset, n - 4);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->index, 2);
    EPT_CHECK(strcmp(ep_snapshot_reader_error(r)->message, ep_result_str(EP_ERR_CHECKSUM)) == 0);
    ep_snapshot_reader_close(r);
    /* cut inside the second entry: the fill failure's path */
    EPT_CHECK_OK(ep_vfs_write_all(vfs, "cut.snap", bytes, n - 6, NULL));
    EPT_CHECK_OK(ep_snapshot_reader_open("cut.snap", &cfg, &r, &err));
    EPT_CHECK_OK(ep_snapshot_reader_next(r, &got));
    EPT_CHECK_EQ(ep_snapshot_reader_next(r, &got), EP_ERR_EOF);
    EPT_CHECK_EQ(ep_snapshot_reader_error(r)->index, 1);
    EPT_CHECK(strcmp(ep_snapshot_reader_error(r)->message, ep_result_str(EP_ERR_EOF)) == 0);
    ep_snapshot_reader_close(r);
    free(bytes);
    ep_vfs_mem_free(vfs);
}

/* A damaged length that hides a later valid record: the message that was
 * formatted with snprintf is now ep_error_set's, so it goes too. */
EPT_CASE(aof_damaged_length_keeps_code_and_offset) {
    ep_vfs *vfs = NULL;
    ep_aof_writer_config wc;
    ep_aof_reader_config rc;
    ep_aof_writer *w = NULL;
    ep_aof_reader *r = NULL;
    ep_aof_record rec;
    ep_error err;
    ep_file *f = NULL;
    uint8_t buf[256];
    size_t got = 0;
    EPT_CHECK_OK(ep_vfs_mem_create(NULL, &vfs));
    ep_aof_writer_config_init(&wc);
    wc.vfs = vfs;
    wc.fsync = EP_FSYNC_NO;
    EPT_CHECK_OK(ep_aof_writer_open("d.aof", &wc, &w, &err));
    EPT_CHECK_OK(ep_aof_set(w, ep_bytes_of("k1", 2), ep_bytes_of("v1", 2), -1));
    EPT_CHECK_OK(ep_aof_set(w, ep_bytes_of("k2", 2), ep_bytes_of("v2", 2), -1));
    EPT_CHECK_OK(ep_aof_writer_close(w));
    EPT_CHECK_OK(vfs->open(vfs, "d.aof", EP_OPEN_READ | EP_OPEN_WRITE, &f, NULL));
    EPT_CHECK_OK(vfs->read(vfs, f, 0, buf, sizeof buf, &got, NULL));
    EPT_CHECK(got > 12);
    /* the first record's key length (u32 after header 5 and tag 1) 258:
     * past the file's end, with the second record valid behind it */
    buf[5 + 1 + 1] = 0x01;
    EPT_CHECK_OK(vfs->write(vfs, f, 0, buf, got, NULL));
    EPT_CHECK_OK(vfs->close(vfs, f, NULL));
    ep_aof_reader_config_init(&rc);
    rc.vfs = vfs;
    EPT_CHECK_OK(ep_aof_reader_open("d.aof", &rc, &r, &err));
    EPT_CHECK_EQ(ep_aof_reader_next(r, &rec), EP_ERR_CORRUPT);
    EPT_CHECK_EQ(ep_aof_reader_error(r)->offset, 5);
    EPT_CHECK_EQ(ep_aof_reader_error(r)->index, 0);
    EPT_CHECK(strcmp(ep_aof_reader_error(r)->message, ep_result_str(EP_ERR_CORRUPT)) == 0);
    ep_aof_reader_close(r);
    ep_vfs_mem_free(vfs);
}

EPT_MAIN()
