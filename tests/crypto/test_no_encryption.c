/* EP_NO_ENCRYPTION: no key can be made, so the file layer leaves its v3
 * (encrypted) record paths out of the link (EP__CRYPTO). What keeps that
 * sound is tested here, with the implementation compiled under the switch
 * (EMBER_PERSIST_STATIC, beside the default build this program links): a
 * key handed to any open anyway is refused with EP_ERR_UNSUPPORTED before a
 * byte is touched, v3 files are refused as they always were, and plain
 * files still round-trip. */
#define EP_NO_ENCRYPTION
#define EMBER_PERSIST_STATIC
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
#include "harness.h"

#include <string.h>

/* Not a key: no key can exist in this build. Its address stands in for one
 * a caller might pass anyway (a stale pointer, a config copied from another
 * build). */
static uint64_t not_a_key[8];
#define FAKE_KEY ((const ep_key *)(const void *)not_a_key)

static int exists(ep_vfs *vfs, const char *path) {
    uint64_t size = 0;
    return vfs->stat(vfs, path, &size, NULL) == EP_OK;
}

/* The four file configs of one in-memory vfs, initialised as a caller would
 * (the defaults, plus the vfs), and a handle of each kind. */
typedef struct {
    ep_vfs *vfs;
    ep_aof_writer_config awc;
    ep_aof_reader_config arc;
    ep_snapshot_writer_config swc;
    ep_snapshot_reader_config src;
    ep_aof_writer *aw;
    ep_aof_reader *ar;
    ep_snapshot_writer *sw;
    ep_snapshot_reader *sr;
} files;

static int files_open(files *f) {
    memset(f, 0, sizeof *f);
    if (ep_vfs_mem_create(NULL, &f->vfs) != EP_OK) return 0;
    ep_aof_writer_config_init(&f->awc);
    ep_aof_reader_config_init(&f->arc);
    ep_snapshot_writer_config_init(&f->swc);
    ep_snapshot_reader_config_init(&f->src);
    f->awc.vfs = f->arc.vfs = f->swc.vfs = f->src.vfs = f->vfs;
    return 1;
}

EPT_CASE(no_key_can_be_made) {
    uint8_t bytes[EP_KEY_SIZE];
    ep_key *k = (ep_key *)(void *)not_a_key;
    memset(bytes, 7, sizeof bytes);
    EPT_CHECK_EQ(ep_key_create(bytes, NULL, &k), EP_ERR_UNSUPPORTED);
    EPT_CHECK(k == NULL);
}

EPT_CASE(every_open_refuses_a_key) {
    files f;
    ep_error err;
    EPT_CHECK(files_open(&f));
    f.awc.key = FAKE_KEY;
    EPT_CHECK_EQ(ep_aof_writer_open("a.aof", &f.awc, &f.aw, &err), EP_ERR_UNSUPPORTED);
    EPT_CHECK_EQ(err.code, EP_ERR_UNSUPPORTED);
    EPT_CHECK(f.aw == NULL);
    EPT_CHECK(!exists(f.vfs, "a.aof")); /* refused before the file was made */
    f.swc.key = FAKE_KEY;
    EPT_CHECK_EQ(ep_snapshot_writer_begin("s.snap", 1, &f.swc, &f.sw, &err), EP_ERR_UNSUPPORTED);
    EPT_CHECK(f.sw == NULL);
    EPT_CHECK(!exists(f.vfs, "s.snap.tmp"));
    /* readers too, even of a plain file (a key means the caller expects v3) */
    f.awc.key = NULL;
    EPT_CHECK_OK(ep_aof_writer_open("a.aof", &f.awc, &f.aw, &err));
    EPT_CHECK_OK(ep_aof_writer_close(f.aw));
    f.arc.key = FAKE_KEY;
    EPT_CHECK_EQ(ep_aof_reader_open("a.aof", &f.arc, &f.ar, &err), EP_ERR_UNSUPPORTED);
    EPT_CHECK(f.ar == NULL);
    f.swc.key = NULL;
    EPT_CHECK_OK(ep_snapshot_writer_begin("s.snap", 1, &f.swc, &f.sw, &err));
    EPT_CHECK_OK(ep_snapshot_writer_commit(f.sw, &err));
    f.src.key = FAKE_KEY;
    EPT_CHECK_EQ(ep_snapshot_reader_open("s.snap", &f.src, &f.sr, &err), EP_ERR_UNSUPPORTED);
    EPT_CHECK(f.sr == NULL);
    ep_vfs_mem_free(f.vfs);
}

