/* keyfile: reading and writing key files through the vfs. The key object
 * and the parser live in crypto (no I/O there); this is the file layer's
 * part of encryption at rest. */
#include "base/internal.h"
#include "crypto/crypto.h"
#include "vfs/vfs.h"
#include "file/stream.h"
#include "file/keyfile.h"

#ifndef EP_NO_ENCRYPTION

/* Key files are tiny; anything bigger is not one. */
#define EP__KEY_FILE_CAP 4096

EP_API ep_result ep_key_load_file(ep_vfs *vfs, const char *path, const ep_allocator *alloc, ep_key **out,
                                  ep_error *err) {
    ep_vfs os;
    uint8_t *data = NULL, key[EP_KEY_SIZE];
    size_t len = 0;
    ep_result r;
    if (!out || !path) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "key file: missing argument");
    *out = NULL;
    if ((r = ep__vfs_pick(vfs, &os, &vfs)) != EP_OK)
        return ep_error_set(err, r, UINT64_MAX, "key file %s: no OS file system", path);
    r = ep_vfs_read_all(vfs, path, alloc, EP__KEY_FILE_CAP, &data, &len, err);
    if (r == EP_ERR_LIMIT)
        return ep_error_set(err, EP_ERR_KEY_FILE, UINT64_MAX, "key file %s: too large to be a key", path);
    if (r != EP_OK) return r;
    r = ep_key_parse(data, len, key);
    if (data) {
        ep__wipe(data, len);
        ep_free(alloc, data);
    }
    if (r != EP_OK)
        return ep_error_set(err, r, UINT64_MAX,
                            "key file %s: must be 32 raw bytes or 64 hex digits, got %llu bytes", path,
                            (unsigned long long)len);
    r = ep_key_create(key, alloc, out);
    ep__wipe(key, sizeof key);
    if (r != EP_OK) return ep_error_set(err, r, UINT64_MAX, "key file %s: %s", path, ep_result_str(r));
    return EP_OK;
}

/* Writes text to a new file and syncs it and its directory entry. On
 * failure the partial file is removed so a retry can create it again. */
static ep_result ep__key_write_new(ep_vfs *vfs, const char *path, const uint8_t *text, size_t len, ep_error *err) {
    ep_file *f = NULL;
    char dir[1024];
    ep_result r = vfs->open(vfs, path, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_EXCLUSIVE, &f, err);
    if (r != EP_OK) return r;
    r = vfs->write(vfs, f, 0, text, len, err);
    if (r == EP_OK) r = vfs->sync(vfs, f, err);
    if (r == EP_OK) {
        r = vfs->close(vfs, f, err);
    } else {
        vfs->close(vfs, f, NULL);
    }
    if (r != EP_OK) {
        vfs->remove(vfs, path, NULL);
        return r;
    }
    if (ep_path_dirname(dir, sizeof dir, path) == EP_OK) r = vfs->sync_dir(vfs, dir, err);
    return r;
}

/* Lowercase hex digit of a nibble without a table or branch: +39 skips from
 * '9' + 1 to 'a' when n > 9 (9 - n is then negative). */
static uint8_t ep__hex_digit(int n) {
    return (uint8_t)('0' + n + (((9 - n) >> 8) & 39));
}

EP_API ep_result ep_key_generate_file(ep_vfs *vfs, const char *path, ep_error *err) {
    ep_vfs os;
    uint8_t key[EP_KEY_SIZE], text[2 * EP_KEY_SIZE + 1];
    ep_result r;
    size_t i;
    if (!path) return ep_error_set(err, EP_ERR_INVALID_ARG, UINT64_MAX, "key file: missing path");
    if ((r = ep__vfs_pick(vfs, &os, &vfs)) != EP_OK)
        return ep_error_set(err, r, UINT64_MAX, "key file %s: no OS file system", path);
    r = ep_random_bytes(key, sizeof key);
    if (r != EP_OK) return ep_error_set(err, r, UINT64_MAX, "key file %s: no randomness from the OS", path);
    for (i = 0; i < EP_KEY_SIZE; i++) {
        text[2 * i] = ep__hex_digit(key[i] >> 4);
        text[2 * i + 1] = ep__hex_digit(key[i] & 15);
    }
    text[2 * EP_KEY_SIZE] = '\n';
    r = ep__key_write_new(vfs, path, text, sizeof text, err);
    ep__wipe(key, sizeof key);
    ep__wipe(text, sizeof text);
    return r;
}

#else /* EP_NO_ENCRYPTION */

EP_API ep_result ep_key_load_file(ep_vfs *vfs, const char *path, const ep_allocator *alloc, ep_key **out,
                                  ep_error *err) {
    (void)vfs; (void)path; (void)alloc;
    if (out) *out = NULL;
    return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "built with EP_NO_ENCRYPTION");
}
EP_API ep_result ep_key_generate_file(ep_vfs *vfs, const char *path, ep_error *err) {
    (void)vfs; (void)path;
    return ep_error_set(err, EP_ERR_UNSUPPORTED, UINT64_MAX, "built with EP_NO_ENCRYPTION");
}
#endif /* EP_NO_ENCRYPTION */
