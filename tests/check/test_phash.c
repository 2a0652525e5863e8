/* phash: the prefix hash against vectors from an independent Python
 * implementation of its definition (phash.h), split into every pair of
 * pieces, and the property it exists for: unlike CRC-32, equal-length AOF
 * prefixes that differ only in a record's bytes hash differently. */
#include "ember_persist.h"
#include "harness.h"

static const struct {
    const char *data;
    size_t len;
    uint64_t hash;
} vectors[] = {
    {"", 0, 0x3bfdce42149f9aefull},
    {"a", 1, 0x6f56f7777dcb5af3ull},
    {"abcdefg", 7, 0x3ae3fd215265b47bull},
    {"abcdefgh", 8, 0x206445e102a8f77cull},
    {"abcdefghi", 9, 0xd1467f1ccd623b88ull},
    {"EAOF\x02", 5, 0x5dc250b799a491b4ull},
    {"\0\0\0\0\0\0\0\0", 8, 0x957078f745e9b480ull},
    {"\0\0\0\0\0\0\0", 7, 0xd019bcd1e0f93a4dull}, /* the zero padding is not the length */
};

EPT_CASE(vectors_from_the_python_definition) {
    size_t i;
    uint8_t all[256];
    for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
        EPT_CHECK(ep_phash_of(vectors[i].data, vectors[i].len) == vectors[i].hash);
    for (i = 0; i < 256; i++) all[i] = (uint8_t)i;
    EPT_CHECK(ep_phash_of(all, sizeof all) == 0x7dc253a181784d0cull);
}

EPT_CASE(any_split_gives_the_one_call_hash) {
    uint8_t d[67];
    size_t i, a, b;
    for (i = 0; i < sizeof d; i++) d[i] = (uint8_t)(i * 37 + 11);
    for (a = 0; a <= sizeof d; a++) {
        for (b = a; b <= sizeof d; b++) {
            ep_phash p;
            ep_phash_init(&p);
            ep_phash_update(&p, d, a);
            ep_phash_update(&p, d + a, b - a);
            EPT_CHECK(ep_phash_final(&p) == ep_phash_of(d, b));
            ep_phash_update(&p, d + b, sizeof d - b); /* final leaves p as it was */
            EPT_CHECK(ep_phash_final(&p) == ep_phash_of(d, sizeof d));
        }
    }
}

/* Two one-record AOFs of one length: CRC-32 of the whole prefix collides
 * (each record ends with its own CRC), the prefix hash does not. */
EPT_CASE(records_of_one_length_differ_where_crc32_collides) {
    ep_buf a, b;
    ep_aof_record ra, rb;
    ep_bytes va = EP_LIT("a"), vb = EP_LIT("b");
    ep_buf_init(&a, NULL);
    ep_buf_init(&b, NULL);
    memset(&ra, 0, sizeof ra);
    ra.tag = EP_AOF_SET;
    ra.key = EP_LIT("k");
    ra.value = va;
    ra.num = -1;
    rb = ra;
    rb.value = vb;
    ep_buf_put(&a, "EAOF\x02", 5);
    ep_buf_put(&b, "EAOF\x02", 5);
    EPT_CHECK_OK(ep_aof_encode(&a, &ra));
    EPT_CHECK_OK(ep_aof_encode(&b, &rb));
    ep_buf_u32(&a, ep_crc32(a.data + 5, a.len - 5)); /* each record ends with its own CRC */
    ep_buf_u32(&b, ep_crc32(b.data + 5, b.len - 5));
    EPT_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) != 0);
    EPT_CHECK(ep_crc32(a.data, a.len) == ep_crc32(b.data, b.len));
    EPT_CHECK(ep_phash_of(a.data, a.len) != ep_phash_of(b.data, b.len));
    ep_buf_free(&a);
    ep_buf_free(&b);
}

EPT_MAIN()