/* v3 files written elsewhere: refused at open, as without the switch when
 * no key is given; the writer will not append plaintext to one. */
EPT_CASE(v3_files_are_refused) {
    files f;
    ep_error err;
    /* header + a v3 envelope's first bytes (nonce, length): never read */
    static const uint8_t aof3[5 + 16] = {'E', 'A', 'O', 'F', 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 0, 0, 0};
    static const uint8_t snap3[11 + 4] = {'E', 'S', 'N', 'P', 3, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    EPT_CHECK(files_open(&f));
    EPT_CHECK_OK(ep_vfs_write_all(f.vfs, "e.aof", aof3, sizeof aof3, NULL));
    EPT_CHECK_OK(ep_vfs_write_all(f.vfs, "e.snap", snap3, sizeof snap3, NULL));
    EPT_CHECK_EQ(ep_aof_reader_open("e.aof", &f.arc, &f.ar, &err), EP_ERR_ENCRYPTION_REQUIRED);
    EPT_CHECK_EQ(err.offset, 4);
    EPT_CHECK_EQ(ep_aof_writer_open("e.aof", &f.awc, &f.aw, &err), EP_ERR_FORMAT_MISMATCH);
    EPT_CHECK_EQ(ep_snapshot_reader_open("e.snap", &f.src, &f.sr, &err), EP_ERR_ENCRYPTION_REQUIRED);
    ep_vfs_mem_free(f.vfs);
}

EPT_CASE(plain_files_round_trip) {
    files f;
    ep_aof_record rec;
    ep_snap_entry e;
    ep_error err;
    EPT_CHECK(files_open(&f));
    f.awc.fsync = EP_FSYNC_ALWAYS;
    EPT_CHECK_OK(ep_aof_writer_open("p.aof", &f.awc, &f.aw, &err));
    EPT_CHECK_OK(ep_aof_set(f.aw, ep_bytes_of("k", 1), ep_bytes_of("v", 1), -1));
    EPT_CHECK_OK(ep_aof_del(f.aw, ep_bytes_of("k", 1)));
    EPT_CHECK_OK(ep_aof_writer_close(f.aw));
    EPT_CHECK_OK(ep_aof_reader_open("p.aof", &f.arc, &f.ar, &err));
    EPT_CHECK_OK(ep_aof_reader_next(f.ar, &rec));
    EPT_CHECK_EQ(rec.tag, EP_AOF_SET);
    EPT_CHECK_OK(ep_aof_reader_next(f.ar, &rec));
    EPT_CHECK_EQ(rec.tag, EP_AOF_DEL);
    EPT_CHECK_EQ(ep_aof_reader_next(f.ar, &rec), EP_END);
    ep_aof_reader_close(f.ar);
    EPT_CHECK_OK(ep_snapshot_writer_begin("p.snap", 2, &f.swc, &f.sw, &err));
    EPT_CHECK_OK(ep_snapshot_writer_add_string(f.sw, ep_bytes_of("a", 1), ep_bytes_of("b", 1), -1));
    EPT_CHECK_OK(ep_snapshot_writer_commit(f.sw, &err));
    EPT_CHECK_OK(ep_snapshot_reader_open("p.snap", &f.src, &f.sr, &err));
    EPT_CHECK_OK(ep_snapshot_reader_next(f.sr, &e));
    EPT_CHECK(e.key.len == 1 && e.key.data[0] == 'a');
    EPT_CHECK_EQ(ep_snapshot_reader_next(f.sr, &e), EP_END);
    ep_snapshot_reader_close(f.sr);
    ep_vfs_mem_free(f.vfs);
}

EPT_MAIN()
